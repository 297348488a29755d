import { Counter, Gauge, type Registry } from 'prom-client';
import type { Logger } from '@modelport/observability';
import type { HealthRollupStats } from './health-rollup.writer';
import type { DeploymentHealthMetrics } from './health.service';

export interface HealthMetricsSource {
  /** Per deployment name, from the rollups (HealthService.metrics). */
  metrics(): Promise<DeploymentHealthMetrics[]>;
}

export interface HealthMetricsOptions {
  /** One scrape reads the rollups once; reads within this many ms share the answer. Default 1000. */
  readonly cacheMs?: number;
  /** This process's rollup writer, for its own counters. */
  readonly rollup?: { stats(): HealthRollupStats } | null;
}

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.9', 'p90'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

/**
 * Adds service health to a Prometheus registry, read from the rollups at scrape time (a handful of
 * indexed reads of minute and totals rows, never the prediction log). Labels: the deployment name
 * only (plus the error class and quantile), and only deployments with requests in the last day,
 * so the number of series stays bounded by the number of live deployments.
 *
 * The figures are the whole platform's (the rollups are shared), so every replica reports the
 * same values: aggregate across instances with max(), not sum().
 *
 *   modelport_deployment_requests_total{deployment}             counter
 *   modelport_deployment_predictions_total{deployment}          counter
 *   modelport_deployment_errors_total{deployment,class}         counter, class 4xx or 5xx
 *   modelport_deployment_latency_seconds{deployment,quantile}   gauge, over the last ~5 minutes
 *   modelport_deployment_consumers{deployment}                  gauge, distinct callers over the last ~5 minutes
 *
 * and, for this process's rollup writer: modelport_health_rollup_pending_rows,
 * modelport_health_rollup_rows_total, modelport_health_rollup_failed_writes_total and
 * modelport_health_rollup_dropped_rows_total.
 */
export function registerHealthMetrics(registry: Registry, source: HealthMetricsSource, logger: Logger, options: HealthMetricsOptions = {}): void {
  const cacheMs = options.cacheMs ?? 1000;
  let cached: { at: number; value: Promise<DeploymentHealthMetrics[] | null> } | null = null;
  let lastErrorLogAt = 0;
  const load = (): Promise<DeploymentHealthMetrics[] | null> => {
    const now = Date.now();
    if (cached && now - cached.at < cacheMs) return cached.value;
    const value = source.metrics().catch((err: unknown) => {
      if (now - lastErrorLogAt > 60_000) {
        lastErrorLogAt = now;
        logger.warn({ err }, 'cannot read the health rollups for /metrics; deployment health metrics are left out of this scrape');
      }
      return null;
    });
    cached = { at: now, value };
    return value;
  };
  const registers = [registry];

  const counter = (name: string, help: string, pick: (d: DeploymentHealthMetrics) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['deployment'],
      registers,
      async collect() {
        const metrics = await load();
        this.reset();
        for (const d of metrics ?? []) this.inc({ deployment: d.deployment }, pick(d));
      },
    });
  counter('modelport_deployment_requests_total', 'Requests a deployment answered (ok or error), from the health rollups.', (d) => d.requests);
  counter('modelport_deployment_predictions_total', 'Predictions a deployment made (the batch dimension of answered requests), from the health rollups.', (d) => d.predictions);
  new Counter({
    name: 'modelport_deployment_errors_total',
    help: 'Requests a deployment answered with an error, by class (4xx, 5xx), from the health rollups.',
    labelNames: ['deployment', 'class'],
    registers,
    async collect() {
      const metrics = await load();
      this.reset();
      for (const d of metrics ?? []) {
        this.inc({ deployment: d.deployment, class: '4xx' }, d.errors4xx);
        this.inc({ deployment: d.deployment, class: '5xx' }, d.errors5xx);
      }
    },
  });
  new Gauge({
    name: 'modelport_deployment_latency_seconds',
    help: 'Request latency quantiles of a deployment over the current minute and the 4 before it (within 2% of the exact value), from the health rollups.',
    labelNames: ['deployment', 'quantile'],
    registers,
    async collect() {
      const metrics = await load();
      this.reset();
      for (const d of metrics ?? []) {
        if (!d.latencyUs) continue;
        for (const [quantile, key] of QUANTILES) this.set({ deployment: d.deployment, quantile }, d.latencyUs[key] / 1e6);
      }
    },
  });
  new Gauge({
    name: 'modelport_deployment_consumers',
    help: 'Distinct callers of a deployment over the current minute and the 4 before it, from the health rollups.',
    labelNames: ['deployment'],
    registers,
    async collect() {
      const metrics = await load();
      this.reset();
      for (const d of metrics ?? []) this.set({ deployment: d.deployment }, d.consumers);
    },
  });

  const rollup = options.rollup;
  if (!rollup) return;
  new Gauge({
    name: 'modelport_health_rollup_pending_rows',
    help: 'Prediction log rows this process has not yet counted into the health rollups.',
    registers,
    collect() {
      this.set(rollup.stats().pendingRows);
    },
  });
  const own = (name: string, help: string, pick: (s: HealthRollupStats) => number) =>
    new Counter({
      name,
      help,
      registers,
      collect() {
        this.reset();
        this.inc(pick(rollup.stats()));
      },
    });
  own('modelport_health_rollup_rows_total', 'Prediction log rows this process counted into the health rollups.', (s) => s.writtenRows);
  own('modelport_health_rollup_failed_writes_total', 'Health rollup writes that failed and were retried.', (s) => s.failedWrites);
  own('modelport_health_rollup_dropped_rows_total', 'Prediction log rows given up on by the health rollups (each logged with the window to backfill).', (s) => s.droppedRows);
}
