/**
 * Benjamini-Hochberg adjusted p-values (`scipy.stats.false_discovery_control(ps, method='bh')`): sorted
 * ascending, p_(i) * m / i, then the running minimum from the largest down, capped at 1. A feature
 * drifts when its adjusted p-value is below its threshold, which keeps the expected share of false
 * alarms among flagged features at the threshold however many features are tested.
 */
export function benjaminiHochberg(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]! || a - b);
  const adjusted = order.map((idx, rank) => pValues[idx]! * (m / (rank + 1)));
  for (let i = m - 2; i >= 0; i--) if (adjusted[i + 1]! < adjusted[i]!) adjusted[i] = adjusted[i + 1]!;
  const out = new Array<number>(m);
  order.forEach((idx, rank) => (out[idx] = Math.min(1, Math.max(0, adjusted[rank]!))));
  return out;
}
