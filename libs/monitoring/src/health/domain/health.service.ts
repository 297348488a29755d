import type { Caller } from '@modelport/governance';
import type { BackfillResult, HealthStore, SeriesRows } from '../persistence/health.store';
import { HealthError, HealthErrorCode } from './health.errors';
import { HealthResolution, healthWindow, MAX_HEALTH_POINTS, RESOLUTION_SECONDS, type HealthFigures, type HealthPoint, type HealthQuery, type HealthSeries, type HealthWindow } from './health.types';
import { LatencyHistogram } from './latency-histogram';

/** The deployment check of a health query: DeploymentService.get refuses (NOT_FOUND) what the caller may not read. */
export interface HealthDeploymentLookup {
  get(caller: Caller, id: string): Promise<{ readonly id: string }>;
}

export type HealthReads = Pick<HealthStore, 'seriesRows' | 'metricsSnapshot' | 'backfill'>;

/** One deployment's figures for /metrics (latencies in microseconds). */
export interface DeploymentHealthMetrics {
  readonly deployment: string;
  readonly requests: number;
  readonly predictions: number;
  readonly errors4xx: number;
  readonly errors5xx: number;
  /** Over the recent minutes; null without requests then. */
  readonly latencyUs: { readonly p50: number; readonly p90: number; readonly p95: number; readonly p99: number } | null;
  readonly consumers: number;
}

export interface HealthServiceOptions {
  readonly maxPoints?: number;
  /** /metrics latency and consumers cover the current minute and this many before it. Default 4 (about 5 minutes). */
  readonly recentMinutes?: number;
  /** /metrics shows deployments with requests within this many hours. Default 24. */
  readonly activeHours?: number;
  readonly now?: () => Date;
}

const MINUTE_MS = 60_000;

/** The figures of a set of requests from its sums, histogram and distinct consumers. */
export function healthFigures(
  sums: { requests: number; predictions: number; errors4xx: number; errors5xx: number; latencySumUs: number; latencyMaxUs: number | null },
  histogram: LatencyHistogram,
  distinctConsumers: number,
): HealthFigures {
  const { requests, errors4xx, errors5xx } = sums;
  const share = (n: number) => (requests > 0 ? n / requests : 0);
  const max = requests > 0 ? sums.latencyMaxUs : null;
  return {
    requests,
    predictions: sums.predictions,
    errors4xx,
    errors5xx,
    errorRate: share(errors4xx + errors5xx),
    errorRate4xx: share(errors4xx),
    errorRate5xx: share(errors5xx),
    distinctConsumers,
    latencyMeanUs: requests > 0 ? sums.latencySumUs / requests : null,
    latencyP50Us: histogram.quantile(0.5, max),
    latencyP90Us: histogram.quantile(0.9, max),
    latencyP95Us: histogram.quantile(0.95, max),
    latencyP99Us: histogram.quantile(0.99, max),
    latencyMaxUs: max,
  };
}

/** Every point of the window (empty ones too) and the totals, from the per-point sums. */
export function buildSeries(deploymentId: string, window: HealthWindow, rows: SeriesRows): HealthSeries {
  const step = window.stepSeconds * 1000;
  const first = window.from.getTime();
  const index = (start: Date) => Math.round((start.getTime() - first) / step);
  const bins = new Map(rows.bins.map((b) => [index(b.start), b]));
  const histograms = new Map<number, LatencyHistogram>();
  const all = new LatencyHistogram();
  for (const b of rows.buckets) {
    const i = index(b.start);
    let h = histograms.get(i);
    if (!h) histograms.set(i, (h = new LatencyHistogram()));
    h.addToBucket(b.bucket, b.count);
    all.addToBucket(b.bucket, b.count);
  }
  const consumers = new Map(rows.consumers.map((c) => [index(c.start), c.consumers]));
  const zero = { requests: 0, predictions: 0, errors4xx: 0, errors5xx: 0, latencySumUs: 0, latencyMaxUs: 0 };
  const totals = { ...zero };
  const points: HealthPoint[] = [];
  for (let i = 0; i < window.points; i++) {
    const bin = bins.get(i) ?? zero;
    totals.requests += bin.requests;
    totals.predictions += bin.predictions;
    totals.errors4xx += bin.errors4xx;
    totals.errors5xx += bin.errors5xx;
    totals.latencySumUs += bin.latencySumUs;
    totals.latencyMaxUs = Math.max(totals.latencyMaxUs, bin.latencyMaxUs);
    points.push({
      start: new Date(first + i * step),
      end: new Date(first + (i + 1) * step),
      ...healthFigures(bin, histograms.get(i) ?? new LatencyHistogram(), consumers.get(i) ?? 0),
    });
  }
  return { deploymentId, window, totals: healthFigures(totals, all, rows.totalConsumers), points };
}

/**
 * Service health per deployment and model version, read from the minute rollups (never from the
 * prediction log at query time): time series for the API, the figures behind /metrics, and the
 * rebuild of rollups from the log.
 */
export class HealthService {
  private readonly maxPoints: number;
  private readonly recentMinutes: number;
  private readonly activeHours: number;
  private readonly now: () => Date;

  constructor(
    private readonly store: HealthReads,
    private readonly deployments: HealthDeploymentLookup,
    options: HealthServiceOptions = {},
  ) {
    this.maxPoints = options.maxPoints ?? MAX_HEALTH_POINTS;
    this.recentMinutes = options.recentMinutes ?? 4;
    this.activeHours = options.activeHours ?? 24;
    this.now = options.now ?? (() => new Date());
  }

  /**
   * A deployment's health over [from, to) (aligned outward to whole points) at a resolution, for
   * all its versions or one. The arguments are checked first; a deployment the caller may not
   * read is NOT_FOUND, like one that does not exist.
   */
  async series(caller: Caller, query: HealthQuery): Promise<HealthSeries> {
    const window = healthWindow(query, this.maxPoints);
    const deployment = await this.deployments.get(caller, query.deploymentId);
    return this.seriesOf(deployment.id, window);
  }

  /** The same without an access check, for monitoring code that already checked (alert evaluation). */
  async seriesOf(deploymentId: string, window: HealthWindow): Promise<HealthSeries> {
    return buildSeries(deploymentId, window, await this.store.seriesRows(deploymentId, window));
  }

  /** The figures of the whole window (no access check), e.g. the last N minutes for an alert rule. */
  async figures(deploymentId: string, from: Date, to: Date, modelVersionId: string | null = null): Promise<HealthFigures> {
    const window = healthWindow({ from, to, resolution: pickResolution(from, to, this.maxPoints), modelVersionId }, this.maxPoints);
    return (await this.seriesOf(deploymentId, window)).totals;
  }

  /** Per deployment name: running totals, and latency quantiles and distinct consumers of the recent minutes. */
  async metrics(): Promise<DeploymentHealthMetrics[]> {
    const now = this.now().getTime();
    const recentSince = new Date(Math.floor(now / MINUTE_MS) * MINUTE_MS - this.recentMinutes * MINUTE_MS);
    const activeSince = new Date(now - this.activeHours * 3600_000);
    const snapshot = await this.store.metricsSnapshot(activeSince, recentSince);
    const histograms = new Map<string, LatencyHistogram>();
    for (const b of snapshot.recentBuckets) {
      let h = histograms.get(b.name);
      if (!h) histograms.set(b.name, (h = new LatencyHistogram()));
      h.addToBucket(b.bucket, b.count);
    }
    const max = new Map(snapshot.recentMax.map((m) => [m.name, m.latencyMaxUs]));
    const consumers = new Map(snapshot.recentConsumers.map((c) => [c.name, c.consumers]));
    return snapshot.totals.map((t) => {
      const h = histograms.get(t.name);
      const cap = max.get(t.name) ?? null;
      return {
        deployment: t.name,
        requests: t.requests,
        predictions: t.predictions,
        errors4xx: t.errors4xx,
        errors5xx: t.errors5xx,
        latencyUs: h && h.total > 0 ? { p50: h.quantile(0.5, cap)!, p90: h.quantile(0.9, cap)!, p95: h.quantile(0.95, cap)!, p99: h.quantile(0.99, cap)! } : null,
        consumers: consumers.get(t.name) ?? 0,
      };
    });
  }

  /**
   * Rebuilds the rollups of [from, to) (aligned outward to whole minutes) from the prediction
   * log, for every deployment or one: for repair after a crash or a refused write (logged with
   * its window). Only for closed windows whose rows are still in the log: see HealthStore.backfill.
   */
  async backfill(from: Date, to: Date, deploymentId: string | null = null): Promise<BackfillResult> {
    if (!(from instanceof Date) || !(to instanceof Date) || Number.isNaN(from.getTime()) || Number.isNaN(to.getTime()) || from >= to) {
      throw new HealthError(HealthErrorCode.INVALID_BACKFILL, 'A rollup rebuild needs a window with from before to.');
    }
    const start = new Date(Math.floor(from.getTime() / MINUTE_MS) * MINUTE_MS);
    const end = new Date(Math.ceil(to.getTime() / MINUTE_MS) * MINUTE_MS);
    return this.store.backfill(start, end, deploymentId);
  }
}

/** The finest resolution at which [from, to) fits in maxPoints. */
function pickResolution(from: Date, to: Date, maxPoints: number): HealthResolution {
  const span = (to.getTime() - from.getTime()) / 1000;
  for (const resolution of [HealthResolution.MINUTE, HealthResolution.FIVE_MINUTES, HealthResolution.HOUR]) {
    if (span / RESOLUTION_SECONDS[resolution] + 1 <= maxPoints) return resolution;
  }
  return HealthResolution.DAY;
}
