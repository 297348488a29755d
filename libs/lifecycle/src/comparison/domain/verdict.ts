import type { PredictionTask } from '@modelport/monitoring';
import { invalidComparisonArgument } from './comparison.errors';
import type { PairFigures } from './pair-figures';

export type Verdict = 'CHALLENGER_BETTER' | 'NO_WORSE' | 'CHALLENGER_WORSE' | 'INSUFFICIENT_DATA';

/** When a challenger counts as worse or better than the champion. */
export interface VerdictThresholds {
  /** Fewer compared pairs than this: INSUFFICIENT_DATA. */
  readonly minPairs: number;
  /** Labelled rows (pairs whose live prediction has actuals) needed before accuracy can make a challenger better or worse. */
  readonly minActuals: number;
  /** Worse when the challenger's error rate exceeds the champion's by more than this (0.01 = 1 point). */
  readonly maxErrorRateIncrease: number;
  /** Worse when the challenger's p99 latency exceeds this multiple of the champion's. */
  readonly maxLatencyRatio: number;
  /** Classification: accuracy differences within ± this (absolute, 0.01 = 1 point) count as equal. */
  readonly accuracyTolerance: number;
  /** Regression: RMSE differences within ± this fraction of the champion's RMSE count as equal. */
  readonly rmseTolerance: number;
}

/** Overrides of some thresholds; null or absent keeps the default. */
export type ThresholdOverrides = { readonly [K in keyof VerdictThresholds]?: number | null };

export const DEFAULT_VERDICT_THRESHOLDS: VerdictThresholds = {
  minPairs: 100,
  minActuals: 50,
  maxErrorRateIncrease: 0.01,
  maxLatencyRatio: 2,
  accuracyTolerance: 0.01,
  rmseTolerance: 0.05,
};

/** Requests, errors and latency of one side over the window. */
export interface ServiceFigures {
  readonly requests: number;
  readonly errors: number;
  /** errors / requests; null without requests. */
  readonly errorRate: number | null;
  /** Latency of the successful requests, in milliseconds; null without any. */
  readonly latencyP50Ms: number | null;
  readonly latencyP99Ms: number | null;
}

export interface VerdictInput {
  readonly task: PredictionTask | null;
  readonly figures: PairFigures;
  readonly champion: ServiceFigures;
  readonly challenger: ServiceFigures;
  /** Set when the comparison stopped at its maximum of pairs (or rows) before the window's end. */
  readonly cappedAt: { readonly pairs: number; readonly maxPairs: number; readonly maxRows: number } | null;
}

export interface VerdictResult {
  readonly verdict: Verdict;
  /** Each names the figure and the threshold it was held against. */
  readonly evidence: string[];
}

const LIMITS: Record<keyof VerdictThresholds, { min: number; max: number; integer: boolean }> = {
  minPairs: { min: 1, max: 1_000_000, integer: true },
  minActuals: { min: 1, max: 1_000_000, integer: true },
  maxErrorRateIncrease: { min: 0, max: 1, integer: false },
  maxLatencyRatio: { min: 1, max: 1000, integer: false },
  accuracyTolerance: { min: 0, max: 1, integer: false },
  rmseTolerance: { min: 0, max: 10, integer: false },
};

/** The defaults with the given overrides, each checked; INVALID_ARGUMENT names the field and its range. */
export function resolveThresholds(overrides: ThresholdOverrides | null | undefined, defaults: VerdictThresholds = DEFAULT_VERDICT_THRESHOLDS): VerdictThresholds {
  const out: Record<string, number> = { ...defaults };
  for (const [key, value] of Object.entries(overrides ?? {})) {
    if (value === undefined || value === null) continue;
    const limit = LIMITS[key as keyof VerdictThresholds];
    if (!limit) throw invalidComparisonArgument(`thresholds.${key}`, `Unknown threshold "${key}"; known: ${Object.keys(LIMITS).join(', ')}.`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value < limit.min || value > limit.max || (limit.integer && !Number.isInteger(value))) {
      throw invalidComparisonArgument(
        `thresholds.${key}`,
        `thresholds.${key} must be ${limit.integer ? 'a whole number' : 'a number'} from ${limit.min} to ${limit.max} (got ${String(value)}).`,
      );
    }
    out[key] = value;
  }
  return out as unknown as VerdictThresholds;
}

const percent = (x: number) => `${(x * 100).toFixed(2)}%`;
const points = (x: number) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(2)} points`;
const ms = (x: number) => `${x.toFixed(3)} ms`;
const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toPrecision(4));
const signed = (x: number) => `${x >= 0 ? '+' : ''}${num(x)}`;
/** A threshold as short as it was written (0.01, 2, 1.1). */
const short = (x: number) => String(Number(x.toPrecision(6)));

/**
 * The verdict on a challenger, with its evidence:
 *
 * 1. INSUFFICIENT_DATA with fewer than `minPairs` compared pairs.
 * 2. CHALLENGER_WORSE when its error rate exceeds the champion's by more than
 *    `maxErrorRateIncrease`, or its p99 latency exceeds `maxLatencyRatio` × the champion's, or the
 *    primary accuracy metric (accuracy; RMSE for a regression) is worse beyond the tolerance on at
 *    least `minActuals` labelled rows.
 * 3. CHALLENGER_BETTER when that metric is better beyond the tolerance on at least `minActuals`
 *    labelled rows and nothing is worse.
 * 4. NO_WORSE otherwise. Without enough actuals (or without monitoring settings) the verdict is at
 *    most NO_WORSE: agreement with the champion cannot show that a challenger is better.
 */
export function decideVerdict(input: VerdictInput, t: VerdictThresholds): VerdictResult {
  const { figures, champion, challenger } = input;
  const evidence: string[] = [];
  const worse: string[] = [];
  let better = false;

  const enough = figures.comparedPairs >= t.minPairs;
  evidence.push(
    enough
      ? `pairs: ${figures.comparedPairs} compared (at least ${t.minPairs} needed for a verdict).`
      : `pairs: ${figures.comparedPairs} compared, fewer than the ${t.minPairs} needed for a verdict${figures.pairs > figures.comparedPairs ? ` (${figures.pairs - figures.comparedPairs} more could not be compared)` : ''}.`,
  );
  if (input.cappedAt) {
    evidence.push(
      `capped: only the first ${input.cappedAt.pairs} pairs of the window were read (at most ${input.cappedAt.maxPairs} pairs and ${input.cappedAt.maxRows} rows per comparison); ask for a shorter window to see the rest.`,
    );
  }

  if (champion.errorRate !== null && challenger.errorRate !== null) {
    const increase = challenger.errorRate - champion.errorRate;
    const line = `error rate: challenger ${percent(challenger.errorRate)} of ${challenger.requests} requests vs champion ${percent(champion.errorRate)} of ${champion.requests} (${points(increase)}; worse above ${points(t.maxErrorRateIncrease)}).`;
    evidence.push(line);
    if (increase > t.maxErrorRateIncrease + 1e-12) worse.push(line);
  }
  if (champion.latencyP99Ms !== null && challenger.latencyP99Ms !== null) {
    const ratio = champion.latencyP99Ms === 0 ? (challenger.latencyP99Ms === 0 ? 1 : Infinity) : challenger.latencyP99Ms / champion.latencyP99Ms;
    const line = `latency p99: challenger ${ms(challenger.latencyP99Ms)} vs champion ${ms(champion.latencyP99Ms)} (×${Number.isFinite(ratio) ? ratio.toFixed(2) : '∞'}; worse above ×${short(t.maxLatencyRatio)}).`;
    evidence.push(line);
    if (ratio > t.maxLatencyRatio) worse.push(line);
  }

  if (!input.task) {
    evidence.push(
      'no monitoring settings: every output tensor both versions have was compared element by element, and accuracy cannot be judged; set the deployment monitoring settings to compare labels or values and accuracy.',
    );
  } else if (figures.classification?.agreementRate != null) {
    evidence.push(`agreement: ${percent(figures.classification.agreementRate)} of ${figures.classification.rows} rows get the same label from both versions.`);
  } else if (figures.regression?.meanDifference != null) {
    const r = figures.regression;
    evidence.push(`difference (challenger - champion) over ${r.rows} rows: mean ${signed(r.meanDifference!)}, p99 of |difference| ${num(r.p99AbsDifference!)}.`);
  }

  const labelled = figures.accuracy?.labelledRows ?? 0;
  const primary = primaryMetric(input);
  if (input.task && (labelled < t.minActuals || !primary)) {
    evidence.push(`actuals: ${labelled} labelled rows (at least ${t.minActuals} needed to judge accuracy): agreement alone cannot show a challenger is better.`);
  } else if (primary) {
    const { name, champion: c, challenger: h } = primary;
    if (name === 'accuracy') {
      const d = h - c;
      const line = `accuracy on ${labelled} labelled rows: challenger ${num(h)} vs champion ${num(c)} (${signed(d)}; better or worse beyond ±${short(t.accuracyTolerance)}, with at least ${t.minActuals} labelled rows).`;
      evidence.push(line);
      if (d < -t.accuracyTolerance - 1e-12) worse.push(line);
      else if (d > t.accuracyTolerance + 1e-12) better = true;
    } else {
      const relative = c === 0 ? (h === 0 ? 0 : Infinity) : (h - c) / c;
      const line = `RMSE on ${labelled} labelled rows: challenger ${num(h)} vs champion ${num(c)} (${Number.isFinite(relative) ? `${relative >= 0 ? '+' : ''}${(relative * 100).toFixed(2)}%` : 'from 0'}; better or worse beyond ±${(t.rmseTolerance * 100).toFixed(2)}% of the champion's, with at least ${t.minActuals} labelled rows).`;
      evidence.push(line);
      if (relative > t.rmseTolerance + 1e-12) worse.push(line);
      else if (relative < -t.rmseTolerance - 1e-12) better = true;
    }
  }

  let verdict: Verdict;
  if (!enough) verdict = 'INSUFFICIENT_DATA';
  else if (worse.length > 0) verdict = 'CHALLENGER_WORSE';
  else if (better) verdict = 'CHALLENGER_BETTER';
  else verdict = 'NO_WORSE';
  return { verdict, evidence };
}

function primaryMetric(input: VerdictInput): { name: 'accuracy' | 'rmse'; champion: number; challenger: number } | null {
  const a = input.figures.accuracy;
  if (!a) return null;
  if (input.task === 'classification' && a.classification) {
    const { champion, challenger } = a.classification;
    return champion.accuracy === null || challenger.accuracy === null ? null : { name: 'accuracy', champion: champion.accuracy, challenger: challenger.accuracy };
  }
  if (input.task === 'regression' && a.regression) {
    const { champion, challenger } = a.regression;
    return champion.rmse === null || challenger.rmse === null ? null : { name: 'rmse', champion: champion.rmse, challenger: challenger.rmse };
  }
  return null;
}
