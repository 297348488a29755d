import type { DatabaseSchema } from '@modelport/database';
import { governanceEntities, governanceMigrations } from '@modelport/governance';
import { registryEntities, registryMigrations } from '@modelport/registry';

/** Every entity and migration of every context, in dependency order. */
export const modelportSchema: DatabaseSchema = {
  entities: [...governanceEntities, ...registryEntities],
  migrations: [...governanceMigrations, ...registryMigrations],
};
