import { bytesPerElement, type Datatype } from './datatype';
import { TensorError, describeValue, tensorLabel } from './tensor.errors';

/** Bounds on one tensor; beyond them decoding fails with TOO_LARGE. */
export interface TensorLimits {
  /** Most elements one tensor may have. */
  readonly maxElements: number;
  /** Most bytes one tensor may take in raw form (for BYTES: 4-byte length prefixes included). */
  readonly maxBytes: number;
}

export const DEFAULT_TENSOR_LIMITS: TensorLimits = Object.freeze({
  maxElements: 16 * 1024 * 1024,
  maxBytes: 64 * 1024 * 1024,
});

export const MAX_RANK = 16;
/** Dimensions are below 2^31, as in every framework Modelport serves. */
export const MAX_DIMENSION = 2 ** 31 - 1;

/**
 * How strictly a shape is checked. Request tensors must be non-empty; tensors a
 * model produced (and anything being encoded) may have zero-size dimensions,
 * e.g. a detector that found no boxes.
 */
export interface ShapeRules {
  readonly limits: TensorLimits;
  readonly allowEmpty: boolean;
}

export function requestRules(limits: TensorLimits = DEFAULT_TENSOR_LIMITS): ShapeRules {
  return { limits, allowEmpty: false };
}

export function responseRules(limits: TensorLimits = DEFAULT_TENSOR_LIMITS): ShapeRules {
  return { limits, allowEmpty: true };
}

/** `[2,3]`, short even for untrusted input. */
export function formatShape(shape: unknown): string {
  if (!Array.isArray(shape)) return describeValue(shape);
  if (shape.length > MAX_RANK) return `an array of ${shape.length} dimensions`;
  return `[${shape.map((d) => (typeof d === 'number' ? String(d) : describeValue(d))).join(',')}]`;
}

/**
 * Checks a request tensor's shape and returns its element count: every
 * dimension an integer from 1 to 2^31-1, rank at most 16, and at most
 * `limits.maxElements` elements (counting stops as soon as the limit is passed).
 */
export function elementCount(name: string, shape: readonly number[], limits: TensorLimits = DEFAULT_TENSOR_LIMITS): number {
  return checkShape(name, shape, requestRules(limits));
}

/** elementCount for a shape of unknown type, with the given rules. */
export function checkShape(name: string, shape: unknown, rules: ShapeRules): number {
  const label = tensorLabel(name);
  if (!Array.isArray(shape)) {
    throw new TensorError(name, 'BAD_SHAPE', `${label} has shape ${describeValue(shape)}; expected an array of dimensions such as [1,3].`);
  }
  if (shape.length > MAX_RANK) {
    throw new TensorError(name, 'BAD_SHAPE', `${label} has rank ${shape.length}; Modelport serves tensors of at most ${MAX_RANK} dimensions.`);
  }
  let empty = false;
  for (let i = 0; i < shape.length; i++) {
    const d: unknown = shape[i];
    if (typeof d === 'number' && Number.isInteger(d) && d >= 1 && d <= MAX_DIMENSION) continue;
    const where = `${label} has shape ${formatShape(shape)}: dimension ${i} is ${describeValue(d)}`;
    if (d === 0) {
      if (rules.allowEmpty) {
        empty = true;
        continue;
      }
      throw new TensorError(name, 'BAD_SHAPE', `${where}; Modelport serves non-empty tensors, so every dimension must be at least 1.`);
    }
    if (d === -1) {
      throw new TensorError(name, 'BAD_SHAPE', `${where}; -1 is only allowed in a signature, a tensor must give the actual size of every dimension.`);
    }
    throw new TensorError(name, 'BAD_SHAPE', `${where}; every dimension must be an integer from ${rules.allowEmpty ? 0 : 1} to ${MAX_DIMENSION}.`);
  }
  if (empty) return 0;
  const max = rules.limits.maxElements;
  let count = 1;
  for (let i = 0; i < shape.length; i++) {
    count *= shape[i] as number;
    if (count > max) {
      throw new TensorError(name, 'TOO_LARGE', `${label} has shape ${formatShape(shape)}, more than the limit of ${max} elements.`);
    }
  }
  return count;
}

/** Throws TOO_LARGE when `bytes` exceeds the byte limit. */
export function checkByteSize(name: string, datatype: Datatype, count: number, bytes: number, limits: TensorLimits): void {
  if (bytes > limits.maxBytes) {
    const per = bytesPerElement(datatype);
    const what = per === null ? `${count} BYTES elements` : `${count} ${datatype} elements of ${per} bytes`;
    throw new TensorError(name, 'TOO_LARGE', `${tensorLabel(name)} takes ${bytes} bytes (${what}), more than the limit of ${limits.maxBytes} bytes.`);
  }
}

/** Checks a fixed-size tensor's byte size and returns it. */
export function fixedByteSize(name: string, datatype: Datatype, count: number, limits: TensorLimits): number {
  const bytes = count * (bytesPerElement(datatype) ?? 0);
  checkByteSize(name, datatype, count, bytes, limits);
  return bytes;
}
