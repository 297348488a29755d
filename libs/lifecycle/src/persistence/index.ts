import type { MigrationClass } from '@modelport/database';
import { comparisonEntities, comparisonMigrations } from '../comparison/persistence';
import { refreshEntities, refreshMigrations } from '../refresh/persistence';

/** Every entity of the lifecycle context; each area (comparison, refresh) adds its own. */
export const lifecycleEntities: (new () => object)[] = [...refreshEntities, ...comparisonEntities];

/** Every migration of the lifecycle context, in order; they run after monitoringMigrations. */
export const lifecycleMigrations: MigrationClass[] = [...refreshMigrations, ...comparisonMigrations];
