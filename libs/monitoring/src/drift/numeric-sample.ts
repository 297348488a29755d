import { DriftError, DriftErrorCode } from './drift.errors';

/**
 * A numeric column as callers hand it over: a typed array (NaN and ±Infinity allowed), or any array of
 * numbers with `null`/`undefined` for missing rows. Strings, booleans and other values are refused
 * (NON_NUMERIC_VALUE, naming the row): parse CSV or JSON text before profiling.
 */
export type NumericColumn = Float64Array | Float32Array | ArrayLike<unknown>;

export type DriftSide = 'reference' | 'window';

/**
 * The finite values of one numeric column, sorted ascending, with what was left out.
 *
 * Missing-value convention (the same in profiles, window sketches and the reference script): `null`,
 * `undefined`, NaN, +Infinity and -Infinity are all *missing*: they count in `missing`, never in a
 * bin, a moment or a test. Infinities are also counted in `nonFinite`, so that a model starting to
 * emit ±Infinity shows up in the missing share and separately.
 */
export interface NumericSample {
  readonly feature: string;
  /** Finite values, ascending (-0 and +0 compare equal). */
  readonly sorted: Float64Array;
  /** Rows in the column: `sorted.length + missing`. */
  readonly rows: number;
  readonly missing: number;
  /** ±Infinity rows (a subset of `missing`). */
  readonly nonFinite: number;
}

export interface FiniteValues {
  /** Finite values in row order (a new array). */
  readonly values: Float64Array;
  readonly rows: number;
  readonly missing: number;
  readonly nonFinite: number;
}

/** Copies the finite values of a column, counting missing and infinite rows; refuses non-numbers. */
export function finiteValues(feature: string, column: NumericColumn): FiniteValues {
  const rows = column.length;
  const out = new Float64Array(rows);
  let k = 0;
  let nonFinite = 0;
  if (column instanceof Float64Array || column instanceof Float32Array) {
    for (let i = 0; i < rows; i++) {
      const x = column[i]!;
      if (x - x === 0) out[k++] = x;
      else if (x === x) nonFinite++;
    }
  } else {
    for (let i = 0; i < rows; i++) {
      const x = column[i];
      if (typeof x === 'number') {
        if (x - x === 0) out[k++] = x;
        else if (x === x) nonFinite++;
      } else if (x !== null && x !== undefined) {
        throw new DriftError(
          DriftErrorCode.NON_NUMERIC_VALUE,
          `Feature "${feature}" is numeric but row ${i} holds ${describe(x)}; pass numbers (null, undefined or NaN for missing values).`,
          { feature, row: i, value: typeof x === 'string' ? x.slice(0, 100) : String(x) },
        );
      }
    }
  }
  return { values: k === rows ? out : out.slice(0, k), rows, missing: rows - k, nonFinite };
}

function describe(x: unknown): string {
  if (typeof x === 'string') return `the string ${JSON.stringify(x.length > 40 ? `${x.slice(0, 40)}…` : x)}`;
  if (typeof x === 'boolean' || typeof x === 'bigint') return `the ${typeof x} ${String(x)}`;
  return `a value of type ${Array.isArray(x) ? 'array' : typeof x}`;
}

/** The sorted finite values of a column (see NumericSample for the missing-value convention). */
export function numericSample(feature: string, column: NumericColumn): NumericSample {
  const { values, rows, missing, nonFinite } = finiteValues(feature, column);
  return { feature, sorted: sortFloat64(values), rows, missing, nonFinite };
}

/** Throws EMPTY_COLUMN when a sample has no finite value. */
export function requireValues(sample: NumericSample, side: DriftSide): void {
  if (sample.sorted.length === 0) throw emptyColumn(sample.feature, side, sample.rows, sample.missing);
}

export function emptyColumn(feature: string, side: DriftSide, rows: number, missing: number): DriftError {
  const what = rows === 0 ? 'has no rows' : `has ${rows} rows, all missing, NaN or infinite`;
  return new DriftError(DriftErrorCode.EMPTY_COLUMN, `Feature "${feature}" ${what} in the ${side}; drift needs at least one finite value.`, {
    feature,
    side,
    rows,
    missing,
  });
}

const RADIX_BITS = 11;
const RADIX = 1 << RADIX_BITS;
const MASK = RADIX - 1;
/** Below this size the built-in sort is as fast and needs no second buffer. */
const RADIX_MIN = 4096;

/**
 * Sorts finite doubles ascending in place and returns the array. Large arrays use an LSD radix sort on
 * the IEEE-754 bits (6 passes of 11 bits, passes where every value shares the digit skipped): about
 * 3-4x faster than `Float64Array.prototype.sort` for a million values. NaN must not be present.
 */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_MIN) return values.sort();
  let src: Float64Array = values;
  let dst: Float64Array = new Float64Array(n);
  let srcBits: Uint32Array = new Uint32Array(src.buffer, src.byteOffset, n * 2);
  let dstBits: Uint32Array = new Uint32Array(dst.buffer, dst.byteOffset, n * 2);
  const passes = Math.ceil(64 / RADIX_BITS);
  const hist = new Uint32Array(RADIX * passes);
  // Sortable key: negative numbers have all bits flipped, positive ones only the sign bit.
  for (let i = 0; i < n; i++) {
    const hiRaw = srcBits[2 * i + 1]!;
    const m = hiRaw >> 31;
    const lo = (srcBits[2 * i]! ^ m) >>> 0;
    const hi = (hiRaw ^ (m | 0x80000000)) >>> 0;
    hist[lo & MASK]!++;
    hist[RADIX + ((lo >>> 11) & MASK)]!++;
    hist[2 * RADIX + (((lo >>> 22) | (hi << 10)) & MASK)]!++;
    hist[3 * RADIX + ((hi >>> 1) & MASK)]!++;
    hist[4 * RADIX + ((hi >>> 12) & MASK)]!++;
    hist[5 * RADIX + (hi >>> 23)]!++;
  }
  for (let p = 0; p < passes; p++) {
    const off = p * RADIX;
    let trivial = false;
    for (let d = 0; d < RADIX; d++) {
      const c = hist[off + d]!;
      if (c !== 0) {
        trivial = c === n;
        break;
      }
    }
    if (trivial) continue;
    let sum = 0;
    for (let d = 0; d < RADIX; d++) {
      const c = hist[off + d]!;
      hist[off + d] = sum;
      sum += c;
    }
    scatter(srcBits, dstBits, hist, off, p * RADIX_BITS, n);
    [src, dst] = [dst, src];
    [srcBits, dstBits] = [dstBits, srcBits];
  }
  if (src !== values) values.set(src);
  return values;
}

/** One counting-sort pass on the digit at bit `shift` of the 64-bit key. */
function scatter(src: Uint32Array, dst: Uint32Array, hist: Uint32Array, off: number, shift: number, n: number): void {
  if (shift + RADIX_BITS <= 32) {
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const d = (((lo ^ (hi >> 31)) >>> shift) & MASK) + off;
      const pos = hist[d]!++;
      dst[2 * pos] = lo;
      dst[2 * pos + 1] = hi;
    }
  } else if (shift >= 32) {
    const s = shift - 32;
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const d = (((hi ^ ((hi >> 31) | 0x80000000)) >>> s) & MASK) + off;
      const pos = hist[d]!++;
      dst[2 * pos] = lo;
      dst[2 * pos + 1] = hi;
    }
  } else {
    for (let i = 0; i < n; i++) {
      const lo = src[2 * i]!;
      const hi = src[2 * i + 1]!;
      const m = hi >> 31;
      const d = ((((lo ^ m) >>> shift) | ((hi ^ (m | 0x80000000)) << (32 - shift))) & MASK) + off;
      const pos = hist[d]!++;
      dst[2 * pos] = lo;
      dst[2 * pos + 1] = hi;
    }
  }
}
