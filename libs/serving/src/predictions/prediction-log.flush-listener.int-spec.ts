import { randomUUID } from 'node:crypto';
import { capturingLogger, silentLogger, type Logger } from '@modelport/observability';
import { createTestDatabase, eventually, type TestDatabase } from '@modelport/testing';
import { newPredictionId } from './prediction-id';
import { servingPredictionMigrations } from './prediction-log.migrations';
import type { PredictionLogRow } from './prediction-log.types';
import { PredictionLogWriter, type PredictionLogWriterOptions } from './prediction-log.writer';

const deploymentId = randomUUID();

function makeRow(i: number, overrides: Partial<PredictionLogRow> = {}): PredictionLogRow {
  return {
    id: newPredictionId(),
    receivedAt: new Date(1_795_000_000_000 + i),
    deploymentId,
    deploymentName: 'scorer',
    projectId: deploymentId,
    modelId: null,
    modelVersionId: null,
    modelVersion: null,
    artifactSha256: null,
    pluginId: null,
    pluginVersion: null,
    requestId: `r${i}`,
    protocol: 'rest',
    consumerId: null,
    status: 'ok',
    errorStatus: null,
    errorMessage: null,
    latencyUs: 100 + i,
    inputRows: 1,
    payloadStored: true,
    inputs: [{ name: 'x', shape: [1], datatype: 'FP32', data: [i] }],
    outputs: null,
    parameters: null,
    ...overrides,
  };
}

describe('PredictionLogWriter.onFlushed', () => {
  let db: TestDatabase;
  const writers: PredictionLogWriter[] = [];
  const open = (options: PredictionLogWriterOptions, logger: Logger = silentLogger()) => {
    const writer = new PredictionLogWriter(db.dataSource, logger, options);
    writers.push(writer);
    return writer;
  };
  const stored = async (): Promise<string[]> => ((await db.dataSource.query('SELECT id FROM predictions ORDER BY id')) as { id: string }[]).map((r) => r.id);

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [...servingPredictionMigrations] });
  });
  afterEach(async () => {
    for (const w of writers.splice(0)) await w.close({ timeoutMs: 2000 });
    await db.dataSource.query('TRUNCATE predictions');
  });
  afterAll(() => db?.drop());

  it('hands over each committed batch, every written row exactly once and in order, before flush() resolves', async () => {
    const writer = open({ bufferRows: 1000, batchRows: 40, flushIntervalMs: 20 });
    const batches: string[][] = [];
    writer.onFlushed((rows) => batches.push(rows.map((r) => r.id)));
    const appended = Array.from({ length: 130 }, (_, i) => makeRow(i));
    for (const row of appended) expect(writer.tryAppend(row)).toBe(true);
    await writer.flush();
    expect(batches.length).toBeGreaterThanOrEqual(4);
    for (const b of batches) expect(b.length).toBeLessThanOrEqual(40);
    expect(batches.flat()).toEqual(appended.map((r) => r.id));
    expect(await stored()).toEqual(appended.map((r) => r.id));
  });

  it('leaves out rows PostgreSQL refused, keeps rows written without payload, and reports a retried batch once', async () => {
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 10, retryInitialMs: 20, retryMaxMs: 40 });
    const seen: string[] = [];
    writer.onFlushed((rows) => seen.push(...rows.map((r) => r.id)));
    const good = Array.from({ length: 6 }, (_, i) => makeRow(i));
    const stripped = makeRow(7, { inputs: { value: 10n } });
    const refused = makeRow(8, { deploymentId: 'not-a-uuid' });
    await db.dataSource.query('ALTER TABLE predictions RENAME TO predictions_away');
    try {
      for (const row of [...good.slice(0, 3), stripped, refused, ...good.slice(3)]) writer.tryAppend(row);
      await eventually(() => writer.stats().failedFlushes >= 2, 'two failed flushes');
      expect(seen).toEqual([]);
    } finally {
      await db.dataSource.query('ALTER TABLE predictions_away RENAME TO predictions');
    }
    await writer.flush();
    const written = [...good.slice(0, 3), stripped, ...good.slice(3)].map((r) => r.id);
    expect(seen).toEqual(written);
    expect([...(await stored())].sort()).toEqual([...written].sort());
    expect(writer.stats()).toMatchObject({ written: 7, discarded: 1 });
  });

  it('logs a listener that throws without losing rows or other listeners, and stops calling a removed listener', async () => {
    const { logger, lines } = capturingLogger();
    const writer = open({ bufferRows: 100, batchRows: 100, flushIntervalMs: 10 }, logger);
    const other: number[] = [];
    const removed: number[] = [];
    writer.onFlushed(() => {
      throw new Error('listener bug');
    });
    writer.onFlushed((rows) => other.push(rows.length));
    const remove = writer.onFlushed((rows) => removed.push(rows.length));
    writer.tryAppend(makeRow(1));
    await writer.flush();
    remove();
    writer.tryAppend(makeRow(2));
    await writer.flush();
    expect(other).toEqual([1, 1]);
    expect(removed).toEqual([1]);
    expect(await stored()).toHaveLength(2);
    const errors = lines.filter((l) => l.msg.includes('flush listener failed'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({ rows: 1, err: { message: 'listener bug' } });
  });
});
