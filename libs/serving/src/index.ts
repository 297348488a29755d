// Serving: the plugin host, deployments, the Open Inference Protocol gateway and the prediction log.
export { ServingModule } from './serving.module';
export { ServingRuntime, builtinPlugins } from './serving-runtime';
export { servingEntities, servingMigrations } from './persistence';
export { DeploymentService } from './deployments/domain/deployment.service';
export { DeploymentError, DeploymentErrorCode } from './deployments/domain/deployment.errors';
export { PREDICTION_RETENTION_JOB, enqueuePredictionRetention, PREDICTION_RETENTION_INTERVAL_MS } from './predictions';
export { PredictionLogWriter, type PredictionLogRow, type PredictionLogFlushListener, type PredictionLogWriterOptions } from './predictions';
export { DeploymentReplayScorer, type ReplayTensor } from './traffic/replay-scorer';
export { TrafficService, validateBake, type TrafficPolicyChange, type PromoteInput, type BakeInput, type TrafficPolicyView, type TrafficMember } from './traffic/traffic.service';
export { type BakeSettings, DeploymentEntity, DeploymentVersionEntity } from './deployments/persistence/deployment.entity';
export { validateTrafficPolicy, signatureDifferences, chooseLiveVersion, MAX_CANARIES, MAX_SHADOWS, type TrafficPolicy, type TrafficPolicyInput } from './traffic/traffic-policy';
