import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import pino from 'pino';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { newPredictionId } from './prediction-id';
import { servingPredictionMigrations } from './prediction-log.migrations';
import type { PredictionLogRow } from './prediction-log.types';
import { PredictionLogWriter, type PredictionLogWriterOptions } from './prediction-log.writer';

type LogLine = { level: number; msg: string } & Record<string, any>;

function capturingLogger() {
  const lines: LogLine[] = [];
  const logger = pino({ level: 'debug' }, { write: (s: string) => void lines.push(JSON.parse(s) as LogLine) });
  const at = (level: 'debug' | 'info' | 'warn' | 'error') => lines.filter((l) => l.level === pino.levels.values[level]);
  return { logger, lines, at };
}

async function waitUntil(what: string, condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const deploymentId = randomUUID();
const projectId = randomUUID();
const modelId = randomUUID();
const versionId = randomUUID();
const consumerId = randomUUID();
const sha = 'ab'.repeat(32);

/** A varied row: successes with and without payload, failures before a version was chosen, both protocols. */
function makeRow(i: number, overrides: Partial<PredictionLogRow> = {}): PredictionLogRow {
  const kind = i % 4;
  const base: PredictionLogRow = {
    id: newPredictionId(),
    receivedAt: new Date(1_795_000_000_000 + i * 7),
    deploymentId,
    deploymentName: 'iris-prod',
    projectId,
    modelId,
    modelVersionId: versionId,
    modelVersion: 3,
    artifactSha256: sha,
    pluginId: 'runtime-onnx',
    pluginVersion: '1.2.0',
    requestId: `req-${i}`,
    protocol: i % 2 === 0 ? 'rest' : 'grpc',
    consumerId: i % 3 === 0 ? null : consumerId,
    status: 'ok',
    errorStatus: null,
    errorMessage: null,
    latencyUs: 1000 + i,
    inputRows: 2,
    payloadStored: true,
    inputs: [{ name: 'x', shape: [2, 4], datatype: 'FP32', data: [i, 0.5, 1.25, -3, 4, 5, 6, 7] }],
    outputs: [{ name: 'y', shape: [2], datatype: 'INT64', data: [i % 3, 1] }],
    parameters: { content_type: 'pd', row: i },
  };
  if (kind === 1) return { ...base, payloadStored: false, ...overrides }; // inputs given but not to be kept
  if (kind === 2) {
    return {
      ...base,
      modelId: null,
      modelVersionId: null,
      modelVersion: null,
      artifactSha256: null,
      pluginId: null,
      pluginVersion: null,
      requestId: null,
      status: 'error',
      errorStatus: 400,
      errorMessage: `input "x" has shape [${i}] but the signature wants [-1, 4]`,
      inputRows: null,
      payloadStored: false,
      inputs: null,
      outputs: null,
      parameters: null,
      ...overrides,
    };
  }
  // A shadow challenger's failed copy of a live request.
  if (kind === 3) return { ...base, status: 'error', errorStatus: 503, errorMessage: 'plugin runtime-onnx is restarting', outputs: null, role: 'shadow', shadowOf: newPredictionId(), ...overrides };
  return { ...base, ...overrides };
}

/** The row PostgreSQL should hold for `row`. */
function expectedRecord(row: PredictionLogRow): Record<string, unknown> {
  return {
    id: row.id,
    received_at: row.receivedAt,
    deployment_id: row.deploymentId,
    deployment_name: row.deploymentName,
    project_id: row.projectId,
    model_id: row.modelId,
    model_version_id: row.modelVersionId,
    model_version: row.modelVersion,
    artifact_sha256: row.artifactSha256,
    plugin_id: row.pluginId,
    plugin_version: row.pluginVersion,
    request_id: row.requestId,
    protocol: row.protocol,
    consumer_id: row.consumerId,
    status: row.status,
    error_status: row.errorStatus,
    error_message: row.errorMessage,
    latency_us: row.latencyUs,
    input_rows: row.inputRows,
    payload_stored: row.payloadStored,
    inputs: row.payloadStored ? row.inputs : null,
    outputs: row.payloadStored ? (row.outputs ?? null) : null,
    parameters: row.parameters,
    role: row.role ?? 'live',
    shadow_of: row.shadowOf ?? null,
  };
}

describe('PredictionLogWriter against PostgreSQL', () => {
  let db: TestDatabase;
  const writers: PredictionLogWriter[] = [];
  const open = (options: PredictionLogWriterOptions, logger: pino.Logger = pino({ level: 'silent' })) => {
    const writer = new PredictionLogWriter(db.dataSource, logger, options);
    writers.push(writer);
    return writer;
  };
  const rows = async (): Promise<Record<string, any>[]> => db.dataSource.query('SELECT * FROM predictions ORDER BY id');
  const count = async (): Promise<number> => Number((await db.dataSource.query('SELECT count(*) AS n FROM predictions'))[0].n);

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [...servingPredictionMigrations] });
  });

  afterEach(async () => {
    for (const writer of writers.splice(0)) await writer.close({ timeoutMs: 5000 });
    await db.dataSource.query('DELETE FROM predictions');
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('writes every appended row exactly once, with every column as given', async () => {
    const writer = open({ bufferRows: 2000, batchRows: 128, flushIntervalMs: 20 });
    const appended = Array.from({ length: 1000 }, (_, i) => makeRow(i));
    for (const row of appended) expect(writer.tryAppend(row)).toBe(true);
    await writer.flush();

    const stored = await rows();
    expect(stored).toHaveLength(1000);
    // UUIDv7 ids sort in PostgreSQL in the order they were made.
    expect(stored.map((r) => r['id'])).toEqual(appended.map((r) => r.id));
    stored.forEach((record, i) => expect(record).toEqual(expectedRecord(appended[i]!)));
    expect(writer.stats()).toEqual({ buffered: 0, written: 1000, failedFlushes: 0, rejected: 0, discarded: 0 });
  });

  it('writes many rows in several batches of at most batchRows, one transaction each', async () => {
    const writer = open({ bufferRows: 1000, batchRows: 50, flushIntervalMs: 20 });
    const appended = Array.from({ length: 230 }, (_, i) => makeRow(i));
    for (const row of appended) writer.tryAppend(row);
    await writer.flush();

    // Rows of one INSERT share the inserting transaction id (xmin).
    const batches: { xid: string; n: string; first: string; last: string }[] = await db.dataSource.query(
      'SELECT xmin::text AS xid, count(*) AS n, min(id::text) AS first, max(id::text) AS last FROM predictions GROUP BY xmin ORDER BY min(id::text)',
    );
    expect(batches.length).toBeGreaterThanOrEqual(5);
    for (const b of batches) expect(Number(b.n)).toBeLessThanOrEqual(50);
    expect(batches.reduce((sum, b) => sum + Number(b.n), 0)).toBe(230);
    // Batches take rows from the head of the buffer, in order: they do not interleave.
    for (let i = 1; i < batches.length; i++) expect(batches[i - 1]!.last < batches[i]!.first).toBe(true);
  });

  it('writes a partial batch after flushIntervalMs without being asked', async () => {
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 250 });
    const appendedAt = Date.now();
    for (let i = 0; i < 3; i++) writer.tryAppend(makeRow(i));
    await waitUntil('the timer wrote the rows', async () => (await count()) === 3, 5000);
    // Not at once (the batch is not full), but on the timer's first tick.
    expect(Date.now() - appendedAt).toBeGreaterThanOrEqual(200);
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 3 });
  });

  it('refuses rows once the buffer is full while inserts are blocked, and writes every accepted row once when they unblock', async () => {
    const { logger, at } = capturingLogger();
    const writer = open(
      { bufferRows: 10, batchRows: 4, flushIntervalMs: 10, statementTimeoutMs: 150, retryInitialMs: 20, retryMaxMs: 100 },
      logger,
    );
    const locker = new Client({ connectionString: db.url });
    await locker.connect();
    const accepted: string[] = [];
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE predictions IN ACCESS EXCLUSIVE MODE');

      for (let i = 0; i < 25; i++) {
        const row = makeRow(i);
        if (writer.tryAppend(row)) accepted.push(row.id);
      }
      expect(accepted).toHaveLength(10);
      expect(writer.hasRoom()).toBe(false);
      expect(writer.stats()).toMatchObject({ buffered: 10, written: 0, rejected: 15 });

      // The blocked INSERTs time out and are retried; the buffer stays full meanwhile.
      await waitUntil('two flushes failed', () => writer.stats().failedFlushes >= 2);
      expect(writer.tryAppend(makeRow(99))).toBe(false);
      expect(writer.stats()).toMatchObject({ buffered: 10, written: 0, rejected: 16 });

      await locker.query('COMMIT');
      await writer.flush();
    } finally {
      await locker.end();
    }

    const stored = await rows();
    expect(stored.map((r) => r['id'])).toEqual(accepted);
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 10, rejected: 16 });
    expect(writer.tryAppend(makeRow(100))).toBe(true);
    await writer.flush();
    expect(await count()).toBe(11);

    // One error for the whole streak, one warning for the whole time the buffer was full, and both ends said.
    expect(at('error').map((l) => l.msg)).toEqual([expect.stringContaining('cannot write prediction log rows')]);
    expect(at('error')[0]!['err'].code).toBe('57014');
    expect(at('warn').map((l) => l.msg)).toEqual([expect.stringContaining('buffer is full')]);
    expect(at('info').map((l) => l.msg)).toEqual(
      expect.arrayContaining([expect.stringContaining('writes recovered'), expect.stringContaining('has room again')]),
    );
    expect(at('info').find((l) => l.msg.includes('has room again'))!['rejected']).toBe(16);
  });

  it('backs off exponentially up to the cap while the table is missing, logs each streak once, and loses nothing', async () => {
    const { logger, at } = capturingLogger();
    const writer = open({ bufferRows: 100, batchRows: 10, flushIntervalMs: 10, retryInitialMs: 20, retryMaxMs: 80 }, logger);
    const away = () => db.dataSource.query('ALTER TABLE predictions RENAME TO predictions_away');
    const back = () => db.dataSource.query('ALTER TABLE predictions_away RENAME TO predictions');

    const appended: string[] = [];
    const append = (n: number) => {
      for (let i = 0; i < n; i++) {
        const row = makeRow(appended.length);
        expect(writer.tryAppend(row)).toBe(true);
        appended.push(row.id);
      }
    };

    await away();
    try {
      append(30);
      await waitUntil('five flushes failed', () => writer.stats().failedFlushes >= 5);
    } finally {
      await back();
    }
    await writer.flush();
    expect(at('error')).toHaveLength(1);
    expect(at('error')[0]!['err'].code).toBe('42P01');

    // The waits: 20, 40, 80, 80 ms (each up to 20% shorter, for jitter).
    const waits = [at('error')[0]!, ...at('debug').filter((l) => l.msg.includes('failed again'))].map((l) => l['retryInMs'] as number);
    expect(waits.length).toBeGreaterThanOrEqual(5);
    const expected = [20, 40, 80, 80, 80];
    expected.forEach((max, i) => {
      expect(waits[i]).toBeLessThanOrEqual(max);
      expect(waits[i]).toBeGreaterThanOrEqual(max * 0.8 - 1);
    });

    // A second outage is a new streak: logged once again, and the backoff starts over.
    await away();
    try {
      append(5);
      await waitUntil('the second streak failed', () => at('error').length === 2);
    } finally {
      await back();
    }
    await writer.flush();
    expect(at('error')[1]!['retryInMs']).toBeLessThanOrEqual(20);
    expect(at('info').filter((l) => l.msg.includes('writes recovered'))).toHaveLength(2);

    const stored = await rows();
    expect(stored.map((r) => r['id'])).toEqual(appended);
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 35, rejected: 0, discarded: 0 });
    expect(writer.stats().failedFlushes).toBeGreaterThanOrEqual(6);
  });

  it('retries idempotently: rows a lost COMMIT already wrote are neither duplicated nor refused', async () => {
    const { logger, lines } = capturingLogger();
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 60_000 }, logger);
    const appended = Array.from({ length: 6 }, (_, i) => makeRow(i * 4));
    // As if an earlier try of this batch committed rows 1 and 4 but its answer never arrived.
    for (const row of [appended[1]!, appended[4]!]) {
      await db.dataSource.query(
        `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, protocol, status, latency_us, payload_stored)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, false)`,
        [row.id, row.receivedAt, row.deploymentId, row.deploymentName, row.projectId, row.protocol, row.status, row.latencyUs],
      );
    }
    for (const row of appended) writer.tryAppend(row);
    await writer.flush();
    expect((await rows()).map((r) => r['id'])).toEqual(appended.map((r) => r.id));
    expect(writer.stats()).toMatchObject({ buffered: 0, written: 6, discarded: 0, failedFlushes: 0 });
    expect(lines.filter((l) => l.level >= pino.levels.values['warn']!)).toEqual([]);
  });

  it('close() writes everything buffered, then refuses new rows', async () => {
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 60_000 });
    const appended = Array.from({ length: 7 }, (_, i) => makeRow(i));
    for (const row of appended) writer.tryAppend(row);
    expect(await count()).toBe(0);

    await writer.close();
    expect((await rows()).map((r) => r['id'])).toEqual(appended.map((r) => r.id));
    expect(writer.tryAppend(makeRow(8))).toBe(false);
    expect(writer.hasRoom()).toBe(false);
    expect(writer.stats()).toEqual({ buffered: 0, written: 7, failedFlushes: 0, rejected: 1, discarded: 0 });
  });

  it('close() retries at once instead of waiting out a long backoff', async () => {
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 10, retryInitialMs: 60_000 });
    await db.dataSource.query('ALTER TABLE predictions RENAME TO predictions_away');
    try {
      writer.tryAppend(makeRow(0));
      await waitUntil('a flush failed', () => writer.stats().failedFlushes === 1);
    } finally {
      await db.dataSource.query('ALTER TABLE predictions_away RENAME TO predictions');
    }
    const started = Date.now();
    await writer.close();
    expect(Date.now() - started).toBeLessThan(5000);
    expect(await count()).toBe(1);
  });

  it('close() with a timeout gives up on rows the database never takes, and says how many', async () => {
    const { logger, at } = capturingLogger();
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 10, retryInitialMs: 20, retryMaxMs: 40 }, logger);
    await db.dataSource.query('ALTER TABLE predictions RENAME TO predictions_away');
    try {
      for (let i = 0; i < 4; i++) writer.tryAppend(makeRow(i));
      await writer.close({ timeoutMs: 300 });
      const failures = writer.stats().failedFlushes;
      await new Promise((r) => setTimeout(r, 200));
      expect(writer.stats().failedFlushes).toBe(failures); // no retries after giving up
    } finally {
      await db.dataSource.query('ALTER TABLE predictions_away RENAME TO predictions');
    }
    const lost = at('error').find((l) => l.msg.includes('closed before every row could be written'));
    expect(lost?.['unwritten']).toBe(4);
    expect(await count()).toBe(0);
  });

  it('isolates rows PostgreSQL refuses: keeps them without payload, or drops them with an error, and writes the rest', async () => {
    const { logger, at } = capturingLogger();
    const writer = open({ bufferRows: 100, batchRows: 20, flushIntervalMs: 10 }, logger);
    const good = Array.from({ length: 20 }, (_, i) => makeRow(i * 4)); // all successes with payload
    const loneSurrogate = makeRow(0, { inputs: [{ name: 'x', datatype: 'BYTES', shape: [1], data: ['\ud800'] }] });
    const bigint = makeRow(0, { outputs: { value: 10n } });
    const badDeployment = makeRow(0, { deploymentId: 'not-a-uuid' });
    const withNul = makeRow(0, { requestId: 'a\u0000b', inputs: { text: 'x\u0000y', escaped: '\\u0000' } });
    const batch = [...good.slice(0, 5), loneSurrogate, ...good.slice(5, 11), bigint, badDeployment, ...good.slice(11), withNul];
    for (const row of batch) expect(writer.tryAppend(row)).toBe(true);
    await writer.flush();

    const stored = new Map((await rows()).map((r) => [r['id'] as string, r]));
    expect(stored.size).toBe(batch.length - 1);
    for (const row of good) expect(stored.get(row.id)).toEqual(expectedRecord(row));
    for (const row of [loneSurrogate, bigint]) {
      expect(stored.get(row.id)).toMatchObject({ payload_stored: false, inputs: null, outputs: null, parameters: null, status: 'ok', latency_us: row.latencyUs });
    }
    expect(stored.has(badDeployment.id)).toBe(false);
    // NUL cannot be stored in text or jsonb: it becomes U+FFFD, and an escaped backslash stays as it was.
    expect(stored.get(withNul.id)).toMatchObject({ request_id: 'a\uFFFDb', inputs: { text: 'x\uFFFDy', escaped: '\\u0000' }, payload_stored: true });

    expect(writer.stats()).toMatchObject({ buffered: 0, written: batch.length - 1, discarded: 1, failedFlushes: 0 });
    expect(at('warn').map((l) => l['predictionId']).sort()).toEqual([loneSurrogate.id, bigint.id].sort());
    expect(at('error').map((l) => l['predictionId'])).toEqual([badDeployment.id]);
    expect(at('error')[0]!['err'].code).toBe('22P02');
  });

  it('refuses options that cannot work', () => {
    const logger = pino({ level: 'silent' });
    expect(() => new PredictionLogWriter(db.dataSource, logger, { bufferRows: 0, batchRows: 1, flushIntervalMs: 10 })).toThrow(/bufferRows/);
    expect(() => new PredictionLogWriter(db.dataSource, logger, { bufferRows: 10, batchRows: 20, flushIntervalMs: 10 })).toThrow(
      /batchRows \(20\) cannot be larger than bufferRows \(10\)/,
    );
    expect(() => new PredictionLogWriter(db.dataSource, logger, { bufferRows: 10, batchRows: 5, flushIntervalMs: 1.5 })).toThrow(/flushIntervalMs/);
  });
});
