/* Lifecycle benchmark: shadow cost, and promotion and rollback under constant load. See README.md beside this file. */
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { binaryLogisticRegressionModel, LOGISTIC_BIAS, LOGISTIC_WEIGHTS } from '@modelport/sample-models';
import { openLoop, type OpenLoopRun, type Sample, summarize, type Summary, v2Client, versionCounts } from './open-loop';
import { type CpuUse, startCpuMeter } from '../serving/cpu-meter';
import { percentile } from '../serving/load-generator';
import { cleanupsOnExit } from '../shared/cleanups';
import { gql as benchGql } from '../shared/graphql';
import { startBuiltServer, type BuiltServer } from '../shared/server';
import { scrapeServer, type ServerScrape, stallsBetween, type ServerStalls } from './server-metrics';

const { values: args } = parseArgs({
  options: {
    rate: { type: 'string', default: '250' },
    warmup: { type: 'string', default: '5' },
    slice: { type: 'string', default: '15' },
    settle: { type: 'string', default: '2' },
    rounds: { type: 'string', default: '4' },
    cycles: { type: 'string', default: '3' },
    'first-at': { type: 'string', default: '10' },
    cycle: { type: 'string', default: '30' },
    'rollback-after': { type: 'string', default: '12' },
    'attach-before': { type: 'string', default: '10' },
    'window-before': { type: 'string', default: '0.25' },
    'window-after': { type: 'string', default: '1' },
    duration: { type: 'string' },
    scrape: { type: 'string', default: '0.5' },
    out: { type: 'string' },
    raw: { type: 'boolean', default: false },
  },
});
const RATE = Number(args.rate);
const WARMUP_S = Number(args.warmup);
const SLICE_S = Number(args.slice);
const SETTLE_S = Number(args.settle);
const ROUNDS = Number(args.rounds);
const CYCLES = Number(args.cycles);
const FIRST_AT_S = Number(args['first-at']);
const CYCLE_S = Number(args.cycle);
const ROLLBACK_AFTER_S = Number(args['rollback-after']);
const ATTACH_BEFORE_S = Number(args['attach-before']);
const WINDOW_BEFORE_S = Number(args['window-before']);
const WINDOW_AFTER_S = Number(args['window-after']);
/** The last rollback, then 8 s more, unless told. */
const LAST_ROLLBACK_S = FIRST_AT_S + (CYCLES - 1) * CYCLE_S + ROLLBACK_AFTER_S;
const DURATION_S = args.duration === undefined ? LAST_ROLLBACK_S + 8 : Number(args.duration);
const SCRAPE_S = Number(args.scrape);
if (
  !(RATE >= 1) ||
  !(WARMUP_S >= 0) ||
  !(SLICE_S > 0) ||
  !(SETTLE_S >= 0) ||
  !Number.isInteger(ROUNDS) ||
  ROUNDS < 1 ||
  !Number.isInteger(CYCLES) ||
  CYCLES < 1 ||
  !(FIRST_AT_S > WINDOW_BEFORE_S) ||
  !(ROLLBACK_AFTER_S > WINDOW_AFTER_S + WINDOW_BEFORE_S) ||
  !(WINDOW_BEFORE_S >= 0 && WINDOW_AFTER_S >= 0) ||
  !(CYCLES === 1 || (ATTACH_BEFORE_S > 2 && CYCLE_S - ATTACH_BEFORE_S > ROLLBACK_AFTER_S + WINDOW_AFTER_S + 1)) ||
  !(DURATION_S > LAST_ROLLBACK_S + WINDOW_AFTER_S) ||
  !(SCRAPE_S > 0)
) {
  process.stderr.write(
    'usage: lifecycle bench [--rate 250] [--warmup 5] [--slice 15] [--settle 2] [--rounds 4]\n' +
      '  [--cycles 3] [--first-at 10] [--cycle 30] [--rollback-after 12] [--attach-before 10] [--window-before 0.25] [--window-after 1]\n' +
      '  [--duration <last rollback + 8>] [--scrape 0.5] [--out <file.json>] [--raw]\n' +
      '  (seconds, --rate in requests per second. Cycle k promotes at first-at + k * cycle and rolls back rollback-after later;\n' +
      '  from the second cycle on, v2 is attached as a shadow again attach-before seconds before its promotion.\n' +
      '  The rollback must come after the promotion\'s window, the attach after the previous rollback\'s window, and the run must outlast the last window.)\n',
  );
  process.exit(2);
}

const root = resolve(__dirname, '..', '..', '..', '..');
const TOKEN = `mpt_bench_${randomBytes(24).toString('hex')}`;
const DEPLOYMENT = 'lifecycle-bench';
const CHALLENGER_WEIGHTS = [1.2, -1.8, 0.9] as const;
const CHALLENGER_BIAS = -0.1;
const BAKE = { minutes: 30, maxErrorRate: 0.05 } as const;
/** Goals, from the issue (see README.md). */
const GOAL_RATE = 200;
const GOAL_SWITCH_P99_RATIO = 2;
const GOAL_SHADOW_P50_RATIO = 1.1;

const print = (line = '') => process.stdout.write(`${line}\n`);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const f1 = (n: number) => n.toFixed(1);
const f2 = (n: number) => n.toFixed(2);
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? 'MET' : 'MISSED');

/** The request bodies: 64 different rows of three standardised features, one row per request, used in turn. */
const BODIES = Array.from({ length: 64 }, (_, i) => {
  const data = [((i * 37) % 17) / 4 - 2, ((i * 11) % 13) / 3 - 2, ((i * 7) % 9) / 2 - 2];
  return Buffer.from(JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data }] }));
});
const bodyFor = (i: number) => BODIES[i % BODIES.length]!;

// ---------- the server ----------

/** What to undo at the end (server, database, temp dir, connections), newest first: run once, also on Ctrl-C. */
const cleanups = cleanupsOnExit('stopping the server and dropping the benchmark database');

async function startServer(): Promise<BuiltServer> {
  return startBuiltServer(root, 'lifecycle', TOKEN, cleanups);
}

// ---------- set-up and lifecycle calls through the public API ----------

const gql = <T = any>(url: string, query: string, variables: Record<string, unknown> = {}): Promise<T> => benchGql<T>(url, TOKEN, query, variables);

interface Member {
  version: number;
  role: string;
  weight: number;
  state: string;
}

const DEPLOYMENT_FIELDS = 'id revision traffic { members { version role weight state } }';

/** Uploads and registers one ONNX file as the model's next version; returns its version number. */
async function register(url: string, projectId: string, modelId: string, bytes: Buffer): Promise<number> {
  const sha = createHash('sha256').update(bytes).digest('hex');
  const { createArtifactUpload: slot } = await gql<{ createArtifactUpload: { id: string; url: string; headers: { name: string; value: string }[] } }>(
    url,
    `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url headers { name value } } }`,
    { p: projectId, s: bytes.length, h: sha },
  );
  const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
  for (const h of slot.headers) headers[h.name] = h.value;
  if (slot.url.startsWith(url)) headers['authorization'] = `Bearer ${TOKEN}`;
  const put = await fetch(slot.url, { method: 'PUT', headers, body: bytes });
  if (!put.ok) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  const { registerModelVersion } = await gql<{ registerModelVersion: { version: number } }>(
    url,
    `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { version } }`,
    { i: { modelId, uploadId: slot.id, sha256: sha, sizeBytes: bytes.length } },
  );
  return registerModelVersion.version;
}

/** Project, model, v1 (champion) and v2 (challenger, other weights, same signature), and a deployment of v1. */
async function deploy(url: string): Promise<{ deploymentId: string }> {
  const { createProject } = await gql(url, `mutation { createProject(input: { name: "lifecycle-bench" }) { id } }`);
  const { createModel } = await gql(url, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "credit-risk" }) { id } }`, { p: createProject.id });
  const v1 = await register(url, createProject.id, createModel.id, Buffer.from(binaryLogisticRegressionModel()));
  const v2 = await register(url, createProject.id, createModel.id, Buffer.from(binaryLogisticRegressionModel(CHALLENGER_WEIGHTS, CHALLENGER_BIAS)));
  if (v1 !== 1 || v2 !== 2) throw new Error(`expected versions 1 and 2, the registry numbered them ${v1} and ${v2}`);
  const { createDeployment: d } = await gql(url, `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id name state failure } }`, {
    i: { projectId: createProject.id, name: DEPLOYMENT, modelId: createModel.id, version: 1 },
  });
  if (d.state !== 'READY') throw new Error(`the deployment ${d.name} is ${d.state}: ${d.failure}`);
  return { deploymentId: d.id };
}

async function members(url: string, deploymentId: string): Promise<Member[]> {
  const { deployment } = await gql<{ deployment: { traffic: { members: Member[] } } }>(url, `query($id: ID!) { deployment(id: $id) { ${DEPLOYMENT_FIELDS} } }`, { id: deploymentId });
  return deployment.traffic.members;
}

const describeMembers = (ms: readonly Member[]) => ms.map((m) => `v${m.version} ${m.role}${m.weight ? ` ${m.weight}%` : ''}${m.state === 'READY' ? '' : ` (${m.state})`}`).join(', ');

/** Sets the champion (v1) at 100% with these shadows, waits until every member is READY, and checks the policy took. */
async function setShadows(url: string, deploymentId: string, shadows: number[], reason: string): Promise<{ ms: number; members: Member[] }> {
  const started = performance.now();
  const { setTrafficPolicy } = await gql<{ setTrafficPolicy: { traffic: { members: Member[] } } }>(
    url,
    `mutation($i: SetTrafficPolicyInput!) { setTrafficPolicy(input: $i) { ${DEPLOYMENT_FIELDS} } }`,
    { i: { deploymentId, championWeight: 100, canaries: [], shadows, reason } },
  );
  let now = setTrafficPolicy.traffic.members;
  const deadline = Date.now() + 120_000;
  while (now.some((m) => m.state === 'LOADING')) {
    if (Date.now() > deadline) throw new Error(`setTrafficPolicy: still loading after 120 s: ${describeMembers(now)}`);
    await pause(200);
    now = await members(url, deploymentId);
  }
  const ms = performance.now() - started;
  const failed = now.find((m) => m.state === 'FAILED');
  if (failed) throw new Error(`setTrafficPolicy: version ${failed.version} failed to load: ${describeMembers(now)}`);
  const champion = now.find((m) => m.role === 'CHAMPION');
  const got = now.filter((m) => m.role === 'SHADOW').map((m) => m.version);
  if (champion?.version !== 1 || champion.weight !== 100 || got.join(',') !== shadows.join(',')) {
    throw new Error(`setTrafficPolicy(shadows [${shadows.join(', ')}]) left the traffic as: ${describeMembers(now)}`);
  }
  return { ms, members: now };
}

type SwitchKind = 'promotion' | 'rollback';

interface Switch {
  readonly kind: SwitchKind;
  /** 1-based: the promotion and the rollback of one cycle share it. */
  readonly cycle: number;
  readonly mutation: string;
  /** ms since the start of phase B. */
  readonly startMs: number;
  readonly endMs: number;
  readonly tookMs: number;
  readonly members: Member[];
}

/** v2 attached as a shadow again between a rollback and the next promotion (it loads into the plugin again). */
interface Attach {
  readonly cycle: number;
  readonly startMs: number;
  /** When every member was READY. */
  readonly endMs: number;
}

/** Runs one lifecycle mutation during the run and times it on the run's clock. */
async function timedSwitch(
  run: OpenLoopRun,
  kind: SwitchKind,
  cycle: number,
  mutation: string,
  call: () => Promise<{ traffic: { members: Member[] } }>,
): Promise<Switch> {
  const startMs = run.now();
  const t0 = performance.now();
  const result = await call();
  const tookMs = performance.now() - t0;
  return { kind, cycle, mutation, startMs, endMs: run.now(), tookMs, members: result.traffic.members };
}

// ---------- measuring ----------

interface LogCounts {
  live: number;
  shadow: number;
  shadowOk: number;
}

async function logCounts(db: Client): Promise<LogCounts> {
  const { rows } = await db.query<LogCounts>(
    `SELECT count(*) FILTER (WHERE role = 'live')::int AS live,
            count(*) FILTER (WHERE role = 'shadow')::int AS shadow,
            count(*) FILTER (WHERE role = 'shadow' AND status = 'ok')::int AS "shadowOk"
       FROM predictions`,
  );
  return rows[0]!;
}

/**
 * Waits until the prediction log holds a live row for every answered request so far, then until the
 * shadow rows stop growing (shadow copies start after the live answer); gives up after 20 s.
 */
async function caughtUpLog(db: Client, answered: number): Promise<LogCounts & { waitedMs: number }> {
  const started = performance.now();
  const deadline = started + 20_000;
  let counts = await logCounts(db);
  while (counts.live < answered && performance.now() < deadline) {
    await pause(100);
    counts = await logCounts(db);
  }
  for (;;) {
    await pause(300);
    const again = await logCounts(db);
    const stable = again.shadow === counts.shadow && again.live === counts.live;
    counts = again;
    if (stable || performance.now() > deadline) break;
  }
  return { ...counts, waitedMs: performance.now() - started };
}

/** The processes to measure CPU of: this client, the server, its ONNX plugin, the PostgreSQL backends of the benchmark database. */
async function processGroups(url: string, server: BuiltServer, db: Client): Promise<Record<string, number[]>> {
  const { plugins } = await gql<{ plugins: { name: string; pid: number | null }[] }>(url, `{ plugins { name pid } }`);
  const plugin = plugins.find((p) => p.name === 'runtime-onnx')?.pid;
  if (!plugin) throw new Error(`no runtime-onnx plugin process: ${JSON.stringify(plugins)}`);
  const { rows } = await db.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [server.database]);
  return { bench: [process.pid], server: [server.pid], plugin: [plugin], postgres: rows.map((r) => r.pid) };
}

interface SliceResult {
  round: number;
  shadow: boolean;
  /** Requests after the settle time. */
  measured: Summary;
  /** setTrafficPolicy before the slice, until every member was READY. */
  policyMs: number;
  liveAnswered: number;
  shadowRows: number;
  shadowOkRows: number;
  cpu: CpuUse;
  /** Latencies of the measured 200 answers (for pooling; not written to the JSON). */
  latenciesMs: number[];
}

// ---------- main ----------

async function main(): Promise<void> {
  const startedAt = new Date();
  const load = loadavg();
  print('# Lifecycle benchmark: shadow cost, promotion and rollback under constant load');
  print();
  print(`${cpus().length} CPUs (${cpus()[0]?.model ?? 'unknown'}), load average at start ${load.map(f2).join(' ')}, Node ${process.version}`);
  try {
    const server = await startServer();
    const db = new Client({ connectionString: server.databaseUrl });
    await db.connect();
    cleanups.push(() => db.end());
    const { deploymentId } = await deploy(server.url);
    const client = v2Client(`${server.url}/v2/models/${DEPLOYMENT}/infer`, TOKEN);
    cleanups.push(async () => client.close());
    const check = await client.post(bodyFor(0));
    if (check.status !== 200 || check.version !== '1') throw new Error(`the first prediction answered HTTP ${check.status}, version ${check.version}: ${check.error ?? ''}`);
    let answered = 1;
    print(
      `Deployment "${DEPLOYMENT}" (model credit-risk): v1 champion, logistic regression weights [${LOGISTIC_WEIGHTS.join(', ')}] bias ${LOGISTIC_BIAS}; ` +
        `v2 challenger, weights [${CHALLENGER_WEIGHTS.join(', ')}] bias ${CHALLENGER_BIAS} (same signature). Real ONNX Runtime plugin, fresh PostgreSQL database.`,
    );
    print(`Load: open loop, ${RATE} req/s scheduled by the clock, V2 REST over keep-alive node:http, one row per request (64 rows in turn).`);

    // ---- warm-up ----
    const warm = await openLoop(client, bodyFor, RATE, WARMUP_S * 1000).done;
    answered += warm.filter((s) => s.status === 200).length;
    const warmSummary = summarize(warm);
    if (warmSummary.failed) throw new Error(`${warmSummary.failed} of ${warm.length} warm-up requests failed; the first: ${warmSummary.firstError}`);

    // ---- phase A: shadow cost, A B A B ----
    const slices: SliceResult[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      for (const shadow of [false, true]) {
        const policy = await setShadows(
          server.url,
          deploymentId,
          shadow ? [2] : [],
          shadow ? 'lifecycle bench: shadow the challenger' : 'lifecycle bench: run the champion alone',
        );
        const before = await caughtUpLog(db, answered);
        const run = openLoop(client, bodyFor, RATE, (SETTLE_S + SLICE_S) * 1000);
        await pause(SETTLE_S * 1000);
        const groups = await processGroups(server.url, server, db);
        const stop = startCpuMeter(groups);
        const samples = await run.done;
        const cpu = stop();
        const ok = samples.filter((s) => s.status === 200).length;
        answered += ok;
        const measured = samples.filter((s) => s.dueMs >= SETTLE_S * 1000);
        const after = await caughtUpLog(db, answered);
        slices.push({
          round,
          shadow,
          measured: summarize(measured),
          policyMs: policy.ms,
          liveAnswered: ok,
          shadowRows: after.shadow - before.shadow,
          shadowOkRows: after.shadowOk - before.shadowOk,
          cpu,
          latenciesMs: measured.filter((s) => s.status === 200).map((s) => s.latencyMs),
        });
        process.stderr.write(`phase A: round ${round}, ${shadow ? 'with' : 'without'} shadow: p50 ${f2(slices.at(-1)!.measured.p50Ms)} ms\n`);
      }
    }

    // ---- phase B: promote, then roll back, under load, CYCLES times ----
    const attached = await members(server.url, deploymentId);
    if (!attached.some((m) => m.version === 2 && m.role === 'SHADOW' && m.state === 'READY')) {
      await setShadows(server.url, deploymentId, [2], 'lifecycle bench: shadow the challenger before promoting it');
    }
    const beforeB = await caughtUpLog(db, answered);
    const groupsB = await processGroups(server.url, server, db);
    const stopB = startCpuMeter(groupsB);
    const run = openLoop(client, bodyFor, RATE, DURATION_S * 1000);
    const scraper = scrapeServer(server.url, run.now, SCRAPE_S * 1000);
    const until = (seconds: number) => pause(Math.max(0, seconds * 1000 - run.now()));
    const switches: Switch[] = [];
    const attaches: Attach[] = [];
    for (let cycle = 1; cycle <= CYCLES; cycle++) {
      const promoteAt = FIRST_AT_S + (cycle - 1) * CYCLE_S;
      if (cycle > 1) {
        await until(promoteAt - ATTACH_BEFORE_S);
        const startMs = run.now();
        await setShadows(server.url, deploymentId, [2], `lifecycle bench: shadow the challenger again (cycle ${cycle})`);
        attaches.push({ cycle, startMs, endMs: run.now() });
        if (run.now() > (promoteAt - WINDOW_BEFORE_S) * 1000) {
          throw new Error(`attaching v2 again took until ${f2(run.now() / 1000)} s, past the window of the promotion at ${promoteAt} s: give --attach-before more time`);
        }
      }
      await until(promoteAt);
      switches.push(
        await timedSwitch(run, 'promotion', cycle, 'promoteDeploymentVersion', async () => {
          const { promoteDeploymentVersion } = await gql(server.url, `mutation($i: PromoteDeploymentVersionInput!) { promoteDeploymentVersion(input: $i) { ${DEPLOYMENT_FIELDS} } }`, {
            i: { deploymentId, version: 2, reason: `lifecycle bench: promote the challenger under load (cycle ${cycle})`, bake: BAKE },
          });
          return promoteDeploymentVersion;
        }),
      );
      await until(promoteAt + ROLLBACK_AFTER_S);
      switches.push(
        await timedSwitch(run, 'rollback', cycle, 'rollbackDeployment', async () => {
          const { rollbackDeployment } = await gql(server.url, `mutation($i: RollbackDeploymentInput!) { rollbackDeployment(input: $i) { ${DEPLOYMENT_FIELDS} } }`, {
            i: { deploymentId, reason: `lifecycle bench: roll back under load (cycle ${cycle})` },
          });
          return rollbackDeployment;
        }),
      );
    }
    const samples = await run.done;
    const scrapes = await scraper.stop();
    const cpuB = stopB();
    answered += samples.filter((s) => s.status === 200).length;
    const afterB = await caughtUpLog(db, answered);
    const finalMembers = await members(server.url, deploymentId);

    report({ startedAt, load, server, slices, samples, switches, attaches, scrapes, cpuB, finalMembers, shadowRowsB: afterB.shadow - beforeB.shadow, log: { ...afterB, answered } });
  } finally {
    await cleanups.run();
  }
}

// ---------- the report ----------

interface ReportInput {
  startedAt: Date;
  load: number[];
  server: BuiltServer;
  slices: SliceResult[];
  samples: Sample[];
  switches: Switch[];
  attaches: Attach[];
  scrapes: ServerScrape[];
  cpuB: CpuUse;
  finalMembers: Member[];
  shadowRowsB: number;
  log: LogCounts & { waitedMs: number; answered: number };
}

interface Span {
  /** ms since the start of phase B. */
  readonly fromMs: number;
  readonly toMs: number;
}

interface WindowResult {
  readonly span: Span;
  readonly summary: Summary;
  /** p99 / steady p99. */
  readonly ratio: number;
  readonly stalls: ServerStalls | null;
}

/** Champion latency over all slices with (or without) the shadow, pooled: the requests after each slice's settle time. */
function pooled(slices: readonly SliceResult[], shadow: boolean): { p50Ms: number; p99Ms: number; requests: number; failed: number } {
  const of = slices.filter((s) => s.shadow === shadow);
  const latencies = of.flatMap((s) => s.latenciesMs).sort((a, b) => a - b);
  return {
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    requests: of.reduce((n, s) => n + s.measured.requests, 0),
    failed: of.reduce((n, s) => n + s.measured.failed, 0),
  };
}

function report(r: ReportInput): void {
  const { slices, samples } = r;
  const cores = (cpu: CpuUse, g: string) => f2(cpu.groups[g] ?? 0);

  // ---- phase A ----
  print();
  print(`## Phase A: what one shadow challenger costs the champion (${'A B '.repeat(ROUNDS).trim()}, ${SLICE_S} s each after ${SETTLE_S} s to settle, ${RATE} req/s)`);
  print();
  print('| slice | shadow | requests | failed | p50 ms | p99 ms | max ms | sent req/s | shadow rows / live answers | policy change ms | cores: machine / other / server / plugin / postgres / client |');
  print('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const s of slices) {
    const m = s.measured;
    print(
      `| ${s.round}${s.shadow ? 'B' : 'A'} | ${s.shadow ? 'v2' : 'none'} | ${m.requests} | ${m.failed} | ${f2(m.p50Ms)} | ${f2(m.p99Ms)} | ${f1(m.maxMs)} | ${f1(m.sentPerSecond)} | ${s.shadowRows} / ${s.liveAnswered}${s.shadowRows !== s.shadowOkRows ? ` (${s.shadowRows - s.shadowOkRows} failed)` : ''} | ${f1(s.policyMs)} | ${f2(s.cpu.busyCores)} of ${s.cpu.machineCpus} / ${f2(s.cpu.otherCores)} / ${cores(s.cpu, 'server')} / ${cores(s.cpu, 'plugin')} / ${cores(s.cpu, 'postgres')} / ${cores(s.cpu, 'bench')} |`,
    );
  }
  const without = pooled(slices, false);
  const withShadow = pooled(slices, true);
  const p50Ratio = without.p50Ms > 0 ? withShadow.p50Ms / without.p50Ms : Number.NaN;
  const perRound = Array.from({ length: ROUNDS }, (_, i) => {
    const a = slices.find((s) => s.round === i + 1 && !s.shadow)!;
    const b = slices.find((s) => s.round === i + 1 && s.shadow)!;
    return b.measured.p50Ms / a.measured.p50Ms;
  });
  const shadowSlices = slices.filter((s) => s.shadow);
  const shadowRowsA = shadowSlices.reduce((n, s) => n + s.shadowRows, 0);
  const shadowLiveA = shadowSlices.reduce((n, s) => n + s.liveAnswered, 0);
  const leakedShadows = slices.filter((s) => !s.shadow).reduce((n, s) => n + s.shadowRows, 0);
  print();
  print(
    `Champion p50 without a shadow ${f2(without.p50Ms)} ms, with one ${f2(withShadow.p50Ms)} ms (all slices pooled): with / without = ${f2(p50Ratio)} ` +
      `(per round: ${perRound.map(f2).join(', ')}); p99 ${f2(without.p99Ms)} → ${f2(withShadow.p99Ms)} ms.`,
  );
  print(
    `Shadow rows written (predictions, role 'shadow'): ${shadowRowsA} for ${shadowLiveA} live answers in the shadow slices (${pct(shadowLiveA ? shadowRowsA / shadowLiveA : 0)}); ${leakedShadows} in the slices without a shadow.`,
  );

  // ---- phase B ----
  const { switches, attaches, scrapes } = r;
  const windowOf = (w: { startMs: number; endMs: number }): Span => ({ fromMs: w.startMs - WINDOW_BEFORE_S * 1000, toMs: w.endMs + WINDOW_AFTER_S * 1000 });
  const inSpan = (x: Sample, span: Span) => x.sentMs >= span.fromMs && x.sentMs <= span.toMs;
  const excluded = [...switches, ...attaches].map(windowOf);
  const steady = samples.filter((x) => !excluded.some((span) => inSpan(x, span)));
  const all = summarize(samples);
  const st = summarize(steady);
  const ratioOf = (p99: number) => (st.p99Ms > 0 ? p99 / st.p99Ms : Number.NaN);
  const measureSpan = (span: Span): WindowResult => {
    const summary = summarize(samples.filter((x) => inSpan(x, span)));
    return { span, summary, ratio: ratioOf(summary.p99Ms), stalls: stallsBetween(scrapes, span.fromMs, span.toMs) };
  };
  const switchRows = switches.map((w) => ({ switch: w, ...measureSpan(windowOf(w)) }));
  const attachRows = attaches.map((a) => ({ attach: a, ...measureSpan(windowOf(a)) }));
  const describeStalls = (x: ServerStalls | null) =>
    x ? `${f1(x.loopDelayMaxMs)} ms${x.majorGcs ? ` / ${x.majorGcs} major GC (${f1(x.majorGcMs)} ms)` : ''}` : 'not scraped';
  // The server stood still long enough to explain the window's p99 on its own.
  const serverStalled = (x: WindowResult) => x.stalls !== null && x.stalls.loopDelayMaxMs >= GOAL_SWITCH_P99_RATIO * st.p99Ms;
  // A reading aid: how often a steady stretch of the same length is over the goal on its own.
  const lengths = switchRows.map((x) => x.span.toMs - x.span.fromMs).sort((a, b) => a - b);
  const stretchMs = percentile(lengths, 50);
  const stretches: WindowResult[] = [];
  for (let from = 0; from + stretchMs <= DURATION_S * 1000; from += stretchMs) {
    const span = { fromMs: from, toMs: from + stretchMs };
    if (!excluded.some((e) => span.fromMs <= e.toMs && span.toMs >= e.fromMs)) stretches.push(measureSpan(span));
  }
  const stretchesOver = stretches.filter((x) => x.ratio > GOAL_SWITCH_P99_RATIO);
  const s = (ms: number) => f2(ms / 1000);

  print();
  print(`## Phase B: ${CYCLES} × (promote v2, roll back ${ROLLBACK_AFTER_S} s later), every ${CYCLE_S} s from ${FIRST_AT_S} s (${DURATION_S} s at ${RATE} req/s)`);
  print();
  print(
    `A switch's window: the requests sent from ${WINDOW_BEFORE_S} s before its mutation was sent until ${WINDOW_AFTER_S} s after its answer came back. ` +
      `Steady state: every request outside all switch windows and the windows of attaching v2 again. ` +
      `"Server stood still": the longest event-loop delay the server reported (its /metrics, scraped every ${SCRAPE_S} s) over the window, and its major GCs.`,
  );
  print();
  print('| cycle | mutation | sent at s | took ms | requests | failed | p50 ms | p99 ms | max ms | p99 / steady p99 | server stood still | traffic after |');
  print('|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|');
  for (const x of switchRows) {
    const w = x.switch;
    const m = x.summary;
    print(
      `| ${w.cycle} | ${w.kind === 'promotion' ? `promoteDeploymentVersion(v2, bake ${BAKE.minutes} min)` : 'rollbackDeployment'} | ${s(w.startMs)} | ${f1(w.tookMs)} | ${m.requests} | ${m.failed} | ${f2(m.p50Ms)} | ${f2(m.p99Ms)} | ${f1(m.maxMs)} | ${f2(x.ratio)} | ${describeStalls(x.stalls)} | ${describeMembers(w.members)} |`,
    );
  }
  for (const x of attachRows) {
    const m = x.summary;
    print(
      `| ${x.attach.cycle} | setTrafficPolicy(shadows [2]) until READY (not a switch) | ${s(x.attach.startMs)} | ${f1(x.attach.endMs - x.attach.startMs)} | ${m.requests} | ${m.failed} | ${f2(m.p50Ms)} | ${f2(m.p99Ms)} | ${f1(m.maxMs)} | ${f2(x.ratio)} | ${describeStalls(x.stalls)} | v1 champion, v2 shadow |`,
    );
  }
  print(`| | steady state | | | ${st.requests} | ${st.failed} | ${f2(st.p50Ms)} | ${f2(st.p99Ms)} | ${f1(st.maxMs)} | 1.00 | | |`);
  print(`| | all of phase B | | | ${all.requests} | ${all.failed} | ${f2(all.p50Ms)} | ${f2(all.p99Ms)} | ${f1(all.maxMs)} | | | |`);
  if (all.firstError) print(`First failure: ${all.firstError}`);
  const timeline = Array.from({ length: Math.ceil(DURATION_S) }, (_, sec) => {
    const of = samples.filter((x) => x.sentMs >= sec * 1000 && x.sentMs < (sec + 1) * 1000);
    const sum = summarize(of);
    const stalls = stallsBetween(scrapes, sec * 1000, (sec + 1) * 1000);
    return { second: sec, requests: sum.requests, failed: sum.failed, p50Ms: sum.p50Ms, p99Ms: sum.p99Ms, maxMs: sum.maxMs, byVersion: versionCounts(of), serverLoopDelayMaxMs: stalls?.loopDelayMaxMs ?? null };
  });
  print();
  print(`p99 ms per second of phase B (switches marked P and R): ${timeline.map((t) => `${t.second}${switches.filter((w) => Math.floor(w.startMs / 1000) === t.second).map((w) => (w.kind === 'promotion' ? 'P' : 'R')).join('')}:${Math.round(t.p99Ms)}`).join(' ')}`);
  print(
    `Steady stretches of a switch window's length (${s(stretchMs)} s) cut one after another through the run, away from every switch and attach: ${stretches.length}, ` +
      `of which ${stretchesOver.length} (${pct(stretches.length ? stretchesOver.length / stretches.length : 0)}) have a p99 above ${GOAL_SWITCH_P99_RATIO}× the steady p99 with no switch at all; ` +
      `in ${stretchesOver.filter(serverStalled).length} of those the server stood still for at least ${GOAL_SWITCH_P99_RATIO}× the steady p99.`,
  );

  // Each expected stretch of answers: all v1 before the first promotion and after each rollback, all v2 after each promotion.
  const edges = [...switches].sort((x, y) => x.startMs - y.startMs);
  const segments = [
    { name: `before the first promotion (0 – ${s(edges[0]!.startMs)} s)`, expect: '1' as string | null, of: samples.filter((x) => x.sentMs < edges[0]!.startMs) },
    ...edges.flatMap((w, i) => {
      const next = edges[i + 1];
      return [
        { name: `while ${w.mutation} (cycle ${w.cycle}) ran`, expect: null, of: samples.filter((x) => x.sentMs >= w.startMs && x.sentMs <= w.endMs) },
        {
          name: `after ${w.kind === 'promotion' ? 'promotion' : 'rollback'} ${w.cycle} (${s(w.endMs)} – ${next ? s(next.startMs) : 'end'} s)`,
          expect: w.kind === 'promotion' ? '2' : '1',
          of: samples.filter((x) => x.sentMs > w.endMs && (!next || x.sentMs < next.startMs)),
        },
      ];
    }),
  ].map((seg) => ({ ...seg, counts: versionCounts(seg.of) }));
  print();
  print('| answers by version, requests sent | requests | v1 | v2 | failed | expected |');
  print('|---|---:|---:|---:|---:|---|');
  for (const seg of segments) {
    const c = seg.counts;
    const n = seg.of.length;
    const share = (k: string) => `${c[k] ?? 0}${n ? ` (${pct((c[k] ?? 0) / n)})` : ''}`;
    print(`| ${seg.name} | ${n} | ${share('1')} | ${share('2')} | ${c['none'] ?? 0} | ${seg.expect ? `all v${seg.expect}` : 'either'} |`);
  }
  // Failed requests are the goal above; here every answer must come from the expected version.
  const answeredIn = (seg: { of: Sample[] }) => seg.of.filter((x) => x.status === 200).length;
  const switched = segments.every((seg) => !seg.expect || (answeredIn(seg) > 0 && (seg.counts[seg.expect] ?? 0) === answeredIn(seg)));
  print();
  print(
    `Client schedule kept: sent ${f1(all.sentPerSecond)} req/s; sends late against the schedule by p99 ${f2(all.lagP99Ms)} ms, at most ${f1(all.lagMaxMs)} ms. ` +
      `CPU during phase B: machine ${f2(r.cpuB.busyCores)} of ${r.cpuB.machineCpus} cores busy (other processes ${f2(r.cpuB.otherCores)}), server ${cores(r.cpuB, 'server')}, plugin ${cores(r.cpuB, 'plugin')}, postgres ${cores(r.cpuB, 'postgres')}, client ${cores(r.cpuB, 'bench')}.`,
  );
  print(`Traffic at the end: ${describeMembers(r.finalMembers)}. Shadow rows during phase B (v2 shadowed before each promotion): ${r.shadowRowsB}.`);
  print(`Prediction log: ${r.log.live} live rows for ${r.log.answered} answered requests (all phases, check and warm-up included), ${r.log.shadow} shadow rows.`);
  if (r.server.warnings.count) print(`The Modelport server logged ${r.server.warnings.count} warnings/errors; the first: ${r.server.warnings.first}`);

  // ---- goals ----
  const switchGoal = (kind: SwitchKind) => {
    const rows = switchRows.filter((x) => x.switch.kind === kind);
    const over = rows.filter((x) => !(x.ratio <= GOAL_SWITCH_P99_RATIO));
    return {
      goal: `p99 during each ${kind} ≤ ${GOAL_SWITCH_P99_RATIO}× steady p99 (window ${WINDOW_BEFORE_S} s before to ${WINDOW_AFTER_S} s after; ${rows.length} ${kind}s)`,
      measured:
        `${rows.map((x) => `${f2(x.ratio)}×`).join(', ')} (p99 ${rows.map((x) => f1(x.summary.p99Ms)).join(', ')} ms; steady p99 ${f2(st.p99Ms)} ms)` +
        (over.length ? `; over: ${over.map((x) => `cycle ${x.switch.cycle}, server stood still ${describeStalls(x.stalls)}`).join('; ')}` : ''),
      met: rows.length && Number.isFinite(st.p99Ms) ? over.length === 0 : undefined,
    };
  };
  const goals = [
    {
      goal: `constant load ≥ ${GOAL_RATE} req/s for ≥ 60 s (phase B${DURATION_S < 60 ? `: this run only ${DURATION_S} s` : ''})`,
      measured: `${f1(all.sentPerSecond)} req/s sent (${all.requests} requests), schedule lag p99 ${f2(all.lagP99Ms)} ms`,
      met: all.sentPerSecond >= GOAL_RATE && DURATION_S >= 60,
    },
    { goal: `zero failed requests across ${CYCLES} promotions and rollbacks`, measured: `${all.failed} of ${all.requests}${all.firstError ? ` (first: ${all.firstError.slice(0, 120)})` : ''}`, met: all.failed === 0 },
    switchGoal('promotion'),
    switchGoal('rollback'),
    {
      goal: `champion p50 with one shadow ≤ ${GOAL_SHADOW_P50_RATIO}× without (phase A)`,
      measured: `${f2(withShadow.p50Ms)} ms vs ${f2(without.p50Ms)} ms = ${f2(p50Ratio)}× (rounds: ${perRound.map(f2).join(', ')})`,
      met: Number.isFinite(p50Ratio) ? p50Ratio <= GOAL_SHADOW_P50_RATIO : undefined,
    },
  ];
  const checks = [
    { check: 'the shadow ran: shadow rows written in the shadow slices, none without', measured: `${shadowRowsA} rows for ${shadowLiveA} live answers; ${leakedShadows} without`, met: shadowRowsA > 0 && leakedShadows === 0 },
    {
      check: 'every switch happened: all v1 before each promotion, all v2 after it, all v1 after each rollback',
      measured: segments.filter((seg) => seg.expect).map((seg) => `${seg.counts[seg.expect!] ?? 0}/${answeredIn(seg)} v${seg.expect}`).join(', '),
      met: switched,
    },
    { check: 'phase A had no failed requests', measured: `${slices.reduce((n, x) => n + x.measured.failed, 0)} failed`, met: slices.every((x) => x.measured.failed === 0) },
    { check: "the server's /metrics was read through phase B", measured: `${scrapes.length} scrapes`, met: scrapes.length >= Math.floor(DURATION_S / SCRAPE_S / 2) },
  ];
  print();
  print('## Goals (from the issue)');
  print();
  print('| goal | measured | |');
  print('|---|---|---|');
  for (const g of goals) print(`| ${g.goal} | ${g.measured} | ${verdict(g.met)} |`);
  const switchesOver = switchRows.filter((x) => !(x.ratio <= GOAL_SWITCH_P99_RATIO));
  if (switchesOver.length) {
    print();
    print(
      `Switch windows over the goal: ${switchesOver.length} of ${switchRows.length}; in ${switchesOver.filter(serverStalled).length} of them the server process stood still for at least ${GOAL_SWITCH_P99_RATIO}× the steady p99 ` +
        `(${f1(GOAL_SWITCH_P99_RATIO * st.p99Ms)} ms) at some point of the window. Steady stretches of the same length over the goal: ${stretchesOver.length} of ${stretches.length}.`,
    );
  }
  print();
  print('| check (that the run measured what it claims) | measured | |');
  print('|---|---|---|');
  for (const c of checks) print(`| ${c.check} | ${c.measured} | ${c.met ? 'OK' : 'FAILED'} |`);
  const busy = [...slices.map((x) => x.cpu), r.cpuB].filter((c) => c.busyCores / c.machineCpus >= 0.8);
  if (busy.length) {
    print();
    print(
      `The machine was ≥ 80% busy during ${busy.length} of ${slices.length + 1} measured periods (other processes up to ${f2(Math.max(...[...slices.map((x) => x.cpu), r.cpuB].map((c) => c.otherCores)))} cores): latencies there include waiting for a CPU; compare ratios within the run.`,
    );
  }

  // ---- JSON ----
  const out = args.out ? resolve(args.out) : join(root, 'tools/bench/lifecycle/results', `lifecycle-${r.startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
  const json = {
    benchmark: 'lifecycle',
    startedAt: r.startedAt.toISOString(),
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model, loadAverageAtStart: r.load, node: process.version },
    options: {
      ratePerSecond: RATE,
      warmupSeconds: WARMUP_S,
      sliceSeconds: SLICE_S,
      settleSeconds: SETTLE_S,
      rounds: ROUNDS,
      durationSeconds: DURATION_S,
      cycles: CYCLES,
      firstSwitchAtSeconds: FIRST_AT_S,
      cycleSeconds: CYCLE_S,
      rollbackAfterSeconds: ROLLBACK_AFTER_S,
      attachBeforeSeconds: ATTACH_BEFORE_S,
      windowBeforeSeconds: WINDOW_BEFORE_S,
      windowAfterSeconds: WINDOW_AFTER_S,
      scrapeSeconds: SCRAPE_S,
      bake: BAKE,
      champion: { weights: LOGISTIC_WEIGHTS, bias: LOGISTIC_BIAS },
      challenger: { weights: CHALLENGER_WEIGHTS, bias: CHALLENGER_BIAS },
    },
    phaseA: {
      slices: slices.map(({ latenciesMs: _, ...rest }) => rest),
      withoutShadow: without,
      withShadow,
      p50RatioWithOverWithout: p50Ratio,
      p50RatioPerRound: perRound,
      shadowRows: shadowRowsA,
      liveAnswersInShadowSlices: shadowLiveA,
      shadowRowsWithoutShadow: leakedShadows,
    },
    phaseB: {
      switches: switchRows.map((x) => ({ ...x.switch, window: x.span, summary: x.summary, p99RatioToSteady: x.ratio, server: x.stalls })),
      attaches: attachRows.map((x) => ({ ...x.attach, window: x.span, summary: x.summary, p99RatioToSteady: x.ratio, server: x.stalls })),
      all,
      steady: st,
      steadyStretches: { lengthMs: stretchMs, count: stretches.length, overGoal: stretchesOver.length, overGoalWithServerStill: stretchesOver.filter(serverStalled).length },
      segments: segments.map((seg) => ({ name: seg.name, expected: seg.expect, requests: seg.of.length, byVersion: seg.counts })),
      cpu: r.cpuB,
      finalTraffic: r.finalMembers,
      shadowRows: r.shadowRowsB,
      timeline,
      serverScrapes: scrapes,
      ...(args.raw ? { requests: samples } : {}),
    },
    predictionLog: r.log,
    serverWarnings: r.server.warnings,
    goals,
    checks,
  };
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(json, null, 2)}\n`);
  print();
  print(`results written to ${relative(process.cwd(), out) || out}`);
}

main().catch(async (err: unknown) => {
  await cleanups.run();
  if (cleanups.interrupted) return; // the SIGINT handler exits
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
