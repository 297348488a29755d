import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testServices } from '@modelport/config';
import { SIGNATURE_HEADER, verifyWebhook } from '@modelport/monitoring';
import { silentLogger } from '@modelport/observability';
import { BullmqJobQueue } from '@modelport/queue';
import { createTestDatabase, eventually, type TestDatabase } from '@modelport/testing';
import { RefreshRunEntity } from '../persistence';
import { callerOf, FakeShadowAttacher, FakeSignals, refreshTestSchema, seedDeployment, SqlDeploymentLookup, webhookReceiver, type SeededDeployment } from '../refresh.fixture';
import { registerRefreshJobs } from './refresh.jobs';
import { RefreshService } from './refresh.service';

const BASE_MS = 300;
const TIMEOUT_MS = 500;
const MAX_TRIES = 3;

/** Webhook tries go through BullMQ on the real Redis: each retry is a job delayed by the backoff. */
describe('refresh webhook delivery through the job queue', () => {
  const { redisUrl } = testServices();
  const prefix = `mp-test-refresh-${randomBytes(6).toString('hex')}`;
  let db: TestDatabase;
  let queue: BullmqJobQueue;
  let refresh: RefreshService;

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    queue = new BullmqJobQueue({ redisUrl, prefix, logger: silentLogger() });
    refresh = new RefreshService(db.dataSource, queue, new SqlDeploymentLookup(db.dataSource), new FakeSignals(), new FakeShadowAttacher(), {
      logger: silentLogger(),
      maxPageSize: 50,
      publicUrl: () => 'http://modelport.test',
      retryBaseMs: BASE_MS,
      deliveryTimeoutMs: TIMEOUT_MS,
      maxDeliveryAttempts: MAX_TRIES,
    });
    registerRefreshJobs(queue, refresh);
    await queue.start();
  });
  afterAll(async () => {
    await queue.close();
    await db.drop();
    const redis = new Redis(redisUrl);
    try {
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length > 0) await redis.del(...keys);
    } finally {
      await redis.quit();
    }
  });

  async function startRun(url: string): Promise<{ d: SeededDeployment; runId: string; secret: string }> {
    const d = await seedDeployment(db.dataSource);
    const engineer = callerOf(d.creatorId, [[d.projectId, 'ml-engineer']]);
    const { secret } = await refresh.setPolicy(engineer, d.deploymentId, { minIntervalMinutes: 1, action: 'WEBHOOK', webhookUrl: url });
    const run = await refresh.trigger(engineer, d.deploymentId, { reason: 'accuracy dropped after the price change' });
    expect(run).toMatchObject({ state: 'PENDING', action: 'WEBHOOK' });
    return { d, runId: run.id, secret: secret! };
  }
  const runOf = (id: string) => db.dataSource.getRepository(RefreshRunEntity).findOneByOrFail({ id });
  const failureNotices = (runId: string) =>
    db.dataSource.query(`SELECT user_id::text AS user_id, title FROM notifications WHERE event = 'refresh.failed' AND body->>'runId' = $1 ORDER BY user_id`, [runId]) as Promise<
      { user_id: string; title: string }[]
    >;

  it('retries a webhook that answers 500 after the backoff, and delivers the run when it answers 2xx', async () => {
    const hook = await webhookReceiver([500]);
    try {
      const { runId, secret } = await startRun(hook.url);
      const retrying = await eventually(async () => {
        const run = await runOf(runId);
        return run.attempts === 1 ? run : null;
      }, 'the first failed try');
      expect(retrying).toMatchObject({ state: 'PENDING', responseStatus: 500, lastError: 'the retraining webhook answered 500' });
      expect(retrying.nextAttemptAt).not.toBeNull();

      const run = await eventually(async () => {
        const r = await runOf(runId);
        return r.state === 'DELIVERED' ? r : null;
      }, 'the delivered run');
      expect(run).toMatchObject({ attempts: 2, responseStatus: 200, lastError: null, nextAttemptAt: null });
      expect(hook.received).toHaveLength(2);
      expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(BASE_MS - 20);
      // Every try sends the same body, signed afresh.
      expect(hook.received[1]!.body).toBe(hook.received[0]!.body);
      for (const r of hook.received) expect(verifyWebhook(secret, String(r.headers[SIGNATURE_HEADER]), r.body, Math.floor(Date.now() / 1000))).toBe(true);
      expect(await failureNotices(runId)).toEqual([]);
    } finally {
      await hook.close();
    }
  });

  it('gives up after the last 500 with backoff between tries: the run is FAILED and the owners are told once', async () => {
    const hook = await webhookReceiver([500, 500, 500, 500]);
    try {
      const { d, runId } = await startRun(hook.url);
      const run = await eventually(async () => {
        const r = await runOf(runId);
        return r.state === 'FAILED' ? r : null;
      }, 'the failed run');
      expect(run).toMatchObject({ attempts: MAX_TRIES, responseStatus: 500, lastError: `the retraining webhook answered 500 (gave up after ${MAX_TRIES} tries)`, nextAttemptAt: null });
      expect(run.failedAt).not.toBeNull();
      expect(hook.received).toHaveLength(MAX_TRIES);
      const gaps = hook.received.slice(1).map((r, i) => r.at - hook.received[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(BASE_MS - 20);
      expect(gaps[1]).toBeGreaterThanOrEqual(2 * BASE_MS - 20);
      const notices = await failureNotices(runId);
      expect(notices.map((n) => n.user_id)).toEqual([d.ownerId, d.creatorId].sort());
      expect(notices[0]!.title).toBe(`Refresh of ${d.deploymentName} failed: the retraining webhook answered 500 (gave up after ${MAX_TRIES} tries)`);
    } finally {
      await hook.close();
    }
  });

  it('treats a webhook that does not answer within the timeout as a failed try: retried, then FAILED', async () => {
    const hook = await webhookReceiver(['hang', 'hang', 'hang']);
    try {
      const { d, runId } = await startRun(hook.url);
      const run = await eventually(async () => {
        const r = await runOf(runId);
        return r.state === 'FAILED' ? r : null;
      }, 'the failed run');
      expect(run).toMatchObject({ attempts: MAX_TRIES, responseStatus: null, lastError: `the retraining webhook gave no answer within ${TIMEOUT_MS} ms (gave up after ${MAX_TRIES} tries)` });
      expect(hook.received).toHaveLength(MAX_TRIES);
      expect(hook.received[1]!.at - hook.received[0]!.at).toBeGreaterThanOrEqual(TIMEOUT_MS + BASE_MS - 20);
      expect((await failureNotices(runId)).map((n) => n.user_id)).toEqual([d.ownerId, d.creatorId].sort());
    } finally {
      await hook.close();
    }
  });

  it('delivers on the next try after a timeout', async () => {
    const hook = await webhookReceiver(['hang', 204]);
    try {
      const { runId } = await startRun(hook.url);
      const run = await eventually(async () => {
        const r = await runOf(runId);
        return r.state === 'DELIVERED' ? r : null;
      }, 'the delivered run');
      expect(run).toMatchObject({ attempts: 2, responseStatus: 204, lastError: null });
      expect(await failureNotices(runId)).toEqual([]);
    } finally {
      await hook.close();
    }
  });
});
