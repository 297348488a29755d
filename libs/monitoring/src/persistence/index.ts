import type { MigrationClass } from '@modelport/database';
import { healthEntities, healthMigrations } from '../health/persistence';
import { alertEntities } from '../alerts/persistence/alert.entities';
import { alertMigrations } from '../alerts/persistence/alerts.migrations';
import { accuracyEntities, accuracyMigrations } from '../accuracy/persistence';
import { baselineMigrations } from '../baselines/baselines.migrations';

/** Every entity of the monitoring context. */
export const monitoringEntities = [...healthEntities, ...alertEntities, ...accuracyEntities];

/** Every migration of the monitoring context, in order. They read no other context's tables, so they may run anywhere after servingMigrations. */
export const monitoringMigrations: MigrationClass[] = [...healthMigrations, ...alertMigrations, ...accuracyMigrations, ...baselineMigrations];
