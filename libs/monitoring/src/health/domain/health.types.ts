import { isUuid } from '@modelport/database';
import { HealthError } from './health.errors';

/** Width of one point of a health series. Points start at multiples of it since 1970-01-01 UTC (days at UTC midnight). */
export enum HealthResolution {
  MINUTE = 'MINUTE',
  FIVE_MINUTES = 'FIVE_MINUTES',
  HOUR = 'HOUR',
  DAY = 'DAY',
}

export const RESOLUTION_SECONDS: Readonly<Record<HealthResolution, number>> = {
  MINUTE: 60,
  FIVE_MINUTES: 300,
  HOUR: 3600,
  DAY: 86_400,
};

/** Most points one series returns: a day at MINUTE, five days at FIVE_MINUTES, two months at HOUR, four years at DAY. */
export const MAX_HEALTH_POINTS = 1440;

/** The model version key of requests that failed before a version was chosen (model_version_id null in the log). */
export const NO_MODEL_VERSION = '00000000-0000-0000-0000-000000000000';

export interface HealthQuery {
  readonly deploymentId: string;
  readonly from: Date;
  readonly to: Date;
  readonly resolution: HealthResolution;
  /** Only requests served by this version; leave out for all (including requests that failed before a version was chosen). */
  readonly modelVersionId?: string | null;
}

/** A validated query window: [from, to) aligned outward to whole points. */
export interface HealthWindow {
  readonly from: Date;
  readonly to: Date;
  readonly resolution: HealthResolution;
  readonly stepSeconds: number;
  readonly points: number;
  readonly modelVersionId: string | null;
}

/** The figures of one point (or of the whole window). Rates are shares of requests, 0 to 1; latencies in microseconds. */
export interface HealthFigures {
  readonly requests: number;
  /** Predictions made: the batch dimension of each answered request (1 when unknown); failed requests make none. */
  readonly predictions: number;
  readonly errors4xx: number;
  /** 5xx answers, and errors without a status. */
  readonly errors5xx: number;
  readonly errorRate: number;
  readonly errorRate4xx: number;
  readonly errorRate5xx: number;
  /** Distinct callers (user ids) with at least one request; anonymous requests are not counted. */
  readonly distinctConsumers: number;
  /** Latency over every request (answered or failed); null without requests. */
  readonly latencyMeanUs: number | null;
  readonly latencyP50Us: number | null;
  readonly latencyP90Us: number | null;
  readonly latencyP95Us: number | null;
  readonly latencyP99Us: number | null;
  /** Exact. */
  readonly latencyMaxUs: number | null;
}

export interface HealthPoint extends HealthFigures {
  readonly start: Date;
  readonly end: Date;
}

export interface HealthSeries {
  readonly deploymentId: string;
  readonly window: HealthWindow;
  readonly totals: HealthFigures;
  /** Every point of the window in time order, empty ones included (zero requests, null latencies). */
  readonly points: readonly HealthPoint[];
}

function validDate(field: string, value: unknown): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw HealthError.invalidQuery(field, `${field} must be a date-time (ISO 8601).`);
  return value;
}

/**
 * Checks a query and aligns its window outward to whole points: `from` down and `to` up to a
 * multiple of the resolution. Refuses from >= to, an unknown resolution, more than `maxPoints`
 * points (saying which resolution would fit), and a model version id that is not a UUID.
 */
export function healthWindow(query: Omit<HealthQuery, 'deploymentId'>, maxPoints = MAX_HEALTH_POINTS): HealthWindow {
  const from = validDate('from', query.from);
  const to = validDate('to', query.to);
  const stepSeconds = RESOLUTION_SECONDS[query.resolution];
  if (stepSeconds === undefined) {
    throw HealthError.invalidQuery('resolution', `resolution must be one of ${Object.keys(RESOLUTION_SECONDS).join(', ')} (got ${String(query.resolution)}).`);
  }
  if (from.getTime() >= to.getTime()) {
    throw HealthError.invalidQuery('from', `from (${from.toISOString()}) must be before to (${to.toISOString()}).`);
  }
  const step = stepSeconds * 1000;
  const start = Math.floor(from.getTime() / step) * step;
  const end = Math.ceil(to.getTime() / step) * step;
  const points = (end - start) / step;
  if (points > maxPoints) {
    const fits = (Object.entries(RESOLUTION_SECONDS) as [HealthResolution, number][]).find(
      ([, seconds]) => (Math.ceil(to.getTime() / (seconds * 1000)) - Math.floor(from.getTime() / (seconds * 1000))) <= maxPoints,
    );
    throw HealthError.invalidQuery(
      'resolution',
      `A window of ${describeSpan(end - start)} at ${query.resolution} resolution has ${points} points; at most ${maxPoints} are returned. ` +
        (fits ? `Use resolution ${fits[0]} or a shorter window.` : 'Use a shorter window.'),
      { points, maxPoints },
    );
  }
  const modelVersionId = query.modelVersionId ?? null;
  if (modelVersionId !== null && !isUuid(modelVersionId)) {
    throw HealthError.invalidQuery('modelVersionId', `modelVersionId must be the id of a model version (a UUID), not "${String(modelVersionId).slice(0, 100)}".`);
  }
  return { from: new Date(start), to: new Date(end), resolution: query.resolution, stepSeconds, points, modelVersionId };
}

function describeSpan(ms: number): string {
  const hours = ms / 3_600_000;
  return hours >= 48 ? `${Math.round(hours / 24)} days` : hours >= 2 ? `${Math.round(hours)} hours` : `${Math.round(ms / 60_000)} minutes`;
}
