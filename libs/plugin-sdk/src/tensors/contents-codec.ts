import type { InferTensorContents, InferTensorContents__Output } from '@modelport/proto';
import { writeSafeInt64, safeInt64At } from './byte-order';
import { allocateStorage, isDatatype, typedArrayTag, type Datatype, type Tensor, type TensorData } from './datatype';
import { INT_RANGE, inInt64Range, isSafeInteger, parseInt64String } from './integers';
import { DEFAULT_TENSOR_LIMITS, checkShape, fixedByteSize, formatShape, requestRules, type ShapeRules, type TensorLimits } from './shape';
import { assertTensor, unknownDatatype } from './tensor';
import { TensorError, describeValue, tensorLabel } from './tensor.errors';

type ContentsField = keyof InferTensorContents__Output;
type TypedDatatype = Exclude<Datatype, 'FP16' | 'BF16'>;

const CONTENTS_FIELDS: readonly ContentsField[] = [
  'bool_contents',
  'int_contents',
  'int64_contents',
  'uint_contents',
  'uint64_contents',
  'fp32_contents',
  'fp64_contents',
  'bytes_contents',
];

/** The InferTensorContents field carrying each datatype's values (V2). */
export const CONTENTS_FIELD: Readonly<Record<TypedDatatype, ContentsField>> = {
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
};

/** True when any field of `contents` holds a value. */
export function hasTypedValues(contents: Partial<InferTensorContents__Output> | null | undefined): boolean {
  if (!contents) return false;
  for (const f of CONTENTS_FIELDS) if ((contents[f]?.length ?? 0) > 0) return true;
  return false;
}

function noTypedForm(name: string, datatype: Datatype): TensorError {
  return new TensorError(
    name,
    'NO_TYPED_FORM',
    `${tensorLabel(name)} is ${datatype}, which has no typed contents in the Open Inference Protocol; send it as raw contents (little-endian 16-bit patterns).`,
  );
}

/**
 * Decodes a request tensor from V2 typed contents: bool_contents for BOOL,
 * int_contents for INT8/16/32, int64_contents for INT64, uint_contents for
 * UINT8/16/32, uint64_contents for UINT64, fp32_contents, fp64_contents,
 * bytes_contents. FP16 and BF16 have no typed form (NO_TYPED_FORM); a value
 * out of range for the datatype is BAD_VALUE.
 *
 * Note: the gRPC loader decodes int64/uint64 as JavaScript numbers, so values
 * beyond ±2^53 arrive already rounded; send those as raw contents.
 */
export function fromContents(
  name: string,
  datatype: string,
  shape: readonly number[],
  contents: InferTensorContents__Output,
  limits: TensorLimits = DEFAULT_TENSOR_LIMITS,
): Tensor {
  return decodeContents(name, datatype, shape, contents, requestRules(limits));
}

export function decodeContents(
  name: string,
  datatype: string,
  shape: unknown,
  contents: Partial<InferTensorContents__Output> | null | undefined,
  rules: ShapeRules,
): Tensor {
  if (!isDatatype(datatype)) throw unknownDatatype(name, datatype);
  if (datatype === 'FP16' || datatype === 'BF16') throw noTypedForm(name, datatype);
  const count = checkShape(name, shape, rules);
  const dims = [...(shape as number[])];
  const field = CONTENTS_FIELD[datatype];
  for (const other of CONTENTS_FIELDS) {
    const n = contents?.[other]?.length ?? 0;
    if (other !== field && n > 0) {
      throw new TensorError(
        name,
        'WRONG_CONTENTS_FIELD',
        `${tensorLabel(name)} is ${datatype}, so its values belong in ${field}; found ${n} values in ${other}.`,
      );
    }
  }
  const values: readonly unknown[] = contents?.[field] ?? [];
  if (values.length !== count) {
    throw new TensorError(
      name,
      'SIZE_MISMATCH',
      `${tensorLabel(name)} has shape ${formatShape(dims)}, so ${field} needs ${count} values; got ${values.length}.`,
    );
  }
  const data = datatype === 'BYTES' ? bytesValues(name, values, rules.limits) : fixedValues(name, datatype, field, values, rules.limits);
  return { name, datatype, shape: dims, data } as Tensor;
}

function badValue(name: string, datatype: Datatype, expected: string, field: string, i: number, v: unknown): TensorError {
  return new TensorError(name, 'BAD_VALUE', `${tensorLabel(name)} is ${datatype}, so its values must be ${expected}; ${field}[${i}] is ${describeValue(v)}.`);
}

function fixedValues(name: string, datatype: Exclude<TypedDatatype, 'BYTES'>, field: string, values: readonly unknown[], limits: TensorLimits): TensorData {
  const count = values.length;
  fixedByteSize(name, datatype, count, limits);
  switch (datatype) {
    case 'BOOL': {
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (v === true) out[i] = 1;
        else if (v !== false) throw badValue(name, datatype, 'true or false', field, i, v);
      }
      return out;
    }
    case 'FP32':
    case 'FP64': {
      const out = allocateStorage(datatype, count);
      out.set(values as ArrayLike<number>);
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
        } else {
          const big = typeof v === 'number' && Number.isInteger(v) ? BigInt(v) : typeof v === 'string' ? parseInt64String(v, signed) : undefined;
          if (big === undefined || !inInt64Range(big, signed)) {
            throw badValue(name, datatype, signed ? 'integers from -2^63 to 2^63-1' : 'integers from 0 to 2^64-1', field, i, v);
          }
          out[i] = big;
        }
      }
      return out;
    }
    default: {
      const [min, max] = INT_RANGE[datatype]!;
      const out = allocateStorage(datatype, count);
      for (let i = 0; i < count; i++) {
        const v = values[i] as number;
        if (!(v >= min && v <= max && Math.floor(v) === v)) throw badValue(name, datatype, `integers from ${min} to ${max}`, field, i, v);
        out[i] = v;
      }
      return out;
    }
  }
}

function bytesValues(name: string, values: readonly unknown[], limits: TensorLimits): Buffer[] {
  const out = new Array<Buffer>(values.length);
  let size = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Buffer.isBuffer(v)) out[i] = v;
    else if (typedArrayTag(v) === 'Uint8Array') {
      const u = v as Uint8Array;
      out[i] = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
    } else throw badValue(name, 'BYTES', 'byte strings', 'bytes_contents', i, v);
    size += 4 + out[i]!.byteLength;
  }
  if (size > limits.maxBytes) {
    throw new TensorError(name, 'TOO_LARGE', `${tensorLabel(name)} takes ${size} bytes (${values.length} BYTES elements with their 4-byte lengths), more than the limit of ${limits.maxBytes} bytes.`);
  }
  return out;
}

/**
 * Encodes a tensor as V2 typed contents, setting only the datatype's field.
 * INT64/UINT64 values beyond ±2^53 are given as decimal strings, which the
 * gRPC serializer writes exactly. FP16 and BF16 throw NO_TYPED_FORM.
 */
export function toContents(t: Tensor): InferTensorContents {
  assertTensor(t);
  switch (t.datatype) {
    case 'FP16':
    case 'BF16':
      throw noTypedForm(t.name, t.datatype);
    case 'BYTES':
      return { bytes_contents: [...(t.data as Buffer[])] };
    case 'BOOL': {
      const d = t.data as Uint8Array;
      const out = new Array<boolean>(d.length);
      for (let i = 0; i < d.length; i++) out[i] = d[i] !== 0;
      return { bool_contents: out };
    }
    case 'INT64':
    case 'UINT64':
      return { [CONTENTS_FIELD[t.datatype]]: int64Values(t.data as BigInt64Array | BigUint64Array, t.datatype === 'INT64') };
    default:
      return { [CONTENTS_FIELD[t.datatype]]: numberValues(t.data as Exclude<TensorData, Buffer[] | BigInt64Array | BigUint64Array>) };
  }
}

export function numberValues(d: ArrayLike<number>): number[] {
  const out = new Array<number>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = d[i]!;
  return out;
}

/** 64-bit integers as numbers when safe, else decimal strings; no bigint per safe element. */
export function int64Values(d: BigInt64Array | BigUint64Array, signed: boolean): (number | string)[] {
  const words = new Uint32Array(d.buffer, d.byteOffset, d.length * 2);
  const out = new Array<number | string>(d.length);
  for (let i = 0; i < d.length; i++) out[i] = safeInt64At(words, i, signed) ?? d[i]!.toString();
  return out;
}
