import { type DynamicModule, Inject, Module, type OnModuleInit } from '@nestjs/common';
import { JOB_QUEUE, LOGGER } from '@modelport/config';
import { AUDIT_SINK, GovernanceModule, type AuditSink } from '@modelport/governance';
import { AccuracyService, DriftService, HealthService, metricOf } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { ServingModule, ServingRuntime } from '@modelport/serving';
import { BakeWatcher, registerBakeJobs, type BakeFigureReader } from './bake';
import { historyProviders } from './history';

/** The champion's figures since its promotion, from the monitoring rollups, drift sketches and actuals. */
function bakeFigures(health: HealthService, drift: DriftService, accuracy: AccuracyService): BakeFigureReader {
  return async (deployment, settings, from, to) => {
    const h = await health.figures(deployment.id, from, to, deployment.modelVersionId);
    const driftStatus = settings.rollbackOnDrift ? ((await drift.reportOf(deployment.id, deployment.modelVersionId, from, to).catch(() => null))?.report?.status ?? null) : null;
    const window = settings.accuracyMetric ? await accuracy.accuracyOver(deployment.id, from, to) : null;
    return {
      requests: h.requests,
      errorRate: h.requests > 0 ? h.errorRate5xx : null,
      p99LatencyMs: h.latencyP99Us === null ? null : h.latencyP99Us / 1000,
      driftStatus,
      accuracy: window && settings.accuracyMetric ? { value: metricOf(window, settings.accuracyMetric), scored: window.counts.scored } : null,
    };
  };
}

/**
 * Lifecycle: deployment timelines and the refresh report, the bake watcher that rolls a new champion back
 * automatically, challenger comparison and replay, and refresh policies.
 */
@Module({})
export class LifecycleModule implements OnModuleInit {
  /** `monitoring`: the same MonitoringModule.forRoot(...) the application imports (its services are read here). */
  static forRoot(monitoring: DynamicModule): DynamicModule {
    return {
      module: LifecycleModule,
      imports: [GovernanceModule, ServingModule, monitoring],
      providers: [
        ...historyProviders,
        {
          provide: BakeWatcher,
          inject: [ServingRuntime, HealthService, DriftService, AccuracyService, LOGGER, { token: AUDIT_SINK, optional: true }],
          useFactory: (serving: ServingRuntime, health: HealthService, drift: DriftService, accuracy: AccuracyService, logger: Logger, audit?: AuditSink) =>
            new BakeWatcher(serving.traffic, bakeFigures(health, drift, accuracy), logger.child({ context: 'lifecycle' }), audit ?? null),
        },
      ],
      exports: [BakeWatcher],
    };
  }

  constructor(
    private readonly bake: BakeWatcher,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    registerBakeJobs(this.queue, this.bake);
  }
}
