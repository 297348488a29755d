import { DriftError, DriftErrorCode } from './drift.errors';

/**
 * Population Stability Index and Jensen-Shannon distance between two count vectors over the same bins
 * (numeric: the reference quantile bins; categorical: top-K categories, other, unseen).
 */

/**
 * The replacement for empty bins in PSI, per side, as Evidently does: a bin with no value gets
 * 0.0001 of the mass, or a millionth of the smallest non-empty share when that share is itself at most
 * 0.0001. Proportions are not renormalised after the fill.
 */
export function psiFill(proportions: readonly number[]): number {
  let min = Infinity;
  for (const p of proportions) if (p !== 0 && p < min) min = p;
  return min <= 0.0001 ? min / 1e6 : 0.0001;
}

function proportions(counts: readonly number[], side: string): number[] {
  let total = 0;
  for (const c of counts) total += c;
  if (!(total > 0)) throw new DriftError(DriftErrorCode.EMPTY_COLUMN, `The ${side} has no value in any bin; PSI and Jensen-Shannon need at least one.`, { side });
  return counts.map((c) => c / total);
}

/**
 * PSI = Σ (r_i - c_i) ln(r_i / c_i) over the bins, r and c the reference and window shares with empty
 * bins filled (`psiFill`). 0 for identical distributions; Evidently's drift threshold is 0.1.
 */
export function populationStabilityIndex(reference: readonly number[], window: readonly number[]): number {
  const r = proportions(reference, 'reference');
  const c = proportions(window, 'window');
  const rFill = psiFill(r);
  const cFill = psiFill(c);
  let psi = 0;
  for (let i = 0; i < r.length; i++) {
    const ri = r[i] === 0 ? rFill : r[i]!;
    const ci = c[i] === 0 ? cFill : c[i]!;
    psi += (ri - ci) * Math.log(ri / ci);
  }
  return psi;
}

/**
 * `scipy.spatial.distance.jensenshannon(reference, window, base=2)`: counts normalised to shares,
 * m = (p + q) / 2, distance = sqrt((KL(p||m) + KL(q||m)) / 2) with base-2 logarithms, so it lies in
 * [0, 1]. Empty bins need no fill (0 ln 0 = 0). Base 2 as in Evidently, whose threshold is 0.1.
 */
export function jensenShannonDistance(reference: readonly number[], window: readonly number[]): number {
  const p = proportions(reference, 'reference');
  const q = proportions(window, 'window');
  let left = 0;
  let right = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i]! + q[i]!) / 2;
    if (p[i]! > 0) left += p[i]! * Math.log(p[i]! / m);
    if (q[i]! > 0) right += q[i]! * Math.log(q[i]! / m);
  }
  const js = (left + right) / Math.LN2;
  return Math.sqrt(Math.max(0, js / 2));
}
