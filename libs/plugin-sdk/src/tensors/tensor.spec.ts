import { HOST_IS_LITTLE_ENDIAN, safeInt64At, swapBytes, writeSafeInt64 } from './byte-order';
import { DATATYPES, bytesPerElement, isDatatype, type Tensor } from './datatype';
import { expectTensorError } from './sample-tensors.fixture';
import { assertTensor, isTensorOf, makeTensor } from './tensor';

describe('datatypes', () => {
  it('knows the fourteen V2 datatypes and their element sizes', () => {
    expect(DATATYPES).toHaveLength(14);
    expect(isDatatype('FP32')).toBe(true);
    expect(isDatatype('fp32')).toBe(false);
    expect(isDatatype('toString')).toBe(false);
    expect(DATATYPES.map((d) => [d, bytesPerElement(d)])).toEqual([
      ['BOOL', 1],
      ['UINT8', 1],
      ['UINT16', 2],
      ['UINT32', 4],
      ['UINT64', 8],
      ['INT8', 1],
      ['INT16', 2],
      ['INT32', 4],
      ['INT64', 8],
      ['FP16', 2],
      ['BF16', 2],
      ['FP32', 4],
      ['FP64', 8],
      ['BYTES', null],
    ]);
  });
});

describe('makeTensor', () => {
  it('builds a consistent tensor, zero-size dimensions allowed, and narrows by datatype', () => {
    const t = makeTensor('boxes', 'FP32', [0, 4], new Float32Array(0));
    expect(t.shape).toEqual([0, 4]);
    expect(isTensorOf(t, 'FP32')).toBe(true);
    expect(isTensorOf(t, 'FP64')).toBe(false);
  });

  it('rejects storage of the wrong class, naming the class expected', () => {
    expectTensorError(() => makeTensor('x', 'INT64', [1], new Int32Array(1) as unknown as BigInt64Array), 'BAD_TENSOR', "'x'", 'INT64', 'BigInt64Array', 'got Int32Array');
    expectTensorError(() => makeTensor('x', 'BYTES', [1], 'ab' as unknown as Buffer[]), 'BAD_TENSOR', 'array of Buffers');
  });

  it('rejects a data length that does not match the shape', () => {
    expectTensorError(() => makeTensor('x', 'UINT8', [2, 2], new Uint8Array(3)), 'SIZE_MISMATCH', "'x'", '[2,2]', 'needs 4 elements', 'holds 3');
  });

  it('rejects something that is not a tensor at all', () => {
    expectTensorError(() => assertTensor(null as unknown as Tensor), 'BAD_TENSOR', 'A tensor is null');
  });

  it('rejects an empty name and a bad shape', () => {
    expectTensorError(() => makeTensor('', 'UINT8', [1], new Uint8Array(1)), 'BAD_TENSOR', 'non-empty name');
    expectTensorError(() => makeTensor('x', 'UINT8', [-1], new Uint8Array(1)), 'BAD_SHAPE', '-1 is only allowed in a signature');
  });
});

describe('byte order helpers', () => {
  it('swaps the bytes of each element', () => {
    const b = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]);
    swapBytes(b, 2);
    expect([...b]).toEqual([2, 1, 4, 3, 6, 5, 8, 7]);
    swapBytes(b, 2);
    swapBytes(b, 4);
    expect([...b]).toEqual([4, 3, 2, 1, 8, 7, 6, 5]);
    swapBytes(b, 4);
    swapBytes(b, 8);
    expect([...b]).toEqual([8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('knows the host byte order', () => {
    expect(HOST_IS_LITTLE_ENDIAN).toBe(new Uint8Array(new Uint32Array([0x01020304]).buffer)[0] === 0x04);
  });

  it('reads and writes safe 64-bit integers through 32-bit words', () => {
    const values = [0, 1, -1, 2 ** 32, -(2 ** 32), 2 ** 32 + 7, 123456789012345, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER];
    const signed = new BigInt64Array(values.length);
    const words = new Uint32Array(signed.buffer);
    values.forEach((v, i) => writeSafeInt64(words, i, v));
    expect([...signed]).toEqual(values.map((v) => BigInt(v)));
    expect(values.map((_, i) => safeInt64At(words, i, true))).toEqual(values);
    const unsigned = new BigUint64Array([2n ** 53n - 1n, 2n ** 53n, 2n ** 64n - 1n]);
    const uwords = new Uint32Array(unsigned.buffer);
    expect([0, 1, 2].map((i) => safeInt64At(uwords, i, false))).toEqual([2 ** 53 - 1, undefined, undefined]);
    const big = new BigInt64Array([-(2n ** 53n), 2n ** 63n - 1n]);
    expect([0, 1].map((i) => safeInt64At(new Uint32Array(big.buffer), i, true))).toEqual([undefined, undefined]);
  });
});
