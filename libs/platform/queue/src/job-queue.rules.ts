/**
 * Rules both adapters share, so that the in-process queue behaves like BullMQ on Redis:
 * name and option validation, defaults, the backoff formula, JSON-only data.
 * Internal to this library (not exported from index.ts).
 */
import {
  DEFAULT_BACKOFF,
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_LIST_LIMIT,
  JOB_STATES,
  MAX_LIST_LIMIT,
  type JobInfo,
  type JobOptions,
  type JobState,
  type ListJobsFilter,
} from './job-queue';
import { QueueError } from './queue.errors';

/** BullMQ forbids ":" in queue names (it separates key parts); we also keep names readable. */
const JOB_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;
const MAX_JOB_ID_LENGTH = 200;
/** A job's Redis hash is `<prefix>:<name>:<id>`, beside the queue's own keys: these ids would overwrite them. */
const RESERVED_JOB_IDS = new Set([
  'active', 'wait', 'waiting-children', 'paused', 'id', 'delayed', 'prioritized', 'stalled-check', 'completed',
  'failed', 'stalled', 'repeat', 'limiter', 'meta', 'events', 'pc', 'marker', 'de', 'metrics',
]);

export function assertJobName(name: unknown): asserts name is string {
  if (typeof name !== 'string' || !JOB_NAME.test(name)) {
    throw QueueError.invalidJobName(name);
  }
}

export interface ResolvedJobOptions {
  readonly attempts: number;
  readonly backoff: { readonly type: 'exponential' | 'fixed'; readonly delayMs: number };
  readonly delayMs: number;
  readonly jobId: string | null;
  readonly removeOnComplete: boolean;
}

/** Validates job options and applies the defaults (3 attempts, exponential backoff from 1000 ms). */
export function resolveJobOptions(options: JobOptions | undefined): ResolvedJobOptions {
  const subject = 'job options';
  if (options === undefined) options = {};
  if (typeof options !== 'object' || options === null) {
    throw QueueError.invalidArgument(subject, 'pass an object or nothing');
  }
  const attempts = options.attempts ?? DEFAULT_JOB_ATTEMPTS;
  if (!Number.isInteger(attempts) || attempts < 1) {
    throw QueueError.invalidArgument(subject, `attempts must be an integer of at least 1, got ${String(attempts)}`);
  }
  const backoff = options.backoff ?? DEFAULT_BACKOFF;
  if (backoff.type !== 'exponential' && backoff.type !== 'fixed') {
    throw QueueError.invalidArgument(subject, `backoff.type must be "exponential" or "fixed", got ${String(backoff.type)}`);
  }
  assertMilliseconds(subject, 'backoff.delayMs', backoff.delayMs);
  const delayMs = options.delayMs ?? 0;
  assertMilliseconds(subject, 'delayMs', delayMs);
  const jobId = options.jobId ?? null;
  if (jobId !== null) assertJobId(jobId);
  const removeOnComplete = options.removeOnComplete ?? false;
  if (typeof removeOnComplete !== 'boolean') {
    throw QueueError.invalidArgument(subject, 'removeOnComplete must be true or false');
  }
  return { attempts, backoff: { type: backoff.type, delayMs: backoff.delayMs }, delayMs, jobId, removeOnComplete };
}

function assertMilliseconds(subject: string, field: string, value: unknown): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw QueueError.invalidArgument(subject, `${field} must be a whole number of milliseconds >= 0, got ${String(value)}`);
  }
}

/** The constraints BullMQ puts on custom ids, applied by both adapters. */
function assertJobId(jobId: unknown): void {
  const subject = 'job options';
  if (typeof jobId !== 'string' || jobId.length === 0 || jobId.length > MAX_JOB_ID_LENGTH) {
    throw QueueError.invalidArgument(subject, `jobId must be a non-empty string of at most ${MAX_JOB_ID_LENGTH} characters`);
  }
  if (`${parseInt(jobId, 10)}` === jobId) {
    throw QueueError.invalidArgument(subject, `jobId ${JSON.stringify(jobId)} is an integer; use a word, e.g. "retrain-${jobId}"`);
  }
  if (jobId.includes(':')) {
    throw QueueError.invalidArgument(subject, `jobId ${JSON.stringify(jobId)} contains ":"; use "-" or "." instead`);
  }
  if (RESERVED_JOB_IDS.has(jobId)) {
    throw QueueError.invalidArgument(subject, `jobId ${JSON.stringify(jobId)} is reserved by the queue's storage; use a longer id`);
  }
}

/**
 * Delay before the next try after `attemptsMade` failed tries (1 after the first failure).
 * The same formula as BullMQ's built-in strategies (without jitter).
 */
export function backoffDelayMs(backoff: ResolvedJobOptions['backoff'], attemptsMade: number): number {
  return backoff.type === 'fixed' ? backoff.delayMs : Math.round(Math.pow(2, attemptsMade - 1) * backoff.delayMs);
}

export function resolveConcurrency(name: string, options: { concurrency?: number } | undefined): number {
  const concurrency = options?.concurrency ?? 1;
  if (!Number.isInteger(concurrency) || concurrency < 1) {
    throw QueueError.invalidArgument(
      `options for job ${JSON.stringify(name)}`,
      `concurrency must be an integer of at least 1, got ${String(concurrency)}`,
    );
  }
  return concurrency;
}

export function assertProgress(progress: unknown): asserts progress is number {
  if (typeof progress !== 'number' || !Number.isFinite(progress) || progress < 0 || progress > 100) {
    throw QueueError.invalidArgument('job progress', `pass a number from 0 to 100, got ${String(progress)}`);
  }
}

export function assertTimeout(timeoutMs: unknown): asserts timeoutMs is number {
  if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
    throw QueueError.invalidArgument('waitFor timeout', `pass a number of milliseconds >= 0, got ${String(timeoutMs)}`);
  }
}

export interface ResolvedListFilter {
  readonly name: string | undefined;
  readonly states: readonly JobState[];
  readonly limit: number;
}

export function resolveListFilter(filter: ListJobsFilter | undefined): ResolvedListFilter {
  const subject = 'listJobs filter';
  const { name, states, limit = DEFAULT_LIST_LIMIT } = filter ?? {};
  if (name !== undefined) assertJobName(name);
  if (states !== undefined && (!Array.isArray(states) || states.some((s) => !JOB_STATES.includes(s)))) {
    throw QueueError.invalidArgument(subject, `states must be a list of ${JOB_STATES.join(', ')}; got ${JSON.stringify(states)}`);
  }
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_LIST_LIMIT) {
    throw QueueError.invalidArgument(subject, `limit must be an integer from 1 to ${MAX_LIST_LIMIT}, got ${String(limit)}`);
  }
  return { name, states: states && states.length > 0 ? [...new Set(states)] : JOB_STATES, limit };
}

/** Newest first; ties broken by id so the order is stable. */
export function newestFirst(jobs: JobInfo[], limit: number): JobInfo[] {
  return [...jobs]
    .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, limit);
}

/**
 * JSON text of `value`, or a DATA_NOT_SERIALIZABLE error naming the first offending path.
 * Rejects what JSON would silently change (Date, Map, class instances, NaN, undefined in
 * arrays, functions) as well as what it cannot encode (cycles, BigInt). `undefined` object
 * properties are allowed: JSON drops them and reading them back still gives `undefined`.
 */
export function toJson(value: unknown, what: string, root = 'data'): string {
  checkJsonValue(value, what, root, new Set());
  return JSON.stringify(value);
}

function checkJsonValue(value: unknown, what: string, path: string, ancestors: Set<object>): void {
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return;
    case 'number':
      if (!Number.isFinite(value)) throw QueueError.notSerializable(what, path, `is ${String(value)}`);
      return;
    case 'undefined':
      throw QueueError.notSerializable(what, path, 'is undefined (use null)');
    case 'bigint':
      throw QueueError.notSerializable(what, path, 'is a BigInt (use a string)');
    case 'symbol':
    case 'function':
      throw QueueError.notSerializable(what, path, `is a ${typeof value}`);
  }
  if (value === null) return;
  const object = value as object;
  if (ancestors.has(object)) {
    throw QueueError.notSerializable(what, path, 'refers back to itself (circular structure)');
  }
  ancestors.add(object);
  if (Array.isArray(object)) {
    object.forEach((item: unknown, index) => checkJsonValue(item, what, `${path}[${index}]`, ancestors));
  } else {
    const proto: unknown = Object.getPrototypeOf(object);
    if (proto !== Object.prototype && proto !== null) {
      const kind = (object as { constructor?: { name?: string } }).constructor?.name || 'non-plain object';
      throw QueueError.notSerializable(what, path, `is a ${kind}, not a plain object`);
    }
    for (const [key, item] of Object.entries(object)) {
      if (item === undefined) continue;
      checkJsonValue(item, what, /^[A-Za-z_$][\w$]*$/.test(key) ? `${path}.${key}` : `${path}[${JSON.stringify(key)}]`, ancestors);
    }
  }
  ancestors.delete(object);
}

/** What a handler threw, as an Error with a message (BullMQ records `message` and `stack`). */
export function toError(thrown: unknown): Error {
  if (thrown instanceof Error) return thrown;
  if (typeof thrown === 'string') return new Error(thrown);
  let text: string;
  try {
    text = JSON.stringify(thrown) ?? String(thrown);
  } catch {
    text = String(thrown);
  }
  return new Error(`Job handler threw a non-Error value: ${text}`);
}
