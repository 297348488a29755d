/** Monitoring: service health rollups, reference profiles, drift, actuals and accuracy, alerts. */
export { MonitoringModule, MONITORING_OPTIONS, type MonitoringModuleOptions } from './monitoring.module';
export { monitoringEntities, monitoringMigrations } from './persistence';
export * from './health';
export * from './alerts';
export * from './overview';
export * from './accuracy';
export * from './drift';
export * from './baselines';
export { metricOf } from './accuracy-signals';
