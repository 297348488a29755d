import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { inferenceProto, protoRoot, type InferTensorContents__Output } from '@modelport/proto';
import { fromContents, toContents } from './contents-codec';
import type { Tensor } from './datatype';
import { expectTensorError, sampleTensors, typedSampleTensors } from './sample-tensors.fixture';

const EMPTY: InferTensorContents__Output = {
  bool_contents: [],
  int_contents: [],
  int64_contents: [],
  uint_contents: [],
  uint64_contents: [],
  fp32_contents: [],
  fp64_contents: [],
  bytes_contents: [],
};
const contents = (fields: Partial<InferTensorContents__Output>): InferTensorContents__Output => ({ ...EMPTY, ...fields });

/** What the gRPC loader gives after the wire: serialize, then deserialize. */
function overTheWire(c: ReturnType<typeof toContents>): InferTensorContents__Output {
  const type = inferenceProto().inference.InferTensorContents;
  return type.deserialize(type.serialize(c));
}

describe('typed contents', () => {
  it.each(typedSampleTensors().map((t) => [t.datatype, t] as const))('round-trips %s through the gRPC serializer', (_d, t) => {
    expect(fromContents(t.name, t.datatype, t.shape, overTheWire(toContents(t)))).toEqual(t);
  });

  it.each([
    ['BOOL', 'bool_contents'],
    ['INT8', 'int_contents'],
    ['INT16', 'int_contents'],
    ['INT32', 'int_contents'],
    ['INT64', 'int64_contents'],
    ['UINT8', 'uint_contents'],
    ['UINT16', 'uint_contents'],
    ['UINT32', 'uint_contents'],
    ['UINT64', 'uint64_contents'],
    ['FP32', 'fp32_contents'],
    ['FP64', 'fp64_contents'],
    ['BYTES', 'bytes_contents'],
  ])('puts %s in %s only', (datatype, field) => {
    const t = typedSampleTensors().find((s) => s.datatype === datatype)!;
    expect(Object.keys(toContents(t))).toEqual([field]);
  });

  it('gives 64-bit integers beyond ±2^53 as decimal strings, which reach the wire exactly', () => {
    const t: Tensor = { name: 'ids', datatype: 'INT64', shape: [3], data: new BigInt64Array([-(2n ** 63n), 5n, 2n ** 63n - 1n]) };
    const c = toContents(t);
    expect(c.int64_contents).toEqual(['-9223372036854775808', 5, '9223372036854775807']);
    const root = new protobuf.Root().loadSync(join(protoRoot(), 'inference/grpc_predict_v2.proto'), { keepCase: true });
    const type = root.lookupType('inference.InferTensorContents');
    const bytes = inferenceProto().inference.InferTensorContents.serialize(c);
    expect(type.toObject(type.decode(bytes), { longs: String }).int64_contents).toEqual(['-9223372036854775808', '5', '9223372036854775807']);
    const u: Tensor = { name: 'u', datatype: 'UINT64', shape: [1], data: new BigUint64Array([2n ** 64n - 1n]) };
    expect(toContents(u).uint64_contents).toEqual(['18446744073709551615']);
  });

  it('accepts 64-bit integers given as decimal strings', () => {
    const t = fromContents('ids', 'INT64', [2], contents({ int64_contents: ['-9223372036854775808', '9223372036854775807'] as unknown as number[] }));
    expect(t.data).toEqual(new BigInt64Array([-(2n ** 63n), 2n ** 63n - 1n]));
  });

  it.each([
    ['INT8', 'int_contents', 300, '-128 to 127'],
    ['INT8', 'int_contents', -129, '-128 to 127'],
    ['INT16', 'int_contents', 40000, '-32768 to 32767'],
    ['INT32', 'int_contents', 1.5, '-2147483648 to 2147483647'],
    ['UINT8', 'uint_contents', 256, '0 to 255'],
    ['UINT16', 'uint_contents', -1, '0 to 65535'],
    ['UINT32', 'uint_contents', 4294967296, '0 to 4294967295'],
    ['UINT64', 'uint64_contents', -1, '0 to 2^64-1'],
    ['UINT64', 'uint64_contents', 18446744073709552000, '0 to 2^64-1'],
    ['INT64', 'int64_contents', 2 ** 63, '-2^63 to 2^63-1'],
    ['INT64', 'int64_contents', 0.5, '-2^63 to 2^63-1'],
  ] as const)('rejects a %s value out of range in %s (%p)', (datatype, field, value, range) => {
    expectTensorError(
      () => fromContents('v', datatype, [2], contents({ [field]: [0, value] })),
      'BAD_VALUE',
      "'v'",
      datatype,
      range,
      `${field}[1] is ${value}`,
    );
  });

  it('rejects values in the wrong field', () => {
    expectTensorError(
      () => fromContents('x', 'FP32', [2], contents({ fp64_contents: [1, 2] })),
      'WRONG_CONTENTS_FIELD',
      "'x'",
      'belong in fp32_contents',
      '2 values in fp64_contents',
    );
    expectTensorError(() => fromContents('x', 'INT8', [1], contents({ int_contents: [1], uint_contents: [1] })), 'WRONG_CONTENTS_FIELD', 'uint_contents');
  });

  it('rejects a value count other than the shape says', () => {
    expectTensorError(
      () => fromContents('x', 'FP32', [2, 3], contents({ fp32_contents: [1, 2, 3, 4, 5] })),
      'SIZE_MISMATCH',
      "'x'",
      '[2,3]',
      'fp32_contents needs 6 values',
      'got 5',
    );
  });

  it('has no typed form for FP16 and BF16', () => {
    expectTensorError(() => fromContents('h', 'FP16', [1], contents({ fp32_contents: [1] })), 'NO_TYPED_FORM', "'h'", 'FP16', 'raw');
    const bf16 = sampleTensors({ full64: false }).find((t) => t.datatype === 'BF16')!;
    expectTensorError(() => toContents(bf16), 'NO_TYPED_FORM', "'bf16'", 'BF16');
  });

  it('applies the shape rules and the limits', () => {
    expectTensorError(() => fromContents('x', 'FP32', [0], contents({})), 'BAD_SHAPE', 'Modelport serves non-empty tensors');
    expectTensorError(() => fromContents('x', 'FP64', [3], contents({ fp64_contents: [1, 2, 3] }), { maxElements: 10, maxBytes: 16 }), 'TOO_LARGE', '24 bytes', 'limit of 16 bytes');
    expectTensorError(
      () => fromContents('s', 'BYTES', [2], contents({ bytes_contents: [Buffer.alloc(10), Buffer.alloc(10)] }), { maxElements: 10, maxBytes: 16 }),
      'TOO_LARGE',
      "'s'",
      '28 bytes',
    );
    expectTensorError(() => fromContents('x', 'FLOAT', [1], contents({})), 'UNKNOWN_DATATYPE', "'FLOAT'");
  });

  it('rejects BOOL values that are not booleans and BYTES values that are not bytes', () => {
    expectTensorError(() => fromContents('b', 'BOOL', [1], contents({ bool_contents: [1 as unknown as boolean] })), 'BAD_VALUE', 'true or false', 'bool_contents[0] is 1');
    expectTensorError(() => fromContents('s', 'BYTES', [1], contents({ bytes_contents: ['x' as unknown as Buffer] })), 'BAD_VALUE', 'bytes_contents[0]');
  });
});
