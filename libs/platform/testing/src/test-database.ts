import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import type { DataSource } from 'typeorm';
import { testServices } from '@modelport/config';
import { createDataSource, migrationsFingerprint, runMigrations, type DatabaseSchema } from '@modelport/database';

export interface TestDatabase {
  readonly url: string;
  readonly dataSource: DataSource;
  /** Closes the connections and drops the database. */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function admin<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: testServices().databaseUrl });
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `Cannot reach the test PostgreSQL at ${testServices().databaseUrl} (${(err as Error).message}). ` +
        'Start PostgreSQL or point MODELPORT_TEST_DATABASE_URL at one.',
    );
  }
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

const TEMPLATE_LOCK = 7_311_338;

/**
 * A fresh database for one test file, cloned from a template that holds the
 * migrated schema. The template is built once per migration set (its name
 * carries a fingerprint of the migrations' code), so migrations run once, not
 * once per test file.
 */
export async function createTestDatabase(schema: DatabaseSchema): Promise<TestDatabase> {
  const base = testServices().databaseUrl;
  const template = `mp_tpl_${migrationsFingerprint(schema.migrations)}`;
  const name = `mp_test_${Date.now().toString(36)}_${randomBytes(4).toString('hex')}`;
  await admin(async (client) => {
    await client.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK]);
    try {
      const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1 AND datistemplate', [template]);
      if (found.rowCount === 0) {
        await client.query(`DROP DATABASE IF EXISTS ${template}`);
        await client.query(`CREATE DATABASE ${template}`);
        const ds = createDataSource({ url: withDatabase(base, template), schema, poolSize: 2 });
        await ds.initialize();
        try {
          await runMigrations(ds);
        } finally {
          await ds.destroy();
        }
        await client.query(`ALTER DATABASE ${template} WITH is_template = true`);
      }
      await client.query(`CREATE DATABASE ${name} TEMPLATE ${template}`);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK]);
    }
  });
  const url = withDatabase(base, name);
  const dataSource = createDataSource({ url, schema, poolSize: 5 });
  await dataSource.initialize();
  return {
    url,
    dataSource,
    drop: async () => {
      if (dataSource.isInitialized) await dataSource.destroy();
      await admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}

/** An empty database on the test PostgreSQL (for a server process that runs its own migrations), and how to drop it. */
export async function createEmptyDatabase(prefix: string): Promise<{ readonly name: string; readonly url: string; drop(): Promise<void> }> {
  const name = `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  return {
    name,
    url: withDatabase(testServices().databaseUrl, name),
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}
