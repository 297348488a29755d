/**
 * Where the integration tests find the real services. CI and a fresh machine
 * of this project have PostgreSQL and Redis on loopback; both can be pointed
 * elsewhere with these variables.
 */
export interface TestServices {
  readonly databaseUrl: string;
  readonly redisUrl: string;
}

export function testServices(env: Readonly<Record<string, string | undefined>> = process.env): TestServices {
  return {
    databaseUrl: env['MODELPORT_TEST_DATABASE_URL'] || 'postgres://postgres@127.0.0.1:5432/postgres',
    redisUrl: env['MODELPORT_TEST_REDIS_URL'] || 'redis://127.0.0.1:6379',
  };
}

/**
 * The environment of this process without any Modelport setting (DATABASE_URL, S3_*, REDIS_URL,
 * MODELPORT_*, NODE_ENV): what a fresh shell would hand a server started by a test or benchmark.
 */
export function environmentWithoutSettings(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && !/^(DATABASE_URL|S3_|REDIS_URL|MODELPORT_|NODE_ENV)/.test(key)) out[key] = value;
  }
  return out;
}

/** Variables a launched plugin inherits from the server; everything else (database URLs, S3 keys, tokens) stays out. */
const PLUGIN_INHERITED_ENV = ['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'LC_CTYPE', 'TZ', 'TMPDIR', 'SYSTEMROOT', 'LD_LIBRARY_PATH'];

/** The base environment of a plugin the server launches: its PATH, HOME, locale and temp settings only. */
export function pluginBaseEnvironment(env: Readonly<Record<string, string | undefined>> = process.env): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of PLUGIN_INHERITED_ENV) {
    const value = env[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
