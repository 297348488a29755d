import type { JobQueue } from '@modelport/queue';
import { DELIVER_REFRESH_JOB, EVALUATE_REFRESH_JOB, type DeliverRefreshJob, type RefreshService } from './refresh.service';

/** How often the worker enqueues the evaluation of every refresh policy. */
export const REFRESH_EVALUATION_INTERVAL_MS = 60_000;

/** Registers the evaluation and webhook delivery processors (before `queue.start()`). */
export function registerRefreshJobs(queue: Pick<JobQueue, 'register'>, service: RefreshService): void {
  queue.register(EVALUATE_REFRESH_JOB, () => service.evaluate(), { concurrency: 1 });
  queue.register<DeliverRefreshJob, { state: string }>(DELIVER_REFRESH_JOB, async (job) => ({ state: await service.deliver(job.data) }), { concurrency: 4 });
}

/** One evaluation per interval: the job id names the interval, so replicas that all schedule it run it once. */
export function enqueueRefreshEvaluation(queue: Pick<JobQueue, 'enqueue'>, now: number = Date.now()): Promise<string> {
  return queue.enqueue(EVALUATE_REFRESH_JOB, {}, { jobId: `refresh-evaluation-${Math.floor(now / REFRESH_EVALUATION_INTERVAL_MS)}`, attempts: 1 });
}
