import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { AUDIT_SINK, GovernanceModule, type AuditSink } from '@modelport/governance';
import { AccuracyService, ActualsService, AlertService, DriftService, HealthService, metricOf, MonitoringSettingsService } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { RegistryModule, RegistryService } from '@modelport/registry';
import { ServingModule, ServingRuntime } from '@modelport/serving';
import { BakeWatcher, registerBakeJobs, type BakeFigureReader } from './bake';
import { ComparisonResolver, ComparisonService, createComparisonServices, registerReplayJobs, ReplayService } from './comparison';
import { historyProviders, TimelineService } from './history';
import { AttentionService, connectRefresh, RefreshService, refreshControllers, refreshProviders, registerRefreshJobs, SHADOW_ATTACHER, refreshRunsSource } from './refresh';

const COMPARISON_SERVICES = Symbol('modelport.lifecycle.comparison-services');
type ComparisonServices = ReturnType<typeof createComparisonServices>;

/** The champion's figures since its promotion, from the monitoring rollups, drift sketches and actuals. */
function bakeFigures(health: HealthService, drift: DriftService, accuracy: AccuracyService): BakeFigureReader {
  return async (deployment, settings, from, to) => {
    const h = await health.figures(deployment.id, from, to, deployment.modelVersionId);
    const driftStatus = settings.rollbackOnDrift ? ((await drift.reportOf(deployment.id, deployment.modelVersionId, from, to).catch(() => null))?.report?.status ?? null) : null;
    const window = settings.accuracyMetric ? await accuracy.accuracyOver(deployment.id, from, to, deployment.modelVersionId) : null;
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
export class LifecycleModule implements OnModuleInit, OnApplicationShutdown {
  private unsubscribe: (() => void) | null = null;

  /** `monitoring`: the same MonitoringModule.forRoot(...) the application imports (its services are read here). */
  static forRoot(monitoring: DynamicModule): DynamicModule {
    return {
      module: LifecycleModule,
      imports: [GovernanceModule, RegistryModule, ServingModule, monitoring],
      controllers: [...refreshControllers],
      providers: [
        ...historyProviders,
        ...refreshProviders,
        {
          provide: COMPARISON_SERVICES,
          inject: [DataSource, ServingRuntime, MonitoringSettingsService, ActualsService, JOB_QUEUE, LOGGER, MODELPORT_CONFIG],
          useFactory: (db: DataSource, serving: ServingRuntime, settings: MonitoringSettingsService, actuals: ActualsService, queue: JobQueue, logger: Logger, config: ModelportConfig) =>
            createComparisonServices({
              db,
              deployments: serving.deployments,
              settings,
              actuals,
              queue,
              scorer: serving.replayScorer,
              logger: logger.child({ context: 'replay' }),
              maxPageSize: config.graphql.maxPageSize,
            }),
        },
        { provide: ComparisonService, inject: [COMPARISON_SERVICES], useFactory: (s: ComparisonServices) => s.comparison },
        { provide: ReplayService, inject: [COMPARISON_SERVICES], useFactory: (s: ComparisonServices) => s.replays },
        ComparisonResolver,
        // A version registered in answer to a refresh joins its deployment as a shadow challenger.
        { provide: SHADOW_ATTACHER, inject: [ServingRuntime], useFactory: (serving: ServingRuntime) => serving.traffic },
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
    private readonly refresh: RefreshService,
    private readonly attention: AttentionService,
    private readonly alerts: AlertService,
    private readonly registry: RegistryService,
    private readonly timeline: TimelineService,
    private readonly db: DataSource,
    private readonly replays: ReplayService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    registerBakeJobs(this.queue, this.bake);
    registerRefreshJobs(this.queue, this.refresh);
    registerReplayJobs(this.queue, this.replays);
    this.timeline.registerSource('refresh-runs', refreshRunsSource(this.db));
    this.unsubscribe = connectRefresh({ alerts: this.alerts, registry: this.registry, attention: this.attention, refresh: this.refresh });
  }

  onApplicationShutdown(): void {
    this.unsubscribe?.();
  }
}
