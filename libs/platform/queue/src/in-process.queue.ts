import { randomUUID } from 'node:crypto';
import type { Logger } from '@modelport/observability';
import type { JobContext, JobHandler, JobInfo, JobOptions, JobQueue, JobState, ListJobsFilter } from './job-queue';
import {
  assertJobName,
  assertProgress,
  assertTimeout,
  backoffDelayMs,
  newestFirst,
  resolveConcurrency,
  resolveJobOptions,
  resolveListFilter,
  toError,
  toJson,
  type ResolvedJobOptions,
} from './job-queue.rules';
import { QueueError } from './queue.errors';

interface StoredJob {
  readonly id: string;
  readonly name: string;
  /** Data and return value are kept as JSON text, as Redis keeps them: every reader gets a fresh copy. */
  readonly dataJson: string;
  readonly options: ResolvedJobOptions;
  readonly createdAt: number;
  state: JobState;
  attemptsMade: number;
  failedReason: string | null;
  stacktrace: string[];
  returnJson: string;
  progress: number;
  finishedAt: number | null;
  timer: NodeJS.Timeout | null;
}

interface Registration {
  readonly handler: JobHandler<unknown, unknown>;
  readonly concurrency: number;
  active: number;
  /** Ids in the order they became runnable (FIFO, like a BullMQ wait list). */
  readonly waiting: string[];
}

type Waiter = (job: StoredJob | null) => void;

/**
 * The job queue in this process's memory, with the BullMQ adapter's semantics (states, retries
 * with the same backoff formula, delays, per-name concurrency, JSON-only data) but none of its
 * durability: jobs are lost when the process stops. For development, tests and single-process
 * installs without Redis.
 */
export class InProcessJobQueue implements JobQueue {
  readonly kind = 'in-process' as const;
  readonly durable = false;

  private readonly log: Logger;
  private readonly registrations = new Map<string, Registration>();
  private readonly jobs = new Map<string, StoredJob>();
  private readonly runs = new Set<Promise<void>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private status: 'created' | 'started' | 'closing' | 'closed' = 'created';
  private closing: Promise<void> | null = null;

  constructor(options: { logger: Logger }) {
    this.log = options.logger.child({ component: 'job-queue', adapter: 'in-process' });
  }

  register<T, R>(name: string, handler: JobHandler<T, R>, options?: { concurrency?: number }): void {
    assertJobName(name);
    if (this.status !== 'created') throw QueueError.registerAfterStart(name);
    if (this.registrations.has(name)) throw QueueError.duplicateRegistration(name);
    const concurrency = resolveConcurrency(name, options);
    this.registrations.set(name, {
      handler: handler as JobHandler<unknown, unknown>,
      concurrency,
      active: 0,
      waiting: [],
    });
  }

  async start(): Promise<void> {
    if (this.status === 'started') return;
    if (this.status !== 'created') throw QueueError.closed('start the queue');
    this.status = 'started';
    this.log.warn(
      { jobNames: [...this.registrations.keys()] },
      'Jobs run in this process only and are not durable: waiting, delayed and running jobs are lost when it stops. ' +
        'Configure Redis to get a durable queue shared by every process.',
    );
    for (const name of this.registrations.keys()) this.pump(name);
  }

  async enqueue<T>(name: string, data: T, options?: JobOptions): Promise<string> {
    if (this.status === 'closing' || this.status === 'closed') throw QueueError.closed('enqueue a job');
    assertJobName(name);
    const registration = this.registrations.get(name);
    if (!registration) throw QueueError.unknownJobName(name, [...this.registrations.keys()]);
    const resolved = resolveJobOptions(options);
    const dataJson = toJson(data, `data of job "${name}"`);
    if (resolved.jobId !== null) {
      const existing = this.jobs.get(resolved.jobId);
      if (existing) {
        if (existing.name !== name) throw QueueError.jobIdConflict(existing.id, existing.name, name);
        return existing.id;
      }
    }
    const job: StoredJob = {
      id: resolved.jobId ?? randomUUID(),
      name,
      dataJson,
      options: resolved,
      createdAt: Date.now(),
      state: 'waiting',
      attemptsMade: 0,
      failedReason: null,
      stacktrace: [],
      returnJson: 'null',
      progress: 0,
      finishedAt: null,
      timer: null,
    };
    this.jobs.set(job.id, job);
    if (resolved.delayMs > 0) this.delay(job, resolved.delayMs);
    else this.makeRunnable(job);
    return job.id;
  }

  async getJob(id: string): Promise<JobInfo | null> {
    this.assertReadable('read a job');
    const job = this.jobs.get(id);
    return job ? toInfo(job) : null;
  }

  async listJobs(filter: ListJobsFilter): Promise<JobInfo[]> {
    this.assertReadable('list jobs');
    const { name, states, limit } = resolveListFilter(filter);
    const matching = [...this.jobs.values()].filter(
      (job) => (name === undefined || job.name === name) && states.includes(job.state),
    );
    return newestFirst(matching.map(toInfo), limit);
  }

  waitFor(id: string, timeoutMs: number): Promise<JobInfo> {
    return new Promise<JobInfo>((resolve, reject) => {
      this.assertReadable('wait for a job');
      assertTimeout(timeoutMs);
      const job = this.jobs.get(id);
      if (!job) throw QueueError.jobNotFound(id);
      if (isFinal(job.state)) return resolve(toInfo(job));
      const listeners = this.waiters.get(id) ?? new Set<Waiter>();
      this.waiters.set(id, listeners);
      const waiter: Waiter = (finished) => {
        clearTimeout(timer);
        listeners.delete(waiter);
        if (listeners.size === 0) this.waiters.delete(id);
        if (this.status === 'closed') reject(QueueError.closed('wait for a job'));
        else if (finished) resolve(toInfo(finished));
        else reject(QueueError.jobNotFound(id));
      };
      const timer = setTimeout(() => {
        listeners.delete(waiter);
        if (listeners.size === 0) this.waiters.delete(id);
        reject(QueueError.waitTimeout(id, timeoutMs, this.jobs.get(id)?.state ?? 'gone'));
      }, timeoutMs);
      listeners.add(waiter);
    });
  }

  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.status = 'closing';
    for (const job of this.jobs.values()) {
      if (job.timer) clearTimeout(job.timer);
      job.timer = null;
    }
    this.closing = (async () => {
      while (this.runs.size > 0) await Promise.allSettled([...this.runs]);
      this.status = 'closed';
      for (const listeners of [...this.waiters.values()]) for (const waiter of [...listeners]) waiter(null);
      const lost = [...this.jobs.values()].filter((job) => !isFinal(job.state)).length;
      if (lost > 0) this.log.warn({ lostJobs: lost }, 'In-process job queue closed with unfinished jobs; they are dropped');
    })();
    return this.closing;
  }

  private assertReadable(operation: string): void {
    if (this.status === 'closed') throw QueueError.closed(operation);
  }

  /** Keeps the job delayed until `delayMs` from now; never promotes it early (timers may fire a little early). */
  private delay(job: StoredJob, delayMs: number): void {
    job.state = 'delayed';
    if (this.status === 'closing' || this.status === 'closed') return; // dropped with the queue; no timer left behind
    const dueAt = Date.now() + delayMs;
    const arm = (): void => {
      job.timer = setTimeout(
        () => {
          job.timer = null;
          if (this.status === 'closing' || this.status === 'closed') return;
          if (Date.now() < dueAt) arm();
          else this.makeRunnable(job);
        },
        Math.max(dueAt - Date.now(), 1),
      );
    };
    arm();
  }

  private makeRunnable(job: StoredJob): void {
    job.state = 'waiting';
    const registration = this.registrations.get(job.name);
    if (!registration) return;
    registration.waiting.push(job.id);
    this.pump(job.name);
  }

  /** Starts waiting jobs of `name` up to its concurrency, once started and until close. */
  private pump(name: string): void {
    const registration = this.registrations.get(name);
    if (!registration) return;
    while (this.status === 'started' && registration.active < registration.concurrency) {
      const id = registration.waiting.shift();
      if (id === undefined) return;
      const job = this.jobs.get(id);
      if (job && job.state === 'waiting') this.run(registration, job);
    }
  }

  private run(registration: Registration, job: StoredJob): void {
    registration.active += 1;
    job.state = 'active';
    const attempt = job.attemptsMade + 1;
    const context: JobContext<unknown> = {
      id: job.id,
      name: job.name,
      data: JSON.parse(job.dataJson) as unknown,
      attempt,
      log: (message) => this.log.info({ jobId: job.id, jobName: job.name, attempt }, message),
      updateProgress: async (progress) => {
        assertProgress(progress);
        job.progress = progress;
      },
    };
    const run = (async () => {
      await Promise.resolve(); // the handler never runs inside enqueue()/start(), as with a Redis worker
      try {
        const result: unknown = await registration.handler(context);
        const returnJson = toJson(result === undefined ? null : result, `return value of job "${job.name}"`, 'returnValue');
        this.complete(job, returnJson);
      } catch (thrown) {
        this.fail(job, toError(thrown));
      } finally {
        registration.active -= 1;
        this.pump(job.name);
      }
    })();
    this.runs.add(run);
    void run.finally(() => this.runs.delete(run));
  }

  private complete(job: StoredJob, returnJson: string): void {
    job.attemptsMade += 1;
    job.returnJson = returnJson;
    job.state = 'completed';
    job.finishedAt = Date.now();
    if (job.options.removeOnComplete) this.jobs.delete(job.id);
    this.notify(job.id, job.options.removeOnComplete ? null : job);
  }

  private fail(job: StoredJob, error: Error): void {
    job.attemptsMade += 1;
    job.failedReason = error.message;
    if (error.stack) job.stacktrace.push(error.stack);
    const retry = job.attemptsMade < job.options.attempts;
    this.log.warn(
      { jobId: job.id, jobName: job.name, attemptsMade: job.attemptsMade, willRetry: retry, err: error },
      'Job attempt failed',
    );
    if (!retry) {
      job.state = 'failed';
      job.finishedAt = Date.now();
      this.notify(job.id, job);
      return;
    }
    const delayMs = backoffDelayMs(job.options.backoff, job.attemptsMade);
    if (delayMs > 0) this.delay(job, delayMs);
    else this.makeRunnable(job);
  }

  private notify(id: string, job: StoredJob | null): void {
    for (const waiter of [...(this.waiters.get(id) ?? [])]) waiter(job);
  }
}

function isFinal(state: JobState): boolean {
  return state === 'completed' || state === 'failed';
}

function toInfo(job: StoredJob): JobInfo {
  return {
    id: job.id,
    name: job.name,
    state: job.state,
    data: JSON.parse(job.dataJson) as unknown,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason,
    stacktrace: [...job.stacktrace],
    returnValue: job.state === 'completed' ? (JSON.parse(job.returnJson) as unknown) : null,
    progress: job.progress,
    createdAt: new Date(job.createdAt),
    finishedAt: job.finishedAt === null ? null : new Date(job.finishedAt),
  };
}
