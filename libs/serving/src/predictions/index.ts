/**
 * The prediction log of the serving context: the `predictions` table (see README.md here for its
 * design and how monitoring reads it), the batched writer the gateway appends to, the payload
 * policy, reads by id and by deployment, and the retention job.
 */
export { servingPredictionMigrations, ServingPredictionLog1795735500000 } from './prediction-log.migrations';
export { newPredictionId, createPredictionIdGenerator, isPredictionId, predictionIdTime, type PredictionIdSource } from './prediction-id';
export {
  PREDICTION_STATUSES,
  type PredictionLogRow,
  type PredictionProtocol,
  type PredictionReceipt,
  type PredictionRole,
  type PredictionStatus,
} from './prediction-log.types';
export { PredictionLogWriter, type PredictionLogWriterOptions, type PredictionLogStats, type PredictionLogFlushListener } from './prediction-log.writer';
export { PredictionLogService, type PredictionLogServiceOptions, type PredictionListFilter } from './prediction-log.service';
export { PredictionLogError, PredictionLogErrorCode } from './prediction-log.errors';
export { shouldStorePayload, validatePayloadPolicy, PAYLOAD_LOGGING_MODES, type PayloadLogging, type PayloadPolicy } from './payload-policy';
export {
  registerPredictionRetentionJob,
  enqueuePredictionRetention,
  PREDICTION_RETENTION_JOB,
  PREDICTION_RETENTION_INTERVAL_MS,
  type PredictionRetentionOptions,
  type PredictionRetentionResult,
} from './prediction-retention.job';
