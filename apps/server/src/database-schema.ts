import type { DatabaseSchema } from '@modelport/database';
import { governanceEntities, governanceMigrations } from '@modelport/governance';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { servingEntities, servingMigrations } from '@modelport/serving';

/** Every entity and migration of every context, in dependency order. */
export const modelportSchema: DatabaseSchema = {
  entities: [...governanceEntities, ...registryEntities, ...servingEntities],
  migrations: [...governanceMigrations, ...registryMigrations, ...servingMigrations],
};
