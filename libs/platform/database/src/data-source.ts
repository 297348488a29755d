import { createHash } from 'node:crypto';
import { DataSource, type MigrationInterface, type MixedList, type EntitySchema } from 'typeorm';

// eslint-disable-next-line @typescript-eslint/no-unsafe-function-type
export type EntityList = MixedList<Function | string | EntitySchema>;
export type MigrationClass = new () => MigrationInterface;

export interface DatabaseSchema {
  readonly entities: EntityList;
  readonly migrations: readonly MigrationClass[];
}

export const MIGRATIONS_TABLE = 'modelport_migrations';

export function createDataSource(options: { url: string; poolSize?: number; schema: DatabaseSchema; applicationName?: string }): DataSource {
  return new DataSource({
    type: 'postgres',
    url: options.url,
    entities: options.schema.entities,
    migrations: [...options.schema.migrations],
    migrationsTableName: MIGRATIONS_TABLE,
    migrationsTransactionMode: 'each',
    synchronize: false,
    migrationsRun: false,
    logging: false,
    poolSize: options.poolSize ?? 10,
    applicationName: options.applicationName ?? 'modelport',
    extra: { max: options.poolSize ?? 10 },
  });
}

/** A key that changes whenever any migration's name or code changes (used to cache migrated test templates). */
export function migrationsFingerprint(migrations: readonly MigrationClass[]): string {
  const hash = createHash('sha256');
  for (const m of migrations) hash.update(m.name).update(m.prototype.up.toString()).update(m.prototype.down.toString());
  return hash.digest('hex').slice(0, 16);
}

const MIGRATION_LOCK = 7_311_337;

/**
 * Runs pending migrations under a PostgreSQL advisory lock, so that replicas
 * starting together apply each migration once. Returns the names applied.
 */
export async function runMigrations(dataSource: DataSource): Promise<string[]> {
  const runner = dataSource.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    const applied = await dataSource.runMigrations({ transaction: 'each' });
    return applied.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
    await runner.release();
  }
}
