import gammainc from '@stdlib/math-base-special-gammainc';
import { categoricalBuckets, type CategoricalProfile, type CategoricalWindowSketch } from './categorical-profile';
import { DriftError, DriftErrorCode } from './drift.errors';

/**
 * P(X >= x) for X ~ chi-square with `df` degrees of freedom (`scipy.stats.chi2.sf`): the regularized
 * upper incomplete gamma Q(df/2, x/2) from @stdlib (within 1e-13 of SciPy, see decision 0013).
 */
export function chiSquareSf(x: number, df: number): number {
  if (Number.isNaN(x) || !(df > 0)) return NaN;
  if (x <= 0) return 1;
  if (x === Infinity) return 0;
  return gammainc(x / 2, df / 2, true, true);
}

export interface ChiSquareResult {
  readonly statistic: number;
  readonly pValue: number;
  /** Degrees of freedom: buckets compared - 1. */
  readonly dof: number;
}

/**
 * Pearson's goodness-of-fit test (`scipy.stats.chisquare(observed, expected)`): statistic
 * Σ (o - e)^2 / e, p-value `chi2.sf(statistic, k - 1)`. A bucket with e = 0 and o > 0 makes the
 * statistic infinite and the p-value 0 (a value the reference never had), as in SciPy.
 */
export function chiSquareGoodnessOfFit(observed: readonly number[], expected: readonly number[]): ChiSquareResult {
  let statistic = 0;
  for (let i = 0; i < observed.length; i++) {
    const d = observed[i]! - expected[i]!;
    statistic += expected[i] === 0 ? (d === 0 ? NaN : Infinity) : (d * d) / expected[i]!;
  }
  const dof = observed.length - 1;
  return { statistic, pValue: chiSquareSf(statistic, dof), dof };
}

/**
 * Evidently's chi-square drift test on a categorical window: observed = window counts per bucket (top-K
 * categories, other, unseen), expected = reference counts x (window count / reference count), buckets
 * empty on both sides dropped. With a single bucket left there is nothing to compare: statistic 0,
 * p-value 1 (SciPy would return NaN with 0 degrees of freedom).
 */
export function categoricalChiSquare(profile: CategoricalProfile, window: CategoricalWindowSketch): ChiSquareResult {
  const { reference, window: current } = categoricalBuckets(profile, window);
  requireWindow(profile.feature, window);
  const scale = window.count / profile.count;
  const observed: number[] = [];
  const expected: number[] = [];
  for (let i = 0; i < reference.length; i++) {
    if (reference[i] === 0 && current[i] === 0) continue;
    observed.push(current[i]!);
    expected.push(reference[i]! * scale);
  }
  if (observed.length < 2) return { statistic: 0, pValue: 1, dof: 0 };
  return chiSquareGoodnessOfFit(observed, expected);
}

export interface ZTestResult {
  readonly statistic: number;
  readonly pValue: number;
}

/**
 * Evidently's two-proportion z-test for a category with at most two values seen: z = (p1 - p2) /
 * sqrt(P (1 - P) (1/n1 + 1/n2)) on the share of the first non-empty bucket, p-value 2 (1 - Φ(|z|)),
 * computed as the chi-square(1) tail of z^2 (the same number without the cancellation of 1 - Φ).
 * One value on both sides: z = 0, p-value 1.
 */
export function categoricalZTest(profile: CategoricalProfile, window: CategoricalWindowSketch): ZTestResult {
  const { reference, window: current } = categoricalBuckets(profile, window);
  requireWindow(profile.feature, window);
  const first = reference.findIndex((r, i) => r > 0 || current[i]! > 0);
  const n1 = profile.count;
  const n2 = window.count;
  const p1 = reference[first]! / n1;
  const p2 = current[first]! / n2;
  const pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
  if (pooled === 0 || pooled === 1) return { statistic: 0, pValue: 1 };
  const z = (p1 - p2) / Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  return { statistic: z, pValue: chiSquareSf(z * z, 1) };
}

function requireWindow(feature: string, window: CategoricalWindowSketch): void {
  if (window.count === 0) {
    throw new DriftError(DriftErrorCode.EMPTY_COLUMN, `Feature "${feature}" has no value in the window (${window.missing} missing rows); drift needs at least one.`, {
      feature,
      side: 'window',
      rows: window.missing,
      missing: window.missing,
    });
  }
}
