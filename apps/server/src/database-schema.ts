import type { DatabaseSchema } from '@modelport/database';
import { approvalEntities, approvalMigrations, governanceEntities, governanceMigrations, groupEntities, groupMigrations } from '@modelport/governance';
import { lifecycleEntities, lifecycleMigrations } from '@modelport/lifecycle';
import { monitoringEntities, monitoringMigrations } from '@modelport/monitoring';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { servingEntities, servingMigrations } from '@modelport/serving';

/** Every entity and migration of every context, in dependency order. */
export const modelportSchema: DatabaseSchema = {
  entities: [...governanceEntities, ...groupEntities, ...approvalEntities, ...registryEntities, ...servingEntities, ...monitoringEntities, ...lifecycleEntities],
  migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations, ...registryMigrations, ...servingMigrations, ...monitoringMigrations, ...lifecycleMigrations],
};
