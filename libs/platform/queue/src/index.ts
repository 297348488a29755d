export {
  DEFAULT_BACKOFF,
  DEFAULT_JOB_ATTEMPTS,
  DEFAULT_LIST_LIMIT,
  JOB_STATES,
  MAX_LIST_LIMIT,
  type JobContext,
  type JobHandler,
  type JobInfo,
  type JobOptions,
  type JobQueue,
  type JobState,
  type ListJobsFilter,
} from './job-queue';
export { QueueError, QueueErrorCode } from './queue.errors';
export { createJobQueue, type CreateJobQueueOptions } from './create-job-queue';
export { BullmqJobQueue, type BullmqJobQueueOptions } from './bullmq.queue';
export { InProcessJobQueue } from './in-process.queue';
