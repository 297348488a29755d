import { fromRaw, toRaw } from './raw-codec';
import { expectTensorError, sampleTensors } from './sample-tensors.fixture';
import type { Tensor } from './datatype';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('raw contents', () => {
  it.each(sampleTensors({ full64: true }).map((t) => [t.datatype, t] as const))('round-trips %s', (_d, t) => {
    const raw = toRaw(t);
    expect(fromRaw(t.name, t.datatype, t.shape, raw)).toEqual(t);
  });

  it.each([
    ['INT32', [2], new Int32Array([1, -2]), '01000000feffffff'],
    ['UINT16', [2], new Uint16Array([0x1234, 1]), '34120100'],
    ['INT64', [1], new BigInt64Array([-2n]), 'feffffffffffffff'],
    ['UINT64', [1], new BigUint64Array([0x0102030405060708n]), '0807060504030201'],
    ['FP32', [1], new Float32Array([1]), '0000803f'],
    ['FP64', [1], new Float64Array([-2]), '00000000000000c0'],
    ['FP16', [1], new Uint16Array([0x3c00]), '003c'],
    ['BF16', [1], new Uint16Array([0x3f80]), '803f'],
    ['BOOL', [2], new Uint8Array([1, 0]), '0100'],
    ['INT8', [2], new Int8Array([-1, 2]), 'ff02'],
  ] as const)('lays out %s %p little-endian', (datatype, shape, data, bytes) => {
    const t = { name: 'x', datatype, shape, data } as unknown as Tensor;
    expect(hex(toRaw(t))).toBe(bytes);
    expect(fromRaw('x', datatype, shape, Buffer.from(bytes, 'hex')).data).toEqual(data);
  });

  it('lays out BYTES as 4-byte little-endian length + bytes per element', () => {
    const t: Tensor = { name: 's', datatype: 'BYTES', shape: [2], data: [Buffer.from('ab'), Buffer.alloc(0)] };
    expect(hex(toRaw(t))).toBe('02000000616200000000');
    const back = fromRaw('s', 'BYTES', [2], Buffer.from('020000006162' + '00000000', 'hex'));
    expect(back.data).toEqual([Buffer.from('ab'), Buffer.alloc(0)]);
  });

  it('keeps binary BYTES exactly', () => {
    const t: Tensor = { name: 'b', datatype: 'BYTES', shape: [1], data: [Buffer.from([0xff, 0x00, 0xfe])] };
    expect(fromRaw('b', 'BYTES', [1], toRaw(t))).toEqual(t);
  });

  it('decodes unaligned buffers (a slice at an odd offset) into aligned copies', () => {
    const backing = Buffer.alloc(1 + 3 * 8);
    backing.writeDoubleLE(1.25, 1);
    backing.writeDoubleLE(-3, 9);
    backing.writeDoubleLE(1e-300, 17);
    const raw = backing.subarray(1);
    expect(raw.byteOffset % 8).not.toBe(0);
    const t = fromRaw('x', 'FP64', [3], raw);
    expect(t.data).toEqual(new Float64Array([1.25, -3, 1e-300]));
    expect((t.data as Float64Array).byteOffset % 8).toBe(0);
    backing.fill(0);
    expect(t.data).toEqual(new Float64Array([1.25, -3, 1e-300])); // a copy, not a view

    const odd = Buffer.alloc(1 + 8);
    odd.writeBigInt64LE(-5n, 1);
    expect(fromRaw('y', 'INT64', [1], odd.subarray(1)).data).toEqual(new BigInt64Array([-5n]));
    const odd16 = Buffer.from('00003c', 'hex').subarray(1);
    expect(fromRaw('h', 'FP16', [1], odd16).data).toEqual(new Uint16Array([0x3c00]));
  });

  it('accepts a plain Uint8Array', () => {
    expect(fromRaw('x', 'INT32', [1], new Uint8Array([5, 0, 0, 0])).data).toEqual(new Int32Array([5]));
  });

  it('encodes fixed-size tensors without copying (a view of the data)', () => {
    const data = new Float32Array([1, 2]);
    const raw = toRaw({ name: 'x', datatype: 'FP32', shape: [2], data });
    expect(raw.buffer).toBe(data.buffer);
  });

  it('encodes any non-zero BOOL byte as 1', () => {
    expect(hex(toRaw({ name: 'b', datatype: 'BOOL', shape: [3], data: new Uint8Array([0, 2, 1]) }))).toBe('000101');
  });

  it('rejects a byte length other than count × element size, saying expected and got', () => {
    expectTensorError(
      () => fromRaw('img', 'INT32', [2, 3], Buffer.alloc(20)),
      'SIZE_MISMATCH',
      "'img'",
      'INT32',
      '[2,3]',
      'needs 24 raw bytes',
      '6 elements × 4 bytes',
      'got 20 bytes',
    );
    expectTensorError(() => fromRaw('img', 'FP16', [2], Buffer.alloc(5)), 'SIZE_MISMATCH', 'needs 4 raw bytes', 'got 5 bytes');
  });

  it('rejects BOOL bytes other than 0 and 1', () => {
    expectTensorError(() => fromRaw('mask', 'BOOL', [3], Buffer.from([0, 1, 7])), 'BAD_VALUE', "'mask'", 'byte 2 is 7', '0 or 1');
  });

  describe('BYTES must parse to exactly count elements', () => {
    it('rejects trailing bytes', () => {
      expectTensorError(() => fromRaw('s', 'BYTES', [1], Buffer.from('0100000061ff', 'hex')), 'SIZE_MISMATCH', "'s'", '1 elements in 5 raw bytes', '1 unexpected trailing bytes');
    });
    it('rejects a length beyond the end', () => {
      expectTensorError(() => fromRaw('s', 'BYTES', [1], Buffer.from('0a00000061', 'hex')), 'SIZE_MISMATCH', "'s'", 'element 0 declares 10 bytes', 'only 1 raw bytes remain');
    });
    it('rejects too few elements', () => {
      expectTensorError(() => fromRaw('s', 'BYTES', [2], Buffer.from('010000006100000000', 'hex').subarray(0, 8)), 'SIZE_MISMATCH', "'s'", 'needs 2 elements', 'end after 1');
      expectTensorError(() => fromRaw('s', 'BYTES', [3], Buffer.alloc(8)), 'SIZE_MISMATCH', 'at least 12 raw bytes', 'got 8 bytes');
    });
  });

  it('rejects tensors over the byte limit before looking at the data', () => {
    const limits = { maxElements: 100, maxBytes: 16 };
    expectTensorError(() => fromRaw('x', 'FP64', [3], Buffer.alloc(24), limits), 'TOO_LARGE', "'x'", '24 bytes', 'limit of 16 bytes');
    expectTensorError(() => fromRaw('s', 'BYTES', [1], Buffer.alloc(20), limits), 'TOO_LARGE', "'s'", '20 bytes', 'limit of 16 bytes');
  });

  it('rejects unknown datatypes and bad shapes, naming the tensor', () => {
    expectTensorError(() => fromRaw('x', 'FLOAT32', [1], Buffer.alloc(4)), 'UNKNOWN_DATATYPE', "'x'", "'FLOAT32'", 'FP32');
    expectTensorError(() => fromRaw('x', 'FP32', [2147483648], Buffer.alloc(4)), 'BAD_SHAPE', "'x'", '2147483648');
    expectTensorError(() => fromRaw('x', 'FP32', [0], Buffer.alloc(0)), 'BAD_SHAPE', 'Modelport serves non-empty tensors');
  });

  it('refuses to encode an inconsistent tensor', () => {
    expectTensorError(() => toRaw({ name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(2) }), 'SIZE_MISMATCH', "'y'", 'needs 3 elements', 'holds 2');
    expectTensorError(() => toRaw({ name: 'y', datatype: 'FP32', shape: [2], data: new Float64Array(2) } as unknown as Tensor), 'BAD_TENSOR', 'Float32Array', 'Float64Array');
  });
});
