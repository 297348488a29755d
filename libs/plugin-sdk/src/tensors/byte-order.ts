// Raw tensor contents are little-endian. Typed arrays use the host's byte
// order: little-endian on every platform Node ships for except s390x, where the
// codec swaps bytes after copying.

export const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Reverses the byte order of each `width`-byte element of `bytes`, in place. */
export function swapBytes(bytes: Uint8Array, width: number): void {
  if (width === 1) return;
  for (let i = 0; i + width <= bytes.length; i += width) {
    for (let a = i, b = i + width - 1; a < b; a++, b--) {
      const t = bytes[a]!;
      bytes[a] = bytes[b]!;
      bytes[b] = t;
    }
  }
}

/** Index of the low and high 32-bit half of element i in a Uint32Array view of 64-bit integers. */
export const LOW_WORD = HOST_IS_LITTLE_ENDIAN ? 0 : 1;
export const HIGH_WORD = 1 - LOW_WORD;

const TWO_32 = 4294967296;
const MAX_SAFE = 9007199254740991; // Number.MAX_SAFE_INTEGER, as a constant on the per-element path

/**
 * Reads 64-bit integer element i of `words` (a Uint32Array over the same memory)
 * as a number when it is a safe integer, or undefined when it is not.
 * Avoids allocating a bigint per element.
 */
export function safeInt64At(words: Uint32Array, i: number, signed: boolean): number | undefined {
  const lo = words[2 * i + LOW_WORD]!;
  let hi = words[2 * i + HIGH_WORD]!;
  if (signed) hi |= 0;
  const v = hi * TWO_32 + lo;
  return v <= MAX_SAFE && v >= -MAX_SAFE ? v : undefined;
}

/** Writes a safe integer into 64-bit element i of `words` (two's complement for negatives). */
export function writeSafeInt64(words: Uint32Array, i: number, v: number): void {
  const hi = Math.floor(v / TWO_32);
  words[2 * i + LOW_WORD] = v - hi * TWO_32;
  words[2 * i + HIGH_WORD] = hi >>> 0;
}
