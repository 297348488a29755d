import type { Logger } from '@modelport/observability';
import { BullmqJobQueue } from './bullmq.queue';
import { InProcessJobQueue } from './in-process.queue';
import type { JobQueue } from './job-queue';

export interface CreateJobQueueOptions {
  /** Redis to keep jobs in (BullMQ); `null` runs jobs in this process's memory, not durably. */
  readonly redisUrl: string | null;
  /** Namespace of the Redis keys, so several installs (or test runs) can share one Redis. */
  readonly prefix: string;
  readonly logger: Logger;
}

/** The job queue for this process: BullMQ when Redis is configured, else the in-process adapter. */
export function createJobQueue(options: CreateJobQueueOptions): JobQueue {
  if (options.redisUrl === null) return new InProcessJobQueue({ logger: options.logger });
  return new BullmqJobQueue({ redisUrl: options.redisUrl, prefix: options.prefix, logger: options.logger });
}
