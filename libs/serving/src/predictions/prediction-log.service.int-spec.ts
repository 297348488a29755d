import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testServices } from '@modelport/config';
import { silentLogger } from '@modelport/observability';
import { createJobQueue, type JobQueue } from '@modelport/queue';
import { createTestDatabase, type TestDatabase, caught } from '@modelport/testing';
import { newPredictionId } from './prediction-id';
import { servingPredictionMigrations } from './prediction-log.migrations';
import { PredictionLogService } from './prediction-log.service';
import type { PredictionLogRow, PredictionReceipt } from './prediction-log.types';
import { PredictionLogWriter } from './prediction-log.writer';
import { enqueuePredictionRetention, PREDICTION_RETENTION_JOB, registerPredictionRetentionJob } from './prediction-retention.job';

const DAY = 24 * 3600 * 1000;
const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const projectId = randomUUID();
const [deploymentA, deploymentB, deploymentC] = [randomUUID(), randomUUID(), randomUUID()];
const versionId = randomUUID();
const modelId = randomUUID();

function row(deploymentId: string, receivedAt: number, overrides: Partial<PredictionLogRow> = {}): PredictionLogRow {
  return {
    id: newPredictionId(),
    receivedAt: new Date(receivedAt),
    deploymentId,
    deploymentName: `deployment-${deploymentId.slice(0, 4)}`,
    projectId,
    modelId,
    modelVersionId: versionId,
    modelVersion: 7,
    artifactSha256: 'c0'.repeat(32),
    pluginId: 'runtime-onnx',
    pluginVersion: '0.3.1',
    requestId: 'client-req-1',
    protocol: 'rest',
    consumerId: null,
    status: 'ok',
    errorStatus: null,
    errorMessage: null,
    latencyUs: 850,
    inputRows: 1,
    payloadStored: true,
    inputs: [{ name: 'x', shape: [1, 2], datatype: 'FP32', data: [0.5, 1.5] }],
    outputs: [{ name: 'y', shape: [1], datatype: 'FP32', data: [2] }],
    parameters: { priority: 1 },
    ...overrides,
  };
}

describe('PredictionLogService against PostgreSQL', () => {
  let db: TestDatabase;
  let service: PredictionLogService;

  const write = async (rows: PredictionLogRow[]) => {
    const writer = new PredictionLogWriter(db.dataSource, silentLogger(), { bufferRows: 10_000, batchRows: 500, flushIntervalMs: 10 });
    for (const r of rows) expect(writer.tryAppend(r)).toBe(true);
    await writer.close();
  };
  const ids = async (): Promise<string[]> => (await db.dataSource.query('SELECT id FROM predictions ORDER BY id')).map((r: { id: string }) => r.id);

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [...servingPredictionMigrations] });
    service = new PredictionLogService(db.dataSource, { maxPageSize: 50 });
  });

  afterEach(async () => {
    await db.dataSource.query('DELETE FROM predictions');
  });

  afterAll(async () => {
    await db?.drop();
  });

  describe('get', () => {
    it('returns the receipt of a successful prediction, with its payload', async () => {
      const r = row(deploymentA, T0, { consumerId: randomUUID(), protocol: 'grpc', requestId: 'abc-1', inputRows: 3 });
      await write([r]);
      const receipt = await service.get(r.id);
      expect(receipt).toEqual<PredictionReceipt>({
        id: r.id,
        receivedAt: new Date(T0),
        deployment: { id: deploymentA, name: r.deploymentName },
        projectId,
        modelVersion: { id: versionId, modelId, version: 7, artifactSha256: 'c0'.repeat(32) },
        plugin: { id: 'runtime-onnx', version: '0.3.1' },
        requestId: 'abc-1',
        protocol: 'grpc',
        consumerId: r.consumerId,
        status: 'ok',
        error: null,
        latencyUs: 850,
        inputRows: 3,
        parameters: { priority: 1 },
        payloadStored: true,
        payload: { inputs: r.inputs, outputs: r.outputs },
      });
    });

    it('returns a failure that happened before a version was chosen, without payload when none was stored', async () => {
      const r = row(deploymentA, T0, {
        modelId: null,
        modelVersionId: null,
        modelVersion: null,
        artifactSha256: null,
        pluginId: null,
        pluginVersion: null,
        status: 'error',
        errorStatus: 503,
        errorMessage: 'no version of this deployment is ready',
        payloadStored: false,
        parameters: null,
      });
      await write([r]);
      const receipt = await service.get(r.id);
      expect(receipt).toMatchObject({
        modelVersion: null,
        plugin: null,
        status: 'error',
        error: { status: 503, message: 'no version of this deployment is ready' },
        payloadStored: false,
        payload: null,
        parameters: null,
      });
    });

    it.each([
      ['an unknown id', () => newPredictionId()],
      ['a malformed id', () => 'not-a-prediction-id'],
      ['an id with SQL in it', () => "x' OR '1'='1"],
    ])('answers PREDICTION_NOT_FOUND for %s', async (_what, id) => {
      await write([row(deploymentA, T0)]);
      const err = await caught(service.get(id()));
      expect(err.code).toBe('PREDICTION_NOT_FOUND');
      expect(err.kind).toBe('NOT_FOUND');
      expect(err.message).toContain('prediction_id');
    });
  });

  describe('list', () => {
    /** A: 20 rows one second apart (every fourth an error) and 3 more in the millisecond of the sixth; B: 6 rows; C: 5 rows. */
    async function seed(): Promise<{ a: PredictionLogRow[]; b: PredictionLogRow[] }> {
      const a = Array.from({ length: 20 }, (_, i) =>
        row(deploymentA, T0 + i * 1000, {
          status: i % 4 === 0 ? 'error' : 'ok',
          errorStatus: i % 4 === 0 ? 500 : null,
          errorMessage: i % 4 === 0 ? 'plugin crashed' : null,
        }),
      );
      // Same millisecond for a few rows: the id breaks the tie.
      a.push(row(deploymentA, T0 + 5000), row(deploymentA, T0 + 5000), row(deploymentA, T0 + 5000));
      const b = Array.from({ length: 6 }, (_, i) => row(deploymentB, T0 + i * 1500 + 250));
      const c = Array.from({ length: 5 }, (_, i) => row(deploymentC, T0 + i * 1000));
      await write([...a, ...b, ...c]);
      return { a, b };
    }

    const newestFirst = (rows: PredictionLogRow[]) =>
      [...rows].sort((x, y) => y.receivedAt.getTime() - x.receivedAt.getTime() || (x.id < y.id ? 1 : -1)).map((r) => r.id);

    async function allPages(filter: Parameters<PredictionLogService['list']>[0]): Promise<{ ids: string[]; pages: number }> {
      const seen: string[] = [];
      let after: string | null = null;
      let pages = 0;
      for (;;) {
        const page = await service.list({ ...filter, after });
        pages += 1;
        seen.push(...page.items.map((r) => r.id));
        if (!page.hasNextPage) return { ids: seen, pages };
        expect(page.items).toHaveLength(filter.first!);
        after = page.endCursor;
        if (pages > 100) throw new Error('pagination does not end');
      }
    }

    it('pages through the given deployments newest first, each row once, without the other deployments', async () => {
      const { a, b } = await seed();
      const { ids, pages } = await allPages({ deploymentIds: [deploymentA, deploymentB], first: 4 });
      expect(ids).toEqual(newestFirst([...a, ...b]));
      expect(pages).toBe(Math.ceil((a.length + b.length) / 4));

      const one = await allPages({ deploymentIds: [deploymentB], first: 50 });
      expect(one).toEqual({ ids: newestFirst(b), pages: 1 });
    });

    it('keeps PostgreSQL microseconds in the cursor, so rows in one millisecond are neither skipped nor repeated', async () => {
      const rows = [123, 456, 789, 456].map(() => newPredictionId());
      const micros = ['2026-11-01 12:00:00.000123+00', '2026-11-01 12:00:00.000456+00', '2026-11-01 12:00:00.000789+00', '2026-11-01 12:00:00.000456+00'];
      for (let i = 0; i < rows.length; i++) {
        await db.dataSource.query(
          `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, protocol, status, latency_us, payload_stored)
           VALUES ($1, $2, $3, 'x', $4, 'rest', 'ok', 1, false)`,
          [rows[i], micros[i], deploymentA, projectId],
        );
      }
      const { ids } = await allPages({ deploymentIds: [deploymentA], first: 1 });
      const [r123, r456a, r789, r456b] = rows as [string, string, string, string];
      expect(ids).toEqual([r789, ...[r456a, r456b].sort().reverse(), r123]);
    });

    it('filters by status', async () => {
      const { a } = await seed();
      const { ids } = await allPages({ deploymentIds: [deploymentA], first: 2, status: 'error' });
      expect(ids).toEqual(newestFirst(a.filter((r) => r.status === 'error')));
      expect(ids.length).toBe(5);
    });

    it('leaves the payload out unless asked', async () => {
      const r = row(deploymentA, T0);
      await write([r]);
      const [plain] = (await service.list({ deploymentIds: [deploymentA] })).items;
      expect(plain).toMatchObject({ id: r.id, payloadStored: true, payload: null, parameters: { priority: 1 } });
      const [full] = (await service.list({ deploymentIds: [deploymentA], includePayload: true })).items;
      expect(full!.payload).toEqual({ inputs: r.inputs, outputs: r.outputs });
    });

    it('gives an empty page for no deployments', async () => {
      await seed();
      expect(await service.list({ deploymentIds: [] })).toEqual({ items: [], hasNextPage: false, endCursor: null });
    });

    it.each([
      [{ deploymentIds: ['nope'] }, 'INVALID_ARGUMENT', /not a deployment id/],
      [{ deploymentIds: [deploymentA], status: 'failed' as never }, 'INVALID_ARGUMENT', /status must be one of ok, error/],
      [{ deploymentIds: [deploymentA], first: 51 }, 'PAGE_SIZE_TOO_LARGE', /maximum page size of 50/],
      [{ deploymentIds: [deploymentA], after: 'forged' }, 'INVALID_CURSOR', /endCursor/],
      [{ deploymentIds: [deploymentA], after: Buffer.from('["2026-11-01", "x"]').toString('base64url') }, 'INVALID_CURSOR', /endCursor/],
    ])('refuses %j with %s', async (filter, code, message) => {
      const err = await caught(service.list(filter));
      expect(err.code).toBe(code);
      expect(err.kind).toBe('BAD_USER_INPUT');
      expect(err.message).toMatch(message);
    });
  });

  describe('retention', () => {
    it('deleteOlderThan deletes only rows received before the cutoff, in batches of the given size', async () => {
      const cutoff = new Date(T0);
      const old = Array.from({ length: 30 }, (_, i) => row(deploymentA, T0 - (i + 1) * 3600_000));
      const atCutoff = row(deploymentB, T0);
      const recent = Array.from({ length: 5 }, (_, i) => row(deploymentC, T0 + (i + 1) * 1000));
      await write([...old, atCutoff, ...recent]);

      const batches: number[] = [];
      expect(await service.deleteOlderThan(cutoff, 7, { onBatch: (n) => batches.push(n) })).toBe(30);
      expect(batches).toEqual([7, 7, 7, 7, 2]);
      expect(await ids()).toEqual([atCutoff, ...recent].map((r) => r.id).sort());
      expect(await service.deleteOlderThan(cutoff, 7)).toBe(0);
    });

    it('deleteOlderThan refuses a batch size or cutoff that cannot work', async () => {
      expect((await caught(service.deleteOlderThan(new Date(), 0))).code).toBe('INVALID_ARGUMENT');
      expect((await caught(service.deleteOlderThan(new Date('nonsense'), 10))).code).toBe('INVALID_ARGUMENT');
    });

    it('refuses a retention of less than one whole day', () => {
      const queue = createJobQueue({ redisUrl: null, prefix: 'unused', logger: silentLogger() });
      expect(() => registerPredictionRetentionJob(queue, service, 0, silentLogger())).toThrow(/at least 1/);
      expect(() => registerPredictionRetentionJob(queue, service, 1.5, silentLogger())).toThrow(/whole number of days/);
    });

    describe.each(['in-process', 'bullmq'] as const)('the %s job', (adapter) => {
      const prefix = `mp-test-${randomBytes(6).toString('hex')}`;
      let queue: JobQueue;

      beforeEach(() => {
        queue = createJobQueue({ redisUrl: adapter === 'bullmq' ? testServices().redisUrl : null, prefix, logger: silentLogger() });
      });

      afterEach(async () => {
        await queue.close();
      });

      afterAll(async () => {
        if (adapter !== 'bullmq') return;
        const redis = new Redis(testServices().redisUrl);
        try {
          const keys = await redis.keys(`${prefix}:*`);
          if (keys.length) await redis.del(...keys);
        } finally {
          await redis.quit();
        }
      });

      it(`runs as ${PREDICTION_RETENTION_JOB}, deleting predictions older than the retention, once per scheduling interval`, async () => {
        const now = T0 + 100 * DAY;
        const expired = Array.from({ length: 12 }, (_, i) => row(deploymentA, now - 30 * DAY - (i + 1) * 60_000));
        const kept = Array.from({ length: 4 }, (_, i) => row(deploymentA, now - 30 * DAY + (i + 1) * 60_000));
        await write([...expired, ...kept]);

        registerPredictionRetentionJob(queue, service, 30, silentLogger(), { batchSize: 5, now: () => new Date(now) });
        await queue.start();
        const jobId = await enqueuePredictionRetention(queue, 3600_000, now);
        // A second replica scheduling in the same interval adds nothing.
        expect(await enqueuePredictionRetention(queue, 3600_000, now + 1000)).toBe(jobId);
        const job = await queue.waitFor(jobId, 20_000);

        expect(job).toMatchObject({ name: PREDICTION_RETENTION_JOB, state: 'completed' });
        expect(job.returnValue).toEqual({ deleted: 12, cutoff: new Date(now - 30 * DAY).toISOString() });
        expect(await ids()).toEqual(kept.map((r) => r.id).sort());
      });
    });
  });
});
