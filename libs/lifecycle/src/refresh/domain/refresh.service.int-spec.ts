import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { GovernanceErrorCode, type Caller } from '@modelport/governance';
import { SIGNATURE_HEADER, verifyWebhook } from '@modelport/monitoring';
import { capturingLogger, silentLogger } from '@modelport/observability';
import { InProcessJobQueue } from '@modelport/queue';
import { RegistryService, type Lineage } from '@modelport/registry';
import { LocalDirectoryStore } from '@modelport/storage';
import { caught, createTestDatabase, eventually, type TestDatabase } from '@modelport/testing';
import { RefreshPolicyEntity, RefreshRunEntity } from '../persistence';
import {
  callerOf,
  FakeShadowAttacher,
  FakeSignals,
  manualClock,
  refreshTestSchema,
  seedDeployment,
  SqlDeploymentLookup,
  webhookReceiver,
  type SeededDeployment,
} from '../refresh.fixture';
import { RefreshErrorCode } from './refresh.errors';
import { registerRefreshJobs } from './refresh.jobs';
import { REFRESH_REQUESTED_JOB, RefreshService, type RefreshRequestPayload, type RefreshServiceOptions } from './refresh.service';

const T0 = new Date('2026-11-02T10:00:00Z');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('RefreshService against PostgreSQL', () => {
  let db: TestDatabase;
  let queue: InProcessJobQueue;
  let refresh: RefreshService;
  let storeDir: string;
  let registry: RegistryService;
  const clock = manualClock(T0);
  const signals = new FakeSignals();
  const shadows = new FakeShadowAttacher();
  const { logger, lines } = capturingLogger();
  const requested: RefreshRequestPayload[] = [];
  const options = (): RefreshServiceOptions => ({ logger, maxPageSize: 50, publicUrl: () => 'http://modelport.test/', clock, retryBaseMs: 50, deliveryTimeoutMs: 2000 });
  const newService = (q: Pick<InProcessJobQueue, 'enqueue'> = queue) => new RefreshService(db.dataSource, q, new SqlDeploymentLookup(db.dataSource), signals, shadows, options());
  const runsOf = (deploymentId: string) => db.dataSource.getRepository(RefreshRunEntity).find({ where: { deploymentId }, order: { createdAt: 'ASC' } });
  const engineer = (d: SeededDeployment) => callerOf(d.creatorId, [[d.projectId, 'ml-engineer']]);
  const admin = (d: SeededDeployment) => callerOf(d.ownerId, [[d.projectId, 'admin']]);

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    queue = new InProcessJobQueue({ logger: silentLogger() });
    refresh = newService();
    registerRefreshJobs(queue, refresh);
    queue.register<RefreshRequestPayload, null>(REFRESH_REQUESTED_JOB, async (job) => {
      requested.push(job.data);
      return null;
    });
    await queue.start();
    storeDir = await mkdtemp(join(tmpdir(), 'mp-refresh-'));
    const store = new LocalDirectoryStore(storeDir, silentLogger());
    await store.init();
    registry = new RegistryService(
      db.dataSource,
      store,
      { maxPageSize: 50, maxArtifactBytes: 1_000_000, uploadTtlSeconds: 600, publicUrl: () => 'http://modelport.test' },
      logger,
    );
    registry.onVersionRegistered((e) => refresh.handleVersionRegistered(e));
  });
  afterAll(async () => {
    await queue.close();
    await db.drop();
    await rm(storeDir, { recursive: true, force: true });
  });
  beforeEach(() => {
    clock.set(T0);
    signals.drift.clear();
    signals.accuracies.clear();
    signals.failDrift = false;
  });
  // evaluate() reads every policy: each test leaves none behind.
  afterEach(() => db.dataSource.query('DELETE FROM refresh_policies'));

  describe('policies', () => {
    it('are set by those who may update the deployment, with the webhook secret shown once; readers see them, outsiders see nothing', async () => {
      const d = await seedDeployment(db.dataSource);
      const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
      const outsider = callerOf(randomUUID(), []);
      expect(await refresh.getPolicy(viewer, d.deploymentId)).toBeNull();

      const first = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 30, action: 'WEBHOOK', webhookUrl: 'https://retrain.example.com/hook', onDriftRed: true });
      expect(first.secret).toMatch(/^whsec_/);
      expect(first.policy).toMatchObject({ deploymentId: d.deploymentId, projectId: d.projectId, enabled: true, onDriftRed: true, minIntervalMinutes: 30, dataWindowDays: 7, webhookSecret: first.secret });
      expect(await refresh.getPolicy(viewer, d.deploymentId)).toMatchObject({ id: first.policy.id, webhookUrl: 'https://retrain.example.com/hook' });

      // An edit keeps the secret (not shown again); rotating makes a new one.
      const edited = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 45, action: 'WEBHOOK', webhookUrl: 'https://retrain.example.com/v2' });
      expect(edited).toMatchObject({ secret: null, policy: { id: first.policy.id, minIntervalMinutes: 45, onDriftRed: false, webhookSecret: first.secret } });
      const rotated = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 45, action: 'WEBHOOK', webhookUrl: 'https://retrain.example.com/v2', rotateSecret: true });
      expect(rotated.secret).toMatch(/^whsec_/);
      expect(rotated.secret).not.toBe(first.secret);
      const queued = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 45, action: 'QUEUE' });
      expect(queued).toMatchObject({ secret: null, policy: { action: 'QUEUE', webhookUrl: null, webhookSecret: null } });

      expect(await caught(refresh.setPolicy(viewer, d.deploymentId, { minIntervalMinutes: 5, action: 'QUEUE' }))).toMatchObject({ code: GovernanceErrorCode.FORBIDDEN });
      expect(await caught(refresh.setPolicy(outsider, d.deploymentId, { minIntervalMinutes: 5, action: 'QUEUE' }))).toMatchObject({ kind: 'NOT_FOUND' });
      expect(await caught(refresh.getPolicy(outsider, d.deploymentId))).toMatchObject({ kind: 'NOT_FOUND' });
      expect(await caught(refresh.listRuns(outsider, d.deploymentId))).toMatchObject({ kind: 'NOT_FOUND' });

      expect(await caught(refresh.deletePolicy(viewer, d.deploymentId))).toMatchObject({ code: GovernanceErrorCode.FORBIDDEN });
      expect(await refresh.deletePolicy(engineer(d), d.deploymentId)).toBe(true);
      expect(await refresh.deletePolicy(engineer(d), d.deploymentId)).toBe(false);
      expect(await refresh.getPolicy(viewer, d.deploymentId)).toBeNull();
    });

    it('refuses bad input naming the field and leaves the stored policy as it was', async () => {
      const d = await seedDeployment(db.dataSource);
      const { policy } = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 30, action: 'QUEUE', scheduleEveryHours: 12 });
      const bad = [
        [{ minIntervalMinutes: 0, action: 'QUEUE' }, 'minIntervalMinutes'],
        [{ minIntervalMinutes: 10, action: 'WEBHOOK', webhookUrl: 'http://retrain.example.com/' }, 'webhookUrl'],
        [{ minIntervalMinutes: 10, action: 'QUEUE', accuracyBelow: { metric: 'accuracy', threshold: 90 } }, 'accuracyBelow.threshold'],
        [{ minIntervalMinutes: 10, action: 'QUEUE', maxModelAgeDays: 0 }, 'maxModelAgeDays'],
      ] as const;
      for (const [input, field] of bad) {
        expect(await caught(refresh.setPolicy(engineer(d), d.deploymentId, input))).toMatchObject({ code: RefreshErrorCode.INVALID_ARGUMENT, details: { field } });
      }
      expect(await db.dataSource.getRepository(RefreshPolicyEntity).findOneByOrFail({ id: policy.id })).toEqual(policy);
    });
  });

  describe('triggers', () => {
    it('SCHEDULE: due every N hours counted from when the schedule was set, then from the last run; the payload names the window and labelled data', async () => {
      const d = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', scheduleEveryHours: 24, dataWindowDays: 3 });
      expect(await refresh.evaluate()).toEqual({ evaluated: 1, started: 0 });
      clock.set(new Date(T0.getTime() + 23 * HOUR));
      expect((await refresh.evaluate()).started).toBe(0);

      const at = new Date(T0.getTime() + 24 * HOUR);
      clock.set(at);
      expect((await refresh.evaluate()).started).toBe(1);
      const [run] = await runsOf(d.deploymentId);
      const from = new Date(at.getTime() - 3 * DAY);
      expect(run).toMatchObject({ triggerKind: 'SCHEDULE', state: 'DELIVERED', action: 'QUEUE', attempts: 1, championVersionId: d.versionId, modelId: d.modelId, windowFrom: from, windowTo: at });
      expect(run!.reason).toBe(`scheduled every 24 h; the schedule was set at ${T0.toISOString()}`);
      const expected: RefreshRequestPayload = {
        runId: run!.id,
        event: 'refresh.requested',
        deployment: { id: d.deploymentId, name: d.deploymentName, projectId: d.projectId },
        currentVersion: { id: d.versionId, version: 1 },
        reason: { kind: 'SCHEDULE', detail: run!.reason },
        dataWindow: { from: from.toISOString(), to: at.toISOString() },
        labelledData: {
          url: `http://modelport.test/v1/deployments/${d.deploymentId}/labelled-data?from=${encodeURIComponent(from.toISOString())}&to=${encodeURIComponent(at.toISOString())}`,
          format: 'ndjson',
        },
      };
      // QUEUE: the worker's job carries the same payload.
      expect(await eventually(() => requested.find((p) => p.runId === run!.id), 'the refresh-requested job')).toEqual(expected);
      expect(run!.payload).toEqual(expected);

      clock.set(new Date(at.getTime() + 23 * HOUR));
      expect((await refresh.evaluate()).started).toBe(0);
      clock.set(new Date(at.getTime() + 24 * HOUR));
      expect((await refresh.evaluate()).started).toBe(1);
      expect((await runsOf(d.deploymentId))[1]!.reason).toBe(`scheduled every 24 h; the last run started at ${at.toISOString()}`);
    });

    it('DRIFT_RED: an open DRIFT_STATUS alert at red, or a red drift status; amber is not enough', async () => {
      const byAlert = await seedDeployment(db.dataSource);
      const byStatus = await seedDeployment(db.dataSource);
      const amber = await seedDeployment(db.dataSource);
      for (const d of [byAlert, byStatus, amber]) await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', onDriftRed: true });
      const openAlert = async (d: SeededDeployment, value: number) => {
        const [{ id: ruleId }] = await db.dataSource.query(
          `INSERT INTO alert_rules (deployment_id, project_id, kind, threshold, comparison, window_minutes, fire_after, resolve_after, state) VALUES ($1, $2, 'DRIFT_STATUS', 1, 'above', 60, 1, 1, 'FIRING') RETURNING id`,
          [d.deploymentId, d.projectId],
        );
        await db.dataSource.query(`INSERT INTO alerts (rule_id, deployment_id, project_id, kind, opened_at, opened_value, last_value) VALUES ($1, $2, $3, 'DRIFT_STATUS', $4, $5, $5)`, [
          ruleId,
          d.deploymentId,
          d.projectId,
          new Date(T0.getTime() - HOUR),
          value,
        ]);
      };
      await openAlert(byAlert, 2);
      await openAlert(amber, 1);
      signals.drift.set(byStatus.deploymentId, 'red');
      signals.drift.set(amber.deploymentId, 'amber');

      expect(await refresh.evaluate()).toEqual({ evaluated: 3, started: 2 });
      expect(await runsOf(byAlert.deploymentId)).toMatchObject([
        { triggerKind: 'DRIFT_RED', reason: `a DRIFT_STATUS alert open since ${new Date(T0.getTime() - HOUR).toISOString()} reports the drift status red` },
      ]);
      expect(await runsOf(byStatus.deploymentId)).toMatchObject([{ triggerKind: 'DRIFT_RED', reason: 'the drift status over the last 24 h is red' }]);
      expect(await runsOf(amber.deploymentId)).toEqual([]);
    });

    it('ACCURACY: the metric over the data window worse than the threshold (above it for errors)', async () => {
      const low = await seedDeployment(db.dataSource);
      const fine = await seedDeployment(db.dataSource);
      const errorMetric = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(low), low.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', accuracyBelow: { metric: 'f1', threshold: 0.7 }, dataWindowDays: 14 });
      await refresh.setPolicy(engineer(fine), fine.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', accuracyBelow: { metric: 'f1', threshold: 0.7 } });
      await refresh.setPolicy(engineer(errorMetric), errorMetric.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', accuracyBelow: { metric: 'rmse', threshold: 2 } });
      signals.accuracies.set(`${low.deploymentId}/f1`, 0.61);
      signals.accuracies.set(`${fine.deploymentId}/f1`, 0.75);
      signals.accuracies.set(`${errorMetric.deploymentId}/rmse`, 2.5);

      expect(await refresh.evaluate()).toEqual({ evaluated: 3, started: 2 });
      expect(signals.calls).toContainEqual({ deploymentId: low.deploymentId, metric: 'f1', windowDays: 14 });
      expect(await runsOf(low.deploymentId)).toMatchObject([{ triggerKind: 'ACCURACY', reason: 'f1 over the last 14 days is 0.61, below the threshold 0.7' }]);
      expect(await runsOf(errorMetric.deploymentId)).toMatchObject([{ triggerKind: 'ACCURACY', reason: 'rmse over the last 7 days is 2.5, above the threshold 2' }]);
      expect(await runsOf(fine.deploymentId)).toEqual([]);
    });

    it('MODEL_AGE: the champion registered more than N days ago', async () => {
      const old = await seedDeployment(db.dataSource, { versionCreatedAt: new Date(T0.getTime() - 40 * DAY) });
      const young = await seedDeployment(db.dataSource, { versionCreatedAt: new Date(T0.getTime() - 20 * DAY) });
      for (const d of [old, young]) await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', maxModelAgeDays: 30 });
      expect(await refresh.evaluate()).toEqual({ evaluated: 2, started: 1 });
      expect(await runsOf(old.deploymentId)).toMatchObject([
        { triggerKind: 'MODEL_AGE', reason: `the champion, version 1 registered at ${new Date(T0.getTime() - 40 * DAY).toISOString()}, is 40 days old; the policy allows 30` },
      ]);
      expect(await runsOf(young.deploymentId)).toEqual([]);
    });

    it('skips disabled policies and deleted deployments; a signal that fails is logged and the other triggers still count', async () => {
      const disabled = await seedDeployment(db.dataSource);
      const deleted = await seedDeployment(db.dataSource);
      const flaky = await seedDeployment(db.dataSource, { versionCreatedAt: new Date(T0.getTime() - 90 * DAY) });
      await refresh.setPolicy(engineer(disabled), disabled.deploymentId, { enabled: false, minIntervalMinutes: 60, action: 'QUEUE', maxModelAgeDays: 1 });
      await refresh.setPolicy(engineer(deleted), deleted.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', maxModelAgeDays: 1 });
      await db.dataSource.query(`UPDATE deployments SET deleted_at = now() WHERE id = $1`, [deleted.deploymentId]);
      await refresh.setPolicy(engineer(flaky), flaky.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', onDriftRed: true, maxModelAgeDays: 30 });
      signals.failDrift = true;

      expect(await refresh.evaluate()).toEqual({ evaluated: 1, started: 1 });
      expect(await runsOf(flaky.deploymentId)).toMatchObject([{ triggerKind: 'MODEL_AGE' }]);
      expect(lines.find((l) => l.msg.includes('could not check a refresh trigger') && l['deploymentId'] === flaky.deploymentId)).toMatchObject({ trigger: 'drift', err: { message: 'drift store unavailable' } });
      expect(await runsOf(disabled.deploymentId)).toEqual([]);
      expect(await runsOf(deleted.deploymentId)).toEqual([]);
    });
  });

  describe('the minimum interval', () => {
    it('holds between evaluations', async () => {
      const d = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', onDriftRed: true });
      signals.drift.set(d.deploymentId, 'red');
      expect((await refresh.evaluate()).started).toBe(1);
      clock.set(new Date(T0.getTime() + 59 * 60_000));
      expect((await refresh.evaluate()).started).toBe(0);
      clock.set(new Date(T0.getTime() + 60 * 60_000));
      expect((await refresh.evaluate()).started).toBe(1);
      expect((await runsOf(d.deploymentId)).map((r) => r.createdAt)).toEqual([T0, new Date(T0.getTime() + HOUR)]);
    });

    it('holds across concurrent evaluators: one run, however many evaluate at once', async () => {
      const d = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE', onDriftRed: true });
      signals.drift.set(d.deploymentId, 'red');
      const evaluators = Array.from({ length: 6 }, () => newService());
      const results = await Promise.all(evaluators.map((e) => e.evaluate()));
      expect(results.reduce((n, r) => n + r.started, 0)).toBe(1);
      expect(await runsOf(d.deploymentId)).toHaveLength(1);
    });

    it('holds for manual runs unless a project admin forces one', async () => {
      const d = await seedDeployment(db.dataSource);
      const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
      expect(await caught(refresh.trigger(engineer(d), d.deploymentId, { reason: 'new labels arrived' }))).toMatchObject({ code: RefreshErrorCode.REFRESH_POLICY_NOT_FOUND });
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 120, action: 'QUEUE' });

      const first = await refresh.trigger(engineer(d), d.deploymentId, { reason: '  new labels arrived ' });
      expect(first).toMatchObject({ triggerKind: 'MANUAL', reason: 'new labels arrived', requestedBy: d.creatorId, state: 'DELIVERED' });

      clock.set(new Date(T0.getTime() + 30 * 60_000));
      const tooSoon = await caught(refresh.trigger(engineer(d), d.deploymentId, { reason: 'again' }));
      expect(tooSoon).toMatchObject({ code: RefreshErrorCode.REFRESH_TOO_SOON, kind: 'CONFLICT', details: { nextAllowedAt: new Date(T0.getTime() + 2 * HOUR).toISOString() } });
      expect(tooSoon.message).toContain('at least 120 minutes between runs');
      expect(await caught(refresh.trigger(engineer(d), d.deploymentId, { reason: 'again', force: true }))).toMatchObject({ code: GovernanceErrorCode.FORBIDDEN });
      expect(await caught(refresh.trigger(viewer, d.deploymentId, { reason: 'again' }))).toMatchObject({ code: GovernanceErrorCode.FORBIDDEN });
      for (const reason of ['', '   ', 'x'.repeat(501), 'bell\u0007']) {
        expect(await caught(refresh.trigger(engineer(d), d.deploymentId, { reason }))).toMatchObject({ code: RefreshErrorCode.INVALID_ARGUMENT, details: { field: 'reason' } });
      }
      const forced = await refresh.trigger(admin(d), d.deploymentId, { reason: 'urgent: label shift', force: true });
      expect(forced).toMatchObject({ triggerKind: 'MANUAL', reason: 'urgent: label shift' });
      expect((await runsOf(d.deploymentId)).map((r) => r.reason)).toEqual(['new labels arrived', 'urgent: label shift']);
      // The forced run moved the clock of the interval too.
      expect((await refresh.getPolicy(admin(d), d.deploymentId))!.lastRunAt).toEqual(clock.now());
      expect((await refresh.listRuns(engineer(d), d.deploymentId, 1)).map((r) => r.id)).toEqual([forced.id]);
    });
  });

  describe('delivery', () => {
    it('POSTs the signed payload to the webhook; a 2xx answer delivers the run', async () => {
      const hook = await webhookReceiver([202]);
      try {
        const d = await seedDeployment(db.dataSource, { versionCreatedAt: new Date(T0.getTime() - 5 * DAY) });
        const { secret } = await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'WEBHOOK', webhookUrl: hook.url, maxModelAgeDays: 1 });
        expect((await refresh.evaluate()).started).toBe(1);
        const [pending] = await runsOf(d.deploymentId);
        const run = await eventually(async () => (await runsOf(d.deploymentId)).find((r) => r.state === 'DELIVERED'), 'the delivered run');
        expect(run).toMatchObject({ id: pending!.id, attempts: 1, responseStatus: 202, lastError: null, deliveredAt: clock.now() });
        expect(hook.received).toHaveLength(1);
        const request = hook.received[0]!;
        expect(request.headers).toMatchObject({ 'content-type': 'application/json', 'x-modelport-event': 'refresh.requested', 'x-modelport-delivery': run.id });
        expect(verifyWebhook(secret!, String(request.headers[SIGNATURE_HEADER]), request.body, Math.floor(clock.now().getTime() / 1000))).toBe(true);
        expect(verifyWebhook('whsec_other', String(request.headers[SIGNATURE_HEADER]), request.body, Math.floor(clock.now().getTime() / 1000))).toBe(false);
        expect(JSON.parse(request.body)).toEqual(run.payload);
        expect(JSON.parse(request.body)).toMatchObject({ runId: run.id, event: 'refresh.requested', reason: { kind: 'MODEL_AGE' }, currentVersion: { id: d.versionId, version: 1 } });
      } finally {
        await hook.close();
      }
    });

    it('a QUEUE run nobody can take (no worker for the job in this process) fails at once and tells the owners', async () => {
      const bare = new InProcessJobQueue({ logger: silentLogger() });
      try {
        const service = newService(bare);
        const d = await seedDeployment(db.dataSource);
        await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 60, action: 'QUEUE' });
        const run = await service.trigger(engineer(d), d.deploymentId, { reason: 'try it' });
        expect(run).toMatchObject({ state: 'FAILED', failedAt: T0, lastError: expect.stringContaining(`could not enqueue the ${REFRESH_REQUESTED_JOB} job`) });
        const inbox = (await db.dataSource.query(`SELECT user_id::text AS user_id, event, title, body FROM notifications WHERE event = 'refresh.failed' AND body->>'runId' = $1 ORDER BY user_id`, [
          run.id,
        ])) as { user_id: string; event: string; title: string; body: Record<string, unknown> }[];
        expect(inbox.map((n) => n.user_id)).toEqual([d.ownerId, d.creatorId].sort());
        expect(inbox[0]!.title).toContain(`Refresh of ${d.deploymentName} failed`);
        expect(inbox[0]!.body).toMatchObject({ event: 'refresh.failed', runId: run.id, deployment: { id: d.deploymentId }, reason: { kind: 'MANUAL', detail: 'try it' } });
      } finally {
        await bare.close();
      }
    });
  });

  describe('a version registered in answer', () => {
    async function register(caller: Caller, d: SeededDeployment, lineage: Lineage) {
      const bytes = Buffer.from(`model ${randomUUID()}`);
      const sha256 = createHash('sha256').update(bytes).digest('hex');
      const slot = await registry.createUpload(caller, { projectId: d.projectId, sizeBytes: bytes.length, sha256 });
      await registry.receiveUpload(caller, slot.upload.id, Readable.from([bytes]));
      return registry.registerVersion(caller, { modelId: d.modelId, uploadId: slot.upload.id, sha256, sizeBytes: bytes.length, format: 'custom', lineage });
    }
    const scientist = (d: SeededDeployment) => callerOf(d.ownerId, [[d.projectId, 'data-scientist']]);

    it('completes the run, carries its trigger in the lineage and joins the deployment as a shadow challenger', async () => {
      const d = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 1, action: 'QUEUE' });
      const run = await refresh.trigger(engineer(d), d.deploymentId, { reason: 'labels for October are in' });
      clock.set(new Date(T0.getTime() + HOUR));

      const version = await register(scientist(d), d, { codeCommit: 'abc123', refreshRunId: run.id.toUpperCase() });
      const trigger = `refresh run ${run.id} (MANUAL): labels for October are in`;
      // The answer already shows the lineage as stored after the lifecycle filled it in.
      expect(version.lineage).toEqual({ codeCommit: 'abc123', refreshRunId: run.id, trigger });
      expect((await registry.versionById(version.id)).lineage.trigger).toBe(trigger);
      expect(await db.dataSource.getRepository(RefreshRunEntity).findOneByOrFail({ id: run.id })).toMatchObject({
        state: 'COMPLETED',
        newVersionId: version.id,
        completedAt: clock.now(),
        lastError: null,
      });
      expect(shadows.calls.filter((c) => c.versionId === version.id)).toEqual([{ deploymentId: d.deploymentId, versionId: version.id, reason: `answers ${trigger}`, actorId: d.ownerId }]);

      // A second answer to the same run is registered, but completes nothing and is not attached.
      const again = await register(scientist(d), d, { refreshRunId: run.id });
      expect(again.lineage).toEqual({ refreshRunId: run.id });
      expect(shadows.calls.filter((c) => c.versionId === again.id)).toEqual([]);
      expect((await db.dataSource.getRepository(RefreshRunEntity).findOneByOrFail({ id: run.id })).newVersionId).toBe(version.id);
      expect(lines.find((l) => l['versionId'] === again.id && l.level === 40)!.msg).toContain(`the run was already completed by version ${version.id}`);
    });

    it("keeps the client's own trigger, and records a failed attach on the completed run", async () => {
      const d = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(d), d.deploymentId, { minIntervalMinutes: 1, action: 'QUEUE' });
      const run = await refresh.trigger(engineer(d), d.deploymentId, { reason: 'nightly' });
      shadows.fail = 'the plugin has no room for another model';
      try {
        const version = await register(scientist(d), d, { refreshRunId: run.id, trigger: 'retrained by pipeline #812' });
        expect(version.lineage).toEqual({ refreshRunId: run.id, trigger: 'retrained by pipeline #812' });
        expect(await db.dataSource.getRepository(RefreshRunEntity).findOneByOrFail({ id: run.id })).toMatchObject({
          state: 'COMPLETED',
          newVersionId: version.id,
          lastError: 'Completed, but attaching version 2 as a shadow challenger failed: the plugin has no room for another model',
        });
      } finally {
        shadows.fail = null;
      }
    });

    it('an unknown run, or a run of another model, leaves the registration alone and is logged', async () => {
      const d = await seedDeployment(db.dataSource);
      const other = await seedDeployment(db.dataSource);
      await refresh.setPolicy(engineer(other), other.deploymentId, { minIntervalMinutes: 1, action: 'QUEUE' });
      const foreignRun = await refresh.trigger(engineer(other), other.deploymentId, { reason: 'nightly' });
      const unknown = randomUUID();

      const v1 = await register(scientist(d), d, { refreshRunId: unknown });
      const v2 = await register(scientist(d), d, { refreshRunId: foreignRun.id });
      expect([v1.version, v2.version]).toEqual([2, 3]);
      expect(v1.lineage).toEqual({ refreshRunId: unknown });
      expect(shadows.calls.filter((c) => c.versionId === v1.id || c.versionId === v2.id)).toEqual([]);
      expect(await db.dataSource.getRepository(RefreshRunEntity).findOneByOrFail({ id: foreignRun.id })).toMatchObject({ state: 'DELIVERED', newVersionId: null });
      expect(lines.find((l) => l['versionId'] === v1.id && l.level === 40)!.msg).toContain('no such refresh run exists');
      expect(lines.find((l) => l['versionId'] === v2.id && l.level === 40)!.msg).toContain(`the run is for model ${other.modelId}`);
    });

    it('a failing version listener never fails the registration', async () => {
      const d = await seedDeployment(db.dataSource);
      const stop = registry.onVersionRegistered(() => {
        throw new Error('listener broke');
      });
      try {
        const version = await register(scientist(d), d, { codeCommit: 'def456' });
        expect(await registry.versionById(version.id)).toMatchObject({ id: version.id, version: 2, lineage: { codeCommit: 'def456' } });
        expect(lines.find((l) => l['versionId'] === version.id && l.level === 50)).toMatchObject({ msg: expect.stringContaining('version-registered listener failed'), err: { message: 'listener broke' } });
      } finally {
        stop();
      }
    });
  });
});
