/**
 * The job queue port. Two adapters implement it with the same observable behaviour:
 * BullMQ on Redis (durable, shared by every process on the same Redis and prefix) and an
 * in-process queue for development and single-process setups (lost on restart).
 */

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export const JOB_STATES: readonly JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];

export interface JobOptions {
  /** Total number of tries, the first included. Default 3. */
  attempts?: number;
  /**
   * Wait between a failed try and the next one. `fixed`: always `delayMs`; `exponential`:
   * `delayMs * 2^(n-1)` after the n-th failed try. Default exponential, 1000 ms.
   */
  backoff?: { type: 'exponential' | 'fixed'; delayMs: number };
  /** Do not start the job before this many milliseconds have passed. */
  delayMs?: number;
  /**
   * Custom id. Enqueueing again with the id of an existing job (any state) adds nothing and
   * returns that id. Ids are unique across job names; they cannot be integers or contain ":".
   */
  jobId?: string;
  /** Delete the job record as soon as it completes (failed jobs are always kept). */
  removeOnComplete?: boolean;
}

export interface JobContext<T> {
  id: string;
  name: string;
  /** A fresh copy of the enqueued data (it went through JSON). */
  data: T;
  /** 1-based number of this try. */
  attempt: number;
  /** Structured log line tied to the job (job id and name attached). */
  log(message: string): void;
  /** Progress from 0 to 100, visible in `JobInfo.progress`. */
  updateProgress(p: number): Promise<void>;
}

export interface JobInfo {
  id: string;
  name: string;
  state: JobState;
  data: unknown;
  /** Tries that have finished, failed or not. */
  attemptsMade: number;
  /** Message of the last failed try; kept when a later try succeeds. */
  failedReason: string | null;
  /** One stack per failed try, oldest first. */
  stacktrace: string[];
  /** What the handler returned (`null` for nothing), once completed. */
  returnValue: unknown;
  progress: number;
  createdAt: Date;
  finishedAt: Date | null;
}

export type JobHandler<T = unknown, R = unknown> = (job: JobContext<T>) => Promise<R>;

export interface ListJobsFilter {
  name?: string;
  /** Default: every state. */
  states?: JobState[];
  /** Default 50, at most 1000. */
  limit?: number;
}

export interface JobQueue {
  readonly kind: 'bullmq' | 'in-process';
  /** True when jobs survive a restart of this process. */
  readonly durable: boolean;
  /** Before start(); a name registered twice throws. */
  register<T, R>(name: string, handler: JobHandler<T, R>, options?: { concurrency?: number }): void;
  /** Begins processing the registered names; enqueue works before start. */
  start(): Promise<void>;
  /**
   * Returns the job id. A name nobody registered in this process is accepted by the BullMQ
   * adapter (another worker may run it) and rejected by the in-process adapter.
   */
  enqueue<T>(name: string, data: T, options?: JobOptions): Promise<string>;
  getJob(id: string): Promise<JobInfo | null>;
  /** Newest first (by creation time). Failed jobs carry their error. */
  listJobs(filter: ListJobsFilter): Promise<JobInfo[]>;
  /** Resolves when the job is completed or failed for good; rejects on timeout or if the job does not exist. */
  waitFor(id: string, timeoutMs: number): Promise<JobInfo>;
  /** Graceful: stops taking new jobs, waits for the active ones, then releases every resource. */
  close(): Promise<void>;
}

export const DEFAULT_JOB_ATTEMPTS = 3;
export const DEFAULT_BACKOFF: Readonly<NonNullable<JobOptions['backoff']>> = { type: 'exponential', delayMs: 1000 };
export const DEFAULT_LIST_LIMIT = 50;
export const MAX_LIST_LIMIT = 1000;
