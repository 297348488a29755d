import { randomUUID } from 'node:crypto';
import { sqlState } from '@modelport/database';
import type { Logger } from '@modelport/observability';
import type { PredictionLogRow } from '@modelport/serving';
import { RollupBatch } from './rollup-batch';

/** Where rollup writes go (HealthStore in production). */
export interface RollupSink {
  /** Applies the batch atomically; false when `writeId` was applied before (nothing changed). */
  apply(writeId: string, batch: RollupBatch, statementTimeoutMs: number): Promise<boolean>;
  /** Forgets write ids older than this; returns how many. */
  sweepLedger(olderThanMs: number): Promise<number>;
}

export interface HealthRollupOptions {
  /** Wait after the first failed write of a streak; doubles with each further failure. Default 100. */
  readonly retryInitialMs?: number;
  /** Longest wait between retries. Default 30000. */
  readonly retryMaxMs?: number;
  /** A write running longer than this is cancelled and retried. Default 30000. */
  readonly statementTimeoutMs?: number;
  /** Write ids are kept this long for idempotent retries. Default one day. */
  readonly ledgerRetentionMs?: number;
  /** How often old write ids are swept (after a successful write). Default 10 minutes. */
  readonly ledgerSweepIntervalMs?: number;
}

export interface HealthRollupStats {
  /** Rows received and not yet in the rollups (waiting or being written). */
  readonly pendingRows: number;
  /** Rows counted into the rollups since start. */
  readonly writtenRows: number;
  /** Writes that failed (each is retried). */
  readonly failedWrites: number;
  /** Retried writes found already applied (their first try committed; not counted twice). */
  readonly duplicateWrites: number;
  /** Rows given up on (refused as data, or still pending at a close that timed out); each logged with the window to backfill. */
  readonly droppedRows: number;
}

function describe(err: unknown): { message: string; code?: string } {
  const code = sqlState(err);
  return { message: err instanceof Error ? err.message : String(err), ...(code ? { code } : {}) };
}

/** A refusal of the data itself (SQLSTATE class 22 or 23): retrying the same write can never succeed. */
function isDataError(err: unknown): boolean {
  const state = sqlState(err);
  return state !== null && (state.startsWith('22') || state.startsWith('23'));
}

/**
 * Keeps the health rollups up to date from the prediction log: `record` takes each batch the log
 * writer committed (PredictionLogWriter.onFlushed) and folds it into additive deltas; one write at
 * a time applies everything folded so far in one transaction. Rows that arrive while a write runs
 * fold into the next one, so the number of writes adapts to the load (one per log batch when the
 * database keeps up, fewer and larger ones when it does not).
 *
 * Exactly once: each write carries an id recorded in a ledger in the same transaction. A failed
 * write is retried, with capped exponential backoff, with the same id and the same deltas (new
 * rows wait in the next batch), so a retry after a COMMIT whose answer was lost is recognised and
 * skipped. While the database fails, deltas wait in memory; they grow with the number of distinct
 * (deployment, minute, version) and callers, not with the number of rows.
 *
 * What can still be lost is logged with its window, for `HealthService.backfill`: a write
 * PostgreSQL refuses as data (SQLSTATE 22/23, e.g. a bucket count overflowing), and deltas still
 * pending when the process is killed or `close` times out.
 */
export class HealthRollupWriter {
  private readonly retryInitialMs: number;
  private readonly retryMaxMs: number;
  private readonly statementTimeoutMs: number;
  private readonly ledgerRetentionMs: number;
  private readonly ledgerSweepIntervalMs: number;
  private readonly log: Logger;

  private pending = new RollupBatch();
  private inFlight: { readonly id: string; readonly batch: RollupBatch } | null = null;
  private readonly waiters: { readonly target: number; readonly resolve: () => void }[] = [];
  private received = 0;
  private settled = 0;
  private written = 0;
  private failedWrites = 0;
  private duplicateWrites = 0;
  private dropped = 0;
  private running = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failureStreak = 0;
  private streakStartedAt = 0;
  private lastSweepAt = 0;
  private closed = false;
  private abandoned = false;

  constructor(
    private readonly sink: RollupSink,
    logger: Logger,
    options: HealthRollupOptions = {},
  ) {
    this.retryInitialMs = options.retryInitialMs ?? 100;
    this.retryMaxMs = Math.max(this.retryInitialMs, options.retryMaxMs ?? 30_000);
    this.statementTimeoutMs = options.statementTimeoutMs ?? 30_000;
    this.ledgerRetentionMs = options.ledgerRetentionMs ?? 24 * 3600_000;
    this.ledgerSweepIntervalMs = options.ledgerSweepIntervalMs ?? 10 * 60_000;
    this.log = logger.child({ component: 'health-rollup' });
  }

  /** Folds committed prediction log rows in; O(rows), no I/O. Meant as the log writer's flush listener. */
  record(rows: readonly PredictionLogRow[]): void {
    if (rows.length === 0) return;
    if (this.closed && this.abandoned) {
      const late = new RollupBatch();
      late.add(rows);
      this.drop(late, 'the health rollup writer is closed; these rows are in the prediction log but not in the rollups', null);
      this.dropped += late.rows;
      return;
    }
    this.pending.add(rows);
    this.received += rows.length;
    this.kick();
  }

  stats(): HealthRollupStats {
    return {
      pendingRows: this.received - this.settled,
      writtenRows: this.written,
      failedWrites: this.failedWrites,
      duplicateWrites: this.duplicateWrites,
      droppedRows: this.dropped,
    };
  }

  /** Resolves once every row recorded before the call is in the rollups (or given up on); waits through retries. */
  flush(): Promise<void> {
    const target = this.received;
    if (this.settled >= target || this.abandoned) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.waiters.push({ target, resolve });
      this.kick();
    });
  }

  /**
   * Writes what is pending, retrying at once instead of waiting out a backoff. With a timeout,
   * deltas still unwritten when it passes are given up, with an error log naming their window.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    this.closed = true;
    if (this.retryTimer) {
      clearTimeout(this.retryTimer);
      this.retryTimer = null;
      this.kick();
    }
    const flushed = this.flush();
    if (options.timeoutMs === undefined) return flushed;
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), options.timeoutMs)));
    const result = await Promise.race([flushed, timedOut]);
    clearTimeout(timer);
    if (result === 'timeout') this.abandon();
  }

  // ---- internals ----------------------------------------------------------

  private kick(): void {
    if (this.running || this.retryTimer !== null || this.abandoned) return;
    if (this.inFlight === null && this.pending.isEmpty) return;
    this.running = true;
    setImmediate(this.startDrain);
  }

  private readonly startDrain = (): void => {
    void this.drain();
  };

  private async drain(): Promise<void> {
    try {
      while (!this.abandoned) {
        if (this.inFlight === null) {
          if (this.pending.isEmpty) break;
          this.inFlight = { id: randomUUID(), batch: this.pending };
          this.pending = new RollupBatch();
        }
        const { id, batch } = this.inFlight;
        let applied: boolean;
        try {
          applied = await this.sink.apply(id, batch, this.statementTimeoutMs);
        } catch (err) {
          if (this.abandoned) return;
          if (isDataError(err)) {
            this.inFlight = null;
            this.drop(batch, 'PostgreSQL refused a health rollup write as invalid data; its rows are not in the rollups', err);
            this.dropped += batch.rows;
            this.settle(batch.rows);
            continue;
          }
          this.failed(err);
          return;
        }
        if (this.abandoned) return;
        this.inFlight = null;
        if (!applied) this.duplicateWrites += 1;
        this.written += batch.rows;
        this.settle(batch.rows);
        if (this.failureStreak > 0) {
          this.log.info({ failedWrites: this.failureStreak, downForMs: Date.now() - this.streakStartedAt }, 'health rollup writes recovered');
          this.failureStreak = 0;
        }
        this.maybeSweep();
      }
    } catch (err) {
      // Not expected (sink errors are handled above); retry like a failure.
      this.failed(err);
    } finally {
      this.running = false;
    }
  }

  private settle(rows: number): void {
    this.settled += rows;
    while (this.waiters.length > 0 && this.waiters[0]!.target <= this.settled) this.waiters.shift()!.resolve();
  }

  /** Logs rows given up on, with the window to rebuild. */
  private drop(batch: RollupBatch, message: string, err: unknown): void {
    this.log.error({ rows: batch.rows, backfill: batch.span(), ...(err ? { err: describe(err) } : {}) }, `${message}: rebuild the window with backfill`);
  }

  private failed(error: unknown): void {
    this.failedWrites += 1;
    this.failureStreak += 1;
    const delay = Math.min(this.retryMaxMs, this.retryInitialMs * 2 ** Math.min(this.failureStreak - 1, 30));
    const retryInMs = this.closed ? Math.min(delay, this.retryInitialMs) : Math.max(1, Math.round(delay * (1 - Math.random() * 0.2)));
    if (this.failureStreak === 1) {
      this.streakStartedAt = Date.now();
      this.log.error(
        { err: describe(error), pendingRows: this.received - this.settled, retryInMs },
        'cannot write health rollups; the counts wait in memory and are retried with backoff',
      );
    } else {
      this.log.debug({ err: describe(error), failedWrites: this.failureStreak, retryInMs }, 'health rollup write failed again');
    }
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      this.kick();
    }, retryInMs);
  }

  private maybeSweep(): void {
    const now = Date.now();
    if (now - this.lastSweepAt < this.ledgerSweepIntervalMs) return;
    this.lastSweepAt = now;
    this.sink.sweepLedger(this.ledgerRetentionMs).catch((err: unknown) => this.log.warn({ err: describe(err) }, 'could not sweep the health rollup ledger'));
  }

  private abandon(): void {
    this.abandoned = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const batches = [this.inFlight?.batch, this.pending].filter((b): b is RollupBatch => b !== undefined && !b.isEmpty);
    const rows = batches.reduce((n, b) => n + b.rows, 0);
    if (rows > 0) {
      this.dropped += rows;
      this.log.error(
        { rows, backfill: batches.map((b) => b.span()) },
        'health rollup writer closed before every count could be written: rebuild these windows with backfill',
      );
    }
    this.inFlight = null;
    this.pending = new RollupBatch();
    this.settled = this.received;
    for (const waiter of this.waiters.splice(0)) waiter.resolve();
  }
}
