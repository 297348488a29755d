/** Service health: per-minute rollups of the prediction log, series per deployment and version, /metrics. See README.md. */
export { HealthService, buildSeries, healthFigures, type HealthDeploymentLookup, type DeploymentHealthMetrics, type HealthServiceOptions } from './domain/health.service';
export { HealthRollupWriter, type HealthRollupOptions, type HealthRollupStats, type RollupSink } from './domain/health-rollup.writer';
export { RollupBatch, type MinuteDelta, type TotalsDelta } from './domain/rollup-batch';
export { registerHealthMetrics, type HealthMetricsOptions, type HealthMetricsSource } from './domain/health.metrics';
export { HealthError, HealthErrorCode } from './domain/health.errors';
export {
  HealthResolution,
  RESOLUTION_SECONDS,
  MAX_HEALTH_POINTS,
  NO_MODEL_VERSION,
  healthWindow,
  type HealthFigures,
  type HealthPoint,
  type HealthQuery,
  type HealthSeries,
  type HealthWindow,
} from './domain/health.types';
export { LatencyHistogram, LATENCY_RELATIVE_ERROR, LATENCY_BUCKETS, latencyBucket, bucketRange, storedLatencyUs } from './domain/latency-histogram';
export { HealthStore, type BackfillResult, type MetricsSnapshot } from './persistence';
export { DeploymentHealthObject, HealthFiguresObject, HealthPointObject } from './graphql/health.objects';
