// IEEE 754 binary16 (FP16) and bfloat16 (BF16) conversions. Encoding rounds
// the given JavaScript number (a double) directly to the 16-bit format, to
// nearest with ties to even (no double rounding through float32), handles
// subnormals, and overflows to infinity past the largest finite value.
// Decoding is exact. Both work on bit patterns with integer arithmetic: they
// run once per element when JSON carries FP16/BF16.
import { HIGH_WORD, LOW_WORD } from './byte-order';

const SCRATCH = new ArrayBuffer(8);
const SCRATCH_F64 = new Float64Array(SCRATCH);
const SCRATCH_F32 = new Float32Array(SCRATCH, 0, 1);
const SCRATCH_U32 = new Uint32Array(SCRATCH);

/**
 * Rounds x to a 16-bit float with a sign bit, (15 - mantissaBits) exponent
 * bits of the given bias, and mantissaBits fraction bits.
 */
function encode16(x: number, mantissaBits: number, bias: number): number {
  SCRATCH_F64[0] = x;
  const hi = SCRATCH_U32[HIGH_WORD]!; // sign, 11 exponent bits, top 20 fraction bits
  const lo = SCRATCH_U32[LOW_WORD]!; // low 32 fraction bits: only ever a sticky bit here
  const sign = (hi >>> 16) & 0x8000;
  const biased = (hi >>> 20) & 0x7ff;
  const fraction = hi & 0xfffff;
  const infinity = ((1 << (15 - mantissaBits)) - 1) << mantissaBits;
  if (biased === 0x7ff) return fraction !== 0 || lo !== 0 ? infinity | (1 << (mantissaBits - 1)) : sign | infinity;
  const e = biased - 1023;
  if (e > bias) return sign | infinity;
  let significand: number;
  let shift: number;
  let base: number;
  if (e >= 1 - bias) {
    // Normal: keep the top mantissaBits of the fraction; a carry out of them bumps the exponent.
    significand = fraction;
    shift = 20 - mantissaBits;
    base = (e + bias) << mantissaBits;
  } else {
    // Subnormal: the value in units of the smallest subnormal, 2^(1 - bias - mantissaBits).
    significand = fraction | 0x100000;
    shift = 20 - mantissaBits + (1 - bias - e);
    if (shift > 21) return sign; // below half the smallest subnormal (double subnormals included)
    base = 0;
  }
  let m = significand >>> shift;
  const rest = significand & ((1 << shift) - 1);
  const half = 1 << (shift - 1);
  if (rest > half || (rest === half && (lo !== 0 || (m & 1) === 1))) m++;
  return sign | (base + m);
}

/** The binary16 bit pattern nearest to x (ties to even); NaN → 0x7e00. */
export function float32ToFloat16Bits(x: number): number {
  return encode16(x, 10, 15);
}

/** The bfloat16 bit pattern nearest to x (ties to even); NaN → 0x7fc0. */
export function float32ToBfloat16Bits(x: number): number {
  return encode16(x, 7, 127);
}

/** 2^(e - 25) for each binary16 exponent field e: the value of one mantissa unit. */
const FP16_UNIT = Float64Array.from({ length: 32 }, (_, e) => 2 ** ((e === 0 ? 1 : e) - 25));

/** The value of a binary16 bit pattern (exact). */
export function float16BitsToFloat32(b: number): number {
  const e = (b >> 10) & 0x1f;
  const m = b & 0x3ff;
  let v: number;
  if (e === 0x1f) v = m === 0 ? Infinity : NaN;
  else v = (e === 0 ? m : 1024 + m) * FP16_UNIT[e]!;
  return b & 0x8000 ? -v : v;
}

/** The value of a bfloat16 bit pattern (exact: the top half of a float32). */
export function bfloat16BitsToFloat32(b: number): number {
  SCRATCH_U32[0] = (b & 0xffff) << 16;
  return SCRATCH_F32[0]!;
}
