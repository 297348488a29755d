export enum QueueErrorCode {
  UNKNOWN_JOB_NAME = 'UNKNOWN_JOB_NAME',
  DUPLICATE_REGISTRATION = 'DUPLICATE_REGISTRATION',
  REGISTER_AFTER_START = 'REGISTER_AFTER_START',
  INVALID_JOB_NAME = 'INVALID_JOB_NAME',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  DATA_NOT_SERIALIZABLE = 'DATA_NOT_SERIALIZABLE',
  JOB_ID_CONFLICT = 'JOB_ID_CONFLICT',
  JOB_NOT_FOUND = 'JOB_NOT_FOUND',
  WAIT_TIMEOUT = 'WAIT_TIMEOUT',
  QUEUE_CLOSED = 'QUEUE_CLOSED',
}

/** The one error type the job queue throws for expected failures; `code` says which. */
export class QueueError extends Error {
  override readonly name = 'QueueError';

  constructor(
    readonly code: QueueErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  static unknownJobName(name: string, registered: readonly string[]): QueueError {
    const known = registered.length > 0 ? registered.map(quote).join(', ') : 'none';
    return new QueueError(
      QueueErrorCode.UNKNOWN_JOB_NAME,
      `No handler is registered for job ${quote(name)} (registered: ${known}). The in-process queue only runs jobs ` +
        `registered in this process: call register(${quote(name)}, handler) before enqueueing, or configure Redis ` +
        `so another worker process can run it.`,
    );
  }

  static duplicateRegistration(name: string): QueueError {
    return new QueueError(
      QueueErrorCode.DUPLICATE_REGISTRATION,
      `A handler for job ${quote(name)} is already registered. Each job name has exactly one handler per process: ` +
        `remove the second register(${quote(name)}, ...) call or give the job a different name.`,
    );
  }

  static registerAfterStart(name: string): QueueError {
    return new QueueError(
      QueueErrorCode.REGISTER_AFTER_START,
      `Cannot register job ${quote(name)}: the queue has already been started (or closed). ` +
        `Register every handler before calling start().`,
    );
  }

  static invalidJobName(name: unknown): QueueError {
    return new QueueError(
      QueueErrorCode.INVALID_JOB_NAME,
      `Invalid job name ${quote(name)}: use 1 to 100 letters, digits, ".", "_" or "-", starting with a letter or digit ` +
        `(for example "retrain-model").`,
    );
  }

  /** `subject` names the argument ("job options", "listJobs filter", ...); `problem` says how to fix it. */
  static invalidArgument(subject: string, problem: string): QueueError {
    return new QueueError(QueueErrorCode.INVALID_ARGUMENT, `Invalid ${subject}: ${problem}.`);
  }

  static notSerializable(what: string, path: string, problem: string): QueueError {
    return new QueueError(
      QueueErrorCode.DATA_NOT_SERIALIZABLE,
      `The ${what} is not JSON-serialisable: ${path} ${problem}. Jobs are stored as JSON; pass only plain objects, ` +
        `arrays, strings, finite numbers, booleans and null (for example convert a Date with toISOString()).`,
    );
  }

  static jobIdConflict(jobId: string, existingName: string, requestedName: string): QueueError {
    return new QueueError(
      QueueErrorCode.JOB_ID_CONFLICT,
      `Job id ${quote(jobId)} is already used by a ${quote(existingName)} job, so it cannot be reused for ` +
        `${quote(requestedName)}. Job ids are unique across job names: include the job name in custom ids.`,
    );
  }

  static jobNotFound(jobId: string): QueueError {
    return new QueueError(
      QueueErrorCode.JOB_NOT_FOUND,
      `Job ${quote(jobId)} does not exist: it was never enqueued, or it was removed (jobs enqueued with ` +
        `removeOnComplete are deleted as soon as they complete).`,
    );
  }

  static waitTimeout(jobId: string, timeoutMs: number, state: string): QueueError {
    return new QueueError(
      QueueErrorCode.WAIT_TIMEOUT,
      `Job ${quote(jobId)} did not finish within ${timeoutMs} ms (it is still ${state}). The job keeps running; ` +
        `wait longer, or check that a worker is started for its job name.`,
    );
  }

  static closed(operation: string): QueueError {
    return new QueueError(
      QueueErrorCode.QUEUE_CLOSED,
      `Cannot ${operation}: the job queue is closed. Create a new queue (createJobQueue) to keep working.`,
    );
  }
}

function quote(value: unknown): string {
  const text = typeof value === 'string' ? value : String(value);
  return JSON.stringify(text.length > 120 ? `${text.slice(0, 120)}...` : text);
}
