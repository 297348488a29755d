import { type DynamicModule, Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { DataSource } from 'typeorm';
import { JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import type { JobQueue } from '@modelport/queue';
import type { Logger } from '@modelport/observability';
import { ServingModule, ServingRuntime } from '@modelport/serving';
import { HealthRollupWriter } from './health/domain/health-rollup.writer';
import { registerHealthMetrics } from './health/domain/health.metrics';
import { HealthService } from './health/domain/health.service';
import { HealthResolver } from './health/graphql/health.resolver';
import { HealthStore } from './health/persistence/health.store';
import { AlertService, AlertSignalRegistry, AlertResolver, registerAlertJobs, registerServiceSignals } from './alerts';
import { OverviewResolver, OverviewService, serviceStatusFromLog } from './overview';
import { AccuracyService, accuracyControllers, accuracyProviders } from './accuracy';
import { accuracyStatus, registerAccuracySignals } from './accuracy-signals';

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
          provide: AlertSignalRegistry,
          inject: [DataSource, AccuracyService],
          useFactory: (db: DataSource, accuracy: AccuracyService) => registerAccuracySignals(registerServiceSignals(new AlertSignalRegistry(), db), accuracy),
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
          inject: [DataSource, AccuracyService],
          useFactory: (db: DataSource, accuracy: AccuracyService) =>
            new OverviewService(db).registerSource('service', serviceStatusFromLog(db)).registerSource('accuracy', accuracyStatus(db, accuracy)),
        },
        OverviewResolver,
      ],
      exports: [HealthService, HealthRollupWriter, AlertService, AlertSignalRegistry, OverviewService],
    };
  }

  constructor(
    private readonly serving: ServingRuntime,
    private readonly rollup: HealthRollupWriter,
    private readonly health: HealthService,
    private readonly alerts: AlertService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
    @Inject(MONITORING_OPTIONS) private readonly options: MonitoringModuleOptions,
    @Inject(MODELPORT_CONFIG) private readonly config: ModelportConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onModuleInit(): void {
    registerAlertJobs(this.queue, this.alerts);
    // Every batch the prediction log commits in this process is counted into the rollups.
    this.unsubscribe = this.serving.writer.onFlushed((rows) => this.rollup.record(rows));
    if (this.options.metricsRegistry) {
      registerHealthMetrics(this.options.metricsRegistry, this.health, this.logger.child({ context: 'monitoring' }), { rollup: this.rollup });
    }
  }

  /** After ServingModule closed the log writer (beforeApplicationShutdown), so its last batches are counted too. */
  async onApplicationShutdown(): Promise<void> {
    await this.rollup.close({ timeoutMs: this.config.shutdownTimeoutMs });
    this.unsubscribe?.();
    this.unsubscribe = null;
  }
}
