import { AlertError, CLASSIFICATION_METRICS, REGRESSION_METRICS, validateWebhookUrl } from '@modelport/monitoring';
import { invalidRefreshArgument } from './refresh.errors';

/** What a refresh run does: POST a signed webhook, or put a job on the queue for a worker. */
export const REFRESH_ACTIONS = ['WEBHOOK', 'QUEUE'] as const;
export type RefreshAction = (typeof REFRESH_ACTIONS)[number];

/** Why a run started. */
export const REFRESH_TRIGGERS = ['SCHEDULE', 'DRIFT_RED', 'ACCURACY', 'MODEL_AGE', 'MANUAL'] as const;
export type RefreshTriggerKind = (typeof REFRESH_TRIGGERS)[number];

export const REFRESH_RUN_STATES = ['PENDING', 'DELIVERED', 'COMPLETED', 'FAILED'] as const;
export type RefreshRunState = (typeof REFRESH_RUN_STATES)[number];

export const ACCURACY_TRIGGER_METRICS: readonly string[] = [...CLASSIFICATION_METRICS, ...REGRESSION_METRICS];
/** Error metrics: lower is better, so "below the mark" means a value above the threshold. */
export const ERROR_METRICS: readonly string[] = ['logLoss', 'rmse', 'mae', 'mape'];
/** Metrics between 0 and 1. */
const UNIT_METRICS: readonly string[] = ['accuracy', 'precision', 'recall', 'f1', 'rocAuc'];

export const LIMITS = {
  scheduleEveryHours: [1, 8760],
  minIntervalMinutes: [1, 525_600],
  maxModelAgeDays: [1, 3650],
  dataWindowDays: [1, 365],
} as const;
export const DEFAULT_DATA_WINDOW_DAYS = 7;

export interface RefreshPolicyInput {
  readonly enabled?: boolean | null;
  readonly scheduleEveryHours?: number | null;
  readonly onDriftRed?: boolean | null;
  readonly accuracyBelow?: { readonly metric?: string | null; readonly threshold?: number | null } | null;
  readonly maxModelAgeDays?: number | null;
  readonly minIntervalMinutes?: number | null;
  readonly action?: string | null;
  readonly webhookUrl?: string | null;
  readonly dataWindowDays?: number | null;
}

export interface ValidRefreshPolicy {
  readonly enabled: boolean;
  readonly scheduleEveryHours: number | null;
  readonly onDriftRed: boolean;
  readonly accuracyBelow: { readonly metric: string; readonly threshold: number } | null;
  readonly maxModelAgeDays: number | null;
  readonly minIntervalMinutes: number;
  readonly action: RefreshAction;
  readonly webhookUrl: string | null;
  readonly dataWindowDays: number;
}

function wholeNumber(field: keyof typeof LIMITS, value: unknown, unit: string): number {
  const [min, max] = LIMITS[field];
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw invalidRefreshArgument(field, `${field} must be a whole number of ${unit} from ${min} to ${max} (got ${JSON.stringify(value)}).`);
  }
  return value;
}

function optionalWholeNumber(field: keyof typeof LIMITS, value: unknown, unit: string): number | null {
  return value === undefined || value === null ? null : wholeNumber(field, value, unit);
}

/** Checks a refresh policy as a whole (setRefreshPolicy replaces the stored one); every error names its field. */
export function validateRefreshPolicy(input: RefreshPolicyInput): ValidRefreshPolicy {
  if (input.minIntervalMinutes === undefined || input.minIntervalMinutes === null) {
    throw invalidRefreshArgument('minIntervalMinutes', 'minIntervalMinutes is required: the fewest minutes between two runs of the policy (at least 1).');
  }
  const minIntervalMinutes = wholeNumber('minIntervalMinutes', input.minIntervalMinutes, 'minutes');
  const scheduleEveryHours = optionalWholeNumber('scheduleEveryHours', input.scheduleEveryHours, 'hours');
  const maxModelAgeDays = optionalWholeNumber('maxModelAgeDays', input.maxModelAgeDays, 'days');
  const dataWindowDays = optionalWholeNumber('dataWindowDays', input.dataWindowDays, 'days') ?? DEFAULT_DATA_WINDOW_DAYS;

  let accuracyBelow: ValidRefreshPolicy['accuracyBelow'] = null;
  if (input.accuracyBelow) {
    const metric = input.accuracyBelow.metric;
    if (typeof metric !== 'string' || !ACCURACY_TRIGGER_METRICS.includes(metric)) {
      throw invalidRefreshArgument('accuracyBelow.metric', `Unknown accuracy metric ${JSON.stringify(metric)}; use one of ${ACCURACY_TRIGGER_METRICS.join(', ')}.`);
    }
    const threshold = input.accuracyBelow.threshold;
    if (typeof threshold !== 'number' || !Number.isFinite(threshold)) {
      throw invalidRefreshArgument('accuracyBelow.threshold', `accuracyBelow.threshold must be a finite number (got ${JSON.stringify(threshold)}).`);
    }
    if (UNIT_METRICS.includes(metric) && (threshold <= 0 || threshold > 1)) {
      throw invalidRefreshArgument('accuracyBelow.threshold', `${metric} lies between 0 and 1; give the threshold as a fraction (0.8 for 80 %), not ${threshold}.`);
    }
    if (ERROR_METRICS.includes(metric) && threshold <= 0) {
      throw invalidRefreshArgument('accuracyBelow.threshold', `${metric} is an error (0 is perfect, larger is worse); the threshold must be above 0, not ${threshold}.`);
    }
    if (metric === 'r2' && threshold > 1) throw invalidRefreshArgument('accuracyBelow.threshold', `r2 is at most 1; a threshold of ${threshold} would always hold.`);
    accuracyBelow = { metric, threshold };
  }

  const action = typeof input.action === 'string' ? input.action.toUpperCase() : input.action;
  if (!(REFRESH_ACTIONS as readonly unknown[]).includes(action)) {
    throw invalidRefreshArgument('action', `action must be WEBHOOK (POST a signed request to your retraining service) or QUEUE (enqueue a lifecycle.refresh-requested job); got ${JSON.stringify(input.action)}.`);
  }
  let webhookUrl: string | null = null;
  if (action === 'WEBHOOK') {
    if (!input.webhookUrl) throw invalidRefreshArgument('webhookUrl', 'A WEBHOOK policy needs webhookUrl: the https:// address of your retraining service.');
    try {
      webhookUrl = validateWebhookUrl(input.webhookUrl);
    } catch (err) {
      // The rules are monitoring's (https, or http to loopback; no credentials): only the field name is ours.
      if (err instanceof AlertError) throw invalidRefreshArgument('webhookUrl', err.message);
      throw err;
    }
  } else if (input.webhookUrl) {
    throw invalidRefreshArgument('webhookUrl', 'webhookUrl applies to WEBHOOK policies only; leave it out for QUEUE (the job goes to the job queue).');
  }

  return {
    enabled: input.enabled ?? true,
    scheduleEveryHours,
    onDriftRed: input.onDriftRed ?? false,
    accuracyBelow,
    maxModelAgeDays,
    minIntervalMinutes,
    action: action as RefreshAction,
    webhookUrl,
    dataWindowDays,
  };
}

/** Whether `value` of `metric` is worse than `threshold`: below it, or above it for error metrics. */
export function accuracyBreached(metric: string, value: number, threshold: number): boolean {
  return ERROR_METRICS.includes(metric) ? value > threshold : value < threshold;
}
