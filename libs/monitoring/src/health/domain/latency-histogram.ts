/**
 * A mergeable latency histogram with fixed, log-spaced buckets over whole microseconds.
 *
 * Buckets: bucket 0 holds 0 µs; bucket k >= 1 holds [T[k-1], T[k]) where T[0] = 1 and
 * T[k] = floor(T[k-1] * 1.02) + 1, so every bucket's largest value is at most 2% above its smallest
 * (below 50 µs the buckets are 1 µs wide, i.e. exact). The last bucket ends at the largest int4
 * (the prediction log clamps latency_us there). That makes 916 buckets for 1 µs .. 35.8 minutes;
 * a histogram stores only the range between its lowest and highest non-empty bucket (a deployment's
 * latencies usually span a few dozen to two hundred buckets).
 *
 * Merge = add counts bucket by bucket: exact and associative, so minute rows add up to hours and
 * days, and replicas add into the same minute.
 *
 * Quantiles use the nearest-rank definition (the value of rank ceil(q * n), as PostgreSQL's
 * percentile_disc): the bucket holding that rank is known exactly from the counts, and the
 * estimate is interpolated inside it by rank (up to the observed maximum when that is known, which
 * also makes the top rank exact). Both the estimate
 * and the exact value lie in the same bucket, so
 *
 *     |estimate - exact| <= 0.02 * exact          (LATENCY_RELATIVE_ERROR)
 *
 * deterministically, for any data; exact below 50 µs.
 *
 * The bucket bounds are also written into the `monitoring_latency_bucket` SQL function of the
 * health migration (used to rebuild rollups from raw rows); a unit test keeps the two equal.
 * Changing them needs a new migration that converts the stored histograms.
 */

/** Growth of bucket bounds, as a ratio of whole numbers (102/100), to stay exact in floating point. */
const GROWTH_NUMERATOR = 102;
const GROWTH_DENOMINATOR = 100;

/** Largest latency the prediction log stores (latency_us is an int4, clamped). */
export const MAX_LATENCY_US = 2_147_483_647;

/** Largest relative error of a quantile estimate against the exact nearest-rank quantile. */
export const LATENCY_RELATIVE_ERROR = (GROWTH_NUMERATOR - GROWTH_DENOMINATOR) / GROWTH_DENOMINATOR;

/** T[0..n-1]: the lower bound (µs) of buckets 1..n. Bucket 0 holds 0 µs. */
export function latencyBucketBounds(): number[] {
  const bounds = [1];
  for (;;) {
    const last = bounds[bounds.length - 1]!;
    const next = Math.floor((last * GROWTH_NUMERATOR) / GROWTH_DENOMINATOR) + 1;
    if (next > MAX_LATENCY_US) return bounds;
    bounds.push(next);
  }
}

export const LATENCY_BOUNDS_US: readonly number[] = latencyBucketBounds();

/** Number of buckets (0 .. LATENCY_BUCKETS - 1). */
export const LATENCY_BUCKETS = LATENCY_BOUNDS_US.length + 1;

/** A latency in microseconds as the prediction log stores it: a whole number in [0, int4 max]. */
export function storedLatencyUs(latencyUs: number): number {
  return Math.min(Math.max(Math.round(latencyUs), 0), MAX_LATENCY_US);
}

/** The bucket of a stored latency: how many bounds are <= it (PostgreSQL's width_bucket with an array). */
export function latencyBucket(us: number): number {
  let lo = 0;
  let hi = LATENCY_BOUNDS_US.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (LATENCY_BOUNDS_US[mid]! <= us) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Smallest and largest latency (µs, inclusive) bucket `k` holds. */
export function bucketRange(k: number): { readonly low: number; readonly high: number } {
  if (k <= 0) return { low: 0, high: 0 };
  const low = LATENCY_BOUNDS_US[k - 1]!;
  const high = k < LATENCY_BOUNDS_US.length ? LATENCY_BOUNDS_US[k]! - 1 : MAX_LATENCY_US;
  return { low, high };
}

/** Sparse counts per bucket. Counts are whole numbers; buckets outside [0, LATENCY_BUCKETS) are refused. */
export class LatencyHistogram {
  private readonly counts = new Map<number, number>();
  private n = 0;

  /** Builds one from (bucket, count) pairs, e.g. read back from the database. */
  static fromBuckets(entries: Iterable<readonly [number, number]>): LatencyHistogram {
    const h = new LatencyHistogram();
    for (const [bucket, count] of entries) h.addToBucket(bucket, count);
    return h;
  }

  /** Counts `count` requests of this latency (µs; clamped and rounded as the log stores it). */
  record(latencyUs: number, count = 1): void {
    this.addToBucket(latencyBucket(storedLatencyUs(latencyUs)), count);
  }

  addToBucket(bucket: number, count: number): void {
    if (!Number.isInteger(bucket) || bucket < 0 || bucket >= LATENCY_BUCKETS) throw new RangeError(`latency bucket ${bucket} is outside 0..${LATENCY_BUCKETS - 1}`);
    if (count === 0) return;
    if (!Number.isSafeInteger(count) || count < 0) throw new RangeError(`a latency bucket count must be a whole number >= 0 (got ${count})`);
    this.counts.set(bucket, (this.counts.get(bucket) ?? 0) + count);
    this.n += count;
  }

  /** Adds every count of `other` into this one. */
  merge(other: LatencyHistogram): this {
    for (const [bucket, count] of other.counts) this.addToBucket(bucket, count);
    return this;
  }

  get total(): number {
    return this.n;
  }

  /** Non-empty buckets in ascending order. */
  buckets(): [number, number][] {
    return [...this.counts.entries()].sort((a, b) => a[0] - b[0]);
  }

  /**
   * The nearest-rank q-quantile (0 < q <= 1) in microseconds, within LATENCY_RELATIVE_ERROR of the
   * exact one; null when empty. `maxUs`, the exact largest latency when known, caps the estimate.
   */
  quantile(q: number, maxUs?: number | null): number | null {
    if (!(q > 0 && q <= 1)) throw new RangeError(`a quantile must be in (0, 1] (got ${q})`);
    if (this.n === 0) return null;
    // As percentile_disc computes it (float8), so that the two pick the same rank.
    const rank = Math.max(1, Math.ceil(q * this.n));
    const known = maxUs !== null && maxUs !== undefined;
    // The largest value is known exactly.
    if (known && rank === this.n) return maxUs;
    let below = 0;
    for (const [bucket, count] of this.buckets()) {
      if (below + count >= rank) {
        const { low, high } = bucketRange(bucket);
        // Values here are also <= the maximum: interpolate over [low, min(high, max)].
        const top = known ? Math.max(low, Math.min(high, maxUs)) : high;
        return low + ((top - low) * (rank - below - 0.5)) / count;
      }
      below += count;
    }
    return null;
  }

  /**
   * The histogram as a PostgreSQL int4[] literal whose subscripts are bucket numbers, covering
   * the lowest to the highest non-empty bucket: `[12:15]={3,0,0,1}`; `{}` when empty.
   */
  toSqlArray(): string {
    if (this.counts.size === 0) return '{}';
    const sorted = this.buckets();
    const low = sorted[0]![0];
    const high = sorted[sorted.length - 1]![0];
    const dense = new Array<number>(high - low + 1).fill(0);
    for (const [bucket, count] of sorted) dense[bucket - low] = count;
    return `[${low}:${high}]={${dense.join(',')}}`;
  }
}
