import type { Provider, Type } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { ServingRuntime } from '@modelport/serving';
import { AccuracyService, DEFAULT_ACCURACY_OPTIONS, type AccuracyOptions } from './domain/accuracy.service';
import { ActualsService, DEFAULT_ACTUALS_OPTIONS, type ActualsOptions } from './domain/actuals.service';
import { MonitoringSettingsService } from './domain/monitoring-settings.service';
import { AccuracyResolver } from './graphql/accuracy.resolver';
import { ActualsController } from './http/actuals.controller';

/** Optional overrides of the actuals and accuracy limits (tests; a deployment can provide its own). */
export const ACCURACY_OPTIONS = Symbol('modelport.monitoring.accuracy.options');

export interface AccuracyModuleOptions {
  readonly actuals?: Partial<ActualsOptions>;
  readonly accuracy?: Partial<AccuracyOptions>;
}

/**
 * The Nest providers of actuals and accuracy. Needs DataSource, MODELPORT_CONFIG and ServingRuntime
 * (import ServingModule) in the module that lists them; deployments are looked up through
 * ServingRuntime.deployments.
 */
export const accuracyProviders: Provider[] = [
  {
    provide: MonitoringSettingsService,
    inject: [DataSource, ServingRuntime],
    useFactory: (db: DataSource, serving: ServingRuntime) => new MonitoringSettingsService(db, serving.deployments),
  },
  {
    provide: ActualsService,
    inject: [DataSource, ServingRuntime, MonitoringSettingsService, MODELPORT_CONFIG, { token: ACCURACY_OPTIONS, optional: true }],
    useFactory: (db: DataSource, serving: ServingRuntime, settings: MonitoringSettingsService, config: ModelportConfig, options?: AccuracyModuleOptions) =>
      new ActualsService(db, serving.deployments, settings, { ...DEFAULT_ACTUALS_OPTIONS, maxPageSize: config.graphql.maxPageSize, ...options?.actuals }),
  },
  {
    provide: AccuracyService,
    inject: [DataSource, ServingRuntime, MonitoringSettingsService, ActualsService, { token: ACCURACY_OPTIONS, optional: true }],
    useFactory: (db: DataSource, serving: ServingRuntime, settings: MonitoringSettingsService, actuals: ActualsService, options?: AccuracyModuleOptions) =>
      new AccuracyService(db, serving.deployments, settings, actuals, { ...DEFAULT_ACCURACY_OPTIONS, ...options?.accuracy }),
  },
  AccuracyResolver,
];

export const accuracyControllers: Type[] = [ActualsController];
