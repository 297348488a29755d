import { randomUUID } from 'node:crypto';
import { Queue, Worker, type Job, type JobType } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from '@modelport/observability';
import type { JobContext, JobHandler, JobInfo, JobOptions, JobQueue, JobState, ListJobsFilter } from './job-queue';
import {
  assertJobName,
  assertProgress,
  assertTimeout,
  newestFirst,
  resolveConcurrency,
  resolveJobOptions,
  resolveListFilter,
  toError,
  toJson,
} from './job-queue.rules';
import { QueueError } from './queue.errors';

export interface BullmqJobQueueOptions {
  readonly redisUrl: string;
  /** Namespace of every Redis key (and connection name) this queue uses. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** BullMQ job states as seen through the port; 'prioritized' and friends are all "waiting to run". */
const BULL_TYPES: Record<JobState, JobType[]> = {
  waiting: ['wait', 'prioritized', 'waiting-children'],
  delayed: ['delayed'],
  active: ['active'],
  completed: ['completed'],
  failed: ['failed'],
};

const PREFIX = /^[\w.{}:-]{1,100}$/;
const POLL_START_MS = 20;
const POLL_MAX_MS = 250;
const MAX_CONSISTENT_READS = 5;

/** Deletes a job's index entry only if the job hash is gone (a new job may have reused the id meanwhile). */
const FORGET_REMOVED_JOB = `if redis.call('EXISTS', KEYS[2]) == 0 then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0`;

interface Registration {
  readonly handler: JobHandler<unknown, unknown>;
  readonly concurrency: number;
}

/**
 * The durable adapter: BullMQ on Redis.
 *
 * One BullMQ queue (and, once started, one Worker) per job name, rather than one queue holding
 * every name: a BullMQ Worker takes whatever job comes next in its queue, so only one queue per
 * name lets a process run just the names it registered (a job for a name it does not know
 * waits for the process that does), gives each name its own concurrency, and keeps a flood of
 * one job type from starving the others.
 *
 * The price is that an id alone does not say which queue holds the job, so two small keys
 * beside BullMQ's own, `<prefix>:_modelport:job-index` (hash: job id -> name) and
 * `<prefix>:_modelport:job-names` (set of names ever enqueued), let any process find a job by
 * id and list jobs across names. Ids are generated UUIDs unless a jobId is given; ids are
 * unique across names. (Job names start with a letter or digit, so "_modelport" can never be a
 * queue name.)
 *
 * Connections: one shared ioredis connection for queues and the index (default retry policy,
 * so enqueueing fails rather than hangs when Redis is down), and for workers a lazy template
 * with `maxRetriesPerRequest: null` that BullMQ duplicates into each worker's own and blocking
 * connections (it owns and closes those). Retries and backoff are BullMQ's own; waitFor polls
 * the job (no extra blocking connection per name, works for names run by other processes).
 */
export class BullmqJobQueue implements JobQueue {
  readonly kind = 'bullmq' as const;
  readonly durable = true;

  private readonly log: Logger;
  private readonly prefix: string;
  private readonly client: Redis;
  private readonly workerConnection: Redis;
  private readonly indexKey: string;
  private readonly namesKey: string;
  private readonly registrations = new Map<string, Registration>();
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  private starting: Promise<void> | null = null;
  private closeRequested = false;
  private closed = false;
  private closing: Promise<void> | null = null;

  constructor(options: BullmqJobQueueOptions) {
    if (!PREFIX.test(options.prefix)) {
      throw QueueError.invalidArgument(
        'queue prefix',
        `${JSON.stringify(options.prefix)} must be 1 to 100 letters, digits, "_", ".", "-", ":" or braces`,
      );
    }
    this.prefix = options.prefix;
    this.log = options.logger.child({ component: 'job-queue', adapter: 'bullmq', prefix: options.prefix });
    this.indexKey = `${this.prefix}:_modelport:job-index`;
    this.namesKey = `${this.prefix}:_modelport:job-names`;
    this.client = new Redis(options.redisUrl, { connectionName: `${this.prefix}:queue` });
    this.client.on('error', (err: Error) => this.log.warn({ err }, 'Redis connection error (job queue)'));
    this.workerConnection = new Redis(options.redisUrl, {
      connectionName: `${this.prefix}:worker`,
      maxRetriesPerRequest: null,
      lazyConnect: true,
    });
  }

  register<T, R>(name: string, handler: JobHandler<T, R>, options?: { concurrency?: number }): void {
    assertJobName(name);
    if (this.starting || this.closeRequested) throw QueueError.registerAfterStart(name);
    if (this.registrations.has(name)) throw QueueError.duplicateRegistration(name);
    const concurrency = resolveConcurrency(name, options);
    this.registrations.set(name, { handler: handler as JobHandler<unknown, unknown>, concurrency });
  }

  start(): Promise<void> {
    if (this.closeRequested) return Promise.reject(QueueError.closed('start the queue'));
    this.starting ??= this.startWorkers();
    return this.starting;
  }

  async enqueue<T>(name: string, data: T, options?: JobOptions): Promise<string> {
    if (this.closeRequested) throw QueueError.closed('enqueue a job');
    assertJobName(name);
    const resolved = resolveJobOptions(options);
    toJson(data, `data of job "${name}"`);
    const id = resolved.jobId ?? randomUUID();
    const replies = await this.client
      .multi()
      .hsetnx(this.indexKey, id, name)
      .sadd(this.namesKey, name)
      .hget(this.indexKey, id)
      .exec();
    const owner = replies?.[2]?.[1];
    if (typeof owner !== 'string') throw new Error(`Could not record job ${id} in ${this.indexKey}`);
    if (owner !== name) throw QueueError.jobIdConflict(id, owner, name);
    const job = await this.queue(name).add(name, data, {
      jobId: id,
      attempts: resolved.attempts,
      backoff: { type: resolved.backoff.type, delay: resolved.backoff.delayMs },
      delay: resolved.delayMs,
      removeOnComplete: resolved.removeOnComplete,
    });
    return job.id ?? id;
  }

  async getJob(id: string): Promise<JobInfo | null> {
    this.assertReadable('read a job');
    const name = await this.client.hget(this.indexKey, id);
    return name === null ? null : this.readJob(name, id);
  }

  async listJobs(filter: ListJobsFilter): Promise<JobInfo[]> {
    this.assertReadable('list jobs');
    const { name, states, limit } = resolveListFilter(filter);
    const names = name !== undefined ? [name] : await this.knownNames();
    const batches = await Promise.all(
      names.flatMap((jobName) =>
        states.map(async (state) => {
          const jobs = await this.queue(jobName).getJobs(BULL_TYPES[state], 0, limit - 1, false);
          return jobs.filter((job): job is Job => Boolean(job?.id)).map((job) => toInfo(job, state));
        }),
      ),
    );
    // A job moving on while the states are read may show up twice: keep the later state
    // (batches follow JOB_STATES order, from waiting to completed and failed).
    const unique = new Map<string, JobInfo>();
    for (const info of batches.flat().reverse()) if (!unique.has(info.id)) unique.set(info.id, info);
    return newestFirst([...unique.values()], limit);
  }

  async waitFor(id: string, timeoutMs: number): Promise<JobInfo> {
    this.assertReadable('wait for a job');
    assertTimeout(timeoutMs);
    const deadline = Date.now() + timeoutMs;
    let pause = POLL_START_MS;
    for (;;) {
      if (this.closed) throw QueueError.closed('wait for a job');
      const info = await this.getJob(id);
      if (!info) throw QueueError.jobNotFound(id);
      if (info.state === 'completed' || info.state === 'failed') return info;
      const remaining = deadline - Date.now();
      if (remaining <= 0) throw QueueError.waitTimeout(id, timeoutMs, info.state);
      await sleep(Math.min(pause, remaining));
      pause = Math.min(Math.round(pause * 1.5), POLL_MAX_MS);
    }
  }

  close(): Promise<void> {
    this.closeRequested = true;
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    // Worker.close() stops fetching and waits for the jobs it is running (workers exist as soon as start() is called).
    await Promise.all(this.workers.map((worker) => worker.close()));
    await Promise.allSettled([...this.pending]);
    this.closed = true;
    await Promise.all([...this.queues.values()].map((queue) => queue.close()));
    if (this.client.status === 'ready') await this.client.quit();
    else this.client.disconnect();
    this.workerConnection.disconnect();
  }

  private async startWorkers(): Promise<void> {
    for (const [name, registration] of this.registrations) {
      const worker = new Worker(name, (job: Job) => this.process(registration, job), {
        connection: this.workerConnection,
        prefix: this.prefix,
        concurrency: registration.concurrency,
        autorun: false,
      });
      worker.on('error', (err) => this.log.error({ err, jobName: name }, 'Job worker error'));
      worker.on('failed', (job, err) => {
        if (!job) return;
        const willRetry = job.attemptsMade < (job.opts.attempts ?? 1);
        this.log.warn({ jobId: job.id, jobName: name, attemptsMade: job.attemptsMade, willRetry, err }, 'Job attempt failed');
      });
      worker.on('completed', (job) => {
        if (job.opts.removeOnComplete && job.id) this.track(this.forget(worker, job.id));
      });
      this.workers.push(worker);
      this.track(worker.run().catch((err: unknown) => this.log.error({ err, jobName: name }, 'Job worker stopped')));
    }
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
    this.log.info({ jobNames: [...this.registrations.keys()] }, 'Job workers started');
  }

  private async process(registration: Registration, job: Job): Promise<unknown> {
    const id = job.id ?? '';
    const attempt = job.attemptsMade + 1;
    const context: JobContext<unknown> = {
      id,
      name: job.name,
      data: job.data as unknown,
      attempt,
      log: (message) => {
        this.log.info({ jobId: id, jobName: job.name, attempt }, message);
        this.track(job.log(message).catch((err: unknown) => this.log.warn({ err, jobId: id }, 'Could not store job log')));
      },
      updateProgress: async (progress) => {
        assertProgress(progress);
        await job.updateProgress(progress);
      },
    };
    let result: unknown;
    try {
      result = await registration.handler(context);
    } catch (thrown) {
      throw toError(thrown);
    }
    const value = result === undefined ? null : result;
    toJson(value, `return value of job "${job.name}"`, 'returnValue'); // fails the attempt, as in-process
    return value;
  }

  /** The index entry of a job BullMQ removed on completion. */
  private async forget(worker: Worker, id: string): Promise<void> {
    try {
      await this.client.eval(FORGET_REMOVED_JOB, 2, this.indexKey, worker.toKey(id), id);
    } catch (err) {
      this.log.warn({ err, jobId: id }, 'Could not drop a removed job from the job index');
    }
  }

  /**
   * A job's state and its hash are separate reads in BullMQ, so a job moving on between them
   * would show e.g. "active" with the failure of the try that just ended. Read the hash on both
   * sides of the state and retry until it did not change: then the state belongs to that hash.
   */
  private async readJob(name: string, id: string): Promise<JobInfo | null> {
    const queue = this.queue(name);
    for (let read = 1; ; read += 1) {
      const before = await queue.getJob(id);
      const state = before ? toState(await queue.getJobState(id)) : null;
      const after = state ? await queue.getJob(id) : undefined;
      if (!before || !state || !after) return null;
      if (fingerprint(before) === fingerprint(after) || read === MAX_CONSISTENT_READS) return toInfo(after, state);
    }
  }

  private async knownNames(): Promise<string[]> {
    const stored = await this.client.smembers(this.namesKey);
    return [...new Set([...stored, ...this.registrations.keys()])];
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, { connection: this.client, prefix: this.prefix });
      queue.on('error', (err) => this.log.error({ err, jobName: name }, 'Job queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }

  private assertReadable(operation: string): void {
    if (this.closed) throw QueueError.closed(operation);
  }

  private track(promise: Promise<unknown>): void {
    this.pending.add(promise);
    void promise.finally(() => this.pending.delete(promise));
  }
}

function toState(state: string): JobState | null {
  switch (state) {
    case 'completed':
    case 'failed':
    case 'active':
    case 'delayed':
      return state;
    case 'waiting':
    case 'prioritized':
    case 'waiting-children':
      return 'waiting';
    default:
      return null;
  }
}

/** The hash fields that change whenever BullMQ moves a job to another state. */
function fingerprint(job: Job): string {
  return JSON.stringify([job.attemptsStarted, job.attemptsMade, job.processedOn, job.finishedOn, job.failedReason, job.delay]);
}

function toInfo(job: Job, state: JobState): JobInfo {
  return {
    id: job.id ?? '',
    name: job.name,
    state,
    data: job.data as unknown,
    attemptsMade: job.attemptsMade,
    failedReason: job.failedReason || null,
    stacktrace: Array.isArray(job.stacktrace) ? [...job.stacktrace] : [],
    returnValue: state === 'completed' ? ((job.returnvalue as unknown) ?? null) : null,
    progress: typeof job.progress === 'number' ? job.progress : 0,
    createdAt: new Date(job.timestamp),
    finishedAt: job.finishedOn ? new Date(job.finishedOn) : null,
  };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
