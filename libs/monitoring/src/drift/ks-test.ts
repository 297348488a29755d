import { ksTwoSamplePValue, type KsPValueMethod } from './kolmogorov';
import { checkWindowOnProfile, type NumericProfile, type NumericWindowSketch } from './numeric-profile';
import { emptyColumn, requireValues, type NumericSample } from './numeric-sample';

export interface KsTestResult {
  /** D = sup |F_ref - F_win|; on the exact path rounded to the lattice h / lcm(n1, n2), as SciPy reports it. */
  readonly statistic: number;
  readonly pValue: number;
  /** How the p-value was computed (SciPy's ks_2samp `method`). */
  readonly method: KsPValueMethod;
}

/** sup (F_u - F_v) and sup (F_v - F_u) over the merged values, for ascending non-empty samples. */
export function ksStatistics(u: Float64Array, v: Float64Array): { plus: number; minus: number } {
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let max = 0;
  let min = 0;
  while (i < nu && j < nv) {
    const ui = u[i]!;
    const vj = v[j]!;
    const x = ui <= vj ? ui : vj;
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
    const d = i / nu - j / nv;
    if (d > max) max = d;
    else if (d < min) min = d;
  }
  // Once one sample is used up its ECDF is 1 and the other's only rises: the gap only shrinks.
  return { plus: max, minus: Math.min(-min, 1) };
}

function decide(plus: number, minus: number): number {
  return minus > plus ? minus : plus;
}

/**
 * The two-sample Kolmogorov-Smirnov test on raw values (`scipy.stats.ks_2samp(ref, win)`, two-sided,
 * method 'auto' by default: exact up to 10,000 values per side, else asymptotic). Throws EMPTY_COLUMN
 * when a side has no finite value.
 */
export function ksTest(reference: NumericSample, window: NumericSample, method: 'auto' | KsPValueMethod = 'auto'): KsTestResult {
  requireValues(reference, 'reference');
  requireValues(window, 'window');
  const { plus, minus } = ksStatistics(reference.sorted, window.sorted);
  return ksTwoSamplePValue(reference.sorted.length, window.sorted.length, decide(plus, minus), method);
}

/**
 * KS on bins: D is the largest gap between the two ECDFs at the interior edges (exact there, so never
 * above the raw D), with the p-value of `ks_2samp` for those counts. Equal to `ks_2samp` of the values'
 * bin indices, which is how the reference script computes it.
 */
export function binnedKsTest(profile: NumericProfile, window: NumericWindowSketch, method: 'auto' | KsPValueMethod = 'auto'): KsTestResult {
  checkWindowOnProfile(profile, window);
  if (window.count === 0) throw emptyColumn(profile.feature, 'window', window.missing, window.missing);
  const n1 = profile.count;
  const n2 = window.count;
  let c1 = 0;
  let c2 = 0;
  let max = 0;
  let min = 0;
  for (let b = 0; b < profile.counts.length; b++) {
    c1 += profile.counts[b]!;
    c2 += window.counts[b]!;
    const d = c1 / n1 - c2 / n2;
    if (d > max) max = d;
    if (d < min) min = d;
  }
  return ksTwoSamplePValue(n1, n2, decide(max, Math.min(-min, 1)), method);
}
