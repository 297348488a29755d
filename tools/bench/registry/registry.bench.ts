/* Registry benchmark: see README.md beside this file. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { createEmptyDatabase } from '@modelport/testing';
import { linearRegressionModel } from '@modelport/sample-models';
import { gql as benchGql } from '../shared/graphql';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '1000' },
    versions: { type: 'string', default: '10' },
    runs: { type: 'string', default: '200' },
    concurrency: { type: 'string', default: '8' },
  },
});
const MODELS = Number(args.models);
const VERSIONS = Number(args.versions);
const RUNS = Number(args.runs);
const CONCURRENCY = Number(args.concurrency);

const root = resolve(__dirname, '..', '..', '..', '..');
const TOKEN = `mpt_bench_${randomBytes(24).toString('hex')}`;

interface Server {
  name: string;
  url: string;
  projectId: string;
  modelIds: string[];
  stop(): Promise<void>;
}



async function startServer(name: string): Promise<Omit<Server, 'projectId' | 'modelIds'>> {
  const database = await createEmptyDatabase(`mp_bench_${name}`);
  const dir = mkdtempSync(join(tmpdir(), `modelport-bench-${name}-`));
  chmodSync(dir, 0o755);
  const child: ChildProcess = spawn(process.execPath, [join(root, 'dist/apps/server/src/main.js')], {
    cwd: dir,
    env: {
      PATH: process.env['PATH'],
      DATABASE_URL: database.url,
      MODELPORT_DATA_DIR: dir,
      MODELPORT_PORT: '0',
      MODELPORT_BOOTSTRAP_TOKEN: TOKEN,
      MODELPORT_LOG_LEVEL: 'info',
      MODELPORT_DB_POOL_SIZE: '20',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const url = await new Promise<string>((ok, fail) => {
    const timer = setInterval(() => {
      const m = /"url":"(http:\/\/[^"]+)".*"msg":"Modelport server listening"/.exec(out);
      if (m) {
        clearInterval(timer);
        ok(m[1]!);
      } else if (child.exitCode !== null) {
        clearInterval(timer);
        fail(new Error(`${name} server exited: ${out}`));
      }
    }, 50);
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  return {
    name,
    url,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
      await database.drop();
    },
  };
}

const gql = <T = any>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => benchGql<T>(url, TOKEN, query, variables);

/** A distinct, valid ONNX file per version: the sample model with a unique producer version. */
function artifact(seed: number): Buffer {
  const base = Buffer.from(linearRegressionModel());
  // Append a length-delimited ModelProto field 3 (producer_version): still a valid ONNX file.
  const tag = Buffer.from(`bench-${seed}`);
  return Buffer.concat([base, Buffer.from([0x1a, tag.length]), tag]);
}

async function registerVersion(url: string, projectId: string, modelId: string, seed: number): Promise<void> {
  const bytes = artifact(seed);
  const sha = createHash('sha256').update(bytes).digest('hex');
  const { createArtifactUpload: slot } = await gql(url, `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url } }`, {
    p: projectId,
    s: bytes.length,
    h: sha,
  });
  const put = await fetch(slot.url, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body: bytes });
  if (!put.ok) throw new Error(`upload failed: ${put.status}`);
  await gql(url, `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }`, {
    i: { modelId, uploadId: slot.id, sha256: sha, sizeBytes: bytes.length, tags: [`seed-${seed % 50}`] },
  });
}

async function pool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

async function seed(server: Omit<Server, 'projectId' | 'modelIds'>, models: number, versions: number): Promise<Server> {
  const started = Date.now();
  const { createProject } = await gql(server.url, `mutation { createProject(input: { name: "bench" }) { id } }`);
  const modelIds: string[] = [];
  await pool(
    Array.from({ length: models }, (_, i) => i),
    CONCURRENCY,
    async (i) => {
      const { createModel } = await gql(server.url, `mutation($p: ID!, $n: String!, $t: [String!]) { createModel(input: { projectId: $p, name: $n, tags: $t }) { id } }`, {
        p: createProject.id,
        n: `model-${String(i).padStart(5, '0')}-${i % 7 === 0 ? 'fraud' : 'churn'}`,
        t: [`team-${i % 20}`],
      });
      modelIds[i] = createModel.id;
    },
  );
  const jobs = modelIds.flatMap((id, m) => Array.from({ length: versions }, (_, v) => ({ id, seed: m * versions + v })));
  await pool(jobs, CONCURRENCY, (j) => registerVersion(server.url, createProject.id, j.id, j.seed));
  for (let i = 0; i < modelIds.length; i += Math.max(1, Math.floor(modelIds.length / 10))) {
    await gql(server.url, `mutation($m: ID!) { setModelAlias(input: { modelId: $m, alias: "champion", version: 1 }) { alias } }`, { m: modelIds[i] });
  }
  const seconds = (Date.now() - started) / 1000;
  process.stdout.write(`${server.name}: seeded ${models} models / ${jobs.length} versions in ${seconds.toFixed(1)} s (${(jobs.length / seconds).toFixed(0)} registrations/s through the API)\n`);
  return { ...server, projectId: createProject.id, modelIds };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

type Operation = (s: Server, i: number) => Promise<unknown>;

const operations: Record<string, Operation> = {
  'list models, first page of 50': (s) => gql(s.url, `{ models(first: 50) { nodes { id name latestVersion tags } pageInfo { endCursor } } }`),
  'list models, a later page (cursor)': async (s) => {
    const first = await gql(s.url, `{ models(first: 50) { pageInfo { endCursor } } }`);
    return gql(s.url, `query($a: String) { models(first: 50, after: $a) { nodes { id name } } }`, { a: first.models.pageInfo.endCursor });
  },
  'search models by name': (s, i) => gql(s.url, `query($q: String) { models(first: 20, filter: { nameContains: $q }) { nodes { id name } } }`, { q: `${String(i % 10)}-fraud` }),
  'filter models by tag': (s, i) => gql(s.url, `query($t: String) { models(first: 20, filter: { tag: $t }) { nodes { id } } }`, { t: `team-${i % 20}` }),
  'filter models by alias': (s) => gql(s.url, `{ models(first: 20, filter: { alias: "champion" }) { nodes { id } } }`),
  "list a model's versions": (s, i) =>
    gql(s.url, `query($m: ID!) { model(id: $m) { versions(first: 10) { nodes { version artifact { sha256 } signature { inputs { name } } } } } }`, {
      m: s.modelIds[i % s.modelIds.length],
    }),
  'register one more version': (s, i) => registerVersion(s.url, s.projectId, s.modelIds[i % s.modelIds.length]!, 10_000_000 + i),
};

async function measure(servers: Server[]): Promise<void> {
  const rows: string[] = [];
  rows.push(`| operation | ${servers.map((s) => `${s.name} p50 ms | ${s.name} p99 ms`).join(' | ')} | p50 ratio | p99 ratio |`);
  rows.push(`|---|${servers.map(() => '---:|---:').join('|')}|---:|---:|`);
  for (const [name, op] of Object.entries(operations)) {
    const samples = servers.map(() => [] as number[]);
    for (let i = 0; i < 10; i++) for (const s of servers) await op(s, i); // warm up
    for (let i = 0; i < RUNS; i++) {
      for (const [k, s] of servers.entries()) {
        const t0 = process.hrtime.bigint();
        await op(s, i);
        samples[k]!.push(Number(process.hrtime.bigint() - t0) / 1e6);
      }
    }
    const stats = samples.map((xs) => {
      const sorted = [...xs].sort((a, b) => a - b);
      return { p50: percentile(sorted, 50), p99: percentile(sorted, 99) };
    });
    const [large, base] = stats as [{ p50: number; p99: number }, { p50: number; p99: number }];
    rows.push(
      `| ${name} | ${stats.map((x) => `${x.p50.toFixed(2)} | ${x.p99.toFixed(2)}`).join(' | ')} | ${(large.p50 / base.p50).toFixed(2)} | ${(large.p99 / base.p99).toFixed(2)} |`,
    );
  }
  process.stdout.write(`\n${RUNS} runs per operation, alternating servers; ratio = large / baseline\n\n${rows.join('\n')}\n`);
}

async function main(): Promise<void> {
  const started: Omit<Server, 'projectId' | 'modelIds'>[] = [];
  try {
    const largeServer = await startServer('large');
    started.push(largeServer);
    const baseServer = await startServer('baseline');
    started.push(baseServer);
    const large = await seed(largeServer, MODELS, VERSIONS);
    const base = await seed(baseServer, 10, VERSIONS);
    await measure([large, base]);
  } finally {
    for (const s of started) await s.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
