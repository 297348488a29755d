import { writeSafeInt64 } from './byte-order';
import { allocateStorage, isDatatype, type Datatype, type Tensor, type TensorData } from './datatype';
import { int64Values, numberValues } from './contents-codec';
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './half-float';
import { INT_RANGE, inInt64Range, isFiniteNumber, isSafeInteger, parseInt64String } from './integers';
import { DEFAULT_TENSOR_LIMITS, checkShape, fixedByteSize, formatShape, requestRules, type TensorLimits } from './shape';
import { assertTensor, unknownDatatype } from './tensor';
import { TensorError, describeValue, tensorLabel } from './tensor.errors';

/** A tensor in the V2 REST (JSON) protocol, as a client sends it. */
export interface JsonTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: unknown;
  parameters?: Record<string, unknown>;
}

/** A tensor as Modelport answers in JSON: flat row-major data. */
export interface JsonTensorOutput {
  name: string;
  datatype: Datatype;
  shape: number[];
  data: (number | boolean | string)[];
}

const NON_FINITE: Readonly<Record<string, number>> = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity };
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Decodes one V2 REST input object. The input is untrusted JSON: every field
 * is checked, and `data` may be flat or nested row-major arrays matching the
 * shape (walked iteratively, never deeper than the shape's rank).
 *
 * BOOL takes true/false; integer datatypes take JSON integers in range, and
 * INT64/UINT64 also decimal strings for the full 64-bit range; FP16, BF16,
 * FP32 and FP64 take numbers and the strings "NaN", "Infinity", "-Infinity"
 * (FP16/BF16 rounded to nearest even; a finite number too large for the
 * datatype is BAD_VALUE); BYTES takes strings as UTF-8, or base64 when
 * parameters.content_type is "base64".
 */
export function fromJson(input: unknown, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): Tensor {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new TensorError('', 'BAD_TENSOR', `A tensor must be a JSON object with name, datatype, shape and data; got ${describeValue(input)}.`);
  }
  const o = input as Record<string, unknown>;
  const name = o['name'];
  if (typeof name !== 'string' || name === '') {
    throw new TensorError(typeof name === 'string' ? name : '', 'BAD_TENSOR', `A tensor has name ${describeValue(name)}; every tensor needs a non-empty string name.`);
  }
  const datatype = o['datatype'];
  if (typeof datatype !== 'string' || !isDatatype(datatype)) throw unknownDatatype(name, datatype);
  const count = checkShape(name, o['shape'], requestRules(limits));
  const shape = [...(o['shape'] as number[])];
  if (datatype !== 'BYTES') fixedByteSize(name, datatype, count, limits);
  const parameters = o['parameters'];
  if (parameters !== undefined && parameters !== null && (typeof parameters !== 'object' || Array.isArray(parameters))) {
    throw new TensorError(name, 'BAD_TENSOR', `${tensorLabel(name)} has parameters ${describeValue(parameters)}; expected a JSON object.`);
  }
  const contentType = (parameters as Record<string, unknown> | null | undefined)?.['content_type'];
  if (!('data' in o) || o['data'] === undefined || o['data'] === null) {
    throw new TensorError(name, 'MISSING_DATA', `${tensorLabel(name)} has no data; expected an array of ${count} values, flat or nested as shape ${formatShape(shape)}.`);
  }
  const { values, nested } = flatten(name, o['data'], shape, count);
  const at = (i: number): string => elementPath(i, shape, nested);
  const data =
    datatype === 'BYTES' ? jsonBytes(name, values, contentType === 'base64', limits, at) : jsonFixed(name, datatype, values, at);
  return { name, datatype, shape, data } as Tensor;
}

interface Flattened {
  readonly values: readonly unknown[];
  readonly nested: boolean;
}

/**
 * The row-major leaves of `data`: the array itself when flat, else gathered
 * by an iterative walk that checks every level's length against the shape.
 */
function flatten(name: string, data: unknown, shape: readonly number[], count: number): Flattened {
  const label = tensorLabel(name);
  if (!Array.isArray(data)) {
    throw new TensorError(name, 'BAD_TENSOR', `${label} has data ${describeValue(data)}; expected an array of ${count} values, flat or nested as shape ${formatShape(shape)}.`);
  }
  const rank = shape.length;
  if (rank <= 1 || data.length === 0 || !Array.isArray(data[0])) {
    if (data.length !== count) {
      throw new TensorError(
        name,
        'SIZE_MISMATCH',
        `${label} has shape ${formatShape(shape)}, so its data needs ${count} values (flat, or nested to match the shape); got ${data.length}.`,
      );
    }
    return { values: data, nested: false };
  }
  const leaves = new Array<unknown>(count);
  const stack = new Array<readonly unknown[]>(rank);
  const index = new Array<number>(rank).fill(0);
  const path = (level: number): string => `data${index.slice(0, level).map((i) => `[${i}]`).join('')}`;
  const levelMismatch = (level: number, got: unknown): TensorError =>
    new TensorError(
      name,
      'SIZE_MISMATCH',
      `${label} has shape ${formatShape(shape)}, so ${path(level)} must be an array of ${shape[level]} values; it is ${
        Array.isArray(got) ? `an array of ${got.length}` : describeValue(got)
      }.`,
    );
  if (data.length !== shape[0]) throw levelMismatch(0, data);
  stack[0] = data;
  let level = 0;
  let k = 0;
  while (level >= 0) {
    const arr = stack[level]!;
    const i = index[level]!;
    if (i === arr.length) {
      level--;
      if (level >= 0) index[level]!++;
      continue;
    }
    const v = arr[i];
    if (level === rank - 1) {
      if (Array.isArray(v)) {
        throw new TensorError(name, 'BAD_VALUE', `${label} has shape ${formatShape(shape)}, but ${path(rank)} is an array, nested deeper than the shape.`);
      }
      leaves[k++] = v;
      index[level] = i + 1;
    } else {
      level++;
      index[level] = 0;
      if (!Array.isArray(v) || v.length !== shape[level]) throw levelMismatch(level, v);
      stack[level] = v;
    }
  }
  return { values: leaves, nested: true };
}

/** `data[5]` for flat data, `data[1][2]` for nested. */
function elementPath(i: number, shape: readonly number[], nested: boolean): string {
  if (!nested) return `data[${i}]`;
  let s = '';
  for (let d = shape.length - 1; d >= 0; d--) {
    s = `[${i % shape[d]!}]${s}`;
    i = Math.floor(i / shape[d]!);
  }
  return `data${s}`;
}

function badJson(name: string, datatype: Datatype, expected: string, where: string, v: unknown): TensorError {
  return new TensorError(name, 'BAD_VALUE', `${tensorLabel(name)} is ${datatype}, so its values must be ${expected}; ${where} is ${describeValue(v)}.`);
}

function jsonFixed(name: string, datatype: Exclude<Datatype, 'BYTES'>, values: readonly unknown[], at: (i: number) => string): TensorData {
  const count = values.length;
  switch (datatype) {
    case 'BOOL': {
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (v === true) out[i] = 1;
        else if (v !== false) throw badJson(name, datatype, 'true or false', at(i), v);
      }
      return out;
    }
    case 'INT64':
    case 'UINT64': {
      const signed = datatype === 'INT64';
      const out = allocateStorage(datatype, count);
      const words = new Uint32Array(out.buffer, out.byteOffset, count * 2);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (isSafeInteger(v) && (signed || v >= 0)) {
          writeSafeInt64(words, i, v);
          continue;
        }
        const big = typeof v === 'string' ? parseInt64String(v, signed) : undefined;
        if (big === undefined || !inInt64Range(big, signed)) {
          const range = signed ? 'from -9223372036854775808 to 9223372036854775807' : 'from 0 to 18446744073709551615';
          throw badJson(name, datatype, `integers ${range} (as JSON numbers up to ±(2^53-1), beyond that as decimal strings)`, at(i), v);
        }
        out[i] = big;
      }
      return out;
    }
    case 'FP16':
    case 'BF16': {
      const encode = datatype === 'FP16' ? float32ToFloat16Bits : float32ToBfloat16Bits;
      const infinity = datatype === 'FP16' ? 0x7c00 : 0x7f80;
      const largest = datatype === 'FP16' ? '65504' : '3.3895313892515355e38';
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        const x = typeof v === 'number' ? v : typeof v === 'string' ? NON_FINITE[v] : undefined;
        if (x === undefined) throw badJson(name, datatype, 'numbers (or "NaN", "Infinity", "-Infinity")', at(i), v);
        const bits = encode(x);
        if ((bits & 0x7fff) === infinity && isFiniteNumber(x)) throw badJson(name, datatype, `numbers within ±${largest}`, at(i), v);
        out[i] = bits;
      }
      return out;
    }
    case 'FP32':
    case 'FP64': {
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        const x = typeof v === 'number' ? v : typeof v === 'string' ? NON_FINITE[v] : undefined;
        if (x === undefined) throw badJson(name, datatype, 'numbers (or "NaN", "Infinity", "-Infinity")', at(i), v);
        out[i] = x;
        if (datatype === 'FP32' && !isFiniteNumber(out[i]!) && isFiniteNumber(x)) {
          throw badJson(name, datatype, 'numbers within ±3.4028234663852886e38', at(i), v);
        }
      }
      return out;
    }
    default: {
      const [min, max] = INT_RANGE[datatype]!;
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i] as number;
        if (!(v >= min && v <= max && Math.floor(v) === v)) throw badJson(name, datatype, `integers from ${min} to ${max}`, at(i), v);
        out[i] = v;
      }
      return out;
    }
  }
}

function jsonBytes(name: string, values: readonly unknown[], base64: boolean, limits: TensorLimits, at: (i: number) => string): Buffer[] {
  const out = new Array<Buffer>(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (typeof v !== 'string') throw badJson(name, 'BYTES', base64 ? 'base64 strings' : 'strings', at(i), v);
    if (base64 && (v.length % 4 !== 0 || !BASE64.test(v))) throw badJson(name, 'BYTES', 'base64 strings (parameters.content_type is "base64")', at(i), v);
    const b = Buffer.from(v, base64 ? 'base64' : 'utf8');
    size += 4 + b.byteLength;
    if (size > limits.maxBytes) {
      throw new TensorError(name, 'TOO_LARGE', `${tensorLabel(name)} takes more than the limit of ${limits.maxBytes} bytes (BYTES elements with their 4-byte lengths).`);
    }
    out[i] = b;
  }
  return out;
}

/**
 * Encodes a tensor for a V2 REST answer, with flat data: INT64/UINT64 as
 * numbers when safe integers, else decimal strings; FP16/BF16 as numbers;
 * non-finite floats as "NaN", "Infinity", "-Infinity" (JSON has no such
 * numbers); BYTES as UTF-8 strings (invalid UTF-8 becomes U+FFFD).
 */
export function toJson(t: Tensor): JsonTensorOutput {
  assertTensor(t);
  return { name: t.name, datatype: t.datatype, shape: [...t.shape], data: jsonData(t) };
}

function jsonFloat(x: number): number | string {
  return isFiniteNumber(x) ? x : String(x);
}

function jsonData(t: Tensor): (number | boolean | string)[] {
  switch (t.datatype) {
    case 'BOOL': {
      const d = t.data as Uint8Array;
      const out = new Array<boolean>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = d[i] !== 0;
      return out;
    }
    case 'INT64':
    case 'UINT64':
      return int64Values(t.data as BigInt64Array | BigUint64Array, t.datatype === 'INT64');
    case 'FP16':
    case 'BF16': {
      const decode = t.datatype === 'FP16' ? float16BitsToFloat32 : bfloat16BitsToFloat32;
      const d = t.data as Uint16Array;
      const out = new Array<number | string>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = jsonFloat(decode(d[i]!));
      return out;
    }
    case 'FP32':
    case 'FP64': {
      const d = t.data as Float32Array | Float64Array;
      const out = new Array<number | string>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = jsonFloat(d[i]!);
      return out;
    }
    case 'BYTES': {
      const d = t.data as Uint8Array[];
      const out = new Array<string>(d.length);
      for (let i = 0; i < d.length; i++) {
        const e = d[i]!;
        out[i] = (Buffer.isBuffer(e) ? e : Buffer.from(e.buffer, e.byteOffset, e.byteLength)).toString('utf8');
      }
      return out;
    }
    default:
      return numberValues(t.data as Exclude<TensorData, Buffer[] | BigInt64Array | BigUint64Array>);
  }
}
