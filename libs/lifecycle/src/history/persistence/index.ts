import type { MigrationClass } from '@modelport/database';

/**
 * History reads other contexts' tables (deployment_events, change requests, alerts, model
 * versions) through their existing indexes: it owns no table and no migration. Kept so the
 * lifecycle schema lists every area the same way.
 */
export const historyEntities: (new () => object)[] = [];
export const historyMigrations: MigrationClass[] = [];
