import type { SignatureSpec, TensorSpec } from '../runtime';
import {
  bfloat16BitsToFloat32,
  float16BitsToFloat32,
  float32ToBfloat16Bits,
  float32ToFloat16Bits,
  type Datatype,
  type Tensor,
  type TensorData,
} from '../tensors';

/** The size the kit gives a variable (-1) dimension. */
export const VARIABLE_DIMENSION = 2;

/** A small deterministic generator (mulberry32), so every run sends the same inputs. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One input per signature input: -1 dimensions become 2, values pseudo-random of the input's datatype. */
export function sampleInputs(signature: Pick<SignatureSpec, 'inputs'>, seed = 20240611): Tensor[] {
  const random = seededRandom(seed);
  return signature.inputs.map((spec) => sampleTensor(spec, random));
}

export function concreteShape(shape: readonly number[]): number[] {
  return shape.map((d) => (d === -1 ? VARIABLE_DIMENSION : d));
}

export function sampleTensor(spec: TensorSpec, random: () => number, shape: readonly number[] = concreteShape(spec.shape)): Tensor {
  const count = shape.reduce((n, d) => n * d, 1);
  return { name: spec.name, datatype: spec.datatype, shape: [...shape], data: sampleData(spec.datatype, count, random) } as Tensor;
}

/**
 * Values that any model of the datatype should accept: floats in [-1, 1),
 * integers in [0, 10) (safe as indices), booleans, short ASCII strings.
 */
export function sampleData(datatype: Datatype, count: number, random: () => number): TensorData {
  const small = () => Math.floor(random() * 10);
  const unit = () => random() * 2 - 1;
  switch (datatype) {
    case 'BOOL':
      return Uint8Array.from({ length: count }, () => (random() < 0.5 ? 0 : 1));
    case 'UINT8':
      return Uint8Array.from({ length: count }, small);
    case 'UINT16':
      return Uint16Array.from({ length: count }, small);
    case 'UINT32':
      return Uint32Array.from({ length: count }, small);
    case 'UINT64':
      return BigUint64Array.from({ length: count }, () => BigInt(small()));
    case 'INT8':
      return Int8Array.from({ length: count }, small);
    case 'INT16':
      return Int16Array.from({ length: count }, small);
    case 'INT32':
      return Int32Array.from({ length: count }, small);
    case 'INT64':
      return BigInt64Array.from({ length: count }, () => BigInt(small()));
    case 'FP16':
      return Uint16Array.from({ length: count }, () => float32ToFloat16Bits(unit()));
    case 'BF16':
      return Uint16Array.from({ length: count }, () => float32ToBfloat16Bits(unit()));
    case 'FP32':
      return Float32Array.from({ length: count }, unit);
    case 'FP64':
      return Float64Array.from({ length: count }, unit);
    case 'BYTES':
      return Array.from({ length: count }, (_, i) => Buffer.from(`modelport-${i}-${small()}`));
  }
}

/** A datatype other than `d` with a typed form, for the wrong-datatype check. */
export function otherDatatype(d: Datatype): Datatype {
  if (d === 'FP32') return 'INT32';
  return 'FP32';
}

/**
 * The same input with a shape the signature refuses: a fixed dimension one
 * larger when the signature has one, else one more dimension of size 1.
 */
export function wrongShapeInput(input: Tensor, spec: TensorSpec, random: () => number): Tensor {
  const fixed = spec.shape.findIndex((d) => d > 0);
  if (fixed >= 0) {
    const shape = [...input.shape];
    shape[fixed] = shape[fixed]! + 1;
    return sampleTensor(spec, random, shape);
  }
  return { ...input, shape: [...input.shape, 1] } as Tensor;
}

/**
 * Compares two output lists; undefined when equal, else what differs. Floats
 * may differ by a relative 1e-6 (identical inputs should give identical
 * outputs; this only forgives last-bit noise), everything else must match exactly.
 */
export function differenceBetween(expected: readonly Tensor[], actual: readonly Tensor[]): string | undefined {
  const names = (ts: readonly Tensor[]) => ts.map((t) => t.name).sort().join(', ');
  if (names(expected) !== names(actual)) return `outputs [${names(actual)}] instead of [${names(expected)}]`;
  for (const e of expected) {
    const a = actual.find((t) => t.name === e.name)!;
    if (a.datatype !== e.datatype) return `output "${e.name}" is ${a.datatype} instead of ${e.datatype}`;
    if (a.shape.join(',') !== e.shape.join(',')) return `output "${e.name}" has shape [${a.shape.join(', ')}] instead of [${e.shape.join(', ')}]`;
    const at = elementDifference(e, a);
    if (at !== undefined) return `output "${e.name}" differs at element ${at}`;
  }
  return undefined;
}

function elementDifference(e: Tensor, a: Tensor): number | undefined {
  const n = e.data.length;
  if (a.data.length !== n) return Math.min(n, a.data.length);
  for (let i = 0; i < n; i++) {
    const x = e.data[i];
    const y = a.data[i];
    if (e.datatype === 'BYTES') {
      if (!(x as Buffer).equals(y as Buffer)) return i;
    } else if (['FP16', 'BF16', 'FP32', 'FP64'].includes(e.datatype)) {
      const toFloat = e.datatype === 'FP16' ? float16BitsToFloat32 : e.datatype === 'BF16' ? bfloat16BitsToFloat32 : (v: number) => v;
      const fx = toFloat(x as number);
      const fy = toFloat(y as number);
      if (Number.isNaN(fx) && Number.isNaN(fy)) continue;
      if (fx === fy) continue;
      if (!(Math.abs(fx - fy) <= 1e-6 * Math.max(1, Math.abs(fx), Math.abs(fy)))) return i;
    } else if (x !== y) {
      return i;
    }
  }
  return undefined;
}
