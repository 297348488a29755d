export { healthEntities, DeploymentHealthMinuteEntity, DeploymentConsumerMinuteEntity, DeploymentHealthTotalsEntity, HealthRollupLedgerEntity } from './health.entities';
export { healthMigrations, MonitoringHealthRollups1795801475000 } from './health.migrations';
export { HealthStore, type MetricsSnapshot, type BackfillResult } from './health.store';
