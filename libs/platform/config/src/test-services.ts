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
