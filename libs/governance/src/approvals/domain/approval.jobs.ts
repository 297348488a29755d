import type { JobQueue } from '@modelport/queue';
import { APPLY_CHANGE_REQUEST_JOB, type ApprovalService } from './approval.service';

export { APPLY_CHANGE_REQUEST_JOB };

/** The periodic job that expires overdue requests and enqueues lost apply jobs again. */
export const SWEEP_CHANGE_REQUESTS_JOB = 'governance.sweep-change-requests';

/** How often the worker should enqueue the sweep. */
export const CHANGE_REQUEST_SWEEP_INTERVAL_MS = 5 * 60_000;

export interface ApplyChangeRequestJob {
  readonly requestId: string;
}

/**
 * Registers the approval processors (before `queue.start()`): the apply job runs
 * `applyApproved`, the sweep job runs `sweep`. Appliers must be registered on the service in
 * every process that runs these jobs.
 */
export function registerApprovalJobs(queue: JobQueue, service: ApprovalService, options: { applyConcurrency?: number } = {}): void {
  queue.register<ApplyChangeRequestJob, { status: string | null }>(
    APPLY_CHANGE_REQUEST_JOB,
    async (job) => {
      const request = await service.applyApproved(job.data.requestId);
      return { status: request?.status ?? null };
    },
    // Each apply holds a database connection (and the request's row lock) until it is done.
    { concurrency: options.applyConcurrency ?? 2 },
  );
  queue.register(SWEEP_CHANGE_REQUESTS_JOB, () => service.sweep(), { concurrency: 1 });
}

/** Enqueues one sweep; the job id names the interval, so replicas that all schedule it enqueue it once per interval. */
export function enqueueChangeRequestSweep(queue: Pick<JobQueue, 'enqueue'>, now: number = Date.now()): Promise<string> {
  return queue.enqueue(SWEEP_CHANGE_REQUESTS_JOB, {}, { jobId: `change-request-sweep-${Math.floor(now / CHANGE_REQUEST_SWEEP_INTERVAL_MS)}`, attempts: 3 });
}
