/*
 * Prediction log insert benchmark (belongs in tools/bench/serving/; kept beside the code it
 * measures until it is moved there). Against the test PostgreSQL (MODELPORT_TEST_DATABASE_URL,
 * default postgres://postgres@127.0.0.1:5432/postgres), in a fresh database dropped afterwards,
 * it writes the same rows in batches with three statement shapes, alternating them round by
 * round so all see the same machine load, and prints rows/s and the ratio to unnest:
 *
 *   unnest   INSERT ... SELECT * FROM unnest($1::uuid[], ..., $23::jsonb[])   (23 parameters)
 *   values   INSERT ... VALUES ($1, ..., $23), (...), ...                       (23 per row)
 *   jsonb    INSERT ... SELECT ... FROM jsonb_populate_recordset(NULL::predictions, $1)
 *
 * and then the PredictionLogWriter end to end (tryAppend every row, flush). Each batch is one
 * statement; encoding the parameters is part of the time measured.
 *
 * Options: --rows 50000 --batch 500 --rounds 3
 */
import { parseArgs } from 'node:util';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '@modelport/observability';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { newPredictionId } from './prediction-id';
import { columnArrays, encodeRow, INSERT_PREDICTIONS_SQL, PREDICTION_COLUMNS } from './prediction-log.columns';
import { servingPredictionMigrations } from './prediction-log.migrations';
import type { PredictionLogRow } from './prediction-log.types';
import { PredictionLogWriter } from './prediction-log.writer';

const { values: args } = parseArgs({
  options: {
    rows: { type: 'string', default: '50000' },
    batch: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
  },
});
const ROWS = Number(args.rows);
const BATCH = Number(args.batch);
const ROUNDS = Number(args.rounds);

type Shape = 'metadata only' | 'small payload' | '1 KB payload';
const SHAPES: Shape[] = ['metadata only', 'small payload', '1 KB payload'];

function makeRows(shape: Shape): PredictionLogRow[] {
  const deploymentId = randomUUID();
  const projectId = randomUUID();
  const modelVersionId = randomUUID();
  const modelId = randomUUID();
  const width = shape === '1 KB payload' ? 128 : 4;
  return Array.from({ length: ROWS }, (_, i) => ({
    id: newPredictionId(),
    receivedAt: new Date(),
    deploymentId,
    deploymentName: 'bench-deployment',
    projectId,
    modelId,
    modelVersionId,
    modelVersion: 4,
    artifactSha256: 'e3'.repeat(32),
    pluginId: 'runtime-onnx',
    pluginVersion: '1.0.0',
    requestId: `req-${i}`,
    protocol: 'rest',
    consumerId: projectId,
    status: i % 50 === 0 ? 'error' : 'ok',
    errorStatus: i % 50 === 0 ? 500 : null,
    errorMessage: i % 50 === 0 ? 'plugin "runtime-onnx" answered "internal"' : null,
    latencyUs: 900 + (i % 300),
    inputRows: 1,
    payloadStored: shape !== 'metadata only',
    inputs: [{ name: 'input', shape: [1, width], datatype: 'FP32', data: Array.from({ length: width }, (_, j) => Math.fround(i / (j + 1))) }],
    outputs: [{ name: 'output', shape: [1, 2], datatype: 'FP32', data: [Math.fround(i / 7), Math.fround(1 - i / 7)] }],
    parameters: { content_type: 'np' },
  }));
}

const COLUMN_LIST = PREDICTION_COLUMNS.map(([name]) => name).join(', ');
const valuesSql = new Map<number, string>();
function valuesStatement(n: number): string {
  let sql = valuesSql.get(n);
  if (!sql) {
    const width = PREDICTION_COLUMNS.length;
    const tuples = Array.from({ length: n }, (_, r) => `(${PREDICTION_COLUMNS.map((_c, c) => `$${r * width + c + 1}`).join(', ')})`);
    sql = `INSERT INTO predictions (${COLUMN_LIST}) VALUES ${tuples.join(', ')} ON CONFLICT (id) DO NOTHING`;
    valuesSql.set(n, sql);
  }
  return sql;
}

const JSONB_SQL = `INSERT INTO predictions (${COLUMN_LIST}) SELECT ${COLUMN_LIST} FROM jsonb_populate_recordset(NULL::predictions, $1::jsonb) ON CONFLICT (id) DO NOTHING`;

type Method = 'unnest' | 'values' | 'jsonb';
const METHODS: Method[] = ['unnest', 'values', 'jsonb'];

function statement(method: Method, rows: PredictionLogRow[], from: number, n: number): [string, unknown[]] {
  if (method === 'jsonb') {
    const objects = [];
    for (let i = from; i < from + n; i++) {
      const r = rows[i]!;
      objects.push({
        id: r.id,
        received_at: r.receivedAt.toISOString(),
        deployment_id: r.deploymentId,
        project_id: r.projectId,
        model_id: r.modelId,
        model_version_id: r.modelVersionId,
        consumer_id: r.consumerId,
        latency_us: r.latencyUs,
        model_version: r.modelVersion,
        input_rows: r.inputRows,
        error_status: r.errorStatus,
        payload_stored: r.payloadStored,
        protocol: r.protocol,
        status: r.status,
        deployment_name: r.deploymentName,
        artifact_sha256: r.artifactSha256,
        plugin_id: r.pluginId,
        plugin_version: r.pluginVersion,
        request_id: r.requestId,
        error_message: r.errorMessage,
        parameters: r.parameters,
        inputs: r.payloadStored ? r.inputs : null,
        outputs: r.payloadStored ? r.outputs : null,
      });
    }
    return [JSONB_SQL, [JSON.stringify(objects)]];
  }
  const columns = columnArrays(n);
  for (let i = 0; i < n; i++) encodeRow(rows[from + i]!, columns, i);
  if (method === 'unnest') return [INSERT_PREDICTIONS_SQL, columns];
  const flat = new Array<unknown>(n * columns.length);
  for (let r = 0; r < n; r++) for (let c = 0; c < columns.length; c++) flat[r * columns.length + c] = columns[c]![r];
  return [valuesStatement(n), flat];
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - started) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const db: TestDatabase = await createTestDatabase({ entities: [], migrations: [...servingPredictionMigrations] });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const pg = await db.dataSource.query('SHOW server_version');
    out(`prediction log insert benchmark: ${fmt(ROWS)} rows per run, batches of ${BATCH}, ${ROUNDS} rounds, PostgreSQL ${pg[0].server_version}\n`);
    out(`${'rows'.padEnd(14)} ${METHODS.map((m) => `${m} rows/s`.padStart(16)).join(' ')}   ratios to unnest`);
    for (const shape of SHAPES) {
      const rows = makeRows(shape);
      const seconds: Record<Method, number[]> = { unnest: [], values: [], jsonb: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const method of round % 2 === 0 ? METHODS : [...METHODS].reverse()) {
          await db.dataSource.query('TRUNCATE predictions');
          seconds[method].push(
            await timed(async () => {
              for (let from = 0; from < rows.length; from += BATCH) {
                const [sql, params] = statement(method, rows, from, Math.min(BATCH, rows.length - from));
                await db.dataSource.query(sql, params);
              }
            }),
          );
          const [{ n }] = await db.dataSource.query('SELECT count(*)::int AS n FROM predictions');
          if (n !== ROWS) throw new Error(`${method} wrote ${n} rows, not ${ROWS}`);
        }
      }
      const rate = (m: Method) => ROWS / median(seconds[m]);
      out(
        `${shape.padEnd(14)} ${METHODS.map((m) => fmt(rate(m)).padStart(16)).join(' ')}   ` +
          METHODS.slice(1).map((m) => `${m}/unnest ${(rate(m) / rate('unnest')).toFixed(2)}`).join(', '),
      );
    }

    const rows = makeRows('small payload');
    await db.dataSource.query('TRUNCATE predictions');
    const writer = new PredictionLogWriter(db.dataSource, silentLogger(), { bufferRows: ROWS, batchRows: BATCH, flushIntervalMs: 50 });
    let appendSeconds = 0;
    const total = await timed(async () => {
      appendSeconds = await timed(async () => {
        for (const row of rows) if (!writer.tryAppend(row)) throw new Error('buffer full');
      });
      await writer.close();
    });
    out(
      `\nPredictionLogWriter, small payload: ${fmt(ROWS / total)} rows/s written end to end; ` +
        `tryAppend ${((appendSeconds / ROWS) * 1e9).toFixed(0)} ns per row`,
    );
  } finally {
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
