/* Monitoring windows benchmark: the 30-day drift query (hourly sketches vs a raw scan) and ingestion into rollups. See WINDOWS.md beside this file. */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { createDataSource, runMigrations, type DatabaseSchema } from '@modelport/database';
import { approvalEntities, approvalMigrations, governanceEntities, governanceMigrations, groupEntities, groupMigrations } from '@modelport/governance';
import {
  DriftService,
  HealthRollupWriter,
  HealthStore,
  ReferenceService,
  buildNumericProfile,
  columnsFromTensors,
  computeDriftReport,
  emptyNumericWindow,
  mergeNumericWindows,
  monitoringEntities,
  monitoringMigrations,
  parseDriftSketch,
  sketchNumericWindow,
  type ColumnProfile,
  type DriftInput,
  type DriftOptions,
  type DriftReport,
  type NumericProfile,
  type NumericWindowSketch,
} from '@modelport/monitoring';
import { createLogger } from '@modelport/observability';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { PredictionLogWriter, servingEntities, servingMigrations, type DeploymentService, type PredictionLogRow } from '@modelport/serving';
import { createEmptyDatabase } from '@modelport/testing';
import { cleanupsOnExit } from '../shared/cleanups';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '10000000' },
    runs: { type: 'string', default: '30' },
    'raw-runs': { type: 'string', default: '3' },
    'ingest-rows': { type: 'string', default: '200000' },
    'seed-workers': { type: 'string', default: '2' },
  },
});

const USAGE = 'usage: windows.bench [--rows 10000000] [--runs 30] [--raw-runs 3] [--ingest-rows 200000] [--seed-workers 2]';

function int(name: keyof typeof args, min: number): number {
  const n = Number(args[name]);
  if (!Number.isInteger(n) || n < min) {
    process.stderr.write(`${USAGE} (--${name} must be an integer >= ${min})\n`);
    process.exit(2);
  }
  return n;
}

const ROWS = int('rows', 1000);
const RUNS = int('runs', 1);
const RAW_RUNS = int('raw-runs', 1);
const INGEST_ROWS = int('ingest-rows', 2);
const SEED_WORKERS = int('seed-workers', 1);

const DAYS = 30;
const HOURS = DAYS * 24;
const HOUR_MS = 3600_000;
const FEATURES = 30;
const NAMES = Array.from({ length: FEATURES }, (_, j) => `f${String(j).padStart(2, '0')}`);
/** Reference rows per feature (a reference file of this many rows, profiled by buildNumericProfile). */
const REFERENCE_ROWS = 50_000;
/** Distinct input vectors the logged predictions draw from (2^16); row g uses vector (g * POOL_STEP + POOL_OFFSET) mod POOL_SIZE. */
const POOL_SIZE = 65_536;
const POOL_STEP = 40_503;
const POOL_OFFSET = 12_345;
/** The prediction log writer's defaults (MODELPORT_PREDICTION_LOG_BUFFER / _BATCH / _FLUSH_MS). */
const WRITER_OPTIONS = { bufferRows: 20_000, batchRows: 500, flushIntervalMs: 50 };
/** Rows fetched per round trip by the raw scan's cursor. */
const RAW_FETCH = 10_000;
const SHA = 'a'.repeat(64);

/** The same contexts, in the same order, as apps/server/src/database-schema.ts (a tool may not import the app). */
const schema: DatabaseSchema = {
  entities: [...governanceEntities, ...groupEntities, ...approvalEntities, ...registryEntities, ...servingEntities, ...monitoringEntities],
  migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations, ...registryMigrations, ...servingMigrations, ...monitoringMigrations],
};

const print = (line = ''): void => void process.stdout.write(`${line}\n`);
const fmt = (x: number, digits = 0): string => x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const seconds = (ms: number): string => `${fmt(ms / 1000, 1)} s`;

function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

function summary(samples: readonly number[]): { p50: number; p99: number; min: number; max: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), min: sorted[0]!, max: sorted[sorted.length - 1]! };
}

/** Seeded standard normal deviates: mulberry32 uniforms through Box-Muller (deterministic on every machine). */
function normalGenerator(seed: number): () => number {
  let s = seed >>> 0;
  let spare: number | null = null;
  const uniform = (): number => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    if (spare !== null) {
      const v = spare;
      spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const theta = 2 * Math.PI * uniform();
    spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  };
}

/** Feature j: reference N(j, 1 + j/10); in production, every fifth feature (j % 5 == 0) moved by 0.3 standard deviations. */
const featureMean = (j: number): number => j;
const featureSd = (j: number): number => 1 + j / 10;
const drifts = (j: number): boolean => j % 5 === 0;

interface Pool {
  /** POOL_SIZE × FEATURES values, row-major. */
  readonly values: Float64Array;
  readonly inputs: readonly unknown[];
  readonly outputs: readonly unknown[];
}

function makePool(): Pool {
  const next = normalGenerator(0x5eed_0002);
  const values = new Float64Array(POOL_SIZE * FEATURES);
  const inputs: unknown[] = [];
  const outputs: unknown[] = [];
  for (let i = 0; i < POOL_SIZE; i++) {
    const row = new Array<number>(FEATURES);
    for (let j = 0; j < FEATURES; j++) {
      const x = featureMean(j) + (drifts(j) ? 0.3 * featureSd(j) : 0) + featureSd(j) * next();
      values[i * FEATURES + j] = x;
      row[j] = x;
    }
    inputs.push([{ name: 'input', datatype: 'FP64', shape: [1, FEATURES], data: row }]);
    outputs.push([{ name: 'score', datatype: 'FP64', shape: [1, 1], data: [1 / (1 + Math.exp(-row[0]!))] }]);
  }
  return { values, inputs, outputs };
}

const poolIndex = (g: number): number => (g * POOL_STEP + POOL_OFFSET) % POOL_SIZE;

function referenceProfiles(): ColumnProfile[] {
  const next = normalGenerator(0x5eed_0001);
  return NAMES.map((name, j) => {
    const column = new Float64Array(REFERENCE_ROWS);
    for (let i = 0; i < REFERENCE_ROWS; i++) column[i] = featureMean(j) + featureSd(j) * next();
    return { name, role: 'feature' as const, profile: buildNumericProfile(name, column) };
  });
}

/** Rows per hour: a daily cycle (busiest in the afternoon, UTC), summing to exactly `total`. */
function hourlyCounts(total: number): number[] {
  const weights = Array.from({ length: HOURS }, (_, h) => 1 + 0.6 * Math.sin((2 * Math.PI * ((h % 24) - 9)) / 24));
  const sum = weights.reduce((a, b) => a + b, 0);
  const exact = weights.map((w) => (w / sum) * total);
  const counts = exact.map(Math.floor);
  let left = total - counts.reduce((a, b) => a + b, 0);
  const order = exact.map((x, h) => [x - Math.floor(x), h] as const).sort((a, b) => b[0] - a[0]);
  for (let k = 0; left > 0; k++, left--) counts[order[k % HOURS]![1]]! += 1;
  return counts;
}

interface Deployment {
  readonly id: string;
  readonly name: string;
  readonly projectId: string;
  readonly modelId: string;
  readonly modelVersionId: string;
}

async function one<T>(db: DataSource, sql: string, params: unknown[] = []): Promise<T> {
  const rows = (await db.query(sql, params)) as T[];
  return rows[0]!;
}

/** One user, project, model and version, and the deployments serving it (plain SQL: only the rows monitoring reads). */
async function insertDeployments(db: DataSource, names: readonly string[]): Promise<Deployment[]> {
  const user = await one<{ id: string }>(db, `INSERT INTO users (name, name_key) VALUES ('bench', 'bench') RETURNING id`);
  const project = await one<{ id: string }>(db, `INSERT INTO projects (name, name_key, created_by) VALUES ('bench', 'bench', $1) RETURNING id`, [user.id]);
  const model = await one<{ id: string }>(db, `INSERT INTO models (project_id, name, name_key, owner_id) VALUES ($1, 'churn', 'churn', $2) RETURNING id`, [project.id, user.id]);
  const upload = await one<{ id: string }>(
    db,
    `INSERT INTO artifact_uploads (id, project_id, created_by, expected_size, expected_sha256, status, expires_at) VALUES (gen_random_uuid(), $1, $2, 1, $3, 'CONSUMED', now()) RETURNING id`,
    [project.id, user.id, SHA],
  );
  const version = await one<{ id: string }>(
    db,
    `INSERT INTO model_versions (model_id, project_id, version, format, artifact_sha256, artifact_size, artifact_key, upload_id, created_by)
     VALUES ($1, $2, 1, 'onnx', $3, 1, 'bench/churn/1', $4, $5) RETURNING id`,
    [model.id, project.id, SHA, upload.id, user.id],
  );
  const out: Deployment[] = [];
  for (const name of names) {
    const d = await one<{ id: string }>(
      db,
      `INSERT INTO deployments (project_id, name, model_id, model_version_id, state, plugin_name, created_by, ready_at) VALUES ($1, $2, $3, $4, 'READY', 'onnx', $5, now()) RETURNING id`,
      [project.id, name, model.id, version.id, user.id],
    );
    out.push({ id: d.id, name, projectId: project.id, modelId: model.id, modelVersionId: version.id });
  }
  return out;
}

/** A READY reference profile, stored the way ReferenceService.compute stores one. */
async function insertProfile(db: DataSource, d: Deployment, profiles: readonly ColumnProfile[]): Promise<string> {
  const row = await one<{ id: string }>(
    db,
    `INSERT INTO reference_profiles (deployment_id, project_id, model_version_id, status, upload_id, format, feature_columns, prediction_columns, categorical_columns, row_count, profiles, completed_at)
     VALUES ($1, $2, $3, 'READY', gen_random_uuid(), 'csv', $4, '{}', '{}', $5, $6, now()) RETURNING id`,
    [d.id, d.projectId, d.modelVersionId, NAMES, REFERENCE_ROWS, JSON.stringify(profiles)],
  );
  return row.id;
}

/**
 * The raw prediction log: `rows` predictions of one deployment spread over the 30 days by `counts`, each
 * with the 30 features as one V2 JSON tensor of shape [1, 30]. Built in SQL, one day per statement, on
 * `workers` connections: row g takes input vector poolIndex(g) from a helper table of POOL_SIZE vectors, so
 * the hourly sketches computed in Node below hold exactly the values the raw rows hold. Ids are UUIDv7
 * built from received_at (time ordered, like newPredictionId), so the primary key grows at its right edge.
 */
async function seedPredictions(db: DataSource, d: Deployment, pool: Pool, start: number, counts: readonly number[], workers: number): Promise<void> {
  await db.query(`CREATE TABLE bench_input_pool (i bigint PRIMARY KEY, inputs jsonb NOT NULL, outputs jsonb NOT NULL)`);
  for (let at = 0; at < POOL_SIZE; at += 8192) {
    const ids = Array.from({ length: Math.min(8192, POOL_SIZE - at) }, (_, k) => at + k);
    await db.query(`INSERT INTO bench_input_pool SELECT i, inputs::jsonb, outputs::jsonb FROM unnest($1::int8[], $2::text[], $3::text[]) AS u(i, inputs, outputs)`, [
      ids,
      ids.map((i) => JSON.stringify(pool.inputs[i])),
      ids.map((i) => JSON.stringify(pool.outputs[i])),
    ]);
  }
  await db.query(`ANALYZE bench_input_pool`);
  const offsets: number[] = [];
  counts.reduce((off, c, h) => ((offsets[h] = off), off + c), 0);
  const sql = `
    INSERT INTO predictions (id, received_at, deployment_id, project_id, model_id, model_version_id, latency_us, model_version, input_rows,
                             payload_stored, protocol, status, deployment_name, artifact_sha256, plugin_id, plugin_version, inputs, outputs)
    SELECT (lpad(to_hex(s.ms), 12, '0') || '70008' || lpad(to_hex(s.g), 15, '0'))::uuid, TIMESTAMPTZ 'epoch' + s.ms * INTERVAL '1 millisecond',
           $4, $5, $6, $7, 400 + (s.g * 7919) % 20000, 1, 1, true, 'rest', 'ok', $8, $9, 'onnx', '1.0', p.inputs, p.outputs
    FROM (SELECT h.off + k AS g, h.start_ms + (k * ${HOUR_MS}) / h.cnt AS ms
          FROM unnest($1::int8[], $2::int8[], $3::int8[]) AS h(start_ms, off, cnt) CROSS JOIN LATERAL generate_series(0::int8, h.cnt - 1) AS k) s
    JOIN bench_input_pool p ON p.i = (s.g * ${POOL_STEP} + ${POOL_OFFSET}) % ${POOL_SIZE}`;
  let nextDay = 0;
  const worker = async (): Promise<void> => {
    while (nextDay < DAYS) {
      const day = nextDay++;
      const hours = Array.from({ length: 24 }, (_, k) => day * 24 + k);
      await db.transaction(async (tx) => {
        // One batch of the pool's hash table in memory keeps the rows in time order; no fsync wait per day.
        await tx.query(`SET LOCAL work_mem = '256MB'`);
        await tx.query(`SET LOCAL synchronous_commit = off`);
        await tx.query(sql, [
          hours.map((h) => start + h * HOUR_MS),
          hours.map((h) => offsets[h]!),
          hours.map((h) => counts[h]!),
          d.id,
          d.projectId,
          d.modelId,
          d.modelVersionId,
          d.name,
          SHA,
        ]);
      });
    }
  };
  await Promise.all(Array.from({ length: workers }, worker));
  await db.query(`DROP TABLE bench_input_pool`);
}

/** The pre-aggregated side: per hour and feature, sketchNumericWindow over that hour's rows (the same values as the raw rows). */
async function seedSketches(db: DataSource, d: Deployment, profileId: string, profiles: readonly ColumnProfile[], pool: Pool, start: number, counts: readonly number[]): Promise<number> {
  let g = 0;
  let pending: unknown[][] = [[], [], [], [], []];
  let written = 0;
  // DriftService.record keeps a sketch per hour and one per day (span 'day'); seed both, the days as merges of their hours.
  const days = new Map<string, { day: string; feature: string; rows: number; sketch: NumericWindowSketch }>();
  const write = async (span: 'hour' | 'day' = 'hour'): Promise<void> => {
    if (pending[0]!.length === 0) return;
    await db.query(
      `INSERT INTO drift_window_sketches (deployment_id, profile_id, span, hour, feature, role, rows, sketch)
       SELECT $1, $2, $7, hour, feature, 'feature', rows, sketch::jsonb FROM unnest($3::timestamptz[], $4::text[], $5::int4[], $6::text[]) AS u(hour, feature, rows, sketch)`,
      [d.id, profileId, pending[0], pending[1], pending[2], pending[3], span],
    );
    written += pending[0]!.length;
    pending = [[], [], [], [], []];
  };
  for (let h = 0; h < HOURS; h++) {
    const n = counts[h]!;
    const columns = NAMES.map(() => new Float64Array(n));
    for (let k = 0; k < n; k++, g++) {
      const base = poolIndex(g) * FEATURES;
      for (let j = 0; j < FEATURES; j++) columns[j]![k] = pool.values[base + j]!;
    }
    const hour = new Date(start + h * HOUR_MS).toISOString();
    const day = new Date(Math.floor((start + h * HOUR_MS) / (24 * HOUR_MS)) * 24 * HOUR_MS).toISOString();
    profiles.forEach((c, j) => {
      const sketch = sketchNumericWindow(c.profile as NumericProfile, columns[j]!);
      pending[0]!.push(hour);
      pending[1]!.push(c.name);
      pending[2]!.push(n);
      pending[3]!.push(JSON.stringify(sketch));
      const key = `${day}/${c.name}`;
      const prev = days.get(key);
      days.set(key, prev ? { ...prev, rows: prev.rows + n, sketch: mergeNumericWindows(prev.sketch, sketch) } : { day, feature: c.name, rows: n, sketch });
    });
    if (pending[0]!.length >= 2000) await write();
  }
  await write();
  for (const d of days.values()) {
    pending[0]!.push(d.day);
    pending[1]!.push(d.feature);
    pending[2]!.push(d.rows);
    pending[3]!.push(JSON.stringify(d.sketch));
    if (pending[0]!.length >= 2000) await write('day');
  }
  await write('day');
  return written;
}

/** DriftService's reading of a logged value: finite numbers and numeric strings count, anything else is missing (NaN here). */
function numeric(v: unknown): number {
  if (typeof v === 'number') return Number.isFinite(v) ? v : Number.NaN;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  return Number.NaN;
}

/** Per-feature windows folded from raw values, a buffer of rows at a time. */
class RawWindows {
  readonly windows: (NumericWindowSketch | null)[];
  rows = 0;
  private columns: Float64Array[];
  private n = 0;

  constructor(private readonly profiles: readonly NumericProfile[]) {
    this.windows = profiles.map(() => null);
    this.columns = profiles.map(() => new Float64Array(RAW_FETCH));
  }

  /** Adds one logged prediction's inputs, mapped to the features the way features.ts does. */
  add(inputs: unknown): void {
    const k = this.profiles.length;
    const only = Array.isArray(inputs) && inputs.length === 1 ? (inputs[0] as { name?: unknown; shape?: unknown; data?: unknown }) : null;
    // Fast path for the common layout: one input tensor of shape [n, k] holding the k features in order.
    if (only && Array.isArray(only.shape) && only.shape.length === 2 && only.shape[1] === k && only.name !== NAMES[0] && Array.isArray(only.data)) {
      const m = Number(only.shape[0]);
      this.room(m);
      const data = only.data as unknown[];
      for (let r = 0; r < m; r++, this.n++) for (let j = 0; j < k; j++) this.columns[j]![this.n] = numeric(data[r * k + j]);
      this.rows += m;
      return;
    }
    const columns = columnsFromTensors(inputs, NAMES);
    const m = columns?.values().next().value?.length ?? 0;
    if (!columns || m === 0) return;
    this.room(m);
    for (let r = 0; r < m; r++, this.n++) NAMES.forEach((name, j) => (this.columns[j]![this.n] = numeric(columns.get(name)![r])));
    this.rows += m;
  }

  flush(): void {
    if (this.n === 0) return;
    this.profiles.forEach((p, j) => {
      const w = sketchNumericWindow(p, this.columns[j]!.subarray(0, this.n));
      const prev = this.windows[j];
      this.windows[j] = prev ? mergeNumericWindows(prev, w) : w;
    });
    this.n = 0;
  }

  private room(m: number): void {
    if (this.n + m <= this.columns[0]!.length) return;
    this.flush();
    if (m > this.columns[0]!.length) this.columns = this.profiles.map(() => new Float64Array(m));
  }
}

/**
 * The raw-scan equivalent of DriftService.reportOf: the same profile and settings, then every logged
 * input of the window read from `predictions` (a cursor per half of the window, on two connections so
 * both cores work), folded into windows with sketchNumericWindow and reported with computeDriftReport.
 */
async function rawReport(db: DataSource, references: ReferenceService, d: Deployment, from: Date, to: Date): Promise<{ rows: number; report: DriftReport }> {
  const profile = (await references.active(d.id, d.modelVersionId))!;
  const [settings] = (await db.query(`SELECT options FROM drift_settings WHERE deployment_id = $1`, [d.id])) as { options: DriftOptions }[];
  const columns = profile.profiles!;
  const folds: RawWindows[] = [];
  const scan = async (a: Date, b: Date): Promise<void> => {
    const fold = new RawWindows(columns.map((c) => c.profile as NumericProfile));
    folds.push(fold);
    const runner = db.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(
        `DECLARE raw_scan NO SCROLL CURSOR FOR SELECT inputs FROM predictions
          WHERE deployment_id = $1 AND received_at >= $2 AND received_at < $3 AND payload_stored AND status = 'ok' AND model_version_id IS NOT NULL`,
        [d.id, a, b],
      );
      for (;;) {
        const batch = (await runner.query(`FETCH ${RAW_FETCH} FROM raw_scan`)) as { inputs: unknown }[];
        if (batch.length === 0) break;
        for (const row of batch) fold.add(row.inputs);
        fold.flush();
      }
      await runner.commitTransaction();
    } finally {
      await runner.release();
    }
  };
  const mid = new Date(from.getTime() + Math.floor((to.getTime() - from.getTime()) / 2 / HOUR_MS) * HOUR_MS);
  await Promise.all([scan(from, mid), scan(mid, to)]);
  const inputs: DriftInput[] = columns.map((c, j) => {
    const parts = folds.map((f) => f.windows[j]).filter((w): w is NumericWindowSketch => w !== null);
    const window = parts.length === 0 ? emptyNumericWindow(c.profile as NumericProfile) : parts.reduce((x, y) => mergeNumericWindows(x, y));
    return { role: c.role, reference: c.profile as NumericProfile, window };
  });
  return { rows: folds.reduce((n, f) => n + f.rows, 0), report: computeDriftReport(inputs, settings?.options ?? {}) };
}

/** Whether two reports agree: status, drifted features, and the largest difference of a feature's score. */
function compareReports(a: DriftReport, b: DriftReport): { same: boolean; maxScoreDiff: number } {
  let maxScoreDiff = 0;
  let same = a.status === b.status && a.driftedFeatures === b.driftedFeatures && a.testedFeatures === b.testedFeatures && a.features.length === b.features.length;
  a.features.forEach((f, i) => {
    const g = b.features[i];
    if (!g || g.feature !== f.feature || g.drifted !== f.drifted || g.windowCount !== f.windowCount) same = false;
    else maxScoreDiff = Math.max(maxScoreDiff, Math.abs(f.score - g.score));
  });
  return { same: same && maxScoreDiff < 1e-9, maxScoreDiff };
}

/** Where reportOf's time goes: the sketch SELECT alone, parsing and merging, and computeDriftReport. */
async function breakdown(db: DataSource, references: ReferenceService, d: Deployment, profileId: string, from: Date, to: Date, runs: number) {
  const sql: number[] = [];
  const merge: number[] = [];
  const report: number[] = [];
  let sketches = 0;
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    const profile = (await references.active(d.id, d.modelVersionId))!;
    // The same rows as reportOf: whole days from the day sketches, the remaining hours from the hour sketches.
    const start = new Date(Math.floor(from.getTime() / HOUR_MS) * HOUR_MS);
    const firstDay = new Date(Math.ceil(start.getTime() / (24 * HOUR_MS)) * 24 * HOUR_MS);
    const endDay = new Date(Math.floor(to.getTime() / (24 * HOUR_MS)) * 24 * HOUR_MS);
    const rows = (await db.query(
      `SELECT feature, role, rows, sketch FROM drift_window_sketches WHERE deployment_id = $1 AND profile_id = $2 AND (
         (span = 'day' AND hour >= $5 AND hour < $6) OR (span = 'hour' AND ((hour >= $3 AND hour < $5) OR (hour >= $6 AND hour < $4))))`,
      [d.id, profileId, start, to, firstDay, endDay],
    )) as { feature: string; role: string; rows: number; sketch: unknown }[];
    const t1 = performance.now();
    const merged = new Map<string, NumericWindowSketch>();
    for (const s of rows) {
      const sketch = parseDriftSketch(s.sketch) as NumericWindowSketch;
      const prev = merged.get(s.feature);
      merged.set(s.feature, prev ? mergeNumericWindows(prev, sketch) : sketch);
    }
    const t2 = performance.now();
    computeDriftReport(profile.profiles!.map((c) => ({ role: c.role, reference: c.profile as NumericProfile, window: merged.get(c.name)! })));
    const t3 = performance.now();
    sql.push(t1 - t0);
    merge.push(t2 - t1);
    report.push(t3 - t2);
    sketches = rows.length;
  }
  return { sketches, sql: summary(sql).p50, merge: summary(merge).p50, report: summary(report).p50 };
}

/**
 * The same report from the hour sketches alone (what DriftService read before it kept day sketches too): the
 * active profile, the SELECT, parseDriftSketch + merge, the settings and computeDriftReport.
 */
async function hourlyOnly(db: DataSource, references: ReferenceService, d: Deployment, from: Date, to: Date, runs: number) {
  const samples: number[] = [];
  let report: DriftReport | null = null;
  let sketches = 0;
  for (let i = 0; i < runs + 2; i++) {
    const t0 = performance.now();
    const profile = (await references.active(d.id, d.modelVersionId))!;
    const rows = (await db.query(
      `SELECT feature, role, rows, sketch FROM drift_window_sketches WHERE deployment_id = $1 AND profile_id = $2 AND span = 'hour' AND hour >= $3 AND hour < $4`,
      [d.id, profile.id, from, to],
    )) as { feature: string; sketch: unknown }[];
    const merged = new Map<string, NumericWindowSketch>();
    for (const s of rows) {
      const sketch = parseDriftSketch(s.sketch) as NumericWindowSketch;
      const prev = merged.get(s.feature);
      merged.set(s.feature, prev ? mergeNumericWindows(prev, sketch) : sketch);
    }
    const [settings] = (await db.query(`SELECT options FROM drift_settings WHERE deployment_id = $1`, [d.id])) as { options: DriftOptions }[];
    report = computeDriftReport(
      profile.profiles!.map((c) => ({ role: c.role, reference: c.profile as NumericProfile, window: merged.get(c.name)! })),
      settings?.options ?? {},
    );
    if (i >= 2) samples.push(performance.now() - t0);
    sketches = rows.length;
  }
  return { sketches, report: report!, ...summary(samples) };
}

interface IngestResult {
  rows: number;
  loggedMs: number;
  settledMs: number;
  waits: number;
  rejected: number;
  discarded: number;
}

let idCounter = 0;
/** UUIDv7-shaped ids: the time, then a counter (unique in this process, never equal to a seeded id). */
function predictionId(ms: number): string {
  const hex = `${ms.toString(16).padStart(12, '0')}70018${(idCounter++).toString(16).padStart(15, '0')}`;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/**
 * Appends `n` rows through a fresh PredictionLogWriter (the server's default buffer, batch and flush
 * interval) as fast as the buffer allows: while it has room, append; when full, wait a millisecond.
 * With `rollups`, the writer's flush listeners feed HealthRollupWriter and DriftService as MonitoringModule
 * wires them, and the clock stops only when both have settled.
 */
async function ingest(db: DataSource, d: Deployment, pool: Pool, n: number, rollups: { rollup: HealthRollupWriter; drift: DriftService } | null): Promise<IngestResult> {
  const logger = createLogger({ level: 'error', name: 'windows-bench' });
  const writer = new PredictionLogWriter(db, logger, WRITER_OPTIONS);
  const stops = rollups ? [writer.onFlushed((rows) => rollups.rollup.record(rows)), writer.onFlushed((rows) => void rollups.drift.record(rows))] : [];
  let appended = 0;
  let waits = 0;
  const t0 = performance.now();
  while (appended < n) {
    while (appended < n && writer.hasRoom()) {
      const now = Date.now();
      const p = poolIndex(idCounter);
      const row: PredictionLogRow = {
        id: predictionId(now),
        receivedAt: new Date(now),
        deploymentId: d.id,
        deploymentName: d.name,
        projectId: d.projectId,
        modelId: d.modelId,
        modelVersionId: d.modelVersionId,
        modelVersion: 1,
        artifactSha256: SHA,
        pluginId: 'onnx',
        pluginVersion: '1.0',
        requestId: null,
        protocol: 'rest',
        consumerId: null,
        status: 'ok',
        errorStatus: null,
        errorMessage: null,
        latencyUs: 400 + (appended % 20_000),
        inputRows: 1,
        payloadStored: true,
        inputs: pool.inputs[p],
        outputs: pool.outputs[p],
        parameters: null,
      };
      if (!writer.tryAppend(row)) break;
      appended++;
    }
    if (appended < n) {
      waits++;
      await sleep(1);
    }
  }
  await writer.flush();
  const loggedMs = performance.now() - t0;
  if (rollups) {
    await rollups.rollup.flush();
    await rollups.drift.settle();
  }
  const settledMs = performance.now() - t0;
  const stats = writer.stats();
  await writer.close();
  for (const stop of stops) stop();
  return { rows: appended, loggedMs, settledMs, waits, rejected: stats.rejected, discarded: stats.discarded };
}

async function main(): Promise<void> {
  const began = performance.now();
  const cleanups = cleanupsOnExit('monitoring windows benchmark: dropping the scratch database');
  try {
    const database = await createEmptyDatabase('mp_bench_windows');
    cleanups.push(() => database.drop());
    const db = createDataSource({ url: database.url, schema, poolSize: 10, applicationName: 'modelport-windows-bench' });
    await db.initialize();
    cleanups.push(async () => {
      if (db.isInitialized) await db.destroy();
    });
    await runMigrations(db);
    const logger = createLogger({ level: 'error', name: 'windows-bench' });
    // reportOf, active() and record() never check access nor touch the artifact store or the queue.
    const deployments: Pick<DeploymentService, 'get'> = { get: () => Promise.reject(new Error('the benchmark makes no access-checked call')) };
    const references = new ReferenceService(db, undefined as never, undefined as never, deployments, logger);
    const drift = new DriftService(db, references, deployments, logger);
    const rollup = new HealthRollupWriter(new HealthStore(db), logger);
    cleanups.push(() => rollup.close({ timeoutMs: 10_000 }));

    const [monthly, logOnly, withRollups] = await insertDeployments(db, ['churn-30-days', 'churn-log-only', 'churn-log-and-rollups']);
    const profiles = referenceProfiles();
    const profileId = await insertProfile(db, monthly!, profiles);
    await insertProfile(db, withRollups!, profiles);
    const pool = makePool();
    const end = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    const start = end - HOURS * HOUR_MS;
    const counts = hourlyCounts(ROWS);
    print(`Scratch database ${database.name}, migrated; ${FEATURES} numeric features, reference of ${fmt(REFERENCE_ROWS)} rows; ${fmt(ROWS)} predictions over ${DAYS} days (${fmt(Math.min(...counts))}-${fmt(Math.max(...counts))} per hour)`);

    let t = performance.now();
    const written = await seedSketches(db, monthly!, profileId, profiles, pool, start, counts);
    const sketchMs = performance.now() - t;
    t = performance.now();
    await seedPredictions(db, monthly!, pool, start, counts, SEED_WORKERS);
    const seedMs = performance.now() - t;
    t = performance.now();
    await db.query(`VACUUM (ANALYZE) predictions`);
    const vacuumMs = performance.now() - t;
    const [size] = (await db.query(`SELECT pg_total_relation_size('predictions') AS bytes`)) as { bytes: string }[];
    const seeded = await one<{ n: string; sketched: string }>(
      db,
      `SELECT (SELECT count(*) FROM predictions WHERE deployment_id = $1) AS n,
              (SELECT sum(rows) FROM drift_window_sketches WHERE deployment_id = $1 AND span = 'hour' AND role = 'feature' AND feature = $2) AS sketched`,
      [monthly!.id, NAMES[0]],
    );
    print(
      `Seeded ${fmt(written)} hourly sketches in ${seconds(sketchMs)} (sketchNumericWindow over every row, in Node); ${fmt(Number(seeded.n))} predictions in ${seconds(seedMs)} ` +
        `(${fmt(ROWS / (seedMs / 1000))} rows/s, ${SEED_WORKERS} SQL connections, INSERT ... SELECT per day), VACUUM ANALYZE ${seconds(vacuumMs)}; table + indexes ${fmt(Number(size!.bytes) / 2 ** 30, 1)} GiB`,
    );
    if (Number(seeded.n) !== ROWS || Number(seeded.sketched) !== ROWS) throw new Error(`seeding lost rows: ${seeded.n} predictions, ${seeded.sketched} rows in sketches, expected ${ROWS}`);

    // --- the 30-day drift query -------------------------------------------------------------------
    const from = new Date(start);
    const to = new Date(end);
    const pre: number[] = [];
    const raw: number[] = [];
    const timed = async <T>(into: number[], fn: () => Promise<T>): Promise<T> => {
      const t0 = performance.now();
      const out = await fn();
      into.push(performance.now() - t0);
      return out;
    };
    const warm: number[] = [];
    const preReport = await timed(warm, () => drift.reportOf(monthly!.id, monthly!.modelVersionId, from, to));
    await timed(warm, () => drift.reportOf(monthly!.id, monthly!.modelVersionId, from, to));
    const perSlot = Math.ceil(RUNS / (RAW_RUNS + 1));
    let rawResult: { rows: number; report: DriftReport } | null = null;
    for (let slot = 0; slot <= RAW_RUNS; slot++) {
      for (let i = 0; i < perSlot && pre.length < RUNS; i++) await timed(pre, () => drift.reportOf(monthly!.id, monthly!.modelVersionId, from, to));
      if (slot < RAW_RUNS) {
        rawResult = await timed(raw, () => rawReport(db, references, monthly!, from, to));
        process.stderr.write(`raw scan ${slot + 1}/${RAW_RUNS}: ${seconds(raw[raw.length - 1]!)}\n`);
      }
    }
    const parts = await breakdown(db, references, monthly!, profileId, from, to, 5);
    const compacted = await hourlyOnly(db, references, monthly!, from, to, 20);
    const p = summary(pre);
    const r = summary(raw);
    const agree = compareReports(preReport.report!, rawResult!.report);
    const compactedAgree = compareReports(preReport.report!, compacted.report);

    print();
    print(`30-day drift query: ${fmt(ROWS)} logged predictions, ${FEATURES} features, ${HOURS} hours; runs interleaved (${perSlot} pre-aggregated between raw runs), after 2 warm-up queries;`);
    print('p99 is the nearest rank, so with a few runs it is the slowest one');
    print();
    print('| query | runs | p50 ms | p99 ms | min ms | max ms |');
    print('|---|---:|---:|---:|---:|---:|');
    print(`| pre-aggregated: DriftService.reportOf, merges ${fmt(parts.sketches)} day and hour sketches | ${pre.length} | ${fmt(p.p50, 1)} | ${fmt(p.p99, 1)} | ${fmt(p.min, 1)} | ${fmt(p.max, 1)} |`);
    print(`| raw scan: every logged input of the 30 days read from \`predictions\`, sketched, same report | ${raw.length} | ${fmt(r.p50)} | ${fmt(r.p99)} | ${fmt(r.min)} | ${fmt(r.max)} |`);
    print();
    print(`ratio raw / pre-aggregated: p50 ${fmt(r.p50 / p.p50)}x, p99 ${fmt(r.p99 / p.p99)}x`);
    print(`goal "30-day drift query under 50 ms p50": ${p.p50 < 50 ? 'MET' : 'NOT MET'} (p50 ${fmt(p.p50, 1)} ms)`);
    print(
      `pre-aggregated p50 parts (median of 5): profile + sketch SELECT ${fmt(parts.sql, 1)} ms, parseDriftSketch + merge ${fmt(parts.merge, 1)} ms, computeDriftReport ${fmt(parts.report, 1)} ms`,
    );
    print(
      `before day sketches: the same window from its ${fmt(compacted.sketches)} hour sketches alone, same steps as reportOf: ` +
        `p50 ${fmt(compacted.p50, 1)} ms, p99 ${fmt(compacted.p99, 1)} ms (20 runs; same report: ${compactedAgree.same ? 'yes' : 'NO'})`,
    );
    print(
      `same report: ${agree.same ? 'yes' : 'NO'} (rows ${fmt(preReport.rows)} vs ${fmt(rawResult!.rows)}; status ${preReport.report!.status} vs ${rawResult!.report.status}; ` +
        `${preReport.report!.driftedFeatures} vs ${rawResult!.report.driftedFeatures} of ${preReport.report!.testedFeatures} features drifted; largest score difference ${agree.maxScoreDiff.toExponential(1)})`,
    );

    // --- ingestion into rollups -------------------------------------------------------------------
    const half = Math.floor(INGEST_ROWS / 2);
    const plan: [Deployment, boolean, number][] = [
      [logOnly!, false, half],
      [withRollups!, true, half],
      [withRollups!, true, INGEST_ROWS - half],
      [logOnly!, false, INGEST_ROWS - half],
    ];
    const totals = new Map<boolean, IngestResult>();
    for (const [d, withListeners, n] of plan) {
      const res = await ingest(db, d, pool, n, withListeners ? { rollup, drift } : null);
      const sum = totals.get(withListeners) ?? { rows: 0, loggedMs: 0, settledMs: 0, waits: 0, rejected: 0, discarded: 0 };
      totals.set(withListeners, {
        rows: sum.rows + res.rows,
        loggedMs: sum.loggedMs + res.loggedMs,
        settledMs: sum.settledMs + res.settledMs,
        waits: sum.waits + res.waits,
        rejected: sum.rejected + res.rejected,
        discarded: sum.discarded + res.discarded,
      });
    }
    const check = async (d: Deployment) =>
      one<{ logged: string; payload: string; requests: string | null; totals: string | null; sketched: string | null }>(
        db,
        `SELECT (SELECT count(*) FROM predictions WHERE deployment_id = $1) AS logged,
                (SELECT count(*) FROM predictions WHERE deployment_id = $1 AND payload_stored AND status = 'ok') AS payload,
                (SELECT sum(requests) FROM deployment_health_minutes WHERE deployment_id = $1) AS requests,
                (SELECT sum(requests) FROM deployment_health_totals WHERE deployment_id = $1) AS totals,
                (SELECT sum(rows) FROM drift_window_sketches WHERE deployment_id = $1 AND span = 'hour' AND role = 'feature' AND feature = $2) AS sketched`,
        [d.id, NAMES[0]],
      );
    const counted = new Map([
      [false, await check(logOnly!)],
      [true, await check(withRollups!)],
    ]);
    print();
    print(`Ingestion: PredictionLogWriter.tryAppend as fast as the buffer allows (buffer ${fmt(WRITER_OPTIONS.bufferRows)}, batch ${WRITER_OPTIONS.batchRows}, flush ${WRITER_OPTIONS.flushIntervalMs} ms), ${fmt(INGEST_ROWS)} rows per mode in 2 rounds (order A B B A)`);
    print();
    print('| mode | rows appended | rows/s logged | rows/s with rollups settled | buffer-full waits | count(*) predictions | sum(requests) health minutes | sum(rows) drift f00 | lost |');
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    let lostAny = false;
    for (const withListeners of [false, true]) {
      const res = totals.get(withListeners)!;
      const c = counted.get(withListeners)!;
      const logged = Number(c.logged);
      const lost = withListeners
        ? Math.max(res.rows - logged, res.rows - Number(c.requests ?? 0), Number(c.payload) - Number(c.sketched ?? 0), res.rows - Number(c.totals ?? 0))
        : res.rows - logged;
      lostAny ||= lost !== 0 || res.discarded !== 0 || res.rejected !== 0;
      print(
        `| ${withListeners ? 'log + health rollups + drift windows' : 'log only (no listeners)'} | ${fmt(res.rows)} | ${fmt(res.rows / (res.loggedMs / 1000))} | ` +
          `${withListeners ? fmt(res.rows / (res.settledMs / 1000)) : 'n/a'} | ${fmt(res.waits)} | ${fmt(logged)} | ${withListeners ? fmt(Number(c.requests)) : 'n/a'} | ` +
          `${withListeners ? `${fmt(Number(c.sketched))} of ${fmt(Number(c.payload))} with payload` : 'n/a'} | ${fmt(lost)} |`,
      );
    }
    const a = totals.get(false)!;
    const b = totals.get(true)!;
    print();
    print(
      `ratio with / without listeners: logging ${fmt(b.rows / b.loggedMs / (a.rows / a.loggedMs), 2)}, end to end ${fmt(b.rows / b.settledMs / (a.rows / a.loggedMs), 2)}; ` +
        `refused by tryAppend ${fmt(a.rejected + b.rejected)}, discarded ${fmt(a.discarded + b.discarded)}; ${lostAny ? 'ROWS WERE LOST' : 'nothing lost'}`,
    );
    print();
    print(`Whole benchmark: ${seconds(performance.now() - began)}`);
    if (lostAny || !agree.same) process.exitCode = 1;
  } finally {
    await cleanups.run();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`monitoring windows bench failed: ${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
