import { ReplayRunEntity } from './replay-run.entity';

export { ReplayRunEntity, REPLAY_RUN_STATES, type ReplayRunState } from './replay-run.entity';
export { comparisonMigrations, LifecycleReplayRuns1795920000000 } from './comparison.migrations';

/** The comparison area's entities (its migrations: comparisonMigrations), after monitoring's. */
export const comparisonEntities = [ReplayRunEntity];
