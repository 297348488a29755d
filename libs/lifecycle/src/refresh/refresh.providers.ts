import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { AccuracyService, DriftService, type AlertService } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { PUBLIC_URL, type RegistryService } from '@modelport/registry';
import { ServingRuntime } from '@modelport/serving';
import { AttentionService } from './domain/attention.service';
import { LabelledDataService } from './domain/labelled-data.service';
import { RefreshService, type RefreshServiceOptions } from './domain/refresh.service';
import { monitoringRefreshSignals, type RefreshSignals, type ShadowAttacher } from './domain/refresh.ports';
import { RefreshResolver } from './graphql/refresh.resolver';
import { LabelledDataController } from './http/labelled-data.controller';

/** The serving context's ShadowAttacher (provide it where refreshProviders are listed). */
export const SHADOW_ATTACHER = Symbol('modelport.lifecycle.shadow-attacher');
/** The drift and accuracy figures the triggers read; refreshProviders build it from monitoring's services. */
export const REFRESH_SIGNALS = Symbol('modelport.lifecycle.refresh-signals');
/** Optional overrides of the delivery settings (tests; a deployment can provide its own). */
export const REFRESH_OPTIONS = Symbol('modelport.lifecycle.refresh-options');

export type RefreshModuleOptions = Partial<Pick<RefreshServiceOptions, 'maxDeliveryAttempts' | 'retryBaseMs' | 'deliveryTimeoutMs'>>;

/**
 * The Nest providers of refresh policies, attention marks and the labelled-data export. Need DataSource,
 * JOB_QUEUE, LOGGER, MODELPORT_CONFIG, PUBLIC_URL, ServingRuntime, DriftService and AccuracyService (from
 * MonitoringModule) and SHADOW_ATTACHER in the module that lists them.
 */
export const refreshProviders: Provider[] = [
  {
    provide: REFRESH_SIGNALS,
    inject: [DataSource, DriftService, AccuracyService],
    useFactory: (db: DataSource, drift: DriftService, accuracy: AccuracyService): RefreshSignals => monitoringRefreshSignals(db, drift, accuracy),
  },
  {
    provide: AttentionService,
    inject: [DataSource, LOGGER],
    useFactory: (db: DataSource, logger: Logger) => new AttentionService(db, logger.child({ context: 'refresh' })),
  },
  {
    provide: RefreshService,
    inject: [DataSource, JOB_QUEUE, ServingRuntime, REFRESH_SIGNALS, SHADOW_ATTACHER, LOGGER, MODELPORT_CONFIG, PUBLIC_URL, { token: REFRESH_OPTIONS, optional: true }],
    useFactory: (
      db: DataSource,
      queue: JobQueue,
      serving: ServingRuntime,
      signals: RefreshSignals,
      shadows: ShadowAttacher,
      logger: Logger,
      config: ModelportConfig,
      publicUrl: { get(): string },
      options?: RefreshModuleOptions,
    ) =>
      new RefreshService(db, queue, serving.deployments, signals, shadows, {
        logger: logger.child({ context: 'refresh' }),
        maxPageSize: config.graphql.maxPageSize,
        publicUrl: () => publicUrl.get(),
        ...options,
      }),
  },
  {
    provide: LabelledDataService,
    inject: [DataSource, ServingRuntime],
    useFactory: (db: DataSource, serving: ServingRuntime) => new LabelledDataService(db, serving.deployments),
  },
  RefreshResolver,
];

export const refreshControllers: Type[] = [LabelledDataController];

/**
 * Subscribes the refresh area to the events it answers: alerts firing and resolving mark deployments, and
 * versions registered with a refreshRunId complete their run. Call once at start; returns the unsubscribe.
 */
export function connectRefresh(deps: {
  readonly alerts: Pick<AlertService, 'onAlertEvent'>;
  readonly registry: Pick<RegistryService, 'onVersionRegistered'>;
  readonly attention: AttentionService;
  readonly refresh: RefreshService;
}): () => void {
  const stopAlerts = deps.alerts.onAlertEvent((e) => deps.attention.handleAlertEvent(e));
  const stopVersions = deps.registry.onVersionRegistered((e) => deps.refresh.handleVersionRegistered(e));
  return () => {
    stopAlerts();
    stopVersions();
  };
}
