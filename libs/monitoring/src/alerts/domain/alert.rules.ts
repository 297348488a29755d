import { invalidAlertArgument } from './alert.errors';
import { ALERT_KINDS, AlertKind, DEFAULT_COMPARISON, type Comparison, type RuleStanding } from './alert.types';

export const MAX_WINDOW_MINUTES = 7 * 24 * 60;
export const MAX_CONSECUTIVE = 60;
export const ACCURACY_METRICS = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc', 'logLoss', 'rmse', 'mae', 'mape', 'r2'] as const;

export interface AlertRuleInput {
  readonly kind: string;
  readonly threshold: number;
  readonly comparison?: string | null;
  readonly windowMinutes?: number | null;
  /** Breaching evaluations in a row before it fires (hysteresis). Default 1. */
  readonly fireAfter?: number | null;
  /** Clear evaluations in a row before a firing alert resolves. Default 1. */
  readonly resolveAfter?: number | null;
  /** For ACCURACY: which metric. */
  readonly metric?: string | null;
  readonly channelIds?: readonly string[] | null;
  /** Notify the model's owner and the deployment's creator in their inbox. Default true. */
  readonly notifyOwners?: boolean | null;
}

export interface ValidAlertRule {
  readonly kind: AlertKind;
  readonly threshold: number;
  readonly comparison: Comparison;
  readonly windowMinutes: number;
  readonly fireAfter: number;
  readonly resolveAfter: number;
  readonly metric: string | null;
  readonly channelIds: readonly string[];
  readonly notifyOwners: boolean;
}

function wholeNumber(field: string, value: number | null | undefined, fallback: number, max: number): number {
  if (value === null || value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1 || value > max) throw invalidAlertArgument(field, `${field} must be a whole number from 1 to ${max} (got ${value}).`);
  return value;
}

/** Checks a rule as submitted; every refusal names the field and what is allowed. */
export function validateAlertRule(input: AlertRuleInput): ValidAlertRule {
  if (!(ALERT_KINDS as readonly string[]).includes(input.kind)) {
    throw invalidAlertArgument('kind', `Unknown alert kind "${input.kind}"; use one of ${ALERT_KINDS.join(', ')}.`);
  }
  const kind = input.kind as AlertKind;
  if (typeof input.threshold !== 'number' || !Number.isFinite(input.threshold)) {
    throw invalidAlertArgument('threshold', `threshold must be a finite number (got ${String(input.threshold)}).`);
  }
  if ((kind === AlertKind.ERROR_RATE || kind === AlertKind.MISSING_ACTUALS) && (input.threshold < 0 || input.threshold > 1)) {
    throw invalidAlertArgument('threshold', `${kind} is a share from 0 to 1; threshold ${input.threshold} is outside it (e.g. 0.05 for 5 %).`);
  }
  if (kind === AlertKind.DRIFT_STATUS && ![1, 2].includes(input.threshold)) {
    throw invalidAlertArgument('threshold', 'DRIFT_STATUS fires at a status: threshold 1 (amber or red) or 2 (red only).');
  }
  if ((kind === AlertKind.LATENCY_P99 || kind === AlertKind.NO_TRAFFIC) && input.threshold < 0) {
    throw invalidAlertArgument('threshold', `${kind} threshold must not be negative (got ${input.threshold}).`);
  }
  const comparison = input.comparison ?? DEFAULT_COMPARISON[kind];
  if (comparison !== 'above' && comparison !== 'below') throw invalidAlertArgument('comparison', `comparison must be "above" or "below" (got "${comparison}").`);
  let metric: string | null = null;
  if (kind === AlertKind.ACCURACY) {
    metric = input.metric ?? 'accuracy';
    if (!(ACCURACY_METRICS as readonly string[]).includes(metric)) {
      throw invalidAlertArgument('metric', `Unknown accuracy metric "${metric}"; use one of ${ACCURACY_METRICS.join(', ')}.`);
    }
  } else if (input.metric) {
    throw invalidAlertArgument('metric', `metric applies to ACCURACY rules only; leave it out for ${kind}.`);
  }
  const channelIds = [...new Set(input.channelIds ?? [])];
  if (channelIds.length > 10) throw invalidAlertArgument('channelIds', `A rule may notify at most 10 channels (got ${channelIds.length}).`);
  return {
    kind,
    threshold: input.threshold,
    comparison,
    windowMinutes: wholeNumber('windowMinutes', input.windowMinutes, kind === AlertKind.ACCURACY || kind === AlertKind.MISSING_ACTUALS ? 60 : 5, MAX_WINDOW_MINUTES),
    fireAfter: wholeNumber('fireAfter', input.fireAfter, 1, MAX_CONSECUTIVE),
    resolveAfter: wholeNumber('resolveAfter', input.resolveAfter, 1, MAX_CONSECUTIVE),
    metric,
    channelIds,
    notifyOwners: input.notifyOwners ?? true,
  };
}

/** Whether a value is on the bad side of the threshold (equal counts as bad: "at or above", "at or below"). */
export function breaches(rule: Pick<ValidAlertRule, 'threshold' | 'comparison'>, value: number): boolean {
  return rule.comparison === 'above' ? value >= rule.threshold : value <= rule.threshold;
}

/**
 * One evaluation with hysteresis: a rule fires after `fireAfter` breaching evaluations in a row and resolves
 * after `resolveAfter` clear ones in a row. No value (no data in the window) changes nothing. A firing rule
 * that keeps breaching does not fire again (de-duplication): one alert per episode.
 */
export function step(
  rule: Pick<ValidAlertRule, 'threshold' | 'comparison' | 'fireAfter' | 'resolveAfter'>,
  standing: RuleStanding,
  value: number | null,
): { standing: RuleStanding; event: 'fired' | 'resolved' | null } {
  if (value === null || Number.isNaN(value)) return { standing, event: null };
  if (breaches(rule, value)) {
    const count = standing.breaches + 1;
    if (standing.state === 'OK' && count >= rule.fireAfter) return { standing: { state: 'FIRING', breaches: count, clears: 0 }, event: 'fired' };
    return { standing: { state: standing.state, breaches: count, clears: 0 }, event: null };
  }
  const count = standing.clears + 1;
  if (standing.state === 'FIRING' && count >= rule.resolveAfter) return { standing: { state: 'OK', breaches: 0, clears: count }, event: 'resolved' };
  return { standing: { state: standing.state, breaches: 0, clears: count }, event: null };
}
