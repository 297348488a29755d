import { randomBytes, randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { testServices } from '@modelport/config';
import { ModelportError } from '@modelport/errors';
import { GovernanceErrorCode } from '@modelport/governance';
import { MonitoringSettingsService } from '@modelport/monitoring';
import { silentLogger } from '@modelport/observability';
import { createJobQueue, type JobQueue } from '@modelport/queue';
import { DeploymentErrorCode } from '@modelport/serving';
import { caught, createTestDatabase, eventually, type TestDatabase } from '@modelport/testing';
import { callerOf, comparisonTestSchema, insertLog, manualClock, seedDeployment, SqlDeploymentLookup, type LogRow, type Seeded } from '../comparison.fixture';
import { StartReplayInput as StartReplayObjectInput } from '../graphql/comparison.objects';
import { ComparisonResolver } from '../graphql/comparison.resolver';
import { ComparisonErrorCode } from './comparison.errors';
import type { JsonTensor, ReplayScorer, ScoreFunction } from './comparison.ports';
import { ComparisonService } from './comparison.service';
import { UNCOMPARABLE } from './outputs';
import { replayPredictionId } from './replay-id';
import { registerReplayJobs } from './replay.jobs';
import { REPLAY_JOB, ReplayService, type ReplayOptions, type StartReplayInput } from './replay.service';

const at = (hhmmss: string) => new Date(`2026-11-02T${hhmmss}Z`);
const second = (i: number) => new Date(at('09:00:00').getTime() + i * 1000);
const WINDOW = { from: at('09:00:00'), to: at('10:00:00') };
const NOW = at('12:00:00');

/** A threshold model: label 1 above the threshold, with P(1) = x. */
function thresholdOutputs(x: number, threshold: number): JsonTensor[] {
  return [
    { name: 'label', datatype: 'INT64', shape: [1], data: [x > threshold ? 1 : 0] },
    { name: 'probabilities', datatype: 'FP32', shape: [1, 2], data: [1 - x, x] },
  ];
}
const inputsOf = (x: number): JsonTensor[] => [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: [x] }];

interface Hooks {
  /** Before scoring the n-th row (0-based, over the scorer's life). */
  beforeScore?(x: number, n: number): Promise<void> | void;
  fail?(x: number): Error | null;
  /** Replaces the score function handed to fn for the n-th load (0-based). */
  load?(n: number, score: ScoreFunction, fn: (score: ScoreFunction) => Promise<unknown>): Promise<unknown>;
}

/** The replayed version: a threshold model at 0.6 (the champion's threshold is 0.5). */
class FakeScorer implements ReplayScorer {
  readonly loads: [string, string][] = [];
  readonly scored: number[] = [];

  constructor(private readonly hooks: Hooks = {}) {}

  async withVersion<T>(deploymentId: string, versionId: string, fn: (score: ScoreFunction) => Promise<T>): Promise<T> {
    const n = this.loads.length;
    this.loads.push([deploymentId, versionId]);
    const score: ScoreFunction = async (inputs) => {
      const x = inputs[0]!.data[0] as number;
      await this.hooks.beforeScore?.(x, this.scored.length);
      this.scored.push(x);
      const error = this.hooks.fail?.(x);
      if (error) throw error;
      return thresholdOutputs(x, 0.6);
    };
    return this.hooks.load ? ((await this.hooks.load(n, score, fn as (score: ScoreFunction) => Promise<unknown>)) as T) : fn(score);
  }
}

describe('ReplayService against PostgreSQL', () => {
  let db: TestDatabase;
  let lookup: SqlDeploymentLookup;
  let settings: MonitoringSettingsService;
  let comparison: ComparisonService;
  const clock = manualClock(NOW);
  const queues: JobQueue[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(comparisonTestSchema);
    lookup = new SqlDeploymentLookup(db.dataSource);
    settings = new MonitoringSettingsService(db.dataSource, lookup);
    comparison = new ComparisonService(db.dataSource, lookup, settings);
  });
  afterEach(async () => {
    while (queues.length) await queues.pop()!.close();
  });
  afterAll(() => db.drop());

  interface Scenario {
    d: Seeded;
    owner: ReturnType<typeof callerOf>;
    input: StartReplayInput;
    /** Live prediction ids of x = i / 100, i = 0..99, in time order; then the two failed live requests. */
    liveIds: string[];
  }

  /**
   * A deployment whose champion (version 1, a threshold model at 0.5) answered x = i / 100 for
   * i = 0..99 in the window, plus 2 failed requests with stored inputs: 102 eligible rows. Not
   * eligible: requests without payload, answers of the replayed version itself, rows outside the window.
   * The champion took 50 ms per request, so the fake version's measured latency never makes it worse.
   */
  async function scenario(): Promise<Scenario> {
    const d = await seedDeployment(db.dataSource);
    const [v1, v2] = d.versions as [string, string];
    const owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
    await settings.set(owner, d.deploymentId, { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] });
    const live: LogRow[] = Array.from({ length: 100 }, (_, i) => ({ receivedAt: second(i), versionId: v1, inputs: inputsOf(i / 100), outputs: thresholdOutputs(i / 100, 0.5), latencyUs: 50_000 }));
    live.push({ receivedAt: second(200), versionId: v1, status: 'error', inputs: inputsOf(0.995), latencyUs: 10 });
    live.push({ receivedAt: second(201), versionId: v1, status: 'error', inputs: inputsOf(0.996), latencyUs: 10 });
    const liveIds = await insertLog(db.dataSource, d, live);
    await insertLog(db.dataSource, d, [
      ...Array.from({ length: 3 }, (_, k) => ({ receivedAt: second(300 + k), versionId: v1, payloadStored: false })),
      ...Array.from({ length: 3 }, (_, k) => ({ receivedAt: second(400 + k), versionId: v2, inputs: inputsOf(0.5), outputs: thresholdOutputs(0.5, 0.6) })),
      { receivedAt: at('08:59:59'), versionId: v1, inputs: inputsOf(0.7), outputs: thresholdOutputs(0.7, 0.5) },
      { receivedAt: at('10:00:00'), versionId: v1, inputs: inputsOf(0.7), outputs: thresholdOutputs(0.7, 0.5) },
    ]);
    return { d, owner, liveIds, input: { deploymentId: d.deploymentId, versionId: v2, ...WINDOW, maxRows: 1000 } };
  }

  async function harness(scorer: ReplayScorer, options: Partial<ReplayOptions> = {}, queue: JobQueue = createJobQueue({ redisUrl: null, prefix: 'replay-test', logger: silentLogger() })) {
    const service = new ReplayService(db.dataSource, queue, lookup, scorer, {
      logger: silentLogger(),
      maxPageSize: 10,
      batchRows: 25,
      jobAttempts: 2,
      backoff: { type: 'fixed', delayMs: 10 },
      clock,
      ...options,
    });
    registerReplayJobs(queue, service);
    await queue.start();
    queues.push(queue);
    return {
      queue,
      service,
      async replay(s: Scenario, input: Partial<StartReplayInput> = {}) {
        const started = await service.start(s.owner, { ...s.input, ...input });
        expect(started).toMatchObject({ state: 'QUEUED', total: null, done: 0 });
        const job = await queue.waitFor(`lifecycle-replay-${started.id}`, 30_000);
        return { job, run: await service.get(s.owner, started.id) };
      },
    };
  }

  async function replayRows(runId: string, liveIds: readonly string[]) {
    const ids = liveIds.map((id) => replayPredictionId(runId, id));
    return (await db.dataSource.query(
      `SELECT id::text AS id, shadow_of::text AS shadow_of, role, status, model_version_id::text AS version_id, model_version, model_id::text AS model_id, artifact_sha256,
              payload_stored, inputs, outputs, error_status, error_message, protocol, input_rows, parameters, received_at
         FROM predictions WHERE id = ANY($1::uuid[]) ORDER BY received_at, id`,
      [ids],
    )) as Record<string, unknown>[];
  }

  it('refuses bad input with a clear error, creating no run', async () => {
    const s = await scenario();
    const { service } = await harness(new FakeScorer());
    const cases: [Partial<StartReplayInput>, string, RegExp][] = [
      [{ versionId: s.d.foreignVersionId }, ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL, /is not a version of the model this deployment serves/],
      [{ versionId: 'latest' }, ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL, /"latest" is not a version/],
      [{ versionId: s.d.versions[0]! }, ComparisonErrorCode.VERSION_IS_CHAMPION, /is the deployment's champion/],
      [{ from: WINDOW.to, to: WINDOW.from }, ComparisonErrorCode.INVALID_WINDOW, /must be before to/],
      [{ to: new Date(NOW.getTime() + 60_000) }, ComparisonErrorCode.INVALID_WINDOW, /is in the future/],
      [{ from: new Date(Number.NaN) }, ComparisonErrorCode.INVALID_WINDOW, /valid dates/],
      [{ maxRows: 0 }, ComparisonErrorCode.INVALID_ARGUMENT, /maxRows must be a whole number from 1 to 1000000 \(got 0\)/],
      [{ maxRows: 1_000_001 }, ComparisonErrorCode.INVALID_ARGUMENT, /maxRows/],
      [{ maxRows: 2.5 }, ComparisonErrorCode.INVALID_ARGUMENT, /maxRows/],
    ];
    for (const [change, code, message] of cases) {
      const error = await caught(service.start(s.owner, { ...s.input, ...change }));
      expect([error.code, error.kind, error.message]).toEqual([code, 'BAD_USER_INPUT', expect.stringMatching(message)]);
    }
    expect((await caught(service.start(callerOf(randomUUID(), []), s.input))).code).toBe(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND);
    expect((await caught(service.start(callerOf(randomUUID(), [[s.d.projectId, 'viewer']]), s.input))).code).toBe(GovernanceErrorCode.FORBIDDEN);
    expect(await db.dataSource.query(`SELECT count(*)::int AS n FROM replay_runs WHERE deployment_id = $1`, [s.d.deploymentId])).toEqual([{ n: 0 }]);
  });

  it('replays the eligible live predictions in batches with progress, writing paired replay rows the comparison reads', async () => {
    const s = await scenario();
    const doneAtBatchStart: number[] = [];
    let runId = '';
    const scorer = new FakeScorer({
      beforeScore: async (_x, n) => {
        if (n % 25 === 0) doneAtBatchStart.push((await db.dataSource.query(`SELECT done FROM replay_runs WHERE id = $1`, [runId]))[0].done);
      },
    });
    const { service, queue } = await harness(scorer);
    const started = await service.start(s.owner, s.input);
    runId = started.id;
    const job = await queue.waitFor(`lifecycle-replay-${runId}`, 30_000);
    const run = await service.get(s.owner, runId);
    expect(job).toMatchObject({ state: 'completed', progress: 100, returnValue: { runId, state: 'SUCCEEDED', total: 102, done: 102, failed: 0 } });
    expect(run).toMatchObject({ state: 'SUCCEEDED', total: 102, done: 102, failed: 0, error: null, versionId: s.d.versions[1], championVersionId: s.d.versions[0], createdBy: s.d.ownerId });
    expect(run.startedAt).toEqual(NOW);
    expect(run.finishedAt).toEqual(NOW);
    expect(doneAtBatchStart).toEqual([0, 25, 50, 75, 100]);
    expect(scorer.loads).toEqual([[s.d.deploymentId, s.d.versions[1]]]);
    expect(scorer.scored).toHaveLength(102);

    const rows = await replayRows(runId, s.liveIds);
    expect(rows).toHaveLength(102);
    expect(rows.map((r) => r['shadow_of']).sort()).toEqual([...s.liveIds].sort());
    expect(rows[0]).toMatchObject({
      role: 'replay',
      status: 'ok',
      version_id: s.d.versions[1],
      model_version: 2,
      model_id: s.d.modelId,
      artifact_sha256: '2'.repeat(64),
      payload_stored: true,
      inputs: null,
      protocol: 'rest',
      input_rows: 1,
      parameters: { replay_run_id: runId },
      received_at: NOW,
    });
    const byLive = new Map(rows.map((r) => [r['shadow_of'], r]));
    expect(byLive.get(s.liveIds[55]!)!['outputs']).toEqual(thresholdOutputs(0.55, 0.6));

    // The champion says 1 above 0.5, the replayed version above 0.6: they disagree on i = 51..60.
    const report = await comparison.compare(s.owner, { deploymentId: s.d.deploymentId, challengerVersionId: s.d.versions[1]!, ...WINDOW, source: 'REPLAY' });
    expect(report).toMatchObject({ pairs: 100, comparedPairs: 100, verdict: 'NO_WORSE', classification: { agreeing: 90, agreementRate: 0.9 } });
    expect(report.classification!.confusion).toEqual([
      { champion: '0', challenger: '0', count: 51 },
      { champion: '1', challenger: '1', count: 39 },
      { champion: '1', challenger: '0', count: 10 },
    ]);
    expect(report.challenger).toMatchObject({ requests: 102, errors: 0 });
    expect(report.champion).toMatchObject({ requests: 105, errors: 2 });
  });

  it('resumes a run without duplicating rows, and does nothing for a finished one', async () => {
    const s = await scenario();
    const first = await harness(new FakeScorer());
    const { run } = await first.replay(s);
    // As if the process died after the batch that wrote these rows was rolled back.
    const lost = s.liveIds.slice(40, 70).map((id) => replayPredictionId(run.id, id));
    await db.dataSource.query(`DELETE FROM predictions WHERE id = ANY($1::uuid[])`, [lost]);
    await db.dataSource.query(`UPDATE replay_runs SET state = 'RUNNING', done = done - 30, finished_at = NULL WHERE id = $1`, [run.id]);

    const scorer = new FakeScorer();
    const again = await harness(scorer);
    expect(await again.service.process(run.id)).toEqual({ runId: run.id, state: 'SUCCEEDED', total: 102, done: 102, failed: 0 });
    expect(scorer.scored.sort()).toEqual(Array.from({ length: 30 }, (_, k) => (40 + k) / 100).sort());
    const rows = await replayRows(run.id, s.liveIds);
    expect(rows).toHaveLength(102);
    expect(new Set(rows.map((r) => r['shadow_of'])).size).toBe(102);

    expect(await again.service.process(run.id)).toMatchObject({ state: 'SUCCEEDED', done: 102 });
    expect(await again.service.process(randomUUID())).toMatchObject({ state: 'GONE' });
    expect(scorer.scored).toHaveLength(30);
    // Enqueueing the run's job again adds nothing: the job id is the run's.
    expect(await again.queue.enqueue(REPLAY_JOB, { runId: run.id }, { jobId: `lifecycle-replay-${run.id}` })).toBe(`lifecycle-replay-${run.id}`);
  });

  it('tries again after a failed try, skipping the batches the first try wrote', async () => {
    const s = await scenario();
    const scorer = new FakeScorer({
      load: async (n, score, fn) => {
        if (n > 0) return fn(score);
        // The plugin dies while scoring the 41st row: batch 1 (25 rows) is written, batch 2 is not.
        let crash: (err: Error) => void = () => undefined;
        const crashed = new Promise<never>((_, reject) => (crash = reject));
        let calls = 0;
        const dying: ScoreFunction = (inputs) => {
          if (++calls < 41) return score(inputs);
          crash(new Error('The plugin process exited (code 137).'));
          return new Promise<never>(() => undefined);
        };
        return Promise.race([fn(dying), crashed]);
      },
    });
    const { job, run } = await (await harness(scorer)).replay(s);
    expect(job).toMatchObject({ state: 'completed', attemptsMade: 2, failedReason: 'The plugin process exited (code 137).' });
    expect(run).toMatchObject({ state: 'SUCCEEDED', total: 102, done: 102, failed: 0, error: null });
    expect(scorer.loads).toHaveLength(2);
    // 40 rows scored by the first try, of which 25 were written; the second try scores the other 77.
    expect(scorer.scored).toHaveLength(40 + 77);
    const rows = await replayRows(run.id, s.liveIds);
    expect(new Set(rows.map((r) => r['shadow_of'])).size).toBe(102);
    expect(rows).toHaveLength(102);
  });

  it('records rows the version fails on as errors, and the comparison counts them', async () => {
    const s = await scenario();
    const scorer = new FakeScorer({
      fail: (x) => {
        const i = Math.round(x * 100);
        if (i === 13) return new Error('bad\u0000byte in the input');
        if (i === 93) return new ModelportError('INVALID_INPUT', 'BAD_USER_INPUT', 'x must be below 0.9');
        return i % 10 === 3 ? new Error(`cannot score ${x}`) : null;
      },
    });
    const { run } = await (await harness(scorer)).replay(s);
    expect(run).toMatchObject({ state: 'SUCCEEDED', total: 102, done: 102, failed: 10 });
    const rows = await replayRows(run.id, s.liveIds);
    const failed = rows.filter((r) => r['status'] === 'error');
    expect(failed).toHaveLength(10);
    const byLive = new Map(rows.map((r) => [r['shadow_of'], r]));
    expect(byLive.get(s.liveIds[3]!)).toMatchObject({ status: 'error', error_status: 500, error_message: 'cannot score 0.03', outputs: null, payload_stored: true });
    expect(byLive.get(s.liveIds[13]!)).toMatchObject({ error_message: 'bad\uFFFDbyte in the input' });
    expect(byLive.get(s.liveIds[93]!)).toMatchObject({ error_status: 400, error_message: 'x must be below 0.9' });

    const report = await comparison.compare(s.owner, { deploymentId: s.d.deploymentId, challengerVersionId: s.d.versions[1]!, ...WINDOW, source: 'REPLAY' });
    expect(report).toMatchObject({ pairs: 100, comparedPairs: 90, unscorable: [{ reason: UNCOMPARABLE.challengerFailed, count: 10 }] });
    expect(report.challenger).toMatchObject({ requests: 102, errors: 10, errorRate: 10 / 102 });
    // 90 compared pairs are too few by default; with 90 enough, 9.80% errors against the champion's 1.90% are worse.
    expect(report.verdict).toBe('INSUFFICIENT_DATA');
    const judged = await comparison.compare(s.owner, { deploymentId: s.d.deploymentId, challengerVersionId: s.d.versions[1]!, ...WINDOW, source: 'REPLAY', thresholds: { minPairs: 90 } });
    expect(judged.verdict).toBe('CHALLENGER_WORSE');
  });

  it('stops a cancelled run before its next batch, keeping what it wrote', async () => {
    const s = await scenario();
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    let blocked = false;
    const scorer = new FakeScorer({
      beforeScore: async (_x, n) => {
        if (n === 10) {
          blocked = true;
          await gate;
        }
      },
    });
    const { service, queue } = await harness(scorer, { batchRows: 10 });
    const started = await service.start(s.owner, s.input);
    await eventually(() => blocked, 'the second batch to start');
    const viewer = callerOf(randomUUID(), [[s.d.projectId, 'viewer']]);
    expect((await caught(service.cancel(viewer, started.id))).code).toBe(GovernanceErrorCode.FORBIDDEN);
    expect(await service.cancel(s.owner, started.id)).toMatchObject({ state: 'CANCELLED', done: 10, finishedAt: NOW });
    release();
    const job = await queue.waitFor(`lifecycle-replay-${started.id}`, 30_000);
    expect(job).toMatchObject({ state: 'completed', returnValue: { state: 'CANCELLED', done: 10 } });
    expect(await service.get(s.owner, started.id)).toMatchObject({ state: 'CANCELLED', total: 102, done: 10, failed: 0 });
    expect(await replayRows(started.id, s.liveIds)).toHaveLength(10);
    expect(await service.cancel(s.owner, started.id)).toMatchObject({ state: 'CANCELLED' });

    const { run } = await (await harness(new FakeScorer())).replay(s, { maxRows: 5 });
    expect(run).toMatchObject({ state: 'SUCCEEDED', total: 5, done: 5 });
    const finished = await caught(service.cancel(s.owner, run.id));
    expect([finished.code, finished.kind, finished.message]).toEqual([ComparisonErrorCode.REPLAY_FINISHED, 'CONFLICT', `Replay run ${run.id} has already succeeded; there is nothing to cancel.`]);
    expect((await caught(service.cancel(s.owner, randomUUID()))).code).toBe(ComparisonErrorCode.REPLAY_RUN_NOT_FOUND);
  });

  it('marks the run FAILED when the last try fails, and succeeds at once on an empty window', async () => {
    const s = await scenario();
    const scorer = new FakeScorer({ load: async () => Promise.reject(new Error('Version 2 could not be loaded: no plugin serves format "onnx".')) });
    const { job, run } = await (await harness(scorer)).replay(s);
    expect(job).toMatchObject({ state: 'failed', attemptsMade: 2 });
    expect(run).toMatchObject({ state: 'FAILED', total: 102, done: 0, error: 'Version 2 could not be loaded: no plugin serves format "onnx".', finishedAt: NOW });
    expect(scorer.loads).toHaveLength(2);

    const idle = new FakeScorer();
    const empty = await (await harness(idle)).replay(s, { from: at('06:00:00'), to: at('07:00:00') });
    expect(empty.run).toMatchObject({ state: 'SUCCEEDED', total: 0, done: 0 });
    expect(idle.loads).toEqual([]);
  });

  it('allows one active replay per version, fails a run it cannot queue, and lists runs newest first', async () => {
    const s = await scenario();
    const idle = new ReplayService(db.dataSource, { enqueue: async () => 'queued' }, lookup, new FakeScorer(), { logger: silentLogger(), maxPageSize: 2, clock });
    const first = await idle.start(s.owner, s.input);
    const second = await caught(idle.start(s.owner, s.input));
    expect([second.code, second.kind, second.details]).toEqual([ComparisonErrorCode.REPLAY_ALREADY_RUNNING, 'CONFLICT', { runId: first.id }]);
    expect(second.message).toMatch(/already queued \(run .*\); wait for it or cancel it/);
    await idle.cancel(s.owner, first.id);

    const broken = new ReplayService(db.dataSource, { enqueue: async () => Promise.reject(new Error('Redis is unreachable')) }, lookup, new FakeScorer(), {
      logger: silentLogger(),
      maxPageSize: 2,
      clock,
    });
    await expect(broken.start(s.owner, s.input)).rejects.toThrow('Redis is unreachable');
    const [failed] = (await db.dataSource.query(`SELECT id::text AS id, state, error FROM replay_runs WHERE deployment_id = $1 AND state = 'FAILED'`, [s.d.deploymentId])) as {
      id: string;
      state: string;
      error: string;
    }[];
    expect(failed).toMatchObject({ error: 'The replay could not be queued: Redis is unreachable' });

    clock.set(new Date(NOW.getTime() + 1000));
    const third = await idle.start(s.owner, { ...s.input, versionId: s.d.versions[2]! });
    clock.set(NOW);
    const page1 = await idle.list(s.owner, s.d.deploymentId, { first: 2 });
    expect(page1.items.map((r) => r.id)).toEqual([third.id, expect.any(String)]);
    expect(page1.hasNextPage).toBe(true);
    const page2 = await idle.list(s.owner, s.d.deploymentId, { first: 2, after: page1.endCursor });
    expect(new Set([...page1.items, ...page2.items].map((r) => r.id))).toEqual(new Set([first.id, failed!.id, third.id]));
    expect(page2.hasNextPage).toBe(false);
    expect((await caught(idle.list(s.owner, s.d.deploymentId, { first: 3 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
    expect((await caught(idle.list(s.owner, s.d.deploymentId, { after: 'garbage' }))).code).toBe('INVALID_CURSOR');

    const outsider = callerOf(randomUUID(), []);
    expect((await caught(idle.get(outsider, first.id))).code).toBe(ComparisonErrorCode.REPLAY_RUN_NOT_FOUND);
    expect((await caught(idle.get(s.owner, 'not-an-id'))).code).toBe(ComparisonErrorCode.REPLAY_RUN_NOT_FOUND);
    expect((await caught(idle.list(outsider, s.d.deploymentId))).code).toBe(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND);

    // The GraphQL side maps runs, pages and progress.
    const resolver = new ComparisonResolver(comparison, idle);
    const viewer = callerOf(randomUUID(), [[s.d.projectId, 'viewer']]);
    expect(await resolver.replayRun(viewer, third.id)).toMatchObject({ id: third.id, state: 'QUEUED', from: WINDOW.from, to: WINDOW.to, maxRows: 1000, total: null, progress: null });
    const connection = await resolver.replayRuns(viewer, s.d.deploymentId, { first: 1 });
    expect(connection).toMatchObject({ nodes: [{ id: third.id }], pageInfo: { hasNextPage: true } });
    expect(await resolver.cancelReplay(s.owner, third.id)).toMatchObject({ state: 'CANCELLED', progress: null });
    const fourth = await resolver.startReplay(s.owner, Object.assign(new StartReplayObjectInput(), { ...s.input, maxRows: 7 }));
    expect(fourth).toMatchObject({ state: 'QUEUED', maxRows: 7, versionId: s.d.versions[1] });
  });

  it('runs through BullMQ on Redis', async () => {
    const s = await scenario();
    const prefix = `mp-test-replay-${randomBytes(6).toString('hex')}`;
    const { redisUrl } = testServices();
    const queue = createJobQueue({ redisUrl, prefix, logger: silentLogger() });
    const scorer = new FakeScorer();
    try {
      const { job, run } = await (await harness(scorer, {}, queue)).replay(s, { maxRows: 30 });
      expect(job).toMatchObject({ state: 'completed', progress: 100 });
      expect(run).toMatchObject({ state: 'SUCCEEDED', total: 30, done: 30, failed: 0 });
      expect(await replayRows(run.id, s.liveIds)).toHaveLength(30);
    } finally {
      queues.splice(queues.indexOf(queue), 1);
      await queue.close();
      const redis = new Redis(redisUrl);
      const keys = await redis.keys(`${prefix}:*`);
      if (keys.length) await redis.del(...keys);
      await redis.quit();
    }
  });
});
