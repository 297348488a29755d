export { ReferenceService, COMPUTE_REFERENCE_PROFILE_JOB, MAX_REFERENCE_ROWS, type ReferenceProfileRow, type CreateReferenceInput, type ColumnProfile } from './reference.service';
export { DriftService, MAX_DRIFT_HOURS, type DeploymentDrift } from './drift.service';
export { columnsFromTensors } from './features';
export { baselineMigrations, MonitoringDrift1795801500000 } from './baselines.migrations';
export { BaselinesResolver } from './baselines.resolver';
