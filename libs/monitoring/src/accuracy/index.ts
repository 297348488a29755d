/**
 * Actuals and accuracy (see README.md here): actuals submitted by association id and joined to the
 * prediction log, per-window classification and regression metrics, and actuals timeliness.
 */
export { accuracyProviders, accuracyControllers, ACCURACY_OPTIONS, type AccuracyModuleOptions } from './accuracy.providers';
export { accuracyEntities, accuracyMigrations, ActualEntity, DeploymentMonitoringSettingsEntity, MonitoringActuals1795801450000 } from './persistence';
export { AccuracyService, DEFAULT_ACCURACY_OPTIONS, type AccuracyOptions, type AccuracyQuery, type DeploymentAccuracy } from './domain/accuracy.service';
export {
  ActualsService,
  DEFAULT_ACTUALS_OPTIONS,
  ACTUALS_MAX_PER_CALL,
  ACTUALS_MAX_BODY_BYTES,
  ACTUALS_MAX_LINE_BYTES,
  type ActualsOptions,
  type SubmitActualsResult,
  type NdjsonIngestReport,
} from './domain/actuals.service';
export { MonitoringSettingsService, type DeploymentLookup, type DeploymentRef, type MonitoringSettingsView } from './domain/monitoring-settings.service';
export { type MonitoringSettings, type MonitoringSettingsInput, type PredictionTask } from './domain/monitoring-settings';
export { type AccuracyResolution, type AccuracyWindowResult, MAX_WINDOWS } from './domain/accuracy-windows';
export { AccuracyError, AccuracyErrorCode } from './domain/accuracy.errors';
export * from './metrics';
