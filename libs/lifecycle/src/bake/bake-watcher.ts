import type { AuditSink } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { BakeSettings, DeploymentEntity } from '@modelport/serving';

export const WATCH_BAKES_JOB = 'lifecycle.watch-bakes';
/** How often the worker checks every deployment in a bake period. */
export const BAKE_WATCH_INTERVAL_MS = 30_000;

/** What a new champion has done since its promotion, read from the monitoring data. */
export interface BakeFigures {
  readonly requests: number;
  /** Share of failed requests (4xx and 5xx), 0..1; null without requests. */
  readonly errorRate: number | null;
  readonly p99LatencyMs: number | null;
  readonly driftStatus: 'green' | 'amber' | 'red' | 'unknown' | null;
  /** The bake's accuracy metric over the scored predictions since the promotion, with how many were scored. */
  readonly accuracy: { readonly value: number | null; readonly scored: number } | null;
}

/** Reads the figures of a deployment's champion since `from` (the lifecycle module wires monitoring in). */
export type BakeFigureReader = (deployment: DeploymentEntity, settings: BakeSettings, from: Date, to: Date) => Promise<BakeFigures>;

/** The traffic operations the watcher needs (TrafficService). */
export interface BakeTraffic {
  baking(): Promise<DeploymentEntity[]>;
  autoRollback(deploymentId: string, reason: string): Promise<DeploymentEntity>;
  finishBake(deploymentId: string): Promise<boolean>;
}

/** Metrics where lower is better: the bake rolls back when they rise above the threshold. */
const LOWER_IS_BETTER = new Set(['rmse', 'mae', 'mape', 'log_loss', 'logloss', 'brier']);
/** Fewest scored predictions before an accuracy threshold is judged. */
export const MIN_SCORED_FOR_ACCURACY = 20;

/**
 * Why the champion must go back, or null while it stays within every threshold of its bake. Health is judged
 * once it has served `minRequests`; accuracy once MIN_SCORED_FOR_ACCURACY predictions have actuals.
 */
export function bakeBreach(settings: BakeSettings, figures: BakeFigures): string | null {
  const enough = figures.requests >= settings.minRequests;
  if (enough && settings.maxErrorRate !== null && figures.errorRate !== null && figures.errorRate > settings.maxErrorRate) {
    return `error rate ${(figures.errorRate * 100).toFixed(2)}% over ${figures.requests} requests is above the bake limit of ${(settings.maxErrorRate * 100).toFixed(2)}%`;
  }
  if (enough && settings.maxP99LatencyMs !== null && figures.p99LatencyMs !== null && figures.p99LatencyMs > settings.maxP99LatencyMs) {
    return `p99 latency ${figures.p99LatencyMs.toFixed(1)} ms over ${figures.requests} requests is above the bake limit of ${settings.maxP99LatencyMs} ms`;
  }
  if (settings.rollbackOnDrift && (figures.driftStatus === 'red' || (settings.rollbackOnDrift === 'amber' && figures.driftStatus === 'amber'))) {
    return `drift status is ${figures.driftStatus} (the bake rolls back at ${settings.rollbackOnDrift})`;
  }
  if (settings.accuracyMetric && settings.accuracyThreshold !== null && figures.accuracy && figures.accuracy.value !== null && figures.accuracy.scored >= MIN_SCORED_FOR_ACCURACY) {
    const lower = LOWER_IS_BETTER.has(settings.accuracyMetric);
    const value = figures.accuracy.value;
    if (lower ? value > settings.accuracyThreshold : value < settings.accuracyThreshold) {
      return `${settings.accuracyMetric} ${value.toFixed(4)} over ${figures.accuracy.scored} scored predictions is ${lower ? 'above' : 'below'} the bake threshold of ${settings.accuracyThreshold}`;
    }
  }
  return null;
}

/**
 * Watches every deployment in its bake period: rolls it back automatically (with the breach as the reason,
 * audited) when the new champion crosses a threshold, and ends the bake (unloading the standby) when the period
 * passes cleanly.
 */
export class BakeWatcher {
  constructor(
    private readonly traffic: BakeTraffic,
    private readonly figures: BakeFigureReader,
    private readonly logger: Logger,
    private readonly audit: AuditSink | null = null,
    private readonly clock: { now(): Date } = { now: () => new Date() },
  ) {}

  async check(): Promise<{ checked: number; rolledBack: string[]; passed: string[] }> {
    const rolledBack: string[] = [];
    const passed: string[] = [];
    const baking = await this.traffic.baking();
    for (const deployment of baking) {
      const settings = deployment.bakeSettings;
      if (!settings || !deployment.bakeUntil) continue;
      const now = this.clock.now();
      try {
        const figures = await this.figures(deployment, settings, new Date(settings.promotedAt), now);
        const breach = bakeBreach(settings, figures);
        if (breach) {
          await this.traffic.autoRollback(deployment.id, `automatic rollback during the bake period: ${breach}`);
          rolledBack.push(deployment.id);
          await this.audit
            ?.append({
              actorId: null,
              actorName: 'bake watcher',
              action: 'deployment.auto-rollback',
              resourceType: 'Deployment',
              resourceId: deployment.id,
              projectId: deployment.projectId,
              outcome: 'ok',
              requestId: null,
              details: { deployment: deployment.name, fromVersionId: deployment.modelVersionId, toVersionId: deployment.previousVersionId, reason: breach, figures },
            })
            .catch((err: unknown) => this.logger.error({ err }, 'could not audit an automatic rollback'));
        } else if (deployment.bakeUntil.getTime() <= now.getTime() && (await this.traffic.finishBake(deployment.id))) {
          passed.push(deployment.id);
        }
      } catch (err) {
        this.logger.warn({ err, deployment: deployment.name }, 'could not check a deployment in its bake period; trying again next time');
      }
    }
    return { checked: baking.length, rolledBack, passed };
  }
}

export function registerBakeJobs(queue: JobQueue, watcher: BakeWatcher): void {
  queue.register(WATCH_BAKES_JOB, () => watcher.check(), { concurrency: 1 });
}

/** One check per interval: the job id names the interval, so replicas that all schedule it run it once. */
export function enqueueBakeWatch(queue: Pick<JobQueue, 'enqueue'>, now: number = Date.now()): Promise<string> {
  return queue.enqueue(WATCH_BAKES_JOB, {}, { jobId: `bake-watch-${Math.floor(now / BAKE_WATCH_INTERVAL_MS)}`, attempts: 1 });
}
