import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { configFor, testServices } from '@modelport/config';
import { silentLogger } from '@modelport/observability';
import { createTestDatabase, startS3Server, type S3Server, type TestDatabase } from '@modelport/testing';
import { modelportSchema } from '../database-schema';
import { startServer, type RunningServer } from '../server';

export interface GraphqlResponse<T = Record<string, unknown>> {
  status: number;
  data: T | null;
  errors?: { message: string; extensions?: { code?: string; reason?: string } & Record<string, unknown>; path?: string[] }[];
}

export interface TestServer {
  readonly url: string;
  readonly adminToken: string;
  readonly server: RunningServer;
  readonly db: TestDatabase;
  readonly s3: S3Server | null;
  gql<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<GraphqlResponse<T>>;
  /** Like gql but fails the test on any GraphQL error, returning data. */
  ok<T = Record<string, unknown>>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** Artifact store: the local directory (default) or an s3rver on loopback. */
  readonly storage?: 'local' | 's3';
  /** Job queue: in-process (default) or BullMQ on the test Redis. */
  readonly queue?: 'in-process' | 'redis';
  readonly env?: Record<string, string>;
}

/**
 * A real Modelport server for one integration test file: its own PostgreSQL
 * database (cloned from the migrated template), its own artifact directory or
 * S3 bucket, a free port, and a known admin token.
 */
export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const db = await createTestDatabase(modelportSchema);
  const dataDir = mkdtempSync(join(tmpdir(), 'modelport-test-'));
  const s3 = options.storage === 's3' ? await startS3Server() : null;
  const adminToken = `mpt_test_${randomBytes(24).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    MODELPORT_PORT: '0',
    MODELPORT_DATA_DIR: dataDir,
    DATABASE_URL: db.url,
    MODELPORT_BOOTSTRAP_TOKEN: adminToken,
    MODELPORT_LOG_LEVEL: 'silent',
    MODELPORT_GRPC_PORT: '0',
    // Launching the ONNX plugin costs a process per server; tests that serve models ask for it.
    MODELPORT_PLUGINS: 'none',
    ...(s3 ? { S3_ENDPOINT: `http://${s3.endpoint}:${s3.port}`, S3_ACCESS_KEY: s3.accessKey, S3_SECRET_KEY: s3.secretKey, S3_BUCKET: 'modelport-test' } : {}),
    ...(options.queue === 'redis' ? { REDIS_URL: testServices().redisUrl, MODELPORT_QUEUE_PREFIX: `mp-test-${randomBytes(4).toString('hex')}` } : {}),
    ...options.env,
  };
  let server: RunningServer;
  try {
    server = await startServer({ config: configFor(env), logger: silentLogger() });
  } catch (err) {
    await db.drop();
    await s3?.stop();
    rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  const { gql, ok } = graphqlClient(server.url, adminToken);
  return {
    url: server.url,
    adminToken,
    server,
    db,
    s3,
    gql,
    ok,
    close: async () => {
      await server.close();
      await db.drop();
      await s3?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** GraphQL calls against a server, as the admin unless another token (or null) is given. */
export function graphqlClient(url: string, adminToken: string): Pick<TestServer, 'gql' | 'ok'> {
  const gql = async <T>(query: string, variables: Record<string, unknown> = {}, token: string | null = adminToken): Promise<GraphqlResponse<T>> => {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers['authorization'] = `Bearer ${token}`;
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as Omit<GraphqlResponse<T>, 'status'>;
    return { status: res.status, ...body };
  };
  const ok = async <T>(query: string, variables?: Record<string, unknown>, token?: string | null): Promise<T> => {
    const res = await gql<T>(query, variables, token);
    if (res.errors?.length) throw new Error(`GraphQL errors: ${JSON.stringify(res.errors)}`);
    return res.data as T;
  };
  return { gql, ok };
}
