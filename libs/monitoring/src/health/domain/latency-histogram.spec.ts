import { seededRandom } from '@modelport/testing';
import { migrationLatencyBounds } from '../persistence/health.migrations';
import {
  bucketRange,
  LATENCY_BOUNDS_US,
  LATENCY_BUCKETS,
  LATENCY_RELATIVE_ERROR,
  latencyBucket,
  LatencyHistogram,
  MAX_LATENCY_US,
  storedLatencyUs,
} from './latency-histogram';

const random = seededRandom;

function normal(rand: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - rand())) * Math.cos(2 * Math.PI * rand());
}

/** The exact nearest-rank quantile, as PostgreSQL's percentile_disc. */
function exactQuantile(sorted: readonly number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

const DISTRIBUTIONS: Record<string, (rand: () => number) => number> = {
  'log-normal around 5 ms': (r) => Math.exp(Math.log(5000) + 0.6 * normal(r)),
  'uniform 0-200 ms': (r) => r() * 200_000,
  'fast errors and slow answers': (r) => (r() < 0.2 ? 20 + r() * 60 : 30_000 + r() * 90_000),
  'heavy tail (Pareto)': (r) => 800 / Math.pow(1 - r(), 1 / 1.2),
  'few distinct values': (r) => [120, 121, 5000, 5001, 5002, 900_000][Math.floor(r() * 6)]!,
  'microseconds only': (r) => r() * 70,
  'timeouts at the int4 cap': (r) => (r() < 0.05 ? 5e9 : r() * 1e6),
};

describe('latency histogram buckets', () => {
  it('are 1 µs wide below 50 µs, then at most 2% wide, and cover every int4 latency', () => {
    expect(LATENCY_BOUNDS_US.slice(0, 50)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(LATENCY_BUCKETS).toBe(916);
    for (let k = 1; k < LATENCY_BUCKETS; k++) {
      const { low, high } = bucketRange(k);
      expect(high).toBeGreaterThanOrEqual(low);
      expect(high).toBeLessThanOrEqual(low * (1 + LATENCY_RELATIVE_ERROR));
      if (k > 1) expect(low).toBe(bucketRange(k - 1).high + 1);
    }
    expect(bucketRange(0)).toEqual({ low: 0, high: 0 });
    expect(bucketRange(LATENCY_BUCKETS - 1).high).toBe(MAX_LATENCY_US);
  });

  it('are the bounds the migration writes into monitoring_latency_bucket', () => {
    expect(migrationLatencyBounds()).toEqual([...LATENCY_BOUNDS_US]);
  });

  it('put every latency in the bucket whose range holds it, like width_bucket', () => {
    const rand = random(7);
    const samples = [0, 1, 2, 49, 50, 51, 52, MAX_LATENCY_US, ...LATENCY_BOUNDS_US, ...LATENCY_BOUNDS_US.map((b) => b - 1)];
    for (let i = 0; i < 2000; i++) samples.push(Math.floor(Math.exp(rand() * Math.log(MAX_LATENCY_US))));
    for (const us of samples) {
      const k = latencyBucket(us);
      const { low, high } = bucketRange(k);
      expect([us, low <= us && us <= high]).toEqual([us, true]);
      expect(k).toBe(LATENCY_BOUNDS_US.filter((b) => b <= us).length);
    }
  });

  it('store latencies as the prediction log does: rounded, clamped to [0, int4 max]', () => {
    expect([storedLatencyUs(-5), storedLatencyUs(10.5), storedLatencyUs(1e12)]).toEqual([0, 11, MAX_LATENCY_US]);
  });
});

describe('LatencyHistogram quantiles', () => {
  it.each(Object.keys(DISTRIBUTIONS))('stay within 2%% of the exact nearest-rank quantile: %s', (name) => {
    const rand = random(name.length * 7919);
    for (const n of [1, 2, 3, 10, 99, 1000, 20_000]) {
      const values = Array.from({ length: n }, () => storedLatencyUs(DISTRIBUTIONS[name]!(rand)));
      const h = new LatencyHistogram();
      for (const v of values) h.record(v);
      const sorted = [...values].sort((a, b) => a - b);
      const max = sorted[sorted.length - 1]!;
      for (const q of [0.001, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1, rand()]) {
        if (q === 0) continue;
        const exact = exactQuantile(sorted, q);
        for (const estimate of [h.quantile(q), h.quantile(q, max)]) {
          const error = Math.abs(estimate! - exact);
          if (error > LATENCY_RELATIVE_ERROR * exact) throw new Error(`${name}, n=${n}, q=${q}: estimate ${estimate} vs exact ${exact}`);
        }
      }
    }
  });

  it('are exact below 50 µs and for the maximum when it is given', () => {
    const h = new LatencyHistogram();
    for (const v of [3, 3, 7, 12, 12, 12, 49]) h.record(v);
    expect([0.1, 0.3, 0.5, 0.9, 1].map((q) => h.quantile(q))).toEqual([3, 7, 12, 49, 49]);
    const slow = new LatencyHistogram();
    slow.record(1_000_003);
    expect(slow.quantile(1, 1_000_003)).toBe(1_000_003);
  });

  it('are null when empty, and refuse q outside (0, 1]', () => {
    expect(new LatencyHistogram().quantile(0.5)).toBeNull();
    expect(() => new LatencyHistogram().quantile(0)).toThrow(RangeError);
    expect(() => new LatencyHistogram().quantile(1.5)).toThrow(RangeError);
  });
});

describe('LatencyHistogram merge', () => {
  it('adds counts: the merge of parts is the histogram of all their values, in any order', () => {
    const rand = random(42);
    const parts = Array.from({ length: 5 }, () => Array.from({ length: 300 }, () => DISTRIBUTIONS['fast errors and slow answers']!(rand)));
    const whole = new LatencyHistogram();
    for (const v of parts.flat()) whole.record(v);
    const histograms = parts.map((values) => {
      const h = new LatencyHistogram();
      for (const v of values) h.record(v);
      return h;
    });
    const forward = histograms.reduce((acc, h) => acc.merge(h), new LatencyHistogram());
    const backward = [...histograms].reverse().reduce((acc, h) => acc.merge(h), new LatencyHistogram());
    expect(forward.buckets()).toEqual(whole.buckets());
    expect(backward.buckets()).toEqual(whole.buckets());
    expect(forward.total).toBe(1500);
    expect(forward.quantile(0.99)).toBe(whole.quantile(0.99));
  });

  it('round-trips through (bucket, count) pairs and writes a PostgreSQL array with bucket subscripts', () => {
    const h = new LatencyHistogram();
    h.record(12);
    h.record(12);
    h.record(15);
    expect(h.toSqlArray()).toBe(`[${latencyBucket(12)}:${latencyBucket(15)}]={2,0,0,1}`);
    expect(LatencyHistogram.fromBuckets(h.buckets()).buckets()).toEqual(h.buckets());
    expect(new LatencyHistogram().toSqlArray()).toBe('{}');
    expect(() => LatencyHistogram.fromBuckets([[LATENCY_BUCKETS, 1]])).toThrow(RangeError);
    expect(() => LatencyHistogram.fromBuckets([[3, -1]])).toThrow(RangeError);
  });
});
