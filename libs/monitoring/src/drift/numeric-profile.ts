import { DriftError, DriftErrorCode } from './drift.errors';
import { emptyColumn, finiteValues, sortFloat64, type NumericColumn, type NumericSample } from './numeric-sample';

/**
 * The reference profile of a numeric feature (or of a regression prediction).
 *
 * Bins: `edges` are the *interior* edges, strictly increasing. Bin 0 is (-inf, edges[0]], bin i is
 * (edges[i-1], edges[i]], the last bin is (edges[k-1], +inf): right-closed, so a value equal to an edge
 * falls in the bin that the edge closes (NumPy: `np.searchsorted(edges, x, side='left')`). The outer
 * bins are open, so every finite window value has a bin, however far out.
 *
 * Edges are the reference quantiles at i/bins, i = 1..bins-1 (`np.quantile`, method 'linear'),
 * deduplicated (ties make fewer bins). When the lowest edge equals the reference minimum (a constant
 * column, or ties at the minimum such as a zero-inflated feature) the largest double below the minimum
 * is added as an extra first edge, so bin 0 holds only values below everything seen in the reference
 * and a window moving below the minimum changes the bins.
 *
 * Moments: `mean`, `m2` = sum of squared deviations from the mean (std = sqrt(m2 / count), the
 * population standard deviation, `np.std` with ddof 0). Profiles on the same edges merge (Chan et al.).
 */
export interface NumericProfile {
  readonly kind: 'numeric-profile';
  readonly feature: string;
  readonly edges: readonly number[];
  /** Reference values per bin: `edges.length + 1` bins. */
  readonly counts: readonly number[];
  /** Sum of the reference values per bin (bin means place the mass of the binned Wasserstein distance). */
  readonly sums: readonly number[];
  /** Finite values. */
  readonly count: number;
  /** Missing rows: null, undefined, NaN, ±Infinity. */
  readonly missing: number;
  /** ±Infinity rows (a subset of `missing`). */
  readonly nonFinite: number;
  readonly mean: number;
  readonly m2: number;
  readonly min: number;
  readonly max: number;
}

/**
 * A window (a minute, an hour, thirty days) of one numeric feature on its profile's bins. Every field
 * adds across windows except `min`/`max` (take the min and max), so per-minute rows stored in
 * PostgreSQL sum into any longer window: a drift query costs the number of bins, not of rows.
 *
 * `sums` holds the sum of the values per bin (their means place each bin's mass for the binned
 * Wasserstein distance; their total gives the mean). The second moment is kept about `shift`, the
 * reference mean (`sumSquares` = Σ(x - shift)^2), which keeps plain addition accurate; windows only add
 * when their `shift` is equal.
 */
export interface NumericWindowSketch {
  readonly kind: 'numeric-window';
  readonly feature: string;
  readonly counts: readonly number[];
  readonly sums: readonly number[];
  readonly count: number;
  readonly missing: number;
  readonly nonFinite: number;
  readonly shift: number;
  readonly sumSquares: number;
  /** null when the window has no finite value. */
  readonly min: number | null;
  readonly max: number | null;
}

export interface NumericProfileOptions {
  /** Quantile bins before deduplication; default 10, from 2 to 1000. */
  readonly bins?: number;
  /** Fixed interior edges instead of quantiles (finite, strictly increasing), e.g. to profile a reference in chunks and merge. */
  readonly edges?: readonly number[];
}

export const DEFAULT_NUMERIC_BINS = 10;

/** The largest double below x. */
export function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  b[0] = x > 0 ? b[0]! - 1n : b[0]! + 1n;
  return f[0]!;
}

/** `np.quantile(sorted, q)` with the default 'linear' method, on ascending values. */
export function quantileSorted(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * q;
  const prev = Math.floor(virtual);
  if (prev >= n - 1) return sorted[n - 1]!;
  if (prev < 0) return sorted[0]!;
  const a = sorted[prev]!;
  const b = sorted[prev + 1]!;
  const t = virtual - prev;
  const diff = b - a;
  // NumPy's _lerp: from the nearer end, so that the result stays between a and b.
  return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
}

/** Quantile edges of ascending finite values, deduplicated, with the extra edge below a tied minimum. */
export function quantileEdges(sorted: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  for (let i = 1; i < bins; i++) {
    const e = quantileSorted(sorted, i / bins);
    if (edges.length === 0 || e !== edges[edges.length - 1]) edges.push(e);
  }
  if (edges.length > 0 && edges[0] === sorted[0]) edges.unshift(nextDown(edges[0]!));
  return edges;
}

/** The bin of a finite value: the number of edges strictly below it. */
export function binOf(edges: Float64Array | readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Counts and sums per bin. */
function countBins(edges: readonly number[], values: Float64Array): { counts: number[]; sums: number[] } {
  const e = Float64Array.from(edges);
  const counts = new Float64Array(edges.length + 1);
  const sums = new Float64Array(edges.length + 1);
  const k = e.length;
  if (k <= 16) {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      let b = 0;
      while (b < k && e[b]! < x) b++;
      counts[b]!++;
      sums[b]! += x;
    }
  } else {
    for (let i = 0; i < values.length; i++) {
      const x = values[i]!;
      const b = binOf(e, x);
      counts[b]!++;
      sums[b]! += x;
    }
  }
  return { counts: Array.from(counts), sums: Array.from(sums) };
}

function validBins(feature: string, bins: number): number {
  if (!Number.isInteger(bins) || bins < 2 || bins > 1000) {
    throw new DriftError(DriftErrorCode.INVALID_DRIFT_OPTIONS, `Feature "${feature}": bins must be an integer from 2 to 1000, got ${bins}.`, {
      feature,
      bins,
    });
  }
  return bins;
}

function validEdges(feature: string, edges: readonly number[]): number[] {
  const ok = edges.length >= 1 && edges.every((e, i) => Number.isFinite(e) && (i === 0 || e > edges[i - 1]!));
  if (!ok) {
    throw new DriftError(DriftErrorCode.INVALID_DRIFT_OPTIONS, `Feature "${feature}": edges must be at least one finite number, strictly increasing.`, {
      feature,
    });
  }
  return [...edges];
}

/** Sum with Neumaier's compensation (profiles of millions of values keep a mean exact to ~1 ulp). */
function compensatedSum(values: Float64Array, shift: number): [number, number] {
  let s = 0;
  let c = 0;
  let s2 = 0;
  let c2 = 0;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]! - shift;
    let t = s + x;
    c += Math.abs(s) >= Math.abs(x) ? s - t + x : x - t + s;
    s = t;
    const x2 = x * x;
    t = s2 + x2;
    c2 += s2 >= x2 ? s2 - t + x2 : x2 - t + s2;
    s2 = t;
  }
  return [s + c, s2 + c2];
}

/**
 * Profiles the reference values of a numeric feature: quantile edges (or the given ones), counts per
 * bin, moments, min and max. Throws EMPTY_COLUMN when no value is finite, NON_NUMERIC_VALUE on a
 * string or another non-number.
 */
export function buildNumericProfile(feature: string, column: NumericColumn | NumericSample, options: NumericProfileOptions = {}): NumericProfile {
  let sorted: Float64Array;
  let rows: number;
  let missing: number;
  let nonFinite: number;
  if (isSample(column)) {
    ({ sorted, rows, missing, nonFinite } = column);
  } else {
    const finite = finiteValues(feature, column);
    sorted = sortFloat64(finite.values);
    ({ rows, missing, nonFinite } = finite);
  }
  if (sorted.length === 0) throw emptyColumn(feature, 'reference', rows, missing);
  const edges = options.edges ? validEdges(feature, options.edges) : quantileEdges(sorted, validBins(feature, options.bins ?? DEFAULT_NUMERIC_BINS));
  const n = sorted.length;
  const [sum] = compensatedSum(sorted, 0);
  const mean = sum / n;
  // Corrected two-pass: M2 = Σ(x - mean)^2 - (Σ(x - mean))^2 / n.
  const [dev, dev2] = compensatedSum(sorted, mean);
  const m2 = Math.max(0, dev2 - (dev * dev) / n);
  return {
    kind: 'numeric-profile',
    feature,
    edges,
    ...countBins(edges, sorted),
    count: n,
    missing,
    nonFinite,
    mean,
    m2,
    min: sorted[0]!,
    max: sorted[n - 1]!,
  };
}

function isSample(x: NumericColumn | NumericSample): x is NumericSample {
  return typeof x === 'object' && x !== null && 'sorted' in x && (x as NumericSample).sorted instanceof Float64Array;
}

/** The population standard deviation of the reference (`np.std`, ddof 0). */
export function profileStd(profile: NumericProfile): number {
  return Math.sqrt(profile.m2 / profile.count);
}

/** Merges two profiles of the same feature on the same edges (Chan et al.'s pairwise update of mean and M2). */
export function mergeNumericProfiles(a: NumericProfile, b: NumericProfile): NumericProfile {
  sameFeature(a.feature, b.feature);
  if (a.edges.length !== b.edges.length || a.edges.some((e, i) => e !== b.edges[i])) {
    throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `Feature "${a.feature}": profiles on different bin edges cannot merge; build both with the same \`edges\`.`, {
      feature: a.feature,
    });
  }
  const n = a.count + b.count;
  const delta = b.mean - a.mean;
  return {
    kind: 'numeric-profile',
    feature: a.feature,
    edges: [...a.edges],
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    sums: a.sums.map((c, i) => c + b.sums[i]!),
    count: n,
    missing: a.missing + b.missing,
    nonFinite: a.nonFinite + b.nonFinite,
    mean: a.mean + (delta * b.count) / n,
    m2: a.m2 + b.m2 + (delta * delta * a.count * b.count) / n,
    min: Math.min(a.min, b.min),
    max: Math.max(a.max, b.max),
  };
}

function sameFeature(a: string, b: string): void {
  if (a !== b) throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `Sketches of features "${a}" and "${b}" cannot be combined.`, { feature: a, other: b });
}

/** An empty window on a profile's bins (the identity of `mergeNumericWindows`). */
export function emptyNumericWindow(profile: NumericProfile): NumericWindowSketch {
  return {
    kind: 'numeric-window',
    feature: profile.feature,
    counts: new Array<number>(profile.counts.length).fill(0),
    sums: new Array<number>(profile.counts.length).fill(0),
    count: 0,
    missing: 0,
    nonFinite: 0,
    shift: profile.mean,
    sumSquares: 0,
    min: null,
    max: null,
  };
}

/** Counts a window's values on the profile's bins (same missing-value convention as the profile). */
export function sketchNumericWindow(profile: NumericProfile, column: NumericColumn | NumericSample): NumericWindowSketch {
  let values: Float64Array;
  let rows: number;
  let missing: number;
  let nonFinite: number;
  if (isSample(column)) {
    sameFeature(profile.feature, column.feature);
    ({ sorted: values, rows, missing, nonFinite } = column);
  } else {
    ({ values, rows, missing, nonFinite } = finiteValues(profile.feature, column));
  }
  void rows;
  const shift = profile.mean;
  let sumSquares = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const x = values[i]!;
    const d = x - shift;
    sumSquares += d * d;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const n = values.length;
  return {
    kind: 'numeric-window',
    feature: profile.feature,
    ...countBins(profile.edges, values),
    count: n,
    missing,
    nonFinite,
    shift,
    sumSquares,
    min: n > 0 ? min : null,
    max: n > 0 ? max : null,
  };
}

/** Adds two windows of the same feature on the same bins and shift. */
export function mergeNumericWindows(a: NumericWindowSketch, b: NumericWindowSketch): NumericWindowSketch {
  sameFeature(a.feature, b.feature);
  if (a.counts.length !== b.counts.length || a.shift !== b.shift) {
    throw new DriftError(
      DriftErrorCode.SKETCH_MISMATCH,
      `Feature "${a.feature}": windows of different profiles cannot merge (${a.counts.length} vs ${b.counts.length} bins, shift ${a.shift} vs ${b.shift}).`,
      { feature: a.feature },
    );
  }
  const min = a.min === null ? b.min : b.min === null ? a.min : Math.min(a.min, b.min);
  const max = a.max === null ? b.max : b.max === null ? a.max : Math.max(a.max, b.max);
  return {
    kind: 'numeric-window',
    feature: a.feature,
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    sums: a.sums.map((c, i) => c + b.sums[i]!),
    count: a.count + b.count,
    missing: a.missing + b.missing,
    nonFinite: a.nonFinite + b.nonFinite,
    shift: a.shift,
    sumSquares: a.sumSquares + b.sumSquares,
    min,
    max,
  };
}

/** Mean and population standard deviation of a window (null when it has no finite value). */
export function windowMoments(window: NumericWindowSketch): { mean: number; std: number } | null {
  if (window.count === 0) return null;
  let total = 0;
  for (const s of window.sums) total += s;
  const mean = total / window.count;
  const d = mean - window.shift;
  return { mean, std: Math.sqrt(Math.max(0, window.sumSquares / window.count - d * d)) };
}

/** Throws SKETCH_MISMATCH unless the window was counted on this profile's bins. */
export function checkWindowOnProfile(profile: NumericProfile, window: NumericWindowSketch): void {
  sameFeature(profile.feature, window.feature);
  if (window.counts.length !== profile.counts.length || window.shift !== profile.mean) {
    throw new DriftError(
      DriftErrorCode.SKETCH_MISMATCH,
      `Feature "${profile.feature}": the window was not counted on this profile (${window.counts.length} bins vs ${profile.counts.length}, or another reference mean).`,
      { feature: profile.feature },
    );
  }
}
