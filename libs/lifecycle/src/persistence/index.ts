import type { MigrationClass } from '@modelport/database';

/** Every entity of the lifecycle context; each area (comparison, refresh) adds its own. */
export const lifecycleEntities: (new () => object)[] = [];

/** Every migration of the lifecycle context, in order; they run after monitoringMigrations. */
export const lifecycleMigrations: MigrationClass[] = [];
