import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { PredictionLogError, PredictionLogErrorCode } from './prediction-log.errors';
import type { PredictionLogService } from './prediction-log.service';

export const PREDICTION_RETENTION_JOB = 'serving.prediction-retention';

const DAY_MS = 24 * 3600 * 1000;

export interface PredictionRetentionResult {
  readonly deleted: number;
  /** Predictions received before this instant were deleted (ISO 8601). */
  readonly cutoff: string;
}

export interface PredictionRetentionOptions {
  /** Rows per DELETE statement. Default 5000. */
  readonly batchSize?: number;
  readonly now?: () => Date;
}

/**
 * Registers the processor that deletes predictions older than `retentionDays` days (before
 * `queue.start()`, like every processor). The job takes no data; enqueue it on a schedule with
 * `enqueuePredictionRetention`, as the server does for `registry.expire-uploads`.
 */
export function registerPredictionRetentionJob(
  queue: JobQueue,
  service: PredictionLogService,
  retentionDays: number,
  logger: Logger,
  options: PredictionRetentionOptions = {},
): void {
  if (!Number.isInteger(retentionDays) || retentionDays < 1) {
    throw new PredictionLogError(
      PredictionLogErrorCode.INVALID_ARGUMENT,
      `prediction retention must be a whole number of days of at least 1 (got ${String(retentionDays)}).`,
    );
  }
  const batchSize = options.batchSize ?? 5000;
  const now = options.now ?? (() => new Date());
  const log = logger.child({ component: 'prediction-retention' });
  queue.register<unknown, PredictionRetentionResult>(
    PREDICTION_RETENTION_JOB,
    async () => {
      const cutoff = new Date(now().getTime() - retentionDays * DAY_MS);
      const deleted = await service.deleteOlderThan(cutoff, batchSize);
      if (deleted > 0) log.info({ deleted, cutoff: cutoff.toISOString(), retentionDays }, 'deleted predictions past their retention');
      return { deleted, cutoff: cutoff.toISOString() };
    },
    { concurrency: 1 },
  );
}

/** How often the worker enqueues the retention job by default. */
export const PREDICTION_RETENTION_INTERVAL_MS = 60 * 60_000;

/**
 * Enqueues one retention run. The job id names the current interval, so replicas that all
 * schedule it enqueue it once per interval (the approach of the upload sweep).
 */
export function enqueuePredictionRetention(queue: JobQueue, intervalMs = PREDICTION_RETENTION_INTERVAL_MS, now = Date.now()): Promise<string> {
  return queue.enqueue(PREDICTION_RETENTION_JOB, {}, { jobId: `prediction-retention-${Math.floor(now / intervalMs)}`, attempts: 3 });
}
