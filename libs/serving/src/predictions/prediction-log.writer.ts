import type { DataSource } from 'typeorm';
import { sqlState } from '@modelport/database';
import type { Logger } from '@modelport/observability';
import { PredictionLogError, PredictionLogErrorCode } from './prediction-log.errors';
import { columnArrays, encodeRow, INSERT_PREDICTIONS_SQL, RowEncodingError } from './prediction-log.columns';
import type { PredictionLogRow } from './prediction-log.types';

export interface PredictionLogWriterOptions {
  /** Most rows held in memory, waiting or being written. When full, `tryAppend` returns false. */
  readonly bufferRows: number;
  /** Most rows per INSERT; this many waiting rows start a flush at once. */
  readonly batchRows: number;
  /** Longest a row waits before a (possibly partial) batch is written. */
  readonly flushIntervalMs: number;
  /** Wait after the first failed flush of a streak; doubles with each further failure. Default 100. */
  readonly retryInitialMs?: number;
  /** Longest wait between retries. Default 30000. */
  readonly retryMaxMs?: number;
  /** A batch INSERT running (or waiting for a lock) longer than this is cancelled and retried. Default 30000. */
  readonly statementTimeoutMs?: number;
}

export interface PredictionLogStats {
  /** Rows in memory now (waiting or being written). */
  readonly buffered: number;
  /** Rows written to PostgreSQL since start. */
  readonly written: number;
  /** Batch INSERTs that failed (each is retried). */
  readonly failedFlushes: number;
  /** Rows refused by `tryAppend` (buffer full or writer closed): predictions the gateway refused. */
  readonly rejected: number;
  /** Rows PostgreSQL refused even without their payload, dropped with an error log each. */
  readonly discarded: number;
}

/**
 * Told about each batch once it committed: the rows it wrote, in the order they were appended
 * (rows PostgreSQL refused even without their payload are left out; rows written without their
 * payload are included). See `PredictionLogWriter.onFlushed`.
 */
export type PredictionLogFlushListener = (rows: readonly PredictionLogRow[]) => void;

/** What happened to one batch. */
type BatchOutcome =
  | { readonly ok: true; readonly stripped: readonly Refusal[]; readonly discarded: readonly Refusal[] }
  | { readonly ok: false; readonly error: unknown };

interface Refusal {
  readonly offset: number;
  readonly error: unknown;
}

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
}

function positiveInt(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw new PredictionLogError(PredictionLogErrorCode.INVALID_ARGUMENT, `prediction log ${name} must be a whole number of at least 1 (got ${String(value)}).`);
  }
  return value;
}

/** A refusal caused by the rows themselves (bad data, a violated constraint), not by the database being unavailable. */
function isRowError(err: unknown): boolean {
  if (err instanceof RowEncodingError) return true;
  const state = sqlState(err);
  return state !== null && (state.startsWith('22') || state.startsWith('23'));
}

/** An error as a log field: never the query's parameters (they hold whole batches of payloads). */
function describe(err: unknown): { message: string; code?: string } {
  const code = sqlState(err) ?? (err as { code?: unknown } | null)?.code;
  return { message: err instanceof Error ? err.message : String(err), ...(typeof code === 'string' ? { code } : {}) };
}

/**
 * Writes prediction log rows to PostgreSQL in batches, off the request path.
 *
 * `tryAppend` is O(1) and allocation-free: it stores the row in a fixed ring buffer and returns
 * false when the buffer is full, so the gateway can refuse the prediction (503) instead of
 * dropping its log row. A background flush takes up to `batchRows` rows from the head of the
 * buffer and writes them with one INSERT ... SELECT FROM unnest(...) in its own transaction;
 * rows leave the buffer only once their batch committed. One flush runs at a time, so rows are
 * written in the order they were appended.
 *
 * When the database fails (unreachable, timeout, lock, missing table), the batch stays at the
 * head and is retried with capped exponential backoff; the first failure of a streak is logged
 * as an error and the recovery as info. Meanwhile the buffer fills and `tryAppend` returns false.
 * Retries are idempotent (ON CONFLICT (id) DO NOTHING), so a batch whose COMMIT succeeded
 * without its answer arriving is not written twice.
 *
 * A row PostgreSQL itself refuses (SQLSTATE class 22 or 23, or a payload JSON cannot encode)
 * would otherwise block the buffer forever: the batch is split in halves until the refused rows
 * are found, each is retried without its payload, and only a row refused even then is dropped,
 * with an error log naming it and the `discarded` counter.
 */
export class PredictionLogWriter {
  private readonly slots: (PredictionLogRow | undefined)[];
  private readonly capacity: number;
  private readonly batchRows: number;
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly statementTimeoutMs: number;
  private readonly log: Logger;
  private readonly interval: NodeJS.Timeout;
  private readonly waiters: Waiter[] = [];
  private readonly listeners: PredictionLogFlushListener[] = [];

  private head = 0;
  private count = 0;
  /** Rows ever accepted, and rows that have left the buffer (written or discarded): flush() waits on these. */
  private accepted = 0;
  private settled = 0;

  private written = 0;
  private failedFlushes = 0;
  private rejected = 0;
  private discarded = 0;

  private closed = false;
  private abandoned = false;
  private draining = false;
  /** Write partial batches too (set by the timer, flush() and close()), until the buffer is empty. */
  private drainAll = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failureStreak = 0;
  private streakStartedAt = 0;
  private shedding = false;
  private rejectedWhileShedding = 0;

  constructor(
    private readonly db: DataSource,
    logger: Logger,
    options: PredictionLogWriterOptions,
  ) {
    this.capacity = positiveInt('bufferRows', options.bufferRows);
    this.batchRows = positiveInt('batchRows', options.batchRows);
    if (this.batchRows > this.capacity) {
      throw new PredictionLogError(
        PredictionLogErrorCode.INVALID_ARGUMENT,
        `prediction log batchRows (${this.batchRows}) cannot be larger than bufferRows (${this.capacity}).`,
      );
    }
    const flushIntervalMs = positiveInt('flushIntervalMs', options.flushIntervalMs);
    this.retryInitialMs = positiveInt('retryInitialMs', options.retryInitialMs ?? 100);
    this.retryMaxMs = Math.max(this.retryInitialMs, positiveInt('retryMaxMs', options.retryMaxMs ?? 30_000));
    this.statementTimeoutMs = positiveInt('statementTimeoutMs', options.statementTimeoutMs ?? 30_000);
    this.slots = new Array<PredictionLogRow | undefined>(this.capacity).fill(undefined);
    this.log = logger.child({ component: 'prediction-log' });
    this.interval = setInterval(this.onTick, flushIntervalMs);
    this.interval.unref();
  }

  /**
   * Buffers one row for writing. False when the buffer is full (or the writer closed): the
   * gateway must then refuse the prediction, e.g. with `PredictionLogError.logFull()`.
   */
  tryAppend(row: PredictionLogRow): boolean {
    if (this.count === this.capacity || this.closed) {
      this.reject();
      return false;
    }
    let at = this.head + this.count;
    if (at >= this.capacity) at -= this.capacity;
    this.slots[at] = row;
    this.count += 1;
    this.accepted += 1;
    if (this.count >= this.batchRows) this.kick(false);
    return true;
  }

  /** Whether `tryAppend` would accept a row now: lets the gateway refuse before running the model. */
  hasRoom(): boolean {
    return this.count < this.capacity && !this.closed;
  }

  get bufferRows(): number {
    return this.capacity;
  }

  stats(): PredictionLogStats {
    return { buffered: this.count, written: this.written, failedFlushes: this.failedFlushes, rejected: this.rejected, discarded: this.discarded };
  }

  /**
   * Calls `listener` after each batch commits, with the rows it wrote: each written row is passed
   * exactly once (a retried batch is reported only when it finally commits, however many tries
   * it took), in append order, before `flush()` resolves for those rows. The listener runs on the
   * writer's path: it must be quick (hand the rows on, do no I/O) and keep no reference to the
   * array beyond the call; an exception it throws is logged and does not affect the writer.
   * Returns a function that removes the listener.
   */
  onFlushed(listener: PredictionLogFlushListener): () => void {
    this.listeners.push(listener);
    return () => {
      const at = this.listeners.indexOf(listener);
      if (at >= 0) this.listeners.splice(at, 1);
    };
  }

  /** Resolves once every row appended before the call is written (or discarded); waits through retries. */
  flush(): Promise<void> {
    const target = this.accepted;
    if (this.settled >= target || this.abandoned) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ target, resolve });
      this.kick(true);
    });
  }

  /**
   * Refuses new rows, stops the timer and writes everything buffered. Without a timeout it waits
   * as long as the database needs; with one, rows still unwritten when it passes are given up
   * with an error log naming how many.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearInterval(this.interval);
      // Try at once instead of waiting out a backoff.
      if (this.retryTimer) {
        clearTimeout(this.retryTimer);
        this.retryTimer = null;
      }
    }
    const flushed = this.flush();
    if (options.timeoutMs === undefined) return flushed;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const result = await Promise.race([flushed, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout' && this.count > 0) this.abandon();
  }

  // ---- internals ----------------------------------------------------------

  private readonly onTick = (): void => {
    if (this.count > 0) this.kick(true);
  };

  private reject(): void {
    this.rejected += 1;
    if (this.shedding) {
      this.rejectedWhileShedding += 1;
      return;
    }
    this.shedding = true;
    this.rejectedWhileShedding = 1;
    if (this.closed) this.log.warn('prediction log writer is closed; refusing rows');
    else this.log.warn({ bufferRows: this.capacity }, 'prediction log buffer is full; predictions are refused until rows are written');
  }

  /** Starts a drain on the next turn of the event loop, unless one runs or a retry is pending. */
  private kick(all: boolean): void {
    if (all) this.drainAll = true;
    if (this.draining || this.retryTimer !== null || this.abandoned) return;
    this.draining = true;
    setImmediate(this.startDrain);
  }

  private readonly startDrain = (): void => {
    void this.drain();
  };

  private async drain(): Promise<void> {
    try {
      while (!this.abandoned && this.count > 0 && (this.drainAll || this.count >= this.batchRows)) {
        const size = Math.min(this.count, this.batchRows);
        const outcome = await this.writeBatch(size);
        if (this.abandoned) return;
        if (!outcome.ok) {
          this.failed(outcome.error);
          return;
        }
        this.succeeded(size, outcome);
      }
      if (this.count === 0) this.drainAll = false;
    } catch (err) {
      // Not expected (every database error is an outcome); keep the rows and retry like a failure.
      this.failed(err);
    } finally {
      this.draining = false;
    }
  }

  /** Writes the first `size` buffered rows; isolates rows PostgreSQL refuses. */
  private async writeBatch(size: number): Promise<BatchOutcome> {
    const error = await this.insert(0, size, false);
    if (error === null) return { ok: true, stripped: [], discarded: [] };
    if (!isRowError(error)) return { ok: false, error };
    const stripped: Refusal[] = [];
    const discarded: Refusal[] = [];
    const transient = await this.isolate(0, size, error, stripped, discarded);
    return transient === null ? { ok: true, stripped, discarded } : { ok: false, error: transient };
  }

  /**
   * The rows [offset, offset + size) were refused as a whole: write what can be written, halving
   * the range down to single rows. Returns a database (not row) error if one stops the search.
   */
  private async isolate(offset: number, size: number, error: unknown, stripped: Refusal[], discarded: Refusal[]): Promise<unknown> {
    if (size === 1) {
      const retry = await this.insert(offset, 1, true);
      if (retry === null) stripped.push({ offset, error });
      else if (isRowError(retry)) discarded.push({ offset, error: retry });
      else return retry;
      return null;
    }
    const half = size >>> 1;
    for (const [start, length] of [
      [offset, half],
      [offset + half, size - half],
    ] as const) {
      const failure = await this.insert(start, length, false);
      if (failure === null) continue;
      if (!isRowError(failure)) return failure;
      const transient = await this.isolate(start, length, failure, stripped, discarded);
      if (transient !== null) return transient;
    }
    return null;
  }

  /** One INSERT of the buffered rows [offset, offset + size) in its own transaction; the error, or null. */
  private async insert(offset: number, size: number, withoutPayload: boolean): Promise<unknown> {
    let columns;
    try {
      columns = columnArrays(size);
      for (let i = 0; i < size; i++) encodeRow(this.rowAt(offset + i), columns, i, withoutPayload);
    } catch (err) {
      return err;
    }
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SET LOCAL statement_timeout = ${this.statementTimeoutMs}`);
      await runner.query(INSERT_PREDICTIONS_SQL, columns);
      await runner.commitTransaction();
      return null;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      return err;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  private rowAt(offset: number): PredictionLogRow {
    let at = this.head + offset;
    if (at >= this.capacity) at -= this.capacity;
    return this.slots[at]!;
  }

  private succeeded(size: number, outcome: Extract<BatchOutcome, { ok: true }>): void {
    for (const { offset, error } of outcome.stripped) {
      const row = this.rowAt(offset);
      this.log.warn(
        { predictionId: row.id, deploymentId: row.deploymentId, err: describe(error) },
        'PostgreSQL refused a prediction log row with its payload; it was written without inputs, outputs and parameters',
      );
    }
    for (const { offset, error } of outcome.discarded) {
      const row = this.rowAt(offset);
      this.log.error(
        { predictionId: row.id, deploymentId: row.deploymentId, err: describe(error) },
        'PostgreSQL refused a prediction log row even without its payload; the row is dropped',
      );
    }
    if (this.listeners.length > 0) this.notify(size, outcome.discarded);
    for (let i = 0; i < size; i++) {
      this.slots[this.head] = undefined;
      this.head = this.head + 1 === this.capacity ? 0 : this.head + 1;
    }
    this.count -= size;
    this.settled += size;
    this.discarded += outcome.discarded.length;
    this.written += size - outcome.discarded.length;
    if (this.failureStreak > 0) {
      this.log.info(
        { failedFlushes: this.failureStreak, downForMs: Date.now() - this.streakStartedAt, buffered: this.count },
        'prediction log writes recovered',
      );
      this.failureStreak = 0;
    }
    if (this.shedding && !this.closed) {
      this.shedding = false;
      this.log.info({ rejected: this.rejectedWhileShedding }, 'prediction log buffer has room again; predictions are accepted');
    }
    while (this.waiters.length > 0 && this.waiters[0]!.target <= this.settled) this.waiters.shift()!.resolve();
  }

  /** Hands the written rows among the first `size` to the flush listeners. */
  private notify(size: number, discarded: readonly Refusal[]): void {
    const dropped = new Set(discarded.map((d) => d.offset));
    const rows: PredictionLogRow[] = [];
    for (let i = 0; i < size; i++) if (!dropped.has(i)) rows.push(this.rowAt(i));
    for (const listener of [...this.listeners]) {
      try {
        listener(rows);
      } catch (err) {
        this.log.error({ err: describe(err), rows: rows.length }, 'a prediction log flush listener failed; the rows are written, the listener missed them');
      }
    }
  }

  private failed(error: unknown): void {
    this.failedFlushes += 1;
    this.failureStreak += 1;
    const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.min(this.failureStreak - 1, 30));
    // Up to 20% jitter, so that replicas that failed together do not retry together.
    const retryInMs = Math.max(1, Math.round(delay * (1 - Math.random() * 0.2)));
    if (this.failureStreak === 1) {
      this.streakStartedAt = Date.now();
      this.log.error(
        { err: describe(error), buffered: this.count, bufferRows: this.capacity, retryInMs },
        'cannot write prediction log rows to PostgreSQL; they stay buffered and are retried with backoff (predictions are refused once the buffer is full)',
      );
    } else {
      this.log.debug({ err: describe(error), failedFlushes: this.failureStreak, retryInMs }, 'prediction log write failed again');
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick(true);
    }, retryInMs);
  }

  private abandon(): void {
    this.abandoned = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.log.error(
      { unwritten: this.count, written: this.written },
      'prediction log closed before every row could be written; the unwritten rows are lost',
    );
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
