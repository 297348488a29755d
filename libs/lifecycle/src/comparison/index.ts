/**
 * Challenger comparison and replay (see README.md here): a challenger version against the champion
 * on shared traffic (shadow or replay answers paired with live predictions), with a verdict and its
 * evidence; replays score a version on a past window of stored inputs in a background job.
 */
export { comparisonEntities, comparisonMigrations, ReplayRunEntity, LifecycleReplayRuns1795920000000, REPLAY_RUN_STATES, type ReplayRunState } from './persistence';
export { createComparisonServices, type ComparisonDependencies } from './comparison.wiring';
export {
  ComparisonService,
  COMPARISON_SOURCES,
  DEFAULT_COMPARISON_OPTIONS,
  type ChallengerComparison,
  type ChampionVersionFigures,
  type ComparisonOptions,
  type ComparisonQuery,
  type ComparisonSource,
} from './domain/comparison.service';
export { ReplayService, REPLAY_JOB, MAX_REPLAY_ROWS, type ReplayOptions, type StartReplayInput, type ReplayJobData, type ReplayJobResult } from './domain/replay.service';
export { registerReplayJobs } from './domain/replay.jobs';
export { replayPredictionId } from './domain/replay-id';
export { decideVerdict, resolveThresholds, DEFAULT_VERDICT_THRESHOLDS, type Verdict, type VerdictThresholds, type ThresholdOverrides, type ServiceFigures } from './domain/verdict';
export type { PairFigures, AgreementFigures, DifferenceFigures, OutputDifference, AccuracyComparison, ReasonCount } from './domain/pair-figures';
export type { ComparedDeployment, ComparisonDeploymentLookup, MonitoringSettingsReader, ActualsRematcher, JsonTensor, ReplayScorer, ScoreFunction } from './domain/comparison.ports';
export { ComparisonError, ComparisonErrorCode } from './domain/comparison.errors';
export { ComparisonResolver } from './graphql/comparison.resolver';
