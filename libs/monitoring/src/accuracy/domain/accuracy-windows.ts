import { classificationMetrics, quantile, regressionMetrics, type ClassificationMetrics, type RegressionMetrics } from '../metrics';
import { AccuracyError, AccuracyErrorCode } from './accuracy.errors';
import type { MonitoringSettings } from './monitoring-settings';
import { scoreActual, type JoinedActual } from './scoring';

export type AccuracyResolution = 'minute' | 'hour' | 'day';
export const ACCURACY_RESOLUTIONS: readonly AccuracyResolution[] = ['minute', 'hour', 'day'];
export const RESOLUTION_MS: Readonly<Record<AccuracyResolution, number>> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 };
/** Most windows one accuracy query answers. */
export const MAX_WINDOWS = 1000;

export interface WindowBounds {
  /** The window's number: start of its aligned interval / resolution (UTC, from the epoch). */
  readonly bucket: number;
  /** Clipped to the query's range: the first and last windows may be shorter. */
  readonly start: Date;
  readonly end: Date;
}

/**
 * The windows of [from, to): aligned to UTC multiples of the resolution (whole minutes, hours,
 * days), the first and last clipped to the range. Throws INVALID_RANGE for an empty or reversed
 * range or more than MAX_WINDOWS windows.
 */
export function planWindows(from: Date, to: Date, resolution: AccuracyResolution): WindowBounds[] {
  const size = RESOLUTION_MS[resolution];
  if (!size) throw new AccuracyError(AccuracyErrorCode.INVALID_RANGE, `resolution must be one of ${ACCURACY_RESOLUTIONS.join(', ')}.`);
  const a = from.getTime();
  const b = to.getTime();
  if (Number.isNaN(a) || Number.isNaN(b)) throw new AccuracyError(AccuracyErrorCode.INVALID_RANGE, 'from and to must be valid date-times.');
  if (b <= a) throw new AccuracyError(AccuracyErrorCode.INVALID_RANGE, `to (${to.toISOString()}) must be after from (${from.toISOString()}).`);
  const first = Math.floor(a / size);
  const last = Math.ceil(b / size) - 1;
  const count = last - first + 1;
  if (count > MAX_WINDOWS) {
    throw new AccuracyError(
      AccuracyErrorCode.INVALID_RANGE,
      `The range holds ${count} ${resolution} windows; at most ${MAX_WINDOWS}. Use a coarser resolution or a shorter range.`,
      { windows: count, max: MAX_WINDOWS },
    );
  }
  return Array.from({ length: count }, (_, i) => {
    const bucket = first + i;
    return { bucket, start: new Date(Math.max(a, bucket * size)), end: new Date(Math.min(b, (bucket + 1) * size)) };
  });
}

/** Prediction-level counts of a window (from the prediction log, every row, payload or not). */
export interface PredictionCounts {
  /** Successful predictions. */
  readonly predictions: number;
  /** Failed predictions (status error): nothing to score. */
  readonly failedPredictions: number;
  /** Successful predictions with at least one matched actual. */
  readonly predictionsWithActuals: number;
}

export const NO_PREDICTIONS: PredictionCounts = { predictions: 0, failedPredictions: 0, predictionsWithActuals: 0 };

export interface AccuracyWindowResult {
  readonly start: Date;
  readonly end: Date;
  readonly counts: PredictionCounts & {
    /** Matched actuals of the window's predictions. */
    readonly actuals: number;
    readonly scored: number;
    /** Actuals whose prediction's payload was not stored (payload logging sampled or none). */
    readonly withoutPayload: number;
    /** Actuals that could not be scored for another reason (see unscorable). */
    readonly unscorable: number;
  };
  readonly unscorable: readonly { readonly reason: string; readonly count: number }[];
  /** Null unless the task is classification. */
  readonly classification: ClassificationMetrics | null;
  /** Null unless the task is regression. */
  readonly regression: RegressionMetrics | null;
  readonly timeliness: {
    /** predictionsWithActuals / predictions; null without predictions. */
    readonly shareWithActuals: number | null;
    /** Seconds from the prediction (received) to its actual (received); null without actuals. */
    readonly medianDelaySeconds: number | null;
    readonly p90DelaySeconds: number | null;
  };
}

/** Collects the matched actuals of one window (or of the whole range) and computes its metrics. */
export class WindowAccumulator {
  private actuals = 0;
  private withoutPayload = 0;
  private readonly reasons = new Map<string, number>();
  private readonly delays: number[] = [];
  private readonly labels = { actual: [] as string[], predicted: [] as string[], positive: [] as number[], probabilities: [] as (readonly number[])[] };
  private readonly numbers = { actual: [] as number[], predicted: [] as number[] };

  constructor(private readonly settings: MonitoringSettings | null) {}

  add(joined: JoinedActual, delaySeconds: number): void {
    this.actuals++;
    this.delays.push(delaySeconds);
    const scored = scoreActual(this.settings, joined);
    if (scored.kind === 'withoutPayload') this.withoutPayload++;
    else if (scored.kind === 'unscorable') this.reasons.set(scored.reason, (this.reasons.get(scored.reason) ?? 0) + 1);
    else if (scored.kind === 'regression') {
      this.numbers.actual.push(scored.actual);
      this.numbers.predicted.push(scored.predicted);
    } else {
      this.labels.actual.push(scored.actual);
      this.labels.predicted.push(scored.predicted);
      if (scored.positiveProbability !== null) this.labels.positive.push(scored.positiveProbability);
      if (scored.probabilities !== null) this.labels.probabilities.push(scored.probabilities);
    }
  }

  result(start: Date, end: Date, counts: PredictionCounts): AccuracyWindowResult {
    const settings = this.settings;
    const scored = settings?.task === 'regression' ? this.numbers.actual.length : this.labels.actual.length;
    const unscorable = [...this.reasons].map(([reason, count]) => ({ reason, count })).sort((x, y) => y.count - x.count || x.reason.localeCompare(y.reason));
    const withProbabilities = settings?.probabilityOutput != null;
    return {
      start,
      end,
      counts: { ...counts, actuals: this.actuals, scored, withoutPayload: this.withoutPayload, unscorable: this.actuals - scored - this.withoutPayload },
      unscorable,
      classification:
        settings?.task === 'classification'
          ? classificationMetrics({
              actual: this.labels.actual,
              predicted: this.labels.predicted,
              positiveClass: settings.positiveClass,
              classes: settings.classes,
              positiveProbability: withProbabilities && settings.positiveClass !== null ? this.labels.positive : null,
              probabilities: withProbabilities && settings.positiveClass === null ? this.labels.probabilities : null,
            })
          : null,
      regression: settings?.task === 'regression' ? regressionMetrics(this.numbers.actual, this.numbers.predicted) : null,
      timeliness: {
        shareWithActuals: counts.predictions === 0 ? null : counts.predictionsWithActuals / counts.predictions,
        medianDelaySeconds: quantile(this.delays, 0.5),
        p90DelaySeconds: quantile(this.delays, 0.9),
      },
    };
  }
}
