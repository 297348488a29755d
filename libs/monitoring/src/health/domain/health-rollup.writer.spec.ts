import { randomUUID } from 'node:crypto';
import { QueryFailedError } from 'typeorm';
import { capturingLogger, silentLogger } from '@modelport/observability';
import type { PredictionLogRow } from '@modelport/serving';
import { HealthRollupWriter, type RollupSink } from './health-rollup.writer';
import type { RollupBatch } from './rollup-batch';

const D = '11111111-1111-4111-8111-111111111111';

function rows(n: number, minute = 0): PredictionLogRow[] {
  return Array.from({ length: n }, () => ({
    id: randomUUID(),
    receivedAt: new Date(Date.UTC(2026, 10, 27, 10, minute, 1)),
    deploymentId: D,
    deploymentName: 'scorer',
    projectId: D,
    modelId: null,
    modelVersionId: null,
    modelVersion: null,
    artifactSha256: null,
    pluginId: null,
    pluginVersion: null,
    requestId: null,
    protocol: 'rest' as const,
    consumerId: null,
    status: 'ok' as const,
    errorStatus: null,
    errorMessage: null,
    latencyUs: 100,
    inputRows: 1,
    payloadStored: false,
    inputs: null,
    outputs: null,
    parameters: null,
  }));
}

/** A sink that records what reaches "the database", and fails (or answers late) on demand. */
class FakeSink implements RollupSink {
  readonly ledger = new Set<string>();
  readonly attempts: { id: string; rows: number }[] = [];
  requests = 0;
  failNext: unknown[] = [];
  /** Apply, then fail as if the COMMIT's answer were lost. */
  loseAnswerNext = 0;
  gate: Promise<void> | null = null;
  sweeps = 0;

  async apply(id: string, batch: RollupBatch): Promise<boolean> {
    this.attempts.push({ id, rows: batch.rows });
    if (this.gate) await this.gate;
    const failure = this.failNext.shift();
    if (failure) throw failure;
    if (this.ledger.has(id)) return false;
    this.ledger.add(id);
    this.requests += batch.totals().reduce((n, t) => n + t.requests, 0);
    if (this.loseAnswerNext > 0) {
      this.loseAnswerNext -= 1;
      throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
    }
    return true;
  }

  async sweepLedger(): Promise<number> {
    this.sweeps += 1;
    return 0;
  }
}

/** A failed query as TypeORM reports it, with its SQLSTATE. */
const pgError = (code: string) => new QueryFailedError('INSERT ...', [], Object.assign(new Error(`pg ${code}`), { code }));

describe('HealthRollupWriter', () => {
  it('counts every recorded row once, folding rows that arrive during a write into the next one', async () => {
    const sink = new FakeSink();
    const writer = new HealthRollupWriter(sink, silentLogger());
    let open!: () => void;
    sink.gate = new Promise((resolve) => (open = resolve));
    writer.record(rows(3));
    await new Promise((r) => setImmediate(r));
    for (let i = 0; i < 5; i++) writer.record(rows(10, i));
    expect(writer.stats().pendingRows).toBe(53);
    sink.gate = null;
    open();
    await writer.flush();
    expect(sink.attempts.map((a) => a.rows)).toEqual([3, 50]);
    expect(sink.requests).toBe(53);
    expect(writer.stats()).toEqual({ pendingRows: 0, writtenRows: 53, failedWrites: 0, duplicateWrites: 0, droppedRows: 0 });
    expect(sink.sweeps).toBe(1);
  });

  it('retries a failed write with the same id, and does not count a write twice when its COMMIT answer was lost', async () => {
    const { logger, lines } = capturingLogger();
    const sink = new FakeSink();
    const writer = new HealthRollupWriter(sink, logger, { retryInitialMs: 5, retryMaxMs: 20 });
    sink.failNext = [pgError('57P01'), pgError('57014')];
    sink.loseAnswerNext = 1;
    writer.record(rows(4));
    await writer.flush();
    writer.record(rows(2));
    await writer.flush();
    expect(sink.requests).toBe(6);
    const ids = sink.attempts.map((a) => a.id);
    expect(ids.slice(0, 4).every((id) => id === ids[0])).toBe(true);
    expect(ids[4]).not.toBe(ids[0]);
    expect(writer.stats()).toEqual({ pendingRows: 0, writtenRows: 6, failedWrites: 3, duplicateWrites: 1, droppedRows: 0 });
    expect(lines.filter((l) => l.level === 50).map((l) => l.msg)).toEqual([expect.stringContaining('cannot write health rollups')]);
    expect(lines.some((l) => l.msg.includes('recovered'))).toBe(true);
  });

  it('gives up on a write PostgreSQL refuses as data, logging the window to backfill, and goes on', async () => {
    const { logger, lines } = capturingLogger();
    const sink = new FakeSink();
    const writer = new HealthRollupWriter(sink, logger);
    sink.failNext = [pgError('22003')];
    writer.record(rows(5, 7));
    await writer.flush();
    writer.record(rows(1));
    await writer.flush();
    expect(sink.requests).toBe(1);
    expect(writer.stats()).toMatchObject({ pendingRows: 0, writtenRows: 1, droppedRows: 5 });
    const error = lines.find((l) => l.level === 50)!;
    expect(error.msg).toContain('rebuild the window with backfill');
    expect(error['backfill']).toEqual({ from: '2026-11-27T10:07:00.000Z', to: '2026-11-27T10:08:00.000Z', deploymentIds: [D] });
  });

  it('close() retries at once, and with a timeout gives up on what never gets written, naming it', async () => {
    const { logger, lines } = capturingLogger();
    const sink = new FakeSink();
    const writer = new HealthRollupWriter(sink, logger, { retryInitialMs: 60_000 });
    sink.failNext = [pgError('57P01'), pgError('57P01')];
    writer.record(rows(2));
    await new Promise((r) => setTimeout(r, 20));
    expect(sink.attempts).toHaveLength(1);
    const started = Date.now();
    sink.failNext = Array.from({ length: 1000 }, () => pgError('57P01'));
    await writer.close({ timeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(sink.attempts.length).toBeGreaterThan(1);
    expect(writer.stats()).toMatchObject({ pendingRows: 0, droppedRows: 2 });
    expect(lines.some((l) => l.msg.includes('closed before every count could be written'))).toBe(true);
    writer.record(rows(1));
    expect(writer.stats().droppedRows).toBe(3);
  });

  it('close() writes what is pending when the database answers', async () => {
    const sink = new FakeSink();
    const writer = new HealthRollupWriter(sink, silentLogger());
    writer.record(rows(9));
    await writer.close({ timeoutMs: 5000 });
    expect(sink.requests).toBe(9);
    expect(writer.stats().droppedRows).toBe(0);
  });
});
