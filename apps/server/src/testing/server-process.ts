import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environmentWithoutSettings } from '@modelport/config';
import { modelportSchema } from '../database-schema';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import type { ApiClient } from './fixtures';
import { graphqlClient } from './test-server';

const root = resolve(__dirname, '..', '..', '..', '..');

export interface ServerProcess extends ApiClient {
  readonly child: ChildProcess;
  readonly grpcAddress: string;
  readonly db: TestDatabase;
  readonly dataDir: string;
  /** Everything the server (and the plugins it launched) wrote to stdout, as parsed JSON log lines. */
  logs(): Record<string, unknown>[];
  close(): Promise<number | null>;
}

/**
 * The built server (dist/, so build first) as its own process, on its own test
 * database and artifact directory, with free HTTP and gRPC ports. Plugins it
 * launches are processes of their own.
 */
export async function startServerProcess(env: Record<string, string> = {}, options: { readonly database?: TestDatabase } = {}): Promise<ServerProcess> {
  // With `database`, a second replica of a server already running on it (the database is left to its owner).
  const db = options.database ?? (await createTestDatabase(modelportSchema));
  const dropDatabase = () => (options.database ? Promise.resolve() : db.drop());
  const dataDir = mkdtempSync(join(tmpdir(), 'modelport-proc-'));
  const adminToken = `mpt_test_${randomBytes(24).toString('hex')}`;
  const inherited = environmentWithoutSettings();
  const child = spawn(process.execPath, [join(root, 'dist/apps/server/src/main.js')], {
    cwd: dataDir,
    env: {
      ...inherited,
      NODE_ENV: 'test',
      DATABASE_URL: db.url,
      MODELPORT_PORT: '0',
      MODELPORT_GRPC_PORT: '0',
      MODELPORT_DATA_DIR: dataDir,
      MODELPORT_BOOTSTRAP_TOKEN: adminToken,
      MODELPORT_LOG_LEVEL: 'info',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const logs = () =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const deadline = Date.now() + 60_000;
  let url: string | null = null;
  let grpcAddress: string | null = null;
  while (Date.now() < deadline && (!url || !grpcAddress)) {
    if (child.exitCode !== null) break;
    for (const line of logs()) {
      if (line['msg'] === 'Modelport server listening') url = line['url'] as string;
      if (line['msg'] === 'serving ready') grpcAddress = `127.0.0.1:${String(line['grpcPort'])}`;
    }
    if (!url || !grpcAddress) await new Promise((r) => setTimeout(r, 50));
  }
  if (!url || !grpcAddress) {
    child.kill('SIGKILL');
    await dropDatabase();
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`the server process did not start:\n${stderr}\n${stdout}`);
  }
  const base = url;
  const { gql, ok } = graphqlClient(base, adminToken);
  return {
    url: base,
    adminToken,
    grpcAddress,
    child,
    db,
    dataDir,
    logs,
    gql,
    ok,
    close: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      const code = await exited;
      await dropDatabase();
      rmSync(dataDir, { recursive: true, force: true });
      return code;
    },
  };
}
