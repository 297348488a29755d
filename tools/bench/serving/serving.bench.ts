/* Serving benchmark: see README.md beside this file. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import * as ort from 'onnxruntime-node';
import { Client } from 'pg';
import { createEmptyDatabase } from '@modelport/testing';
import { describeOutputMismatch, loadExpectedCases, readExpectedFile, sampleModelPath } from '@modelport/sample-models';
import { type CpuUse, startCpuMeter } from './cpu-meter';
import { addResult, closedLoop, emptyResult, jsonPoster, type LoadResult, percentile, type Send } from './load-generator';
import { SESSION_OPTIONS } from './session-options';
import { cleanupsOnExit } from '../shared/cleanups';
import { gql as benchGql } from '../shared/graphql';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '1,32' },
    rounds: { type: 'string', default: '2' },
    out: { type: 'string' },
  },
});
const DURATION_S = Number(args.duration);
const WARMUP_S = Number(args.warmup);
const CONCURRENCIES = args.concurrency.split(',').map(Number);
const ROUNDS = Number(args.rounds);
if (!(DURATION_S > 0) || !(WARMUP_S >= 0) || !(ROUNDS >= 1) || CONCURRENCIES.some((c) => !Number.isInteger(c) || c < 1)) {
  process.stderr.write('usage: serving.bench [--duration <s per cell>] [--warmup <s per target>] [--concurrency 1,32] [--rounds <n>] [--out <file.json>]\n');
  process.exit(2);
}

const root = resolve(__dirname, '..', '..', '..', '..');
const TOKEN = `mpt_bench_${randomBytes(24).toString('hex')}`;
const MODEL = 'mlp-classifier';
const DEPLOYMENT = 'mlp-bench';
/** Target (f): a second deployment of the same model version with dynamic batching on. */
const BATCHED_DEPLOYMENT = 'mlp-bench-batched';
const BATCHING = { maxBatchSize: 32, maxBatchDelayMs: 1 } as const;
/** Goals (see README.md). */
const GOAL_THROUGHPUT_RATIO = 0.7;
const GOAL_P50_EXTRA_MS = 0.5;

const expectedCase = readExpectedFile(MODEL).cases.find((c) => c.name === 'one row')!;
const loadedCase = loadExpectedCases(MODEL).find((c) => c.name === 'one row')!;
const expectedOutputs = loadedCase.outputs;
/** What the echo server (e) must answer: the request's input, as its output. */
const echoedOutputs = loadedCase.inputs;
const FEATURES = expectedCase.inputs[0]!;
const FEATURES_F32 = Float32Array.from(FEATURES.data as number[]);

// ---------- processes ----------

/** What to undo at the end (servers, database, temp dirs), newest first: run once, also on Ctrl-C. */
const cleanups = cleanupsOnExit('stopping the servers and dropping the benchmark database');

interface Proc {
  readonly pid: number;
}

/** Spawns a node script and resolves once `ready` finds what it waits for in a stdout JSON line. */
async function spawnNode<T>(
  name: string,
  script: string,
  scriptArgs: string[],
  env: Record<string, string>,
  cwd: string,
  ready: (line: Record<string, unknown>, found: Partial<T>) => void,
  complete: (found: Partial<T>) => found is T,
): Promise<{ child: ChildProcess; found: T; warnings: { count: number; first?: string } }> {
  const child = spawn(process.execPath, [script, ...scriptArgs], { cwd, env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  cleanups.push(() => stopChild(child));
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const found: Partial<T> = {};
  const warnings: { count: number; first?: string } = { count: 0 };
  let partial = '';
  let started = false;
  const lines: string[] = [];
  child.stdout!.on('data', (d: Buffer) => {
    const text = partial + d.toString();
    const parts = text.split('\n');
    partial = parts.pop()!;
    for (const raw of parts) {
      if (!raw.startsWith('{')) continue;
      let line: Record<string, unknown>;
      try {
        line = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (!started) {
        lines.push(raw);
        ready(line, found);
      } else if (typeof line['level'] === 'number' && line['level'] >= 40) {
        warnings.count++;
        warnings.first ??= String(line['msg']);
      }
    }
  });
  await new Promise<void>((ok, fail) => {
    const deadline = Date.now() + 90_000;
    const timer = setInterval(() => {
      if (complete(found)) {
        clearInterval(timer);
        started = true;
        ok();
      } else if (child.exitCode !== null || Date.now() > deadline) {
        clearInterval(timer);
        child.kill('SIGKILL');
        fail(new Error(`${name} did not start:\n${stderr}\n${lines.slice(-20).join('\n')}`));
      }
    }, 50);
  });
  return { child, found: found as T, warnings };
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}



interface ModelportServer extends Proc {
  readonly url: string;
  readonly grpcAddress: string;
  readonly database: string;
  readonly databaseUrl: string;
  readonly warnings: { count: number; first?: string };
}

async function startModelport(): Promise<ModelportServer> {
  const scratch = await createEmptyDatabase('mp_bench_serving');
  const database = scratch.name;
  const dir = mkdtempSync(join(tmpdir(), 'modelport-bench-serving-'));
  cleanups.push(async () => {
    rmSync(dir, { recursive: true, force: true });
    await scratch.drop();
  });
  chmodSync(dir, 0o755);
  const databaseUrl = scratch.url;
  const { child, found, warnings } = await spawnNode<{ url: string; grpcPort: number }>(
    'the Modelport server',
    join(root, 'dist/apps/server/src/main.js'),
    [],
    {
      NODE_ENV: 'production',
      DATABASE_URL: databaseUrl,
      MODELPORT_DATA_DIR: dir,
      MODELPORT_PORT: '0',
      MODELPORT_GRPC_PORT: '0',
      MODELPORT_BOOTSTRAP_TOKEN: TOKEN,
      MODELPORT_PLUGINS: 'builtin',
      MODELPORT_LOG_LEVEL: 'info',
    },
    dir,
    (line, f) => {
      if (line['msg'] === 'Modelport server listening') f.url = line['url'] as string;
      if (line['msg'] === 'serving ready') f.grpcPort = Number(line['grpcPort']);
    },
    (f): f is { url: string; grpcPort: number } => f.url !== undefined && f.grpcPort !== undefined,
  );
  return {
    pid: child.pid!,
    url: found.url,
    grpcAddress: `127.0.0.1:${found.grpcPort}`,
    database,
    databaseUrl,
    warnings,
  };
}

async function startPlainServer(): Promise<Proc & { url: string }> {
  const { child, found } = await spawnNode<{ url: string }>(
    'the plain server',
    join(root, 'dist/tools/bench/serving/plain-server.js'),
    ['--model', sampleModelPath(MODEL)],
    {},
    root,
    (line, f) => {
      if (line['msg'] === 'plain server listening') f.url = line['url'] as string;
    },
    (f): f is { url: string } => f.url !== undefined,
  );
  return { pid: child.pid!, url: found.url };
}

/** Target (e): the bare gRPC echo server (echo-server.ts), listening on a unix socket in a temp dir. */
async function startEchoServer(): Promise<Proc & { address: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'modelport-bench-echo-'));
  cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
  const { child, found } = await spawnNode<{ address: string }>(
    'the gRPC echo server',
    join(root, 'dist/tools/bench/serving/echo-server.js'),
    ['--socket', join(dir, 'echo.sock')],
    {},
    root,
    (line, f) => {
      if (line['msg'] === 'echo server listening') f.address = line['address'] as string;
    },
    (f): f is { address: string } => f.address !== undefined,
  );
  return { pid: child.pid!, address: found.address };
}

// ---------- Modelport set-up through its public API ----------

const gql = <T = any>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => benchGql<T>(url, TOKEN, query, variables);

interface Deployments {
  /** (c) and (d): default deployment settings. */
  readonly defaultId: string;
  /** (f): the same model version with dynamic batching (BATCHING). */
  readonly batchedId: string;
  readonly pluginPid: number;
}

/** Registers the sample model and deploys it twice (default settings; dynamic batching); returns the deployment ids and the plugin's pid. */
async function deploy(url: string): Promise<Deployments> {
  const bytes = readFileSync(sampleModelPath(MODEL));
  const sha = createHash('sha256').update(bytes).digest('hex');
  const { createProject } = await gql(url, `mutation { createProject(input: { name: "serving-bench" }) { id } }`);
  const { createModel } = await gql(url, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "${MODEL}" }) { id } }`, { p: createProject.id });
  const { createArtifactUpload: slot } = await gql(url, `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url } }`, {
    p: createProject.id,
    s: bytes.length,
    h: sha,
  });
  const put = await fetch(slot.url, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body: bytes });
  if (!put.ok) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  await gql(url, `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }`, {
    i: { modelId: createModel.id, uploadId: slot.id, sha256: sha, sizeBytes: bytes.length },
  });
  const createDeployment = async (extra: Record<string, unknown>) => {
    const { createDeployment: d } = await gql(url, `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id name state failure payloadLogging maxBatchSize maxBatchDelayMs } }`, {
      i: { projectId: createProject.id, modelId: createModel.id, version: 1, ...extra },
    });
    if (d.state !== 'READY') throw new Error(`the deployment ${d.name} is ${d.state}: ${d.failure}`);
    return d;
  };
  const byDefault = await createDeployment({ name: DEPLOYMENT });
  const batched = await createDeployment({ name: BATCHED_DEPLOYMENT, ...BATCHING });
  if (batched.maxBatchSize !== BATCHING.maxBatchSize || batched.maxBatchDelayMs !== BATCHING.maxBatchDelayMs) {
    throw new Error(`the batched deployment has maxBatchSize ${batched.maxBatchSize}, maxBatchDelayMs ${batched.maxBatchDelayMs}`);
  }
  const { plugins } = await gql<{ plugins: { name: string; pid: number | null }[] }>(url, `{ plugins { name pid } }`);
  const pluginPid = plugins.find((p) => p.name === 'runtime-onnx')?.pid;
  if (!pluginPid) throw new Error(`no runtime-onnx plugin process: ${JSON.stringify(plugins)}`);
  return { defaultId: byDefault.id, batchedId: batched.id, pluginPid };
}

// ---------- targets ----------

type Key = 'a' | 'b' | 'c' | 'd' | 'e' | 'f';

interface Sender {
  send: Send;
  close(): void;
}

interface Target {
  readonly key: Key;
  readonly name: string;
  readonly modelport: boolean;
  readonly protocol?: 'rest' | 'grpc';
  /** The Modelport deployment this target predicts with (Modelport targets only). */
  readonly deploymentId?: string;
  /** What its answer must be: the model's reference outputs, or (the echo server) the request's own inputs. */
  readonly answers: 'reference' | 'echo';
  /** A sender for one slice; every request carries `requestId`. */
  sender(concurrency: number, requestId: string): Sender;
  /** Outputs of one request as tensors, to compare with the NumPy reference. */
  outputs(): Promise<{ name: string; datatype: string; shape: number[]; data: unknown }[]>;
  /** The process groups (see `processGroups`) that do this target's work; the others idle meanwhile. */
  readonly involved: readonly Group[];
}

/** Every process of the benchmark, measured in every cell (idle ones show what they cost at rest). */
type Group = 'bench' | 'plain' | 'server' | 'plugin' | 'postgres' | 'echo';
const GROUP_LABELS: Record<Group, string> = {
  bench: 'bench client',
  plain: 'plain server',
  server: 'Modelport server',
  plugin: 'plugin',
  postgres: 'postgres (our backends)',
  echo: 'gRPC echo server',
};

function restBody(requestId: string): string {
  return JSON.stringify({ id: requestId, inputs: [{ name: FEATURES.name, datatype: FEATURES.datatype, shape: FEATURES.shape, data: FEATURES.data }] });
}

function jsonOutputs(body: { outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] }) {
  return body.outputs.map((o) => ({ ...o, data: o.datatype === 'INT64' ? o.data.map((v) => BigInt(v)) : o.data }));
}

async function postJson(url: string, body: string, headers: Record<string, string> = {}): Promise<any> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  if (res.status !== 200) throw new Error(`${url}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

type GrpcCallback = (err: grpc.ServiceError | null, res: any) => void;
interface V2GrpcClient extends grpc.Client {
  ModelInfer(request: unknown, metadata: grpc.Metadata, callback: GrpcCallback): grpc.ClientUnaryCall;
}

/** A V2 gRPC client made from the .proto file with the generic gRPC libraries, as a KServe/Triton user makes one. */
function v2GrpcClient(address: string): V2GrpcClient {
  const definition = protoLoader.loadSync(join(root, 'proto/inference/grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as {
    inference: { GRPCInferenceService: new (a: string, c: grpc.ChannelCredentials) => V2GrpcClient };
  };
  return new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure());
}

function grpcRequest(requestId: string) {
  return {
    model_name: DEPLOYMENT,
    id: requestId,
    inputs: [{ name: FEATURES.name, datatype: FEATURES.datatype, shape: FEATURES.shape }],
    raw_input_contents: [Buffer.from(FEATURES_F32.buffer)],
  };
}

function grpcInfer(client: V2GrpcClient, request: unknown): Promise<any> {
  return new Promise((ok, fail) => {
    const md = new grpc.Metadata();
    md.set('authorization', `Bearer ${TOKEN}`);
    client.ModelInfer(request, md, (err, res) => (err ? fail(err) : ok(res)));
  });
}

/** Postgres backends serving our database (the Modelport server's pool), for CPU accounting. */
async function backendPids(db: Client, database: string): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
  return rows.map((r) => r.pid);
}

/** A sender of (d)'s request over `client` (one channel for all workers); a gRPC error status is an answered error. */
function grpcSender(client: V2GrpcClient, requestId: string): Sender {
  const request = grpcRequest(requestId);
  return {
    send: () =>
      new Promise((ok) => {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${TOKEN}`);
        client.ModelInfer(request, md, (err) => ok(err ? `gRPC ${err.code}: ${err.details}` : undefined));
      }),
    close: () => undefined,
  };
}

/** The outputs of one gRPC ModelInfer answered in raw_output_contents, as tensors. */
async function grpcOutputs(client: V2GrpcClient) {
  const res = await grpcInfer(client, grpcRequest('check'));
  return res.outputs.map((o: any, i: number) => {
    const bytes = Uint8Array.from(res.raw_output_contents[i] as Buffer).buffer;
    return { name: o.name, datatype: o.datatype, shape: o.shape.map(Number), data: Array.from<unknown>(o.datatype === 'INT64' ? new BigInt64Array(bytes) : new Float32Array(bytes)) };
  });
}

interface Clients {
  readonly session: ort.InferenceSession;
  readonly plain: { url: string };
  readonly mp: ModelportServer;
  readonly deployments: Deployments;
  /** To the Modelport server's V2 gRPC port. */
  readonly grpcClient: V2GrpcClient;
  /** To the echo server's unix socket. */
  readonly echoClient: V2GrpcClient;
}

function targets({ session, plain, mp, deployments, grpcClient, echoClient }: Clients): Target[] {
  const inferPath = `/v2/models/${DEPLOYMENT}/infer`;
  const batchedPath = `/v2/models/${BATCHED_DEPLOYMENT}/infer`;
  const auth = { authorization: `Bearer ${TOKEN}` };
  return [
    {
      key: 'a',
      name: 'onnxruntime-node in process',
      modelport: false,
      answers: 'reference',
      sender: () => ({
        send: async () => {
          await session.run({ [FEATURES.name]: new ort.Tensor('float32', FEATURES_F32, [...FEATURES.shape]) });
          return undefined;
        },
        close: () => undefined,
      }),
      outputs: async () => {
        const results = await session.run({ [FEATURES.name]: new ort.Tensor('float32', FEATURES_F32, [...FEATURES.shape]) });
        return Object.entries(results).map(([name, v]) => ({ name, datatype: v.type === 'int64' ? 'INT64' : 'FP32', shape: [...v.dims], data: Array.from(v.data as ArrayLike<unknown>) }));
      },
      involved: ['bench'],
    },
    {
      key: 'b',
      name: 'plain Fastify + onnxruntime-node',
      modelport: false,
      answers: 'reference',
      sender: (concurrency, requestId) => jsonPoster(`${plain.url}${inferPath}`, restBody(requestId), {}, concurrency),
      outputs: async () => jsonOutputs(await postJson(`${plain.url}${inferPath}`, restBody('check'))),
      involved: ['bench', 'plain'],
    },
    {
      key: 'c',
      name: 'Modelport V2 REST',
      modelport: true,
      protocol: 'rest',
      deploymentId: deployments.defaultId,
      answers: 'reference',
      sender: (concurrency, requestId) => jsonPoster(`${mp.url}${inferPath}`, restBody(requestId), auth, concurrency),
      outputs: async () => jsonOutputs(await postJson(`${mp.url}${inferPath}`, restBody('check'), auth)),
      involved: ['bench', 'server', 'plugin', 'postgres'],
    },
    {
      key: 'd',
      name: 'Modelport V2 gRPC',
      modelport: true,
      protocol: 'grpc',
      deploymentId: deployments.defaultId,
      answers: 'reference',
      sender: (_concurrency, requestId) => grpcSender(grpcClient, requestId),
      outputs: () => grpcOutputs(grpcClient),
      involved: ['bench', 'server', 'plugin', 'postgres'],
    },
    {
      key: 'e',
      name: 'gRPC echo floor',
      modelport: false,
      answers: 'echo',
      sender: (_concurrency, requestId) => grpcSender(echoClient, requestId),
      outputs: () => grpcOutputs(echoClient),
      involved: ['bench', 'echo'],
    },
    {
      key: 'f',
      name: 'Modelport V2 REST, dynamic batching',
      modelport: true,
      protocol: 'rest',
      deploymentId: deployments.batchedId,
      answers: 'reference',
      sender: (concurrency, requestId) => jsonPoster(`${mp.url}${batchedPath}`, restBody(requestId), auth, concurrency),
      outputs: async () => jsonOutputs(await postJson(`${mp.url}${batchedPath}`, restBody('check'), auth)),
      involved: ['bench', 'server', 'plugin', 'postgres'],
    },
  ];
}

// ---------- measuring ----------

interface Cell {
  key: Key;
  target: string;
  involved: readonly Group[];
  concurrency: number;
  result: LoadResult;
  /** CPU-seconds per process group, wall seconds, busy core-seconds of the machine. */
  cpu: { wallSeconds: number; busyCoreSeconds: number; otherCoreSeconds: number; groups: Record<string, number> };
  /** Longest wait, after a slice, for the prediction log to hold every answered request (Modelport only). */
  logCatchUpMs?: number;
  /** Gateway time (received → answer ready) from the prediction log's latency_us, successful requests. */
  gateway?: { rows: number; p50Ms: number; p99Ms: number };
}

function addCpu(cell: Cell, use: CpuUse): void {
  cell.cpu.wallSeconds += use.seconds;
  cell.cpu.busyCoreSeconds += use.busyCores * use.seconds;
  cell.cpu.otherCoreSeconds += use.otherCores * use.seconds;
  for (const [g, cores] of Object.entries(use.groups)) cell.cpu.groups[g] = (cell.cpu.groups[g] ?? 0) + cores * use.seconds;
}

/** Prediction log rows of the measured deployments, all together. */
async function predictionCount(db: Client, deploymentIds: readonly string[]): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM predictions WHERE deployment_id = ANY($1::uuid[])', [deploymentIds]);
  return rows[0]!.n;
}

/** Waits until the log holds `expected` rows, or its count stops changing for `settleMs`, or `timeoutMs` passes. */
async function waitForLog(db: Client, deploymentIds: readonly string[], expected: number, timeoutMs: number, settleMs = 3000): Promise<{ rows: number; waitedMs: number }> {
  const started = performance.now();
  let last = -1;
  let lastChange = started;
  for (;;) {
    const rows = await predictionCount(db, deploymentIds);
    const now = performance.now();
    if (rows !== last) {
      last = rows;
      lastChange = now;
    }
    if (rows === expected || now - lastChange >= settleMs || now - started >= timeoutMs) return { rows, waitedMs: now - started };
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Prediction log rows per deployment. */
async function rowsByDeployment(db: Client, deploymentIds: readonly string[]): Promise<Record<string, number>> {
  const { rows } = await db.query<{ id: string; n: number }>('SELECT deployment_id AS id, count(*)::int AS n FROM predictions WHERE deployment_id = ANY($1::uuid[]) GROUP BY deployment_id', [deploymentIds]);
  return Object.fromEntries(rows.map((r) => [r.id, r.n]));
}

async function gatewayLatency(db: Client, deploymentId: string, requestId: string, protocol: string): Promise<{ rows: number; p50Ms: number; p99Ms: number }> {
  const { rows } = await db.query<{ n: number; p50: number | null; p99: number | null }>(
    `SELECT count(*)::int AS n, percentile_disc(0.5) WITHIN GROUP (ORDER BY latency_us) AS p50, percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_us) AS p99
       FROM predictions WHERE deployment_id = $1 AND request_id = $2 AND protocol = $3 AND status = 'ok'`,
    [deploymentId, requestId, protocol],
  );
  return { rows: rows[0]!.n, p50Ms: (rows[0]!.p50 ?? 0) / 1000, p99Ms: (rows[0]!.p99 ?? 0) / 1000 };
}

// ---------- report ----------

const f2 = (n: number) => n.toFixed(2);
const f0 = (n: number) => n.toFixed(0);
const signed = (n: number) => `${n >= 0 ? '+' : ''}${f2(n)}`;
const pct = (n: number) => `${(n * 100).toFixed(0)}%`;

function stats(cell: Cell) {
  const sorted = [...cell.result.latenciesMs].sort((x, y) => x - y);
  const seconds = cell.result.elapsedMs / 1000;
  const answered = cell.result.ok + cell.result.failed;
  const requests = answered + cell.result.transportErrors;
  const groups = Object.keys(GROUP_LABELS) as Group[];
  const cpuMsPerRequest: Partial<Record<Group, number>> = {};
  for (const g of cell.involved) cpuMsPerRequest[g] = answered > 0 ? ((cell.cpu.groups[g] ?? 0) * 1000) / answered : 0;
  return {
    key: cell.key,
    target: cell.target,
    concurrency: cell.concurrency,
    requests,
    ok: cell.result.ok,
    failed: cell.result.failed,
    transportErrors: cell.result.transportErrors,
    errors: cell.result.failed + cell.result.transportErrors,
    firstError: cell.result.firstError,
    seconds,
    throughput: seconds > 0 ? cell.result.ok / seconds : 0,
    p50Ms: percentile(sorted, 50),
    p99Ms: percentile(sorted, 99),
    /** Average cores each process group kept busy; `other` is the rest of the machine. */
    cpuCores: {
      ...(Object.fromEntries(groups.map((g) => [g, (cell.cpu.groups[g] ?? 0) / cell.cpu.wallSeconds])) as Record<Group, number>),
      other: cell.cpu.otherCoreSeconds / cell.cpu.wallSeconds,
      machineBusy: cell.cpu.busyCoreSeconds / cell.cpu.wallSeconds,
    },
    /** CPU ms per answered request of the groups doing this target's work. */
    cpuMsPerRequest,
    /** Their sum without the bench client: what serving one prediction costs. */
    servingCpuMsPerRequest: cell.involved.filter((g) => g !== 'bench').reduce((sum, g) => sum + cpuMsPerRequest[g]!, 0),
    logCatchUpMs: cell.logCatchUpMs,
    gateway: cell.gateway,
  };
}
type Stats = ReturnType<typeof stats>;

const opt = (n: number | undefined, digits = 2) => (n === undefined ? '-' : n.toFixed(digits));

function verdict(met: boolean | undefined): string {
  return met === undefined ? 'NOT MEASURED' : met ? 'MET' : 'MISSED';
}

async function main(): Promise<void> {
  const load = loadavg();
  const startedAt = new Date();
  const print = (line = '') => process.stdout.write(`${line}\n`);
  const progress = (line: string) => process.stdout.write(`  .. ${line}\n`);

  print(`Serving benchmark: ${MODEL} (input ${FEATURES.name} ${FEATURES.datatype} [${FEATURES.shape.join(',')}], the same row for every request)`);
  print(`machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start ${load.map((l) => l.toFixed(2)).join(' / ')} (1 / 5 / 15 min); Node ${process.version}, onnxruntime-node ${ort.env.versions.node ?? ort.env.versions.common}`);
  print(`plan: warm-up ${WARMUP_S} s per target, then ${DURATION_S} s per cell in ${ROUNDS} round(s) with the targets interleaved; concurrency ${CONCURRENCIES.join(', ')} (closed loop, keep-alive); prediction logging: deployment defaults; (f) deployed with maxBatchSize ${BATCHING.maxBatchSize}, maxBatchDelayMs ${BATCHING.maxBatchDelayMs}`);
  if (load[0]! > cpus().length * 0.5) print(`note: the machine was already busy at start (1-min load ${load[0]!.toFixed(2)} on ${cpus().length} CPUs); other processes' CPU use is shown per cell as "other"`);

  try {
    progress('starting the Modelport server (with its ONNX plugin), the plain server and the gRPC echo server');
    const mp = await startModelport();
    const plain = await startPlainServer();
    const echo = await startEchoServer();
    const db = new Client({ connectionString: mp.databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const deployments = await deploy(mp.url);
    const deploymentIds = [deployments.defaultId, deployments.batchedId];
    const session = await ort.InferenceSession.create(sampleModelPath(MODEL), SESSION_OPTIONS);
    cleanups.push(() => session.release());
    const grpcClient = v2GrpcClient(mp.grpcAddress);
    cleanups.push(async () => grpcClient.close());
    const echoClient = v2GrpcClient(echo.address);
    cleanups.push(async () => echoClient.close());
    const all = targets({ session, plain, mp, deployments, grpcClient, echoClient });
    const processGroups = async (): Promise<Record<Group, number[]>> => ({
      bench: [process.pid],
      plain: [plain.pid],
      server: [mp.pid],
      plugin: [deployments.pluginPid],
      postgres: await backendPids(db, mp.database),
      echo: [echo.pid],
    });

    // Modelport requests the server answered (ok or error): each must become one prediction row.
    let modelportAnswered = 0;
    let modelportTransportErrors = 0;
    const answeredBy = new Map<string, number>();
    const answered = (t: Target, n: number) => {
      modelportAnswered += n;
      answeredBy.set(t.deploymentId!, (answeredBy.get(t.deploymentId!) ?? 0) + n);
    };
    const count = (t: Target, r: LoadResult) => {
      if (!t.modelport) return;
      answered(t, r.ok + r.failed);
      modelportTransportErrors += r.transportErrors;
    };

    // Same model, same input, same answer everywhere; the echo server answers the input itself.
    for (const t of all) {
      const outputs = await t.outputs();
      if (t.modelport) answered(t, 1);
      for (const want of t.answers === 'echo' ? echoedOutputs : expectedOutputs) {
        const got = outputs.find((o) => o.name === want.name);
        const mismatch = got ? describeOutputMismatch(got, want) : `output ${want.name} is missing`;
        if (mismatch) throw new Error(`${t.name} does not answer like the NumPy reference: ${mismatch}`);
      }
    }
    const modelTargets = all.filter((t) => t.answers === 'reference').map((t) => `(${t.key})`);
    print(
      `checked: ${modelTargets.join(', ')} answer the reference outputs of "${expectedCase.name}" (label ${String(expectedCase.outputs.find((o) => o.name === 'label')?.data[0])}); ${all
        .filter((t) => t.answers === 'echo')
        .map((t) => `(${t.key})`)
        .join(', ')} answers its input back`,
    );

    const maxConcurrency = Math.max(...CONCURRENCIES);
    if (WARMUP_S > 0) {
      progress(`warming up: ${WARMUP_S} s per target at concurrency ${maxConcurrency}`);
      for (const t of all) {
        const s = t.sender(maxConcurrency, 'bench-warmup');
        const r = await closedLoop(s.send, maxConcurrency, WARMUP_S * 1000);
        s.close();
        count(t, r);
        if (r.ok === 0) throw new Error(`${t.name}: no successful request while warming up: ${r.firstError}`);
      }
      await waitForLog(db, deploymentIds, modelportAnswered, 30_000);
    }

    const cells: Cell[] = [];
    const sliceMs = (DURATION_S * 1000) / ROUNDS;
    for (const concurrency of CONCURRENCIES) {
      const row = all.map((t) => {
        const cell: Cell = { key: t.key, target: t.name, involved: t.involved, concurrency, result: emptyResult(), cpu: { wallSeconds: 0, busyCoreSeconds: 0, otherCoreSeconds: 0, groups: {} } };
        cells.push(cell);
        return cell;
      });
      for (let round = 1; round <= ROUNDS; round++) {
        for (const [i, t] of all.entries()) {
          const cell = row[i]!;
          const s = t.sender(concurrency, `bench-c${concurrency}`);
          const stop = startCpuMeter(await processGroups());
          const r = await closedLoop(s.send, concurrency, sliceMs);
          addCpu(cell, stop(await processGroups()));
          s.close();
          addResult(cell.result, r);
          count(t, r);
          if (t.modelport) {
            // Start the next slice with an empty log buffer, so no slice pays for another's inserts.
            const { waitedMs } = await waitForLog(db, deploymentIds, modelportAnswered, 15_000);
            cell.logCatchUpMs = Math.max(cell.logCatchUpMs ?? 0, waitedMs);
          }
          progress(`concurrency ${concurrency}, round ${round}/${ROUNDS}, (${t.key}) ${t.name}: ${r.ok} ok in ${(r.elapsedMs / 1000).toFixed(1)} s${r.failed + r.transportErrors ? `, ${r.failed + r.transportErrors} errors` : ''}`);
        }
      }
    }

    const log = await waitForLog(db, deploymentIds, modelportAnswered, 60_000);
    for (const cell of cells) {
      const t = all.find((x) => x.key === cell.key)!;
      if (t.modelport) cell.gateway = await gatewayLatency(db, t.deploymentId!, `bench-c${cell.concurrency}`, t.protocol!);
    }

    // ---- tables ----
    const results = cells.map(stats);
    const get = (key: Key, concurrency: number) => results.find((r) => r.key === key && r.concurrency === concurrency);

    print();
    print(`## Results (${DURATION_S} s per cell; latency measured by the client, successful requests)`);
    print();
    print('| target | conc. | requests | errors | req/s | p50 ms | p99 ms |');
    print('|---|---:|---:|---:|---:|---:|---:|');
    for (const r of results) print(`| (${r.key}) ${r.target} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${f0(r.throughput)} | ${f2(r.p50Ms)} | ${f2(r.p99Ms)} |`);
    const errored = results.filter((r) => r.firstError);
    for (const r of errored) print(`first error of (${r.key}) at concurrency ${r.concurrency}: ${r.firstError}`);

    print();
    print('## Ratios (against (b), the plain Fastify server)');
    print();
    print(`| ratio | ${CONCURRENCIES.map((c) => `conc. ${c}`).join(' | ')} |`);
    print(`|---|${CONCURRENCIES.map(() => '---:').join('|')}|`);
    const ratio = (key: Key, field: 'throughput' | 'p50Ms', c: number) => {
      const x = get(key, c);
      const b = get('b', c);
      return x && b && b[field] > 0 ? x[field] / b[field] : undefined;
    };
    const ratios: Record<string, Record<string, number | undefined>> = {};
    for (const [label, key, field] of [
      ['throughput c/b (REST)', 'c', 'throughput'],
      ['throughput d/b (gRPC)', 'd', 'throughput'],
      ['throughput f/b (REST, dynamic batching)', 'f', 'throughput'],
      ['throughput e/b (gRPC echo floor: one unary call per prediction)', 'e', 'throughput'],
      ['p50 c/b (REST)', 'c', 'p50Ms'],
      ['p50 d/b (gRPC)', 'd', 'p50Ms'],
      ['p50 f/b (REST, dynamic batching)', 'f', 'p50Ms'],
      ['p50 e/b (gRPC echo floor)', 'e', 'p50Ms'],
      ['throughput a/b (no server at all)', 'a', 'throughput'],
    ] as const) {
      ratios[label] = Object.fromEntries(CONCURRENCIES.map((c) => [String(c), ratio(key, field, c)]));
      print(`| ${label} | ${CONCURRENCIES.map((c) => opt(ratio(key, field, c))).join(' | ')} |`);
    }
    const c1 = get('c', 1);
    const b1 = get('b', 1);
    const p50Diff = c1 && b1 ? c1.p50Ms - b1.p50Ms : undefined;
    if (p50Diff !== undefined) {
      const others = (['d', 'f'] as const).flatMap((k) => {
        const x = get(k, 1);
        return x ? [`(${k}) − (b) = ${signed(x.p50Ms - b1!.p50Ms)} ms`] : [];
      });
      const e1 = get('e', 1);
      print(`p50 difference at concurrency 1: (c) − (b) = ${signed(p50Diff)} ms${others.map((o) => `; ${o}`).join('')}${e1 ? `; one unary gRPC call alone, (e) p50 = ${f2(e1.p50Ms)} ms` : ''}`);
    }

    // ---- goals ----
    const c32 = get('c', 32);
    const b32 = get('b', 32);
    const throughputRatio32 = c32 && b32 && b32.throughput > 0 ? c32.throughput / b32.throughput : undefined;
    const rowsBy = await rowsByDeployment(db, deploymentIds);
    const logOk = log.rows === modelportAnswered && deploymentIds.every((id) => rowsBy[id] === (answeredBy.get(id) ?? 0));
    const perDeployment = all
      .filter((t) => t.modelport)
      .reduce<Record<string, string[]>>((m, t) => ({ ...m, [t.deploymentId!]: [...(m[t.deploymentId!] ?? []), `(${t.key})`] }), {});
    const goals = [
      {
        goal: `concurrency 32: (c) throughput ≥ ${GOAL_THROUGHPUT_RATIO}× (b)`,
        measured: throughputRatio32 === undefined ? 'not measured' : `${f2(throughputRatio32)}× (${f0(c32!.throughput)} vs ${f0(b32!.throughput)} req/s)`,
        met: throughputRatio32 === undefined ? undefined : throughputRatio32 >= GOAL_THROUGHPUT_RATIO,
      },
      {
        goal: `concurrency 1: (c) p50 ≤ (b) p50 + ${GOAL_P50_EXTRA_MS} ms`,
        measured: p50Diff === undefined ? 'not measured' : `${f2(c1!.p50Ms)} ms vs ${f2(b1!.p50Ms)} + ${GOAL_P50_EXTRA_MS} = ${f2(b1!.p50Ms + GOAL_P50_EXTRA_MS)} ms (difference ${p50Diff >= 0 ? '+' : ''}${f2(p50Diff)} ms)`,
        met: p50Diff === undefined ? undefined : p50Diff <= GOAL_P50_EXTRA_MS,
      },
      {
        goal: `prediction log rows = Modelport requests answered (ok + failed), per deployment: ${Object.values(perDeployment)
          .map((keys) => keys.join(' + '))
          .join('; ')}`,
        measured: `${log.rows} rows, ${modelportAnswered} answered${modelportTransportErrors ? ` (+${modelportTransportErrors} without an answer)` : ''} (${Object.entries(perDeployment)
          .map(([id, keys]) => `${keys.join(' + ')}: ${rowsBy[id] ?? 0} rows / ${answeredBy.get(id) ?? 0} answered`)
          .join('; ')}), counted ${f0(log.waitedMs)} ms after the last request; incl. check and warm-up requests`,
        met: logOk,
      },
    ];
    print();
    print('## Goals');
    print();
    print('| goal | measured | |');
    print('|---|---|---|');
    for (const g of goals) print(`| ${g.goal} | ${g.measured} | ${verdict(g.met)} |`);
    const e32 = get('e', 32);
    const f32 = get('f', 32);
    if (b32 && (e32 || f32)) {
      print(
        `Not goals, for reference at concurrency 32: ${[
          f32 ? `(f) dynamic batching f/b = ${f2(f32.throughput / b32.throughput)}× (${f0(f32.throughput)} req/s)` : '',
          e32 ? `(e) one unary gRPC call with no work at all e/b = ${f2(e32.throughput / b32.throughput)}× (${f0(e32.throughput)} req/s): the ceiling of any design with one unary call per prediction (the gateway streams its plugin calls instead)` : '',
        ]
          .filter(Boolean)
          .join('; ')}.`,
      );
    }
    const lags = results.filter((r) => r.logCatchUpMs !== undefined).map((r) => r.logCatchUpMs!);
    if (lags.length) print(`The log caught up within ${f0(Math.max(...lags))} ms after every Modelport slice (flush interval 50 ms by default).`);
    if (mp.warnings.count) print(`The Modelport server logged ${mp.warnings.count} warnings/errors during the run; the first: ${mp.warnings.first}`);

    // ---- CPU ----
    print();
    print('## CPU (average cores busy during the cell; for the processes doing the work, CPU ms per answered request in brackets)');
    print();
    const groups = Object.keys(GROUP_LABELS) as Group[];
    print(`| target | conc. | ${groups.map((g) => GROUP_LABELS[g]).join(' | ')} | other processes | machine busy | serving CPU ms/request |`);
    print(`|---|---:|${groups.map(() => '---:').join('|')}|---:|---:|---:|`);
    for (const r of results) {
      const cellText = (g: Group) => (r.cpuMsPerRequest[g] === undefined ? f2(r.cpuCores[g]) : `${f2(r.cpuCores[g])} (${r.cpuMsPerRequest[g]!.toFixed(3)})`);
      const serving = r.key === 'a' ? r.cpuMsPerRequest.bench! : r.servingCpuMsPerRequest;
      print(`| (${r.key}) | ${r.concurrency} | ${groups.map(cellText).join(' | ')} | ${f2(r.cpuCores.other)} | ${f2(r.cpuCores.machineBusy)} of ${cpus().length} | ${serving.toFixed(3)} |`);
    }
    print("(a) runs in the bench process, so its serving cost is the bench client column; (e)'s is the echo server's (the gRPC server side of one hop; its client side is in the bench client column). Idle processes still use some CPU (timers, health checks, log flushes).");

    // ---- where the time goes ----
    const notes = whatLimitsIt(results);
    print();
    print('## What limits it (computed from the numbers above)');
    print();
    for (const n of notes) print(`* ${n}`);

    if (args.out) {
      const report = {
        benchmark: 'serving',
        startedAt: startedAt.toISOString(),
        machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverageAtStart: load, node: process.version, onnxruntime: ort.env.versions.node ?? ort.env.versions.common },
        options: { durationSeconds: DURATION_S, warmupSeconds: WARMUP_S, rounds: ROUNDS, concurrency: CONCURRENCIES, model: MODEL, input: FEATURES, batchedDeployment: { name: BATCHED_DEPLOYMENT, ...BATCHING } },
        cells: results.map((r) => ({ ...r })),
        ratios,
        p50DifferenceAtConcurrency1Ms: p50Diff,
        goals,
        predictionLog: {
          perDeployment: Object.entries(perDeployment).map(([id, keys]) => ({ deploymentId: id, targets: keys, rows: rowsBy[id] ?? 0, answered: answeredBy.get(id) ?? 0 })),
          rows: log.rows,
          answered: modelportAnswered, withoutAnswer: modelportTransportErrors, countedAfterMs: log.waitedMs, logCatchUpMsMax: lags.length ? Math.max(...lags) : null },
        whatLimitsIt: notes,
      };
      writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
      print();
      print(`results written to ${args.out}`);
    }
  } finally {
    await cleanups.run();
  }
}

/** Short notes on where the time goes, computed from the measured cells. */
function whatLimitsIt(results: Stats[]): string[] {
  const notes: string[] = [];
  const get = (key: Key, c: number) => results.find((r) => r.key === key && r.concurrency === c);
  const ms = (n: number | undefined) => n ?? 0;
  const low = Math.min(...results.map((r) => r.concurrency));
  const high = Math.max(...results.map((r) => r.concurrency));

  // Latency at the lowest concurrency: split by what each layer adds.
  const [a, b, c, d, e] = (['a', 'b', 'c', 'd', 'e'] as const).map((k) => get(k, low));
  if (a && b && c) {
    let line = `Latency at concurrency ${low} (p50): ONNX Runtime run in process ${f2(a.p50Ms)} ms; the plain server adds ${f2(b.p50Ms - a.p50Ms)} ms (client, HTTP, JSON, Fastify); Modelport REST adds ${f2(c.p50Ms - b.p50Ms)} ms on top of that.`;
    if (c.gateway && c.gateway.rows > 0) {
      line += ` Of Modelport's ${f2(c.p50Ms)} ms, ${f2(c.gateway.p50Ms)} ms is spent inside the gateway (prediction log latency_us p50: checks, the gRPC hop to the plugin process, the run there, decoding) and ${f2(c.p50Ms - c.gateway.p50Ms)} ms outside it (client, HTTP, Fastify routing, JSON parse and reply, auth cache lookup).`;
      line += ` The gateway's time beyond the run itself (≈ ${f2(c.gateway.p50Ms - a.p50Ms)} ms) is mostly the round trip to the plugin process (gRPC over a local socket, encoding on both sides, two process wake-ups)`;
      line += e ? `: a bare gRPC echo of the same message (e) takes ${f2(e.p50Ms)} ms p50 end to end.` : '.';
    }
    notes.push(line);
  }
  if (d && d.gateway && d.gateway.rows > 0) {
    notes.push(`gRPC at concurrency ${low}: p50 ${f2(d.p50Ms)} ms, of which ${f2(d.gateway.p50Ms)} ms inside the gateway and ${f2(d.p50Ms - d.gateway.p50Ms)} ms in gRPC transport and protobuf on both ends.`);
  }

  // The floor of one unary gRPC call per prediction (e), against the goals.
  const bh = get('b', high);
  const eh = get('e', high);
  const ch = get('c', high);
  if (eh && bh && bh.throughput > 0) {
    const ceiling = eh.throughput / bh.throughput;
    const goal = GOAL_THROUGHPUT_RATIO * bh.throughput;
    let line = `One unary gRPC call, the floor of any design that makes one unary call to an out-of-process plugin per prediction (e: a bare @grpc/grpc-js echo of the same ModelInfer message over a unix socket, no model, no checks, no log): ${f0(eh.throughput)} req/s at concurrency ${high}, e/b = ${f2(ceiling)}, ${ceiling < GOAL_THROUGHPUT_RATIO ? 'below' : 'above'} the ${GOAL_THROUGHPUT_RATIO}× goal.`;
    line += ` Modelport's gateway does not make that call per prediction: it sends them over one long-lived Plugin.InferStream (decision 0016), which costs less per prediction, so c/b can pass e/b.`;
    if (ch) {
      const gap = goal - ch.throughput;
      line +=
        gap <= 0
          ? ` (c) meets the throughput goal (${f0(ch.throughput)} ≥ ${f0(goal)} req/s)${ch.throughput > eh.throughput ? `, past the unary floor (${f0(eh.throughput)} req/s)` : ''}.`
          : ` (c) is ${f0(gap)} req/s short of the goal (${f0(ch.throughput)} against ${GOAL_THROUGHPUT_RATIO} × b = ${f0(goal)} req/s)${ch.throughput > eh.throughput ? `, though past the unary floor (${f0(eh.throughput)} req/s)` : ''}.`;
      const perHop = ms(eh.cpuMsPerRequest.bench) + ms(eh.cpuMsPerRequest.echo);
      const clientMs = ms(eh.cpuMsPerRequest.bench);
      line += ` In CPU: one unary call costs ${perHop.toFixed(3)} ms on both ends (bench client as gRPC client, load generator included, ${clientMs.toFixed(3)}; echo server ${ms(eh.cpuMsPerRequest.echo).toFixed(3)}), against ${bh.servingCpuMsPerRequest.toFixed(3)} ms for a whole prediction in the plain server; Modelport's plugin process alone (its end of the stream plus the run) spends ${ms(ch.cpuMsPerRequest.plugin).toFixed(3)} ms.`;
      if (clientMs > 0) {
        line += ` The calling end is the heavier one (the bench client ran at ${f2(eh.cpuCores.bench)} cores, the echo server at ${f2(eh.cpuCores.echo)}): at ${clientMs.toFixed(3)} ms per call one JavaScript thread makes at most ≈ ${f0(1000 / clientMs)} unary calls/s; Modelport's server, which also does HTTP, auth, checks and the log, spends ${ms(ch.cpuMsPerRequest.server).toFixed(3)} ms per prediction in (c).`;
      }
    }
    notes.push(line);
  }
  const el = get('e', low);
  const bl = get('b', low);
  const cl = get('c', low);
  if (el && bl && cl) {
    const extra = cl.p50Ms - bl.p50Ms;
    notes.push(
      `Latency budget at concurrency ${low}: the goal allows (b) + ${GOAL_P50_EXTRA_MS} ms; one unary gRPC call alone takes ${f2(el.p50Ms)} ms p50 end to end (e), i.e. ${pct(el.p50Ms / GOAL_P50_EXTRA_MS)} of the budget${extra > 0 ? ` and ${pct(el.p50Ms / extra)} of Modelport REST's measured extra ${f2(extra)} ms` : ''} ((e) is a round trip like the gateway's to the plugin, both ends' gRPC work included, without the run; the gateway's goes over its InferStream).`,
    );
  }

  // Throughput at the highest concurrency: CPU per request and who is saturated.
  for (const key of ['c', 'd', 'f'] as const) {
    const x = get(key, high);
    if (!x || !bh) continue;
    const label = key === 'c' ? 'REST' : key === 'd' ? 'gRPC' : 'REST with dynamic batching (f)';
    const mpMs = x.servingCpuMsPerRequest;
    const plainMs = bh.servingCpuMsPerRequest;
    const per = (g: Group) => ms(x.cpuMsPerRequest[g]).toFixed(3);
    let line = `${label} at concurrency ${high}: Modelport spends ${mpMs.toFixed(3)} ms of CPU per prediction (server ${per('server')}, plugin ${per('plugin')}, postgres ${per('postgres')}) against ${plainMs.toFixed(3)} ms in the plain server (${plainMs > 0 ? f2(mpMs / plainMs) : '-'}×); the plugin process alone costs ${plainMs > 0 ? f2(ms(x.cpuMsPerRequest.plugin) / plainMs) : '-'}× the whole plain server.`;
    const measured = f2(x.throughput / bh.throughput);
    // Each server does its work on one JavaScript thread: when both run near a core, their CPU per request sets the ratio.
    const byServerThread = ms(bh.cpuMsPerRequest.plain) / ms(x.cpuMsPerRequest.server);
    line += ` Each server works on one JavaScript thread: the plain server process ran at ${f2(bh.cpuCores.plain)} cores, the Modelport server at ${f2(x.cpuCores.server)} (its plugin at ${f2(x.cpuCores.plugin)}); the two servers' CPU per request alone predicts ${label} / plain ≈ ${f2(byServerThread)}, measured ${measured}.`;
    if (x.cpuCores.machineBusy / cpus().length >= 0.8) {
      // On a saturated machine throughput is about (cores available) / (CPU per request, client included).
      const byMachine = (plainMs + ms(bh.cpuMsPerRequest.bench)) / (mpMs + ms(x.cpuMsPerRequest.bench));
      line += ` The machine was CPU-bound (${f2(x.cpuCores.machineBusy)} of ${cpus().length} cores busy, ${f2(x.cpuCores.other)} by other processes); all CPU per request, client included, predicts ≈ ${f2(byMachine)}.`;
    } else {
      line += ` The machine had idle CPU (${f2(x.cpuCores.machineBusy)} of ${cpus().length} cores busy), so beyond that CPU the gap is waiting, mostly on the round trip to the plugin process.`;
    }
    notes.push(line);
  }

  // Dynamic batching (f) against the default settings (c).
  const fh = get('f', high);
  const fl = get('f', low);
  if (fh && ch && bh) {
    let line = `Dynamic batching (f, maxBatchSize ${BATCHING.maxBatchSize}, maxBatchDelayMs ${BATCHING.maxBatchDelayMs}) at concurrency ${high}: f/b = ${f2(fh.throughput / bh.throughput)} against c/b = ${f2(ch.throughput / bh.throughput)} with default settings; the plugin spends ${ms(fh.cpuMsPerRequest.plugin).toFixed(3)} ms of CPU per prediction against ${ms(ch.cpuMsPerRequest.plugin).toFixed(3)} ms unbatched (one hop and one run carry several requests).`;
    if (eh) {
      line +=
        fh.throughput > eh.throughput
          ? ` It goes past the unary floor (e: ${f0(eh.throughput)} req/s): one plugin call carries several predictions.`
          : ` It stays under the unary floor (e: ${f0(eh.throughput)} req/s): what is left is per-request work in the Modelport server (HTTP, auth, checks, log), which batching does not share.`;
    }
    if (fl && cl) line += ` At concurrency ${low} there is nothing to batch with: a request waits out the batch delay alone, p50 ${f2(fl.p50Ms)} ms against ${f2(cl.p50Ms)} ms for (c) (${signed(fl.p50Ms - cl.p50Ms)} ms).`;
    line += ' The goals are judged on (c), the default settings.';
    notes.push(line);
  }

  const noisy = results.filter((r) => r.cpuCores.other >= 0.25);
  if (noisy.length) {
    notes.push(
      `Other processes on the machine used ≥ 0.25 cores during ${noisy.length} of ${results.length} cells (up to ${f2(Math.max(...noisy.map((r) => r.cpuCores.other)))}): those cells ran on a shared, busier machine; the interleaved rounds spread that over all targets, but compare ratios rather than absolute numbers.`,
    );
  }
  return notes;
}

main().catch(async (err: unknown) => {
  await cleanups.run();
  if (cleanups.interrupted) return; // the SIGINT handler exits
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
