import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import type { ArtifactStore } from '@modelport/storage';
import type { JobQueue } from '@modelport/queue';
import type { Logger } from '@modelport/observability';
import { ServingModule, ServingRuntime } from '@modelport/serving';
import { HealthRollupWriter } from './health/domain/health-rollup.writer';
import { registerHealthMetrics } from './health/domain/health.metrics';
import { HealthService } from './health/domain/health.service';
import { HealthResolver } from './health/graphql/health.resolver';
import { HealthStore } from './health/persistence/health.store';
import { AlertService, AlertSignalRegistry, AlertResolver, registerAlertJobs, registerServiceSignals, serviceStatus } from './alerts';
import { OverviewResolver, OverviewService } from './overview';
import { AccuracyService, accuracyControllers, accuracyProviders, ActualsService, MonitoringSettingsService } from './accuracy';
import { accuracyStatus, registerAccuracySignals, registerDriftSignal } from './accuracy-signals';
import { BaselinesResolver, COMPUTE_REFERENCE_PROFILE_JOB, DriftService, ReferenceService } from './baselines';

export const MONITORING_OPTIONS = Symbol('modelport.monitoring.options');

export interface MonitoringModuleOptions {
  /** The Prometheus registry /metrics serves; deployment health metrics are added to it. */
  readonly metricsRegistry?: Registry | null;
}

/**
 * Monitoring: service health rollups fed by the prediction log writer of this process, the
 * `deploymentHealth` query, and deployment health in /metrics.
 */
@Module({})
export class MonitoringModule implements OnModuleInit, OnApplicationShutdown {
  private unsubscribe: (() => void) | null = null;

  static forRoot(options: MonitoringModuleOptions = {}): DynamicModule {
    return {
      module: MonitoringModule,
      imports: [ServingModule],
      controllers: [...accuracyControllers],
      providers: [
        ...accuracyProviders,
        { provide: MONITORING_OPTIONS, useValue: options },
        { provide: HealthStore, inject: [DataSource], useFactory: (db: DataSource) => new HealthStore(db) },
        {
          provide: HealthRollupWriter,
          inject: [HealthStore, LOGGER],
          useFactory: (store: HealthStore, logger: Logger) => new HealthRollupWriter(store, logger.child({ context: 'monitoring' })),
        },
        {
          provide: HealthService,
          inject: [HealthStore, ServingRuntime],
          useFactory: (store: HealthStore, serving: ServingRuntime) => new HealthService(store, serving.deployments),
        },
        HealthResolver,
        {
          provide: ReferenceService,
          inject: [DataSource, ARTIFACT_STORE, JOB_QUEUE, ServingRuntime, LOGGER],
          useFactory: (db: DataSource, store: ArtifactStore, queue: JobQueue, serving: ServingRuntime, logger: Logger) =>
            new ReferenceService(db, store, queue, serving.deployments, logger.child({ context: 'drift' })),
        },
        {
          provide: DriftService,
          inject: [DataSource, ReferenceService, ServingRuntime, LOGGER],
          useFactory: (db: DataSource, references: ReferenceService, serving: ServingRuntime, logger: Logger) =>
            new DriftService(db, references, serving.deployments, logger.child({ context: 'drift' })),
        },
        BaselinesResolver,
        {
          provide: AlertSignalRegistry,
          inject: [DataSource, HealthService, AccuracyService, DriftService],
          useFactory: (db: DataSource, health: HealthService, accuracy: AccuracyService, drift: DriftService) =>
            registerDriftSignal(registerAccuracySignals(registerServiceSignals(new AlertSignalRegistry(), health), accuracy), db, drift),
        },
        {
          provide: AlertService,
          inject: [DataSource, JOB_QUEUE, ServingRuntime, AlertSignalRegistry, LOGGER, MODELPORT_CONFIG],
          useFactory: (db: DataSource, queue: JobQueue, serving: ServingRuntime, signals: AlertSignalRegistry, logger: Logger, config: ModelportConfig) =>
            new AlertService(db, queue, serving.deployments, signals, { logger: logger.child({ context: 'alerts' }), maxPageSize: config.graphql.maxPageSize }),
        },
        AlertResolver,
        {
          provide: OverviewService,
          inject: [DataSource, HealthService, AccuracyService, DriftService],
          useFactory: (db: DataSource, health: HealthService, accuracy: AccuracyService, drift: DriftService) =>
            new OverviewService(db)
              .registerSource('service', serviceStatus(health))
              .registerSource('accuracy', accuracyStatus(db, accuracy))
              .registerSource('drift', drift.statusSource()),
        },
        OverviewResolver,
      ],
      exports: [HealthService, HealthRollupWriter, AlertService, AlertSignalRegistry, OverviewService, ReferenceService, DriftService, AccuracyService, MonitoringSettingsService, ActualsService],
    };
  }

  constructor(
    private readonly serving: ServingRuntime,
    private readonly rollup: HealthRollupWriter,
    private readonly health: HealthService,
    private readonly alerts: AlertService,
    private readonly references: ReferenceService,
    private readonly drift: DriftService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringModuleOptions,
    @Inject(MODELPORT_CONFIG) private readonly config: ModelportConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    registerAlertJobs(this.queue, this.alerts);
    this.queue.register<{ profileId: string; sha256: string }, { status: string }>(COMPUTE_REFERENCE_PROFILE_JOB, async (job) => ({ status: await this.references.compute(job.data.profileId, job.data.sha256) }), {
      concurrency: 1,
    });
    // Every batch the prediction log commits in this process is counted into the rollups.
    // Shadow and replay rows are the challengers' (compared by the lifecycle), not the deployment's service.
    const stopRollups = this.serving.writer.onFlushed((rows) => this.rollup.record(liveRows(rows)));
    // Drift windows are folded in the background: the writer does not wait for them.
    const stopDrift = this.serving.writer.onFlushed((rows) => void this.drift.record(liveRows(rows)));
    this.unsubscribe = () => {
      stopRollups();
      stopDrift();
    };
    if (this.options.metricsRegistry) {
      registerHealthMetrics(this.options.metricsRegistry, this.health, this.logger.child({ context: 'monitoring' }), { rollup: this.rollup });
    }
  }

  /** After ServingModule closed the log writer (beforeApplicationShutdown), so its last batches are counted too. */
  async onApplicationShutdown(): Promise<void> {
    await this.rollup.close({ timeoutMs: this.config.shutdownTimeoutMs });
    // The last batches' drift folds finish before the database closes (bounded like the rollups).
    await Promise.race([this.drift.settle(), new Promise((r) => setTimeout(r, this.config.shutdownTimeoutMs).unref())]);
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}

/** The rows answered to callers (champion and canaries); a batch with none other is passed through as is. */
function liveRows<T extends { readonly role?: string }>(rows: readonly T[]): readonly T[] {
  return rows.every((r) => r.role === undefined || r.role === 'live') ? rows : rows.filter((r) => r.role === undefined || r.role === 'live');
}
