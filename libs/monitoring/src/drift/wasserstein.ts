import { checkWindowOnProfile, profileStd, type NumericProfile, type NumericWindowSketch } from './numeric-profile';
import { emptyColumn, requireValues, type NumericSample } from './numeric-sample';

/**
 * Below this reference standard deviation the normalised Wasserstein distance divides by 0.001
 * instead (Evidently's floor): a constant reference column never divides by zero, and any window
 * that moves off the constant by 0.0001 or more reads as drift at the default threshold 0.1.
 */
export const WASSERSTEIN_MIN_NORMALIZER = 0.001;

/** The divisor of the normalised distance: max(reference population std, 0.001). */
export function wassersteinNormalizer(profile: NumericProfile): number {
  return Math.max(profileStd(profile), WASSERSTEIN_MIN_NORMALIZER);
}

/**
 * The first Wasserstein distance between two samples (`scipy.stats.wasserstein_distance(ref, win)`):
 * ∫ |F_ref(x) - F_win(x)| dx over the merged sorted values. Throws EMPTY_COLUMN when a side has no
 * finite value.
 */
export function wassersteinDistance(reference: NumericSample, window: NumericSample): number {
  requireValues(reference, 'reference');
  requireValues(window, 'window');
  return sortedWasserstein(reference.sorted, window.sorted);
}

function sortedWasserstein(u: Float64Array, v: Float64Array): number {
  const nu = u.length;
  const nv = v.length;
  let i = 0;
  let j = 0;
  let total = 0;
  let prev = Math.min(u[0]!, v[0]!);
  while (i < nu || j < nv) {
    const x = j >= nv || (i < nu && u[i]! <= v[j]!) ? u[i]! : v[j]!;
    // Each ECDF is constant on [prev, x): add its gap times the width.
    total += Math.abs(i / nu - j / nv) * (x - prev);
    while (i < nu && u[i] === x) i++;
    while (j < nv && v[j] === x) j++;
    prev = x;
  }
  return total;
}

/**
 * The Wasserstein distance approximated from bins, for windows that are only counts: each side's mass
 * per bin is placed at that bin's mean (sum / count), and the distance is the exact W1 between those two
 * weighted point sets (`scipy.stats.wasserstein_distance(ref_means, win_means, ref_counts, win_counts)`).
 * Sampling noise in the bin means makes it read a little high without drift (on the committed cases
 * of a few thousand rows by 0.003 to 0.016 reference std, where the exact value is 0.02 to 0.05), and it
 * is within 5% of the exact distance from the 0.1 threshold up (mean shifts: within 1%). The tests
 * bound both on the committed cases; tools/monitoring-reference/drift/README.md lists them.
 */
export function binnedWassersteinDistance(profile: NumericProfile, window: NumericWindowSketch): number {
  checkWindowOnProfile(profile, window);
  if (window.count === 0) throw emptyColumn(profile.feature, 'window', window.missing, window.missing);
  return weightedWasserstein(binMeans(profile.counts, profile.sums), binMeans(window.counts, window.sums));
}

interface Atoms {
  readonly at: number[];
  readonly weight: number[];
  readonly total: number;
}

/** The non-empty bins as (mean, count) atoms, ascending (bins are ordered and each mean lies in its bin). */
function binMeans(counts: readonly number[], sums: readonly number[]): Atoms {
  const at: number[] = [];
  const weight: number[] = [];
  let total = 0;
  for (let b = 0; b < counts.length; b++) {
    if (counts[b]! > 0) {
      at.push(sums[b]! / counts[b]!);
      weight.push(counts[b]!);
      total += counts[b]!;
    }
  }
  return { at, weight, total };
}

/** W1 between two weighted point sets whose points are ascending: ∫ |U(x) - V(x)| dx. */
function weightedWasserstein(u: Atoms, v: Atoms): number {
  let i = 0;
  let j = 0;
  let cu = 0;
  let cv = 0;
  let total = 0;
  let prev = Math.min(u.at[0]!, v.at[0]!);
  while (i < u.at.length || j < v.at.length) {
    const x = j >= v.at.length || (i < u.at.length && u.at[i]! <= v.at[j]!) ? u.at[i]! : v.at[j]!;
    total += Math.abs(cu / u.total - cv / v.total) * (x - prev);
    while (i < u.at.length && u.at[i] === x) cu += u.weight[i++]!;
    while (j < v.at.length && v.at[j] === x) cv += v.weight[j++]!;
    prev = x;
  }
  return total;
}
