import type { JobQueue } from '@modelport/queue';
import { REPLAY_JOB, type ReplayJobData, type ReplayJobResult, type ReplayService } from './replay.service';

/**
 * Registers the replay processor (before `queue.start()`). Each job loads a model version for its
 * duration, so few run at once: concurrency 1 by default.
 */
export function registerReplayJobs(queue: Pick<JobQueue, 'register'>, service: ReplayService, options: { concurrency?: number } = {}): void {
  queue.register<ReplayJobData, ReplayJobResult>(REPLAY_JOB, (job) => service.runJob(job), { concurrency: options.concurrency ?? 1 });
}
