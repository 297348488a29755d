/**
 * Accuracy metrics as pure functions (no framework, no I/O). Reference values: a NumPy script in
 * tools/monitoring-reference/accuracy computes every metric independently on committed data;
 * metrics.spec.ts compares. Conventions (also in README.md beside this file):
 *
 * - A value whose denominator is zero is `null`, never 0 and never NaN; so is every metric of an
 *   empty input.
 * - Binary classification (a positive class is given): precision, recall and F1 of the positive
 *   class; every other label counts as negative. Accuracy compares the labels themselves.
 * - Multiclass: macro averages over the labels (the configured classes, else the sorted union of
 *   actual and predicted labels). A label whose value is undefined in the window (precision: never
 *   predicted; recall: never actual; F1: neither) is left out of the mean; the mean is null when
 *   every label is left out. Per-label F1 is 2TP / (2TP + FP + FN). (scikit-learn's
 *   `zero_division=0` would count such labels as 0 instead.)
 * - ROC AUC: binary from the positive-class probability, null unless both classes occur among the
 *   actuals; multiclass one-vs-rest, macro over the labels that both occur and do not occur among
 *   the actuals, null without a probability per class. Ties in scores count half (average ranks).
 * - Log loss: natural log, probabilities clipped to [LOG_LOSS_EPS, 1 - LOG_LOSS_EPS] and not
 *   renormalised; the mean of -log p(actual label).
 * - Regression: RMSE, MAE, MAPE as a fraction (mean |error| / |actual| over the rows whose actual
 *   is not 0, null when all are 0), R² = 1 - SS_res / SS_tot (null with fewer than 2 rows or
 *   constant actuals).
 * - Quantiles: linear interpolation between order statistics (NumPy's default).
 */

/** Probabilities are clipped to [eps, 1 - eps] before the logarithm. */
export const LOG_LOSS_EPS = 1e-15;

export const CLASSIFICATION_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss'] as const;
export const REGRESSION_METRICS = ['rmse', 'mae', 'mape', 'r2'] as const;
/** Every metric name, as the alert rules of the monitoring context name them. */
export type AccuracyMetricName = (typeof CLASSIFICATION_METRICS)[number] | (typeof REGRESSION_METRICS)[number];

export interface ClassificationMetrics {
  readonly accuracy: number | null;
  readonly precision: number | null;
  readonly recall: number | null;
  readonly f1: number | null;
  readonly rocAuc: number | null;
  readonly logLoss: number | null;
  /** `binary` (of the positive class) or `macro` (mean over labels). */
  readonly averaging: 'binary' | 'macro';
}

export interface RegressionMetrics {
  readonly rmse: number | null;
  readonly mae: number | null;
  readonly mape: number | null;
  readonly r2: number | null;
}

export interface ClassificationInput {
  readonly actual: readonly string[];
  readonly predicted: readonly string[];
  /** Binary when set: the label that counts as positive. */
  readonly positiveClass?: string | null;
  /** The label set of macro averages, and the column order of `probabilities`. */
  readonly classes?: readonly string[] | null;
  /** Binary: P(positive class) per row. */
  readonly positiveProbability?: readonly number[] | null;
  /** Multiclass: one row per prediction, one column per entry of `classes`. */
  readonly probabilities?: readonly (readonly number[])[] | null;
}

const ratio = (numerator: number, denominator: number): number | null => (denominator === 0 ? null : numerator / denominator);

function meanDefined(values: readonly (number | null)[]): number | null {
  let sum = 0;
  let n = 0;
  for (const v of values) {
    if (v === null) continue;
    sum += v;
    n++;
  }
  return n === 0 ? null : sum / n;
}

const clip = (p: number) => Math.min(Math.max(p, LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);

interface LabelCounts {
  tp: number;
  fp: number;
  fn: number;
}

function countsFor(actual: readonly string[], predicted: readonly string[], label: string): LabelCounts {
  const c = { tp: 0, fp: 0, fn: 0 };
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i] === label;
    const p = predicted[i] === label;
    if (a && p) c.tp++;
    else if (p) c.fp++;
    else if (a) c.fn++;
  }
  return c;
}

/**
 * Area under the ROC curve as the Mann-Whitney statistic: the probability that a random positive
 * scores above a random negative, ties counting half (average ranks). Null without both classes.
 */
export function rocAuc(isPositive: readonly boolean[], scores: readonly number[]): number | null {
  const n = isPositive.length;
  if (scores.length !== n) throw new Error('rocAuc: labels and scores differ in length');
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => scores[a]! - scores[b]!);
  let positives = 0;
  let rankSum = 0;
  for (let start = 0; start < n; ) {
    let end = start;
    while (end + 1 < n && scores[order[end + 1]!] === scores[order[start]!]) end++;
    // Ranks start..end (1-based: start+1..end+1) share their average.
    const averageRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) {
      if (isPositive[order[k]!]) {
        positives++;
        rankSum += averageRank;
      }
    }
    start = end + 1;
  }
  const negatives = n - positives;
  if (positives === 0 || negatives === 0) return null;
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}

export function classificationMetrics(input: ClassificationInput): ClassificationMetrics {
  const { actual, predicted } = input;
  const n = actual.length;
  if (predicted.length !== n) throw new Error('classificationMetrics: actual and predicted differ in length');
  let correct = 0;
  for (let i = 0; i < n; i++) if (actual[i] === predicted[i]) correct++;
  const accuracy = ratio(correct, n);

  const positive = input.positiveClass ?? null;
  if (positive !== null) {
    const { tp, fp, fn } = countsFor(actual, predicted, positive);
    let auc: number | null = null;
    let logLoss: number | null = null;
    const p = input.positiveProbability;
    if (p && n > 0) {
      if (p.length !== n) throw new Error('classificationMetrics: one probability per row is needed');
      const isPositive = actual.map((a) => a === positive);
      auc = rocAuc(isPositive, p);
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const q = clip(p[i]!);
        sum += isPositive[i] ? Math.log(q) : Math.log(1 - q);
      }
      logLoss = -sum / n;
    }
    return { accuracy, precision: ratio(tp, tp + fp), recall: ratio(tp, tp + fn), f1: ratio(2 * tp, 2 * tp + fp + fn), rocAuc: auc, logLoss, averaging: 'binary' };
  }

  const labels = input.classes ? [...input.classes] : [...new Set([...actual, ...predicted])].sort();
  const perLabel = labels.map((label) => countsFor(actual, predicted, label));
  let auc: number | null = null;
  let logLoss: number | null = null;
  const probabilities = input.probabilities;
  if (probabilities && input.classes && n > 0) {
    if (probabilities.length !== n || probabilities.some((row) => row.length !== labels.length)) {
      throw new Error('classificationMetrics: one probability per row and class is needed');
    }
    auc = meanDefined(
      labels.map((label, j) =>
        rocAuc(
          actual.map((a) => a === label),
          probabilities.map((row) => row[j]!),
        ),
      ),
    );
    const column = new Map(labels.map((label, j) => [label, j]));
    let sum = 0;
    for (let i = 0; i < n; i++) {
      const j = column.get(actual[i]!);
      if (j === undefined) throw new Error(`classificationMetrics: the actual label "${actual[i]}" is not a class`);
      sum += Math.log(clip(probabilities[i]![j]!));
    }
    logLoss = -sum / n;
  }
  return {
    accuracy,
    precision: meanDefined(perLabel.map((c) => ratio(c.tp, c.tp + c.fp))),
    recall: meanDefined(perLabel.map((c) => ratio(c.tp, c.tp + c.fn))),
    f1: meanDefined(perLabel.map((c) => ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn))),
    rocAuc: auc,
    logLoss,
    averaging: 'macro',
  };
}

export function regressionMetrics(actual: readonly number[], predicted: readonly number[]): RegressionMetrics {
  const n = actual.length;
  if (predicted.length !== n) throw new Error('regressionMetrics: actual and predicted differ in length');
  if (n === 0) return { rmse: null, mae: null, mape: null, r2: null };
  let squared = 0;
  let absolute = 0;
  let relative = 0;
  let nonZero = 0;
  let sumActual = 0;
  let allEqual = true;
  for (let i = 0; i < n; i++) {
    const y = actual[i]!;
    const err = predicted[i]! - y;
    squared += err * err;
    absolute += Math.abs(err);
    if (y !== 0) {
      relative += Math.abs(err) / Math.abs(y);
      nonZero++;
    }
    sumActual += y;
    if (y !== actual[0]) allEqual = false;
  }
  const mean = sumActual / n;
  let total = 0;
  for (const y of actual) total += (y - mean) ** 2;
  return {
    rmse: Math.sqrt(squared / n),
    mae: absolute / n,
    mape: ratio(relative, nonZero),
    // Equal actuals are tested directly: their float mean can differ from them by a rounding error.
    r2: n < 2 || allEqual ? null : 1 - squared / total,
  };
}

/** The q-quantile (0..1) by linear interpolation between order statistics; null for no values. */
export function quantile(values: readonly number[], q: number): number | null {
  if (values.length === 0) return null;
  if (!(q >= 0 && q <= 1)) throw new Error(`quantile: q must be within 0..1 (got ${q})`);
  const sorted = [...values].sort((a, b) => a - b);
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  const fraction = position - below;
  return sorted[below]! + (sorted[above]! - sorted[below]!) * fraction;
}
