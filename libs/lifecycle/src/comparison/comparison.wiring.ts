import type { DataSource } from 'typeorm';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { ActualsRematcher, ComparisonDeploymentLookup, MonitoringSettingsReader, ReplayScorer } from './domain/comparison.ports';
import { ComparisonService, type ComparisonOptions } from './domain/comparison.service';
import { ReplayService, type ReplayOptions } from './domain/replay.service';

export interface ComparisonDependencies {
  readonly db: DataSource;
  /** `ServingRuntime.deployments` (DeploymentService). */
  readonly deployments: ComparisonDeploymentLookup;
  /** `MonitoringSettingsService` of @modelport/monitoring. */
  readonly settings: MonitoringSettingsReader;
  /** `ActualsService` of @modelport/monitoring: late actuals are matched before a comparison reads them. */
  readonly actuals?: ActualsRematcher | null;
  readonly queue: Pick<JobQueue, 'enqueue'>;
  /** Loads a version on a plugin for the duration of a replay (serving). */
  readonly scorer: ReplayScorer;
  readonly logger: Logger;
  /** `config.graphql.maxPageSize`. */
  readonly maxPageSize: number;
  readonly comparison?: Partial<ComparisonOptions>;
  readonly replay?: Partial<Omit<ReplayOptions, 'logger' | 'maxPageSize'>>;
}

/**
 * Both services of the comparison area, for the module that wires them (provide each under its
 * class so ComparisonResolver can inject them), then `registerReplayJobs(queue, replays)` before
 * the queue starts.
 */
export function createComparisonServices(deps: ComparisonDependencies): { comparison: ComparisonService; replays: ReplayService } {
  return {
    comparison: new ComparisonService(deps.db, deps.deployments, deps.settings, deps.actuals ?? null, deps.comparison),
    replays: new ReplayService(deps.db, deps.queue, deps.deployments, deps.scorer, { ...deps.replay, logger: deps.logger, maxPageSize: deps.maxPageSize }),
  };
}
