/** What an alert rule watches. Each reads one number per evaluation from the deployment's monitoring data. */
export enum AlertKind {
  /** The deployment's drift status; fires at or above the threshold (1 = amber, 2 = red). */
  DRIFT_STATUS = 'DRIFT_STATUS',
  /** An accuracy metric (the rule's `metric`, e.g. accuracy, f1, rmse) over the window. */
  ACCURACY = 'ACCURACY',
  /** Share of requests answered with an error (4xx and 5xx), 0 to 1. */
  ERROR_RATE = 'ERROR_RATE',
  /** 99th percentile latency in milliseconds. */
  LATENCY_P99 = 'LATENCY_P99',
  /** Requests in the window; fires when at or below the threshold (0: no traffic at all). */
  NO_TRAFFIC = 'NO_TRAFFIC',
  /** Share of the window's predictions that have no actuals yet, 0 to 1. */
  MISSING_ACTUALS = 'MISSING_ACTUALS',
}

export const ALERT_KINDS: readonly AlertKind[] = Object.values(AlertKind);

/** Which side of the threshold is bad. */
export type Comparison = 'above' | 'below';

/** The default side per kind (accuracy metrics where lower is worse are `below`; errors are `above`). */
export const DEFAULT_COMPARISON: Readonly<Record<AlertKind, Comparison>> = {
  DRIFT_STATUS: 'above',
  ACCURACY: 'below',
  ERROR_RATE: 'above',
  LATENCY_P99: 'above',
  NO_TRAFFIC: 'below',
  MISSING_ACTUALS: 'above',
};

export type AlertState = 'OK' | 'FIRING';

/** How a rule stands between evaluations: its state and how many evaluations in a row breached or cleared. */
export interface RuleStanding {
  readonly state: AlertState;
  readonly breaches: number;
  readonly clears: number;
}

export const INITIAL_STANDING: RuleStanding = { state: 'OK', breaches: 0, clears: 0 };
