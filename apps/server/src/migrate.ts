import 'reflect-metadata';
import { ConfigError, loadConfig } from '@modelport/config';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@modelport/database';
import { createLogger } from '@modelport/observability';
import { modelportSchema } from './database-schema';

/** `npm run migrate`: applies pending migrations to DATABASE_URL (or the embedded database) and exits. */
async function main(): Promise<void> {
  const config = loadConfig();
  const logger = createLogger({ level: config.logLevel });
  const embedded = config.database.url ? null : await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
  const dataSource = createDataSource({ url: config.database.url ?? embedded!.url, schema: modelportSchema, poolSize: 2 });
  try {
    await dataSource.initialize();
    const applied = await runMigrations(dataSource);
    process.stdout.write(applied.length ? `Applied ${applied.length} migration(s): ${applied.join(', ')}\n` : 'The database is up to date.\n');
  } finally {
    if (dataSource.isInitialized) await dataSource.destroy();
    await embedded?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(err instanceof ConfigError ? `${err.message}\n` : `Migration failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
