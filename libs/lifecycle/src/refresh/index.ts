/**
 * Decay to refresh: deployments marked as needing attention when drift or accuracy alerts fire, refresh
 * policies that ask a retraining service (signed webhook or queued job) for a new model, the labelled-data
 * export they point at, and versions registered in answer joining the deployment as shadow challengers.
 */
export { refreshProviders, refreshControllers, connectRefresh, SHADOW_ATTACHER, REFRESH_SIGNALS, REFRESH_OPTIONS, type RefreshModuleOptions } from './refresh.providers';
export { refreshEntities, refreshMigrations, RefreshPolicyEntity, RefreshRunEntity, DeploymentAttentionEntity, LifecycleRefresh1795910000000 } from './persistence';
export {
  RefreshService,
  REFRESH_REQUESTED_JOB,
  DELIVER_REFRESH_JOB,
  EVALUATE_REFRESH_JOB,
  REFRESH_REQUESTED_EVENT,
  REFRESH_FAILED_EVENT,
  runTrigger,
  type RefreshServiceOptions,
  type RefreshRequestPayload,
  type RefreshTrigger,
  type DeliverRefreshJob,
} from './domain/refresh.service';
export { registerRefreshJobs, enqueueRefreshEvaluation, REFRESH_EVALUATION_INTERVAL_MS } from './domain/refresh.jobs';
export { AttentionService, ATTENTION_ALERT_KINDS, NEEDS_ATTENTION_EVENT, type DeploymentNeedingAttention, type AttentionReason } from './domain/attention.service';
export { LabelledDataService, MAX_LABELLED_DATA_DAYS, type LabelledPrediction } from './domain/labelled-data.service';
export { monitoringRefreshSignals, type RefreshSignals, type ShadowAttacher, type RefreshDeploymentLookup, type DriftStatus } from './domain/refresh.ports';
export {
  validateRefreshPolicy,
  accuracyBreached,
  REFRESH_ACTIONS,
  REFRESH_TRIGGERS,
  REFRESH_RUN_STATES,
  type RefreshPolicyInput,
  type ValidRefreshPolicy,
  type RefreshAction,
  type RefreshTriggerKind,
  type RefreshRunState,
} from './domain/refresh-policy';
export { RefreshError, RefreshErrorCode } from './domain/refresh.errors';
export { RefreshResolver } from './graphql/refresh.resolver';
export { LabelledDataController } from './http/labelled-data.controller';
export { refreshRunsSource } from './refresh-timeline';
