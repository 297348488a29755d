/**
 * The distributions against SciPy over grids that reach every method SciPy picks (expected.json
 * "grids", written by tools/monitoring-reference/drift/compute_reference.py).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { chiSquareSf } from './chi-square';
import { kstwoSf, ksTwoSamplePValue, ldexp, roundHalfEven } from './kolmogorov';
import { ksStatistics } from './ks-test';
import { benjaminiHochberg } from './multiple-testing';

const grids = JSON.parse(readFileSync(resolve(__dirname, '../../../../tools/monitoring-reference/drift/expected.json'), 'utf8')).grids as {
  kstwoSf: [number, number, number][];
  ks2samp: [number, number, number, number, number, 'exact' | 'asymp'][];
  chi2Sf: [number, number, number][];
  benjaminiHochberg: [number[], number[]][];
  smirnov: [number, number, number][];
};

/** Largest relative error over the grid, ignoring values both sides flush to (sub)zero. */
function worst(pairs: [number, number][]): number {
  let max = 0;
  for (const [got, want] of pairs) {
    const err = Math.abs(got - want);
    if (err < 1e-300) continue;
    max = Math.max(max, err / Math.abs(want));
  }
  return max;
}

describe('kstwoSf (scipy.stats.kstwo.sf)', () => {
  it(`matches SciPy within 1e-9 relative on ${grids.kstwoSf.length} (n, d) points from n = 1 to 2,000,000`, () => {
    expect(worst(grids.kstwoSf.map(([n, d, p]) => [kstwoSf(n, d), p]))).toBeLessThan(1e-9);
  });

  it('is twice the one-sided Smirnov tail (scipy.special.smirnov) where that is the method', () => {
    // n > 140 and n d^2 >= 2.2 (or d >= 0.5): kstwo.sf = 2 smirnov(n, d).
    const used = grids.smirnov.filter(([n, x]) => x >= 0.5 || n * x * x >= 2.2);
    expect(used.length).toBeGreaterThan(6);
    expect(worst(used.map(([n, x, p]) => [kstwoSf(n, x) / 2, p]))).toBeLessThan(1e-9);
  });

  it('handles the ends and bad arguments', () => {
    expect([kstwoSf(10, 0), kstwoSf(10, 1), kstwoSf(10, 0.04), kstwoSf(0, 0.5), kstwoSf(2.5, 0.5), kstwoSf(10, NaN)]).toEqual([1, 0, 1, NaN, NaN, NaN]);
  });
});

describe('ksTwoSamplePValue (scipy.stats.ks_2samp, method auto)', () => {
  it(`matches SciPy's statistic and p-value on ${grids.ks2samp.length} sample pairs: exact (n1 = n2 and n1 != n2), asymptotic, and the exact-to-asymp fallback`, () => {
    const pairs: [number, number][] = [];
    for (const [n1, n2, delta, statistic, pValue, method] of grids.ks2samp) {
      const a = Float64Array.from({ length: n1 }, (_, i) => i / n1);
      const b = Float64Array.from({ length: n2 }, (_, i) => i / n2 + delta);
      const { plus, minus } = ksStatistics(a, b);
      const r = ksTwoSamplePValue(n1, n2, minus > plus ? minus : plus);
      expect(r.statistic).toBeCloseTo(statistic, 14);
      pairs.push([r.pValue, pValue]);
      expect(r.method).toBe(method);
    }
    expect(worst(pairs)).toBeLessThan(1e-9);
  });

  it("follows SciPy's explicit methods: 'asymp' always, 'exact' up to a 32-bit lattice", () => {
    expect(ksTwoSamplePValue(500, 400, 0.1, 'asymp').method).toBe('asymp');
    expect(ksTwoSamplePValue(20000, 30000, 0.02, 'exact').method).toBe('exact');
    expect(ksTwoSamplePValue(99991, 99989, 0.02, 'exact').method).toBe('asymp');
    expect(ksTwoSamplePValue(100, 100, 0, 'exact')).toEqual({ statistic: 0, pValue: 1, method: 'exact' });
  });
});

describe('chiSquareSf (scipy.stats.chi2.sf through @stdlib gammainc)', () => {
  it(`matches SciPy within 1e-12 relative on ${grids.chi2Sf.length} points, p-values down to 1e-300`, () => {
    expect(worst(grids.chi2Sf.map(([x, df, p]) => [chiSquareSf(x, df), p]))).toBeLessThan(1e-12);
  });

  it('is 1 at 0, 0 at infinity, NaN without degrees of freedom', () => {
    expect([chiSquareSf(0, 3), chiSquareSf(Infinity, 3), chiSquareSf(1, 0), chiSquareSf(NaN, 2)]).toEqual([1, 0, NaN, NaN]);
  });
});

describe('benjaminiHochberg (scipy.stats.false_discovery_control, bh)', () => {
  it.each(grids.benjaminiHochberg.map(([p, q]) => [p.join(', '), p, q] as const))('adjusts [%s] as SciPy does', (_label, p, q) => {
    const got = benjaminiHochberg(p);
    got.forEach((g, i) => expect(g).toBeCloseTo(q[i]!, 15));
  });
});

describe('numeric helpers', () => {
  it('rounds half to even like np.round and scales by powers of two without overflow', () => {
    expect([0.5, 1.5, 2.5, -0.5, 2.4999, 3.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, 2, 4]);
    expect(ldexp(1.5, -1070)).toBe(1.5 * 2 ** -1070);
    expect(ldexp(2 ** -600, 1200)).toBe(2 ** 600);
  });
});
