/**
 * The behaviour every JobQueue adapter must show, as one Jest suite. Run it from a spec with
 * `describeJobQueueContract('adapter name', factory)`. Timing checks are lower bounds only
 * (a delay must have passed); nothing asserts that work was fast.
 */
import type { Logger } from '@modelport/observability';
import type { JobInfo, JobQueue } from './job-queue';
import { QueueErrorCode } from './queue.errors';

export interface JobQueueFactoryOptions {
  /**
   * Unique per test. Two queues opened with the same namespace share their jobs when the
   * adapter is durable (as two processes on the same Redis prefix would).
   */
  readonly namespace: string;
  readonly logger: Logger;
}

export type JobQueueFactory = (options: JobQueueFactoryOptions) => JobQueue;

import { capturingLogger, silentLogger } from '@modelport/observability';
import { eventually, sleep } from '@modelport/testing';

export { capturingLogger, eventually, sleep };

interface Gate {
  readonly promise: Promise<void>;
  open(): void;
}

function gate(): Gate {
  let open!: () => void;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

const WAIT_MS = 15_000;

export function describeJobQueueContract(name: string, factory: JobQueueFactory): void {
  describe(`JobQueue contract: ${name}`, () => {
    let testNumber = 0;
    let namespace = '';
    let opened: JobQueue[] = [];
    let gates: Gate[] = [];

    function open(options: { logger?: Logger } = {}): JobQueue {
      const queue = factory({ namespace, logger: options.logger ?? silentLogger() });
      opened.push(queue);
      return queue;
    }

    function newGate(): Gate {
      const created = gate();
      gates.push(created);
      return created;
    }

    beforeEach(() => {
      testNumber += 1;
      namespace = `t${testNumber}`;
      opened = [];
      gates = [];
    });

    afterEach(async () => {
      for (const g of gates) g.open();
      await Promise.all(opened.map((queue) => queue.close()));
    });

    it('runs an enqueued job to completed and keeps its return value', async () => {
      const queue = open();
      queue.register<{ n: number }, { doubled: number }>('double', async (job) => ({ doubled: job.data.n * 2 }));
      await queue.start();

      const id = await queue.enqueue('double', { n: 21 });
      const info = await queue.waitFor(id, WAIT_MS);

      expect(info).toMatchObject({
        id,
        name: 'double',
        state: 'completed',
        returnValue: { doubled: 42 },
        attemptsMade: 1,
        failedReason: null,
        stacktrace: [],
      });
      expect(info.finishedAt).toBeInstanceOf(Date);
      expect(info.finishedAt!.getTime()).toBeGreaterThanOrEqual(info.createdAt.getTime());
      expect(await queue.getJob(id)).toEqual(info);
      expect(await queue.getJob('no-such-job')).toBeNull();
    });

    it('runs a job enqueued before start() once the queue starts', async () => {
      const queue = open();
      queue.register('warm-cache', async () => 'warm');

      const id = await queue.enqueue('warm-cache', {});
      expect((await queue.getJob(id))?.state).toBe('waiting');
      await queue.start();

      expect(await queue.waitFor(id, WAIT_MS)).toMatchObject({ state: 'completed', returnValue: 'warm' });
    });

    it('hands the handler a JSON copy of the data and keeps the data on the job', async () => {
      const queue = open();
      const seen: Array<{ id: string; name: string; attempt: number; data: unknown }> = [];
      queue.register<Record<string, unknown>, null>('ingest', async (job) => {
        seen.push({ id: job.id, name: job.name, attempt: job.attempt, data: structuredClone(job.data) });
        (job.data as { tags: string[] }).tags.push('mutated by handler');
        return null;
      });
      await queue.start();
      const data = {
        model: 'churn-xgb',
        version: 7,
        threshold: 0.25,
        active: true,
        owner: null,
        tags: ['prod', 'ünïcødé ✓'],
        nested: { metrics: [{ auc: 0.91 }], empty: {} },
        optional: undefined,
      };

      const id = await queue.enqueue('ingest', data);
      const info = await queue.waitFor(id, WAIT_MS);

      const { optional: _dropped, ...expected } = data;
      expect(seen).toEqual([{ id, name: 'ingest', attempt: 1, data: expected }]);
      expect(Object.prototype.hasOwnProperty.call(seen[0]!.data, 'optional')).toBe(false);
      expect(info.data).toEqual(expected);
      expect(info.returnValue).toBeNull();
      expect(data.tags).toEqual(['prod', 'ünïcødé ✓']);
    });

    it('rejects data that is not JSON-serialisable and enqueues nothing', async () => {
      const queue = open();
      queue.register('score', async () => null);
      const circular: Record<string, unknown> = { a: 1 };
      circular['self'] = circular;
      const cases: Array<[unknown, string]> = [
        [{ at: new Date() }, 'data.at'],
        [circular, 'data.self'],
        [{ big: 10n }, 'data.big'],
        [{ fn: () => 1 }, 'data.fn'],
        [{ rows: [1, Number.NaN] }, 'data.rows[1]'],
        [{ lookup: new Map() }, 'data.lookup'],
        [undefined, 'data'],
      ];

      for (const [data, path] of cases) {
        const attempt = queue.enqueue('score', data);
        await expect(attempt).rejects.toMatchObject({ code: QueueErrorCode.DATA_NOT_SERIALIZABLE });
        await expect(attempt).rejects.toThrow(path);
      }
      expect(await queue.listJobs({})).toEqual([]);
    });

    it('retries a failing handler with the configured exponential backoff until it succeeds', async () => {
      const queue = open();
      const starts: number[] = [];
      const failures: number[] = [];
      const attempts: number[] = [];
      queue.register<null, string>('flaky', async (job) => {
        starts.push(Date.now());
        attempts.push(job.attempt);
        if (job.attempt < 3) {
          failures.push(Date.now());
          throw new Error(`registry unreachable (try ${job.attempt})`);
        }
        return 'ok';
      });
      await queue.start();

      const id = await queue.enqueue('flaky', null, { attempts: 3, backoff: { type: 'exponential', delayMs: 200 } });
      const info = await queue.waitFor(id, WAIT_MS);

      expect(info).toMatchObject({ state: 'completed', returnValue: 'ok', attemptsMade: 3 });
      expect(attempts).toEqual([1, 2, 3]);
      // 200 ms after the first failure, 400 ms after the second.
      expect(starts[1]! - failures[0]!).toBeGreaterThanOrEqual(200);
      expect(starts[2]! - failures[1]!).toBeGreaterThanOrEqual(400);
      // The last failure stays visible on the completed job, one stack per failed try.
      expect(info.failedReason).toBe('registry unreachable (try 2)');
      expect(info.stacktrace).toHaveLength(2);
      expect(info.stacktrace[0]).toContain('registry unreachable (try 1)');
      expect(info.stacktrace[1]).toContain('registry unreachable (try 2)');
    });

    it('shows a job waiting for its retry as delayed, with the error so far', async () => {
      const queue = open();
      queue.register('slow-retry', async () => {
        throw new Error('feature store timeout');
      });
      await queue.start();

      const id = await queue.enqueue('slow-retry', null, { attempts: 2, backoff: { type: 'fixed', delayMs: 10_000 } });
      const info = await eventually(async () => {
        const job = await queue.getJob(id);
        return job && job.attemptsMade === 1 ? job : null;
      }, 'the first attempt to fail');

      expect(info).toMatchObject({ state: 'delayed', failedReason: 'feature store timeout', finishedAt: null });
      expect((await queue.listJobs({ states: ['delayed'] })).map((job) => job.id)).toEqual([id]);
    });

    it('defaults to 3 attempts with exponential backoff from 1000 ms', async () => {
      const queue = open();
      const starts: number[] = [];
      const failures: number[] = [];
      queue.register('always-down', async () => {
        starts.push(Date.now());
        failures.push(Date.now());
        throw new Error('upstream down');
      });
      await queue.start();

      const id = await queue.enqueue('always-down', {});
      const info = await queue.waitFor(id, WAIT_MS);

      expect(info).toMatchObject({ state: 'failed', attemptsMade: 3, failedReason: 'upstream down' });
      expect(starts).toHaveLength(3);
      expect(starts[1]! - failures[0]!).toBeGreaterThanOrEqual(1000);
      expect(starts[2]! - failures[1]!).toBeGreaterThanOrEqual(2000);
    });

    it('fails a job for good after its last attempt, with the error visible in getJob and listJobs', async () => {
      const queue = open();
      queue.register<{ model: string }, never>('deploy', async (job) => {
        throw new Error(`model file missing for ${job.data.model} (try ${job.attempt})`);
      });
      queue.register('legacy', async () => {
        throw 'plain string thrown';
      });
      queue.register('bad-result', async () => ({ at: new Date() }));
      await queue.start();

      const id = await queue.enqueue('deploy', { model: 'churn' }, { attempts: 2, backoff: { type: 'fixed', delayMs: 50 } });
      const legacyId = await queue.enqueue('legacy', null, { attempts: 1 });
      const badResultId = await queue.enqueue('bad-result', null, { attempts: 1 });
      const info = await queue.waitFor(id, WAIT_MS);

      expect(info).toMatchObject({
        state: 'failed',
        attemptsMade: 2,
        failedReason: 'model file missing for churn (try 2)',
        returnValue: null,
      });
      expect(info.finishedAt).toBeInstanceOf(Date);
      expect(info.stacktrace).toHaveLength(2);
      expect(info.stacktrace[1]).toContain('model file missing for churn (try 2)');
      expect(await queue.waitFor(legacyId, WAIT_MS)).toMatchObject({ state: 'failed', failedReason: 'plain string thrown' });
      const badResult = await queue.waitFor(badResultId, WAIT_MS);
      expect(badResult.state).toBe('failed');
      expect(badResult.failedReason).toContain('not JSON-serialisable');

      const failed = await queue.listJobs({ states: ['failed'] });
      expect(failed.map((job) => job.id).sort()).toEqual([id, legacyId, badResultId].sort());
      expect(failed.find((job) => job.id === id)).toMatchObject({
        name: 'deploy',
        failedReason: 'model file missing for churn (try 2)',
      });
      expect(await queue.listJobs({ states: ['completed'] })).toEqual([]);
    });

    it('does not run a delayed job before its delay has passed', async () => {
      const queue = open();
      let startedAt = 0;
      queue.register('nightly', async () => {
        startedAt = Date.now();
        return 'ran';
      });
      await queue.start();

      const enqueuedAt = Date.now();
      const id = await queue.enqueue('nightly', null, { delayMs: 800 });
      const before = await queue.getJob(id);
      const info = await queue.waitFor(id, WAIT_MS);

      expect(before?.state).toBe('delayed');
      expect(info.state).toBe('completed');
      expect(startedAt - enqueuedAt).toBeGreaterThanOrEqual(800);
    });

    it('never runs more jobs of one name at once than its concurrency', async () => {
      const queue = open();
      let running = 0;
      let maxRunning = 0;
      queue.register(
        'batch-predict',
        async () => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          // Hold until two jobs have overlapped once, so a limit of 1 would show as maxRunning 1.
          await eventually(() => maxRunning >= 2, 'two jobs running together', 3_000).catch(() => undefined);
          await sleep(50);
          running -= 1;
          return null;
        },
        { concurrency: 2 },
      );
      const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => queue.enqueue('batch-predict', { i })));
      await queue.start();

      const infos = await Promise.all(ids.map((id) => queue.waitFor(id, WAIT_MS)));

      expect(infos.map((info) => info.state)).toEqual(Array(6).fill('completed'));
      expect(maxRunning).toBe(2);
    });

    it('deduplicates jobs by jobId, even after the first one completed', async () => {
      const queue = open();
      const runs: unknown[] = [];
      queue.register<{ v: number }, null>('report', async (job) => {
        runs.push(job.data);
        return null;
      });
      queue.register('sentinel', async () => null);

      const first = await queue.enqueue('report', { v: 1 }, { jobId: 'report-2024-06' });
      const second = await queue.enqueue('report', { v: 2 }, { jobId: 'report-2024-06' });
      await queue.start();
      const info = await queue.waitFor(first, WAIT_MS);
      const third = await queue.enqueue('report', { v: 3 }, { jobId: 'report-2024-06' });
      // Job order is FIFO per name: had the third enqueue added a job, it would run before this one.
      await queue.waitFor(await queue.enqueue('report', { v: 4 }), WAIT_MS);

      expect([first, second, third]).toEqual(['report-2024-06', 'report-2024-06', 'report-2024-06']);
      expect(info.data).toEqual({ v: 1 });
      expect(runs).toEqual([{ v: 1 }, { v: 4 }]);
      await expect(queue.enqueue('sentinel', null, { jobId: 'report-2024-06' })).rejects.toMatchObject({
        code: QueueErrorCode.JOB_ID_CONFLICT,
      });
      await expect(queue.enqueue('report', null, { jobId: '42' })).rejects.toMatchObject({
        code: QueueErrorCode.INVALID_ARGUMENT,
      });
    });

    it('reports progress while a job runs and refuses progress outside 0..100', async () => {
      const queue = open();
      const release = newGate();
      let badProgressCode: unknown = null;
      queue.register('train', async (job) => {
        await job.updateProgress(40);
        await job.updateProgress(150).catch((err: { code?: unknown }) => (badProgressCode = err.code));
        await release.promise;
        await job.updateProgress(100);
        return 'trained';
      });
      await queue.start();

      const id = await queue.enqueue('train', null);
      const midway = await eventually(async () => {
        const job = await queue.getJob(id);
        return job?.progress === 40 && badProgressCode !== null ? job : null;
      }, 'progress 40');
      release.open();
      const info = await queue.waitFor(id, WAIT_MS);

      expect(midway.state).toBe('active');
      expect(badProgressCode).toBe(QueueErrorCode.INVALID_ARGUMENT);
      expect(info).toMatchObject({ state: 'completed', progress: 100 });
    });

    it('rejects waitFor with a timeout error while the job is unfinished, and for unknown jobs', async () => {
      const queue = open();
      const release = newGate();
      queue.register('long-export', async () => {
        await release.promise;
        return 'exported';
      });
      await queue.start();
      const id = await queue.enqueue('long-export', null);

      await expect(queue.waitFor(id, 300)).rejects.toMatchObject({ code: QueueErrorCode.WAIT_TIMEOUT });
      await expect(queue.waitFor('never-enqueued', 300)).rejects.toMatchObject({ code: QueueErrorCode.JOB_NOT_FOUND });
      release.open();
      expect(await queue.waitFor(id, WAIT_MS)).toMatchObject({ state: 'completed', returnValue: 'exported' });
    });

    it('close() waits for the active job and starts no new one', async () => {
      const queue = open();
      const startedA = gate();
      let finishedA = false;
      let startedB = false;
      queue.register<{ which: string }, string>(
        'export',
        async (job) => {
          if (job.data.which === 'B') {
            startedB = true;
            return 'B done';
          }
          startedA.open();
          await sleep(400);
          finishedA = true;
          return 'A done';
        },
        { concurrency: 1 },
      );
      await queue.start();
      const a = await queue.enqueue('export', { which: 'A' });
      const b = await queue.enqueue('export', { which: 'B' });
      await startedA.promise;

      await queue.close();

      expect(finishedA).toBe(true);
      expect(startedB).toBe(false);
      await expect(queue.enqueue('export', { which: 'C' })).rejects.toMatchObject({ code: QueueErrorCode.QUEUE_CLOSED });
      await expect(queue.getJob(a)).rejects.toMatchObject({ code: QueueErrorCode.QUEUE_CLOSED });
      if (queue.durable) {
        const reopened = open();
        expect(await reopened.getJob(a)).toMatchObject({ state: 'completed', returnValue: 'A done' });
        expect(await reopened.getJob(b)).toMatchObject({ state: 'waiting' });
      }
    });

    it('refuses a second handler for the same name, late registration and bad names', async () => {
      const queue = open();
      queue.register('retrain', async () => null);

      expect(() => queue.register('retrain', async () => null)).toThrow(
        expect.objectContaining({ code: QueueErrorCode.DUPLICATE_REGISTRATION }),
      );
      expect(() => queue.register('bad:name', async () => null)).toThrow(
        expect.objectContaining({ code: QueueErrorCode.INVALID_JOB_NAME }),
      );
      expect(() => queue.register('zero', async () => null, { concurrency: 0 })).toThrow(
        expect.objectContaining({ code: QueueErrorCode.INVALID_ARGUMENT }),
      );
      await queue.start();
      expect(() => queue.register('late', async () => null)).toThrow(
        expect.objectContaining({ code: QueueErrorCode.REGISTER_AFTER_START }),
      );
    });

    it('removes a job as soon as it completes when asked to, and keeps failed ones', async () => {
      const queue = open();
      let ran = false;
      queue.register<{ fail: boolean }, string>('cleanup', async (job) => {
        if (job.data.fail) throw new Error('cleanup failed');
        ran = true;
        return 'done';
      });
      await queue.start();

      const id = await queue.enqueue('cleanup', { fail: false }, { removeOnComplete: true });
      const failedId = await queue.enqueue('cleanup', { fail: true }, { removeOnComplete: true, attempts: 1 });
      await eventually(async () => ran && (await queue.getJob(id)) === null, 'the completed job to be removed');

      await expect(queue.waitFor(id, 1_000)).rejects.toMatchObject({ code: QueueErrorCode.JOB_NOT_FOUND });
      expect(await queue.waitFor(failedId, WAIT_MS)).toMatchObject({ state: 'failed', failedReason: 'cleanup failed' });
      expect((await queue.listJobs({})).map((job) => job.id)).toEqual([failedId]);
    });

    it('lists jobs by name and state, newest first, up to the limit', async () => {
      const queue = open();
      queue.register('evaluate', async () => null);
      queue.register('publish', async () => null);
      const evaluate: string[] = [];
      for (let i = 0; i < 3; i += 1) {
        evaluate.push(await queue.enqueue('evaluate', { i }));
        await sleep(5); // distinct creation times
      }
      const publish = await queue.enqueue('publish', null);

      const all = await queue.listJobs({});
      const evaluateOnly = await queue.listJobs({ name: 'evaluate' });
      const newestTwo = await queue.listJobs({ name: 'evaluate', limit: 2 });

      expect(all.map((job) => job.id)).toEqual([publish, ...[...evaluate].reverse()]);
      expect(all.every((job) => job.state === 'waiting')).toBe(true);
      expect(evaluateOnly.map((job) => job.id)).toEqual([...evaluate].reverse());
      expect(newestTwo.map((job) => job.id)).toEqual([evaluate[2], evaluate[1]]);
      expect(await queue.listJobs({ states: ['active', 'completed', 'failed', 'delayed'] })).toEqual([]);
      await queue.start();
      await Promise.all([...evaluate, publish].map((id) => queue.waitFor(id, WAIT_MS)));
      const completed: JobInfo[] = await queue.listJobs({ name: 'publish', states: ['completed'] });
      expect(completed.map((job) => job.id)).toEqual([publish]);
      await expect(queue.listJobs({ limit: 0 })).rejects.toMatchObject({ code: QueueErrorCode.INVALID_ARGUMENT });
    });

    it("writes a job's log() lines to the logger with the job id", async () => {
      const { logger, lines } = capturingLogger();
      const queue = open({ logger });
      queue.register('explain', async (job) => {
        job.log('computing SHAP values');
        return null;
      });
      await queue.start();

      const id = await queue.enqueue('explain', null);
      await queue.waitFor(id, WAIT_MS);

      expect(lines).toContainEqual(
        expect.objectContaining({ msg: 'computing SHAP values', jobId: id, jobName: 'explain', attempt: 1 }),
      );
    });
  });
}
