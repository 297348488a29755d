import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { testServices } from '@modelport/config';
import { silentLogger } from '@modelport/observability';
import { createJobQueue } from './create-job-queue';
import { capturingLogger, describeJobQueueContract, eventually } from './job-queue.contract';
import type { JobQueue } from './job-queue';
import { QueueErrorCode } from './queue.errors';

const { redisUrl } = testServices();
/** Every key and connection name of this run starts with `${runPrefix}:`. */
const runPrefix = `mp-test-${randomBytes(6).toString('hex')}`;
const redis = new Redis(redisUrl, { connectionName: `${runPrefix}-inspector` });

async function scanKeys(pattern: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

async function connectionNames(prefix: string): Promise<string[]> {
  const list = await redis.client('LIST');
  return String(list)
    .split('\n')
    .map((line) => /(?:^| )name=(\S*)/.exec(line)?.[1] ?? '')
    .filter((name) => name.startsWith(`${prefix}:`));
}

afterAll(async () => {
  const keys = await scanKeys(`${runPrefix}:*`);
  for (let i = 0; i < keys.length; i += 500) await redis.del(...keys.slice(i, i + 500));
  const left = await scanKeys(`${runPrefix}:*`);
  await redis.quit();
  expect(left).toEqual([]);
});

describeJobQueueContract('in-process', ({ logger }) => createJobQueue({ redisUrl: null, prefix: runPrefix, logger }));

describeJobQueueContract('bullmq', ({ namespace, logger }) =>
  createJobQueue({ redisUrl, prefix: `${runPrefix}:${namespace}`, logger }),
);

describe('in-process adapter', () => {
  let queue: JobQueue | null = null;
  afterEach(async () => queue?.close());

  it('is not durable, and warns once at start that jobs are lost on restart', async () => {
    const { logger, lines } = capturingLogger();
    queue = createJobQueue({ redisUrl: null, prefix: runPrefix, logger });
    queue.register('noop', async () => null);

    expect(lines.filter((line) => line.level === 40)).toEqual([]);
    await queue.start();
    await queue.start();

    expect(queue).toMatchObject({ kind: 'in-process', durable: false });
    const warnings = lines.filter((line) => line.level === 40);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.msg).toContain('not durable');
  });

  it('rejects a job name that has no handler in this process', async () => {
    queue = createJobQueue({ redisUrl: null, prefix: runPrefix, logger: silentLogger() });
    queue.register('known', async () => null);

    const attempt = queue.enqueue('unknown-job', {});

    await expect(attempt).rejects.toMatchObject({ code: QueueErrorCode.UNKNOWN_JOB_NAME });
    await expect(attempt).rejects.toThrow('register("unknown-job", handler)');
  });
});

describe('BullMQ adapter', () => {
  const queues: JobQueue[] = [];
  function open(prefix: string): JobQueue {
    const queue = createJobQueue({ redisUrl, prefix, logger: silentLogger() });
    queues.push(queue);
    return queue;
  }
  afterEach(async () => {
    await Promise.all(queues.splice(0).map((queue) => queue.close()));
  });

  it('accepts a job only another process handles, and that process runs it', async () => {
    const prefix = `${runPrefix}:shared`;
    const api = open(prefix);
    expect(api).toMatchObject({ kind: 'bullmq', durable: true });

    const id = await api.enqueue('transcode', { file: 'model.onnx' });
    expect(await api.getJob(id)).toMatchObject({ state: 'waiting', name: 'transcode' });

    const worker = open(prefix);
    worker.register<{ file: string }, string>('transcode', async (job) => `converted ${job.data.file}`);
    await worker.start();

    expect(await api.waitFor(id, 15_000)).toMatchObject({ state: 'completed', returnValue: 'converted model.onnx' });
    expect((await api.listJobs({ states: ['completed'] })).map((job) => job.id)).toEqual([id]);
  });

  it('keeps its keys under its prefix and sees nothing of another prefix', async () => {
    const mine = open(`${runPrefix}:tenant-a`);
    const theirs = open(`${runPrefix}:tenant-b`);

    const id = await mine.enqueue('score', { row: 1 });

    expect(await theirs.getJob(id)).toBeNull();
    expect(await theirs.listJobs({})).toEqual([]);
    const keysNamingTheJob = await scanKeys(`*${id}*`);
    expect(keysNamingTheJob.length).toBeGreaterThan(0);
    expect(keysNamingTheJob.every((key) => key.startsWith(`${runPrefix}:tenant-a:`))).toBe(true);
  });

  it('close() releases every Redis connection it opened', async () => {
    const prefix = `${runPrefix}:conn`;
    const queue = open(prefix);
    queue.register('ping', async () => 'pong');
    await queue.start();
    await queue.waitFor(await queue.enqueue('ping', null), 15_000);
    const whileRunning = await connectionNames(prefix);

    await queue.close();

    // The shared queue connection, the worker's own and its blocking one.
    expect(whileRunning.length).toBeGreaterThanOrEqual(3);
    await eventually(async () => (await connectionNames(prefix)).length === 0, 'connections to close');
  });
});
