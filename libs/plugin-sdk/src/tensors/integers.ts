import type { Datatype } from './datatype';

/** The range of each 8-, 16- and 32-bit integer datatype. */
export const INT_RANGE: Readonly<Partial<Record<Datatype, readonly [number, number]>>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
};

const MAX_SAFE = 9007199254740991; // Number.MAX_SAFE_INTEGER

/**
 * True for a safe integer (|v| ≤ 2^53-1). Written with arithmetic rather than
 * Number.isSafeInteger, which is not inlined in every realm (e.g. Jest's
 * sandbox) and sits on per-element paths.
 */
export function isSafeInteger(v: unknown): v is number {
  return typeof v === 'number' && Math.floor(v) === v && v <= MAX_SAFE && v >= -MAX_SAFE;
}

/** True for a finite number; see isSafeInteger for why not Number.isFinite. */
export function isFiniteNumber(x: number): boolean {
  return x - x === 0;
}

const DECIMAL = /^-?[0-9]{1,20}$/;

/** A decimal integer string as a bigint (range not checked), or undefined when it is not one. */
export function parseInt64String(s: string, signed: boolean): bigint | undefined {
  if (!DECIMAL.test(s) || (!signed && s.startsWith('-'))) return undefined;
  return BigInt(s);
}

const INT64_MIN = -(2n ** 63n);
const INT64_END = 2n ** 63n;
const UINT64_END = 2n ** 64n;

export function inInt64Range(v: bigint, signed: boolean): boolean {
  return signed ? v >= INT64_MIN && v < INT64_END : v >= 0n && v < UINT64_END;
}
