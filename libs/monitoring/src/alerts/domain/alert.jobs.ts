import type { JobQueue } from '@modelport/queue';
import { DELIVER_WEBHOOK_JOB, EVALUATE_ALERTS_JOB, type AlertService } from './alert.service';

/** How often the worker enqueues the evaluation of every alert rule. */
export const ALERT_EVALUATION_INTERVAL_MS = 60_000;

/** Registers the evaluation and webhook delivery processors (before `queue.start()`). */
export function registerAlertJobs(queue: JobQueue, service: AlertService): void {
  queue.register(EVALUATE_ALERTS_JOB, () => service.evaluate(), { concurrency: 1 });
  queue.register<{ deliveryId: string; attempt: number }, { status: string }>(DELIVER_WEBHOOK_JOB, async (job) => ({ status: await service.deliver(job.data) }), {
    concurrency: 4,
  });
}

/** One evaluation per interval: the job id names the interval, so replicas that all schedule it run it once. */
export function enqueueAlertEvaluation(queue: Pick<JobQueue, 'enqueue'>, now: number = Date.now()): Promise<string> {
  return queue.enqueue(EVALUATE_ALERTS_JOB, {}, { jobId: `alert-evaluation-${Math.floor(now / ALERT_EVALUATION_INTERVAL_MS)}`, attempts: 1 });
}
