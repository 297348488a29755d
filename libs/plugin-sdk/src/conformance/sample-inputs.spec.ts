import { DATATYPES, type Tensor } from '../tensors';
import { differenceBetween, otherDatatype, sampleInputs, seededRandom, wrongShapeInput } from './sample-inputs';

describe('sample inputs for the conformance kit', () => {
  it('generates one deterministic input per signature input, -1 dimensions as 2', () => {
    const signature = {
      inputs: [
        { name: 'x', datatype: 'FP32' as const, shape: [-1, 3] },
        { name: 'ids', datatype: 'INT64' as const, shape: [-1] },
        { name: 'text', datatype: 'BYTES' as const, shape: [1, -1] },
      ],
    };
    const a = sampleInputs(signature);
    expect(a.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['x', 'FP32', [2, 3]],
      ['ids', 'INT64', [2]],
      ['text', 'BYTES', [1, 2]],
    ]);
    expect(a[0]!.data).toBeInstanceOf(Float32Array);
    expect(Array.from(a[0]!.data as Float32Array).every((v) => v >= -1 && v < 1)).toBe(true);
    expect(Array.from(a[1]!.data as BigInt64Array).every((v) => v >= 0n && v < 10n)).toBe(true);
    expect(differenceBetween(a, sampleInputs(signature))).toBeUndefined();
    expect(differenceBetween(a, sampleInputs(signature, 99))).toMatch(/differs at element/);
  });

  it('has values of the right storage for every datatype', () => {
    const inputs = sampleInputs({ inputs: DATATYPES.map((d) => ({ name: d, datatype: d, shape: [3] })) });
    for (const t of inputs) expect(t.data.length).toBe(3);
    expect(inputs.find((t) => t.datatype === 'BOOL')!.data).toBeInstanceOf(Uint8Array);
    expect(inputs.find((t) => t.datatype === 'UINT64')!.data).toBeInstanceOf(BigUint64Array);
    expect(inputs.find((t) => t.datatype === 'FP16')!.data).toBeInstanceOf(Uint16Array);
    expect(Buffer.isBuffer((inputs.find((t) => t.datatype === 'BYTES')!.data as Buffer[])[0])).toBe(true);
  });

  it('builds inputs the signature must refuse', () => {
    const spec = { name: 'x', datatype: 'FP32' as const, shape: [-1, 3] };
    const [x] = sampleInputs({ inputs: [spec] });
    expect(wrongShapeInput(x!, spec, seededRandom(1)).shape).toEqual([2, 4]);
    expect(wrongShapeInput(x!, { ...spec, shape: [-1, -1] }, seededRandom(1)).shape).toEqual([2, 3, 1]);
    expect(otherDatatype('FP32')).toBe('INT32');
    expect(otherDatatype('BYTES')).toBe('FP32');
  });

  it('compares outputs exactly, forgiving only last-bit float noise', () => {
    const y = (v: number[]): Tensor[] => [{ name: 'y', datatype: 'FP32', shape: [v.length], data: new Float32Array(v) }];
    expect(differenceBetween(y([1, NaN]), y([1, NaN]))).toBeUndefined();
    expect(differenceBetween(y([1, 2]), y([1, 2.0000001]))).toBeUndefined();
    expect(differenceBetween(y([1, 2]), y([1, 2.01]))).toBe('output "y" differs at element 1');
    expect(differenceBetween(y([1, 2]), y([1]))).toBe('output "y" has shape [1] instead of [2]');
    expect(differenceBetween(y([1]), [])).toBe('outputs [] instead of [y]');
  });
});
