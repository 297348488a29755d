import { HOST_IS_LITTLE_ENDIAN, swapBytes } from './byte-order';
import { allocateStorage, bytesPerElement, isDatatype, type Datatype, type Tensor, type TensorData } from './datatype';
import { DEFAULT_TENSOR_LIMITS, checkByteSize, checkShape, fixedByteSize, formatShape, requestRules, type ShapeRules, type TensorLimits } from './shape';
import { assertTensor, unknownDatatype } from './tensor';
import { TensorError, tensorLabel } from './tensor.errors';

/**
 * Decodes a request tensor from its raw form (V2 raw_input_contents): the
 * flattened row-major elements, little-endian; for BYTES, each element as a
 * 4-byte little-endian length followed by its bytes. Fixed-size elements are
 * copied into a fresh, aligned typed array (gRPC buffers are often unaligned);
 * BYTES elements are views into `raw`.
 */
export function fromRaw(name: string, datatype: string, shape: readonly number[], raw: Buffer | Uint8Array, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): Tensor {
  return decodeRaw(name, datatype, shape, raw, requestRules(limits));
}

export function decodeRaw(name: string, datatype: string, shape: unknown, raw: Buffer | Uint8Array, rules: ShapeRules): Tensor {
  if (!isDatatype(datatype)) throw unknownDatatype(name, datatype);
  const count = checkShape(name, shape, rules);
  const dims = [...(shape as number[])];
  const data = datatype === 'BYTES' ? parseBytes(name, dims, count, raw, rules.limits) : copyFixed(name, datatype, dims, count, raw, rules.limits);
  return { name, datatype, shape: dims, data } as Tensor;
}

function copyFixed(name: string, datatype: Exclude<Datatype, 'BYTES'>, shape: readonly number[], count: number, raw: Uint8Array, limits: TensorLimits): TensorData {
  const expected = fixedByteSize(name, datatype, count, limits);
  if (raw.byteLength !== expected) {
    throw new TensorError(
      name,
      'SIZE_MISMATCH',
      `${tensorLabel(name)} (${datatype}, shape ${formatShape(shape)}) needs ${expected} raw bytes (${count} elements × ${bytesPerElement(datatype)} bytes); got ${raw.byteLength} bytes.`,
    );
  }
  const out = allocateStorage(datatype, count);
  const bytes = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  bytes.set(raw);
  if (datatype === 'BOOL') {
    for (let i = 0; i < count; i++) {
      if (bytes[i]! > 1) {
        throw new TensorError(name, 'BAD_VALUE', `${tensorLabel(name)} is BOOL, so each raw byte must be 0 or 1; byte ${i} is ${bytes[i]}.`);
      }
    }
  } else if (!HOST_IS_LITTLE_ENDIAN) {
    swapBytes(bytes, bytesPerElement(datatype)!);
  }
  return out;
}

function parseBytes(name: string, shape: readonly number[], count: number, raw: Uint8Array, limits: TensorLimits): Buffer[] {
  const size = raw.byteLength;
  checkByteSize(name, 'BYTES', count, size, limits);
  const label = `${tensorLabel(name)} (BYTES, shape ${formatShape(shape)})`;
  if (size < 4 * count) {
    throw new TensorError(
      name,
      'SIZE_MISMATCH',
      `${label} needs ${count} length-prefixed elements, at least ${4 * count} raw bytes; got ${size} bytes.`,
    );
  }
  const out: Buffer[] = new Array<Buffer>(count);
  let offset = 0;
  for (let i = 0; i < count; i++) {
    if (size - offset < 4) {
      throw new TensorError(name, 'SIZE_MISMATCH', `${label} needs ${count} elements but its raw bytes end after ${i}.`);
    }
    const length = (raw[offset]! | (raw[offset + 1]! << 8) | (raw[offset + 2]! << 16) | (raw[offset + 3]! << 24)) >>> 0;
    offset += 4;
    if (length > size - offset) {
      throw new TensorError(
        name,
        'SIZE_MISMATCH',
        `${label}: element ${i} declares ${length} bytes but only ${size - offset} raw bytes remain.`,
      );
    }
    out[i] = Buffer.from(raw.buffer, raw.byteOffset + offset, length);
    offset += length;
  }
  if (offset !== size) {
    throw new TensorError(name, 'SIZE_MISMATCH', `${label} holds ${count} elements in ${offset} raw bytes, followed by ${size - offset} unexpected trailing bytes.`);
  }
  return out;
}

/**
 * Encodes a tensor in raw form (little-endian; BYTES as 4-byte little-endian
 * length + bytes per element). For fixed-size datatypes on little-endian hosts
 * the result is a view of `t.data`, not a copy.
 */
export function toRaw(t: Tensor): Buffer {
  assertTensor(t);
  if (t.datatype === 'BYTES') return joinBytes(t.data as Buffer[]);
  const data = t.data as Exclude<TensorData, Buffer[]>;
  const view = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  if (t.datatype === 'BOOL') return normalizeBool(view);
  if (HOST_IS_LITTLE_ENDIAN) return view;
  const copy = Buffer.from(view);
  swapBytes(copy, bytesPerElement(t.datatype)!);
  return copy;
}

function joinBytes(elements: readonly Uint8Array[]): Buffer {
  let size = 0;
  for (let i = 0; i < elements.length; i++) size += 4 + elements[i]!.byteLength;
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i]!;
    offset = out.writeUInt32LE(e.byteLength, offset);
    out.set(e, offset);
    offset += e.byteLength;
  }
  return out;
}

/** BOOL travels as bytes 0/1; a tensor holding other non-zero bytes is encoded as 1. */
function normalizeBool(view: Buffer): Buffer {
  for (let i = 0; i < view.length; i++) {
    if (view[i]! > 1) {
      const out = Buffer.allocUnsafe(view.length);
      for (let j = 0; j < view.length; j++) out[j] = view[j] === 0 ? 0 : 1;
      return out;
    }
  }
  return view;
}
