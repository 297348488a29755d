// Sample tensors of every datatype with edge values, shared by the specs.
import type { Tensor } from './datatype';
import { TensorError, type TensorProblem } from './tensor.errors';

/**
 * One tensor per datatype. With `full64`, INT64/UINT64 include values beyond
 * ±2^53, which raw and JSON carry exactly but the gRPC typed form cannot
 * (the loader decodes 64-bit integers as JavaScript numbers).
 */
export function sampleTensors({ full64 }: { full64: boolean }): Tensor[] {
  return [
    { name: 'bool', datatype: 'BOOL', shape: [2, 2], data: new Uint8Array([1, 0, 0, 1]) },
    { name: 'uint8', datatype: 'UINT8', shape: [3], data: new Uint8Array([0, 1, 255]) },
    { name: 'uint16', datatype: 'UINT16', shape: [3], data: new Uint16Array([0, 0x1234, 0xffff]) },
    { name: 'uint32', datatype: 'UINT32', shape: [1, 2], data: new Uint32Array([7, 0xffffffff]) },
    {
      name: 'uint64',
      datatype: 'UINT64',
      shape: [3],
      data: new BigUint64Array(full64 ? [0n, 2n ** 53n - 1n, 2n ** 64n - 1n] : [0n, 2n ** 32n, 2n ** 53n - 1n]),
    },
    { name: 'int8', datatype: 'INT8', shape: [4], data: new Int8Array([-128, -1, 0, 127]) },
    { name: 'int16', datatype: 'INT16', shape: [2], data: new Int16Array([-32768, 32767]) },
    { name: 'int32', datatype: 'INT32', shape: [2, 2], data: new Int32Array([-(2 ** 31), 2 ** 31 - 1, 1, -2]) },
    {
      name: 'int64',
      datatype: 'INT64',
      shape: [3],
      data: new BigInt64Array(full64 ? [-(2n ** 63n), -1n, 2n ** 63n - 1n] : [-(2n ** 53n - 1n), -1n, 2n ** 53n - 1n]),
    },
    { name: 'fp16', datatype: 'FP16', shape: [4], data: new Uint16Array([0x3c00, 0x7bff, 0x0001, 0xfc00]) },
    { name: 'bf16', datatype: 'BF16', shape: [3], data: new Uint16Array([0x3f80, 0xc000, 0x7f80]) },
    { name: 'fp32', datatype: 'FP32', shape: [5], data: new Float32Array([1.5, -0.25, 3.4028234663852886e38, Infinity, NaN]) },
    { name: 'fp64', datatype: 'FP64', shape: [4], data: new Float64Array([Math.PI, -1e300, 5e-324, -Infinity]) },
    { name: 'bytes', datatype: 'BYTES', shape: [3], data: [Buffer.from('héllo'), Buffer.alloc(0), Buffer.from('✓')] },
  ];
}

/** The samples that have a typed (InferTensorContents) form: all but FP16 and BF16. */
export function typedSampleTensors(): Tensor[] {
  return sampleTensors({ full64: false }).filter((t) => t.datatype !== 'FP16' && t.datatype !== 'BF16');
}

/** Expects fn to throw a TensorError with this problem whose message contains every fragment. */
export function expectTensorError(fn: () => unknown, problem: TensorProblem, ...fragments: string[]): void {
  let thrown: unknown;
  try {
    fn();
  } catch (err) {
    thrown = err;
  }
  expect(thrown).toBeInstanceOf(TensorError);
  const e = thrown as TensorError;
  expect(e.problem).toBe(problem);
  for (const f of fragments) expect(e.message).toContain(f);
}
