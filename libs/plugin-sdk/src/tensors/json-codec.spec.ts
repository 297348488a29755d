import type { Tensor } from './datatype';
import { fromJson, toJson } from './json-codec';
import { expectTensorError, sampleTensors } from './sample-tensors.fixture';
import type { TensorProblem } from './tensor.errors';

const limits = { maxElements: 1000, maxBytes: 1000 };

describe('JSON (V2 REST)', () => {
  it.each(sampleTensors({ full64: true }).map((t) => [t.datatype, t] as const))('round-trips %s, also through JSON text', (_d, t) => {
    expect(fromJson(toJson(t))).toEqual(t);
    expect(fromJson(JSON.parse(JSON.stringify(toJson(t))))).toEqual(t);
  });

  it('answers with flat data, 64-bit integers as numbers when safe and strings beyond, half floats as numbers', () => {
    expect(toJson({ name: 'm', datatype: 'INT32', shape: [2, 2], data: new Int32Array([1, 2, 3, 4]) })).toEqual({
      name: 'm',
      datatype: 'INT32',
      shape: [2, 2],
      data: [1, 2, 3, 4],
    });
    expect(toJson({ name: 'i', datatype: 'INT64', shape: [3], data: new BigInt64Array([-1n, 2n ** 53n - 1n, 2n ** 53n]) }).data).toEqual([
      -1,
      9007199254740991,
      '9007199254740992',
    ]);
    expect(toJson({ name: 'h', datatype: 'FP16', shape: [2], data: new Uint16Array([0x3c00, 0x3555]) }).data).toEqual([1, 0.333251953125]);
    expect(toJson({ name: 'b', datatype: 'BF16', shape: [1], data: new Uint16Array([0x4049]) }).data).toEqual([3.140625]);
    expect(toJson({ name: 'f', datatype: 'FP32', shape: [3], data: new Float32Array([NaN, Infinity, -Infinity]) }).data).toEqual(['NaN', 'Infinity', '-Infinity']);
    expect(toJson({ name: 'ok', datatype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) }).data).toEqual([true, false]);
    expect(toJson({ name: 's', datatype: 'BYTES', shape: [1], data: [Buffer.from('héllo')] }).data).toEqual(['héllo']);
  });

  it('accepts data nested row-major to match the shape', () => {
    const t = fromJson({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5, 6]] });
    expect(t).toEqual({ name: 'x', datatype: 'FP32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    const deep = fromJson({ name: 'y', datatype: 'INT8', shape: [2, 1, 2], data: [[[1, 2]], [[3, 4]]] });
    expect(deep.data).toEqual(new Int8Array([1, 2, 3, 4]));
    expect(fromJson({ name: 'z', datatype: 'INT8', shape: [2, 2], data: [1, 2, 3, 4] }).data).toEqual(new Int8Array([1, 2, 3, 4]));
  });

  it('says where nested data departs from the shape', () => {
    expectTensorError(
      () => fromJson({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], [4, 5]] }),
      'SIZE_MISMATCH',
      "'x'",
      '[2,3]',
      'data[1] must be an array of 3 values',
      'an array of 2',
    );
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [[1, 2, 3], 4] }), 'SIZE_MISMATCH', 'data[1] must be an array of 3 values', 'it is 4');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, [4]]] }), 'BAD_VALUE', 'data[1][1] is an array', 'nested deeper than the shape');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'INT8', shape: [2, 2], data: [[1, 2], [3, 300]] }), 'BAD_VALUE', 'data[1][1] is 300', '-128 to 127');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3, 4, 5] }), 'SIZE_MISMATCH', 'needs 6 values', 'got 5');
  });

  it('rejects data nested 10,000 levels deep with a clean TensorError', () => {
    // The body as a client would send it (JSON.stringify itself would overflow the stack).
    const text = `{"name":"x","datatype":"FP32","shape":[1],"data":${'['.repeat(10_001)}1${']'.repeat(10_001)}}`;
    const body = JSON.parse(text) as { data: unknown };
    const deep = body.data;
    expectTensorError(() => fromJson(body), 'BAD_VALUE', "'x'", 'data[0] is an array');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [1, 1, 1], data: deep }), 'BAD_VALUE', 'data[0][0][0] is an array', 'nested deeper than the shape');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [2], data: deep }), 'SIZE_MISMATCH', 'needs 2 values', 'got 1');
    const deeper = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`) as unknown;
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [1, 1], data: deeper }), 'BAD_VALUE', 'data[0][0] is an array');
  });

  it('rejects a shape of [2147483648] and any other bad shape before reading data', () => {
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [2147483648], data: [] }), 'BAD_SHAPE', "'x'", '2147483648');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [0], data: [] }), 'BAD_SHAPE', 'Modelport serves non-empty tensors');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [-1], data: [1] }), 'BAD_SHAPE', '-1 is only allowed in a signature');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP32', shape: [100, 100], data: [] }, limits), 'TOO_LARGE', 'limit of 1000 elements');
    expectTensorError(() => fromJson({ name: 'x', datatype: 'FP64', shape: [200], data: [] }, limits), 'TOO_LARGE', '1600 bytes', 'limit of 1000 bytes');
  });

  it.each<[unknown, string, TensorProblem, ...string[]]>([
    [null, '', 'BAD_TENSOR', 'JSON object', 'got null'],
    [[1], '', 'BAD_TENSOR', 'JSON object', 'got an array'],
    ['x', '', 'BAD_TENSOR', 'JSON object'],
    [{ datatype: 'FP32', shape: [1], data: [1] }, '', 'BAD_TENSOR', 'name missing', 'non-empty string name'],
    [{ name: 7, datatype: 'FP32', shape: [1], data: [1] }, '', 'BAD_TENSOR', 'name 7'],
    [{ name: '', datatype: 'FP32', shape: [1], data: [1] }, '', 'BAD_TENSOR', "name the string ''"],
    [{ name: 'x', shape: [1], data: [1] }, 'x', 'UNKNOWN_DATATYPE', "'x'", 'datatype missing', 'BOOL, UINT8'],
    [{ name: 'x', datatype: 'float32', shape: [1], data: [1] }, 'x', 'UNKNOWN_DATATYPE', "'float32'"],
    [{ name: 'x', datatype: 'FP32', data: [1] }, 'x', 'BAD_SHAPE', 'shape missing'],
    [{ name: 'x', datatype: 'FP32', shape: ['1'], data: [1] }, 'x', 'BAD_SHAPE', "dimension 0 is the string '1'"],
    [{ name: 'x', datatype: 'FP32', shape: [1] }, 'x', 'MISSING_DATA', "'x' has no data", 'an array of 1 values'],
    [{ name: 'x', datatype: 'FP32', shape: [1], data: null }, 'x', 'MISSING_DATA'],
    [{ name: 'x', datatype: 'FP32', shape: [1], data: 1 }, 'x', 'BAD_TENSOR', 'data 1', 'expected an array'],
    [{ name: 'x', datatype: 'FP32', shape: [1], data: [1], parameters: 'base64' }, 'x', 'BAD_TENSOR', 'parameters', 'JSON object'],
  ])('rejects the malformed input %j', (input, tensor, problem, ...fragments) => {
    expectTensorError(() => fromJson(input), problem, ...fragments);
    try {
      fromJson(input);
    } catch (err) {
      expect((err as { tensor: string }).tensor).toBe(tensor);
    }
  });

  it.each([
    ['BOOL', 1, 'true or false'],
    ['BOOL', 'true', 'true or false'],
    ['INT8', 128, 'integers from -128 to 127'],
    ['UINT8', -1, 'integers from 0 to 255'],
    ['INT16', 1.5, 'integers from -32768 to 32767'],
    ['UINT16', '1', 'integers from 0 to 65535'],
    ['INT32', 2147483648, 'integers from -2147483648 to 2147483647'],
    ['UINT32', true, 'integers from 0 to 4294967295'],
    ['INT64', 2 ** 60, 'as decimal strings'],
    ['INT64', '9223372036854775808', 'to 9223372036854775807'],
    ['INT64', '1e3', 'to 9223372036854775807'],
    ['INT64', 1.5, 'to 9223372036854775807'],
    ['UINT64', -1, 'from 0 to 18446744073709551615'],
    ['UINT64', '18446744073709551616', 'from 0 to 18446744073709551615'],
    ['UINT64', '-0', 'from 0 to 18446744073709551615'],
    ['FP32', 'one', 'numbers (or "NaN"'],
    ['FP32', null, 'numbers'],
    ['FP32', 1e39, 'within ±3.4028234663852886e38'],
    ['FP64', {}, 'numbers'],
    ['FP16', 65520, 'within ±65504'],
    ['FP16', 'nan', 'numbers'],
    ['BF16', 1e39, 'within ±3.3895313892515355e38'],
    ['BYTES', 5, 'strings'],
  ] as const)('rejects the %s value %j', (datatype, value, expected) => {
    expectTensorError(() => fromJson({ name: 'v', datatype, shape: [2], data: [datatype === 'BYTES' ? 'a' : datatype === 'BOOL' ? false : 0, value] }), 'BAD_VALUE', "'v'", datatype, expected, 'data[1] is');
  });

  it('accepts the full 64-bit range as decimal strings and safe integers as numbers', () => {
    expect(fromJson({ name: 'i', datatype: 'INT64', shape: [3], data: ['-9223372036854775808', -9007199254740991, '9223372036854775807'] }).data).toEqual(
      new BigInt64Array([-(2n ** 63n), -(2n ** 53n - 1n), 2n ** 63n - 1n]),
    );
    expect(fromJson({ name: 'u', datatype: 'UINT64', shape: [2], data: ['18446744073709551615', 4294967296] }).data).toEqual(new BigUint64Array([2n ** 64n - 1n, 2n ** 32n]));
  });

  it('converts numbers to FP16 and BF16 patterns, rounding to nearest even', () => {
    expect(fromJson({ name: 'h', datatype: 'FP16', shape: [4], data: [1, 0.1, 65504, 2 ** -24] }).data).toEqual(new Uint16Array([0x3c00, 0x2e66, 0x7bff, 0x0001]));
    expect(fromJson({ name: 'h', datatype: 'FP16', shape: [1], data: [1 + 2 ** -11] }).data).toEqual(new Uint16Array([0x3c00]));
    expect(fromJson({ name: 'b', datatype: 'BF16', shape: [2], data: [1, 'Infinity'] }).data).toEqual(new Uint16Array([0x3f80, 0x7f80]));
  });

  it('accepts "NaN", "Infinity" and "-Infinity" for floats', () => {
    const t = fromJson({ name: 'f', datatype: 'FP64', shape: [3], data: ['NaN', 'Infinity', '-Infinity'] });
    expect(t.data).toEqual(new Float64Array([NaN, Infinity, -Infinity]));
  });

  it('reads BYTES strings as UTF-8, or as base64 when parameters.content_type is "base64"', () => {
    expect(fromJson({ name: 's', datatype: 'BYTES', shape: [2], data: ['héllo', ''] }).data).toEqual([Buffer.from('héllo', 'utf8'), Buffer.alloc(0)]);
    const b64 = fromJson({ name: 's', datatype: 'BYTES', shape: [1], data: ['/wD+'], parameters: { content_type: 'base64' } });
    expect(b64.data).toEqual([Buffer.from([0xff, 0x00, 0xfe])]);
    expectTensorError(
      () => fromJson({ name: 's', datatype: 'BYTES', shape: [1], data: ['not base64!'], parameters: { content_type: 'base64' } }),
      'BAD_VALUE',
      'base64 strings',
      'data[0]',
    );
  });

  it('limits the bytes of BYTES tensors', () => {
    expectTensorError(() => fromJson({ name: 's', datatype: 'BYTES', shape: [2], data: ['a'.repeat(600), 'b'.repeat(600)] }, limits), 'TOO_LARGE', "'s'", 'limit of 1000 bytes');
  });

  it('cuts very long names in messages but keeps them on the error', () => {
    const name = 'n'.repeat(5000);
    let err: unknown;
    try {
      fromJson({ name, datatype: 'FP32', shape: [0], data: [] });
    } catch (e) {
      err = e;
    }
    expect((err as Error).message.length).toBeLessThan(400);
    expect((err as { tensor: string }).tensor).toBe(name);
  });

  it('refuses to encode an inconsistent tensor', () => {
    expectTensorError(() => toJson({ name: '', datatype: 'FP32', shape: [1], data: new Float32Array(1) }), 'BAD_TENSOR', 'non-empty name');
    expectTensorError(() => toJson({ name: 'q', datatype: 'BYTES', shape: [1], data: ['x'] } as unknown as Tensor), 'BAD_TENSOR', "'q'", 'element 0 must be a Buffer');
  });
});
