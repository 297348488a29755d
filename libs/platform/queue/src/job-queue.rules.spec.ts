import { Backoffs } from 'bullmq';
import { backoffDelayMs, resolveJobOptions, resolveListFilter, toJson } from './job-queue.rules';
import { QueueError, QueueErrorCode } from './queue.errors';

function errorOf(action: () => unknown): QueueError {
  try {
    action();
  } catch (err) {
    if (err instanceof QueueError) return err;
    throw err;
  }
  throw new Error('expected a QueueError');
}

describe('backoffDelayMs', () => {
  it.each(['fixed', 'exponential'] as const)('matches BullMQ %s backoff, so both adapters wait the same', async (type) => {
    for (const delayMs of [0, 1, 50, 333, 1000]) {
      for (let attemptsMade = 1; attemptsMade <= 8; attemptsMade += 1) {
        const bull = await Backoffs.calculate({ type, delay: delayMs }, attemptsMade, new Error('x'), undefined as never);
        expect(backoffDelayMs({ type, delayMs }, attemptsMade)).toBe(bull);
      }
    }
  });

  it('doubles the exponential delay after each failure', () => {
    const backoff = { type: 'exponential', delayMs: 1000 } as const;
    expect([1, 2, 3, 4].map((n) => backoffDelayMs(backoff, n))).toEqual([1000, 2000, 4000, 8000]);
  });
});

describe('resolveJobOptions', () => {
  it('defaults to 3 attempts, exponential backoff from 1000 ms, no delay, kept on completion', () => {
    expect(resolveJobOptions(undefined)).toEqual({
      attempts: 3,
      backoff: { type: 'exponential', delayMs: 1000 },
      delayMs: 0,
      jobId: null,
      removeOnComplete: false,
    });
  });

  it.each([
    [{ attempts: 0 }, 'attempts'],
    [{ attempts: 1.5 }, 'attempts'],
    [{ backoff: { type: 'linear', delayMs: 10 } }, 'backoff.type'],
    [{ backoff: { type: 'fixed', delayMs: -1 } }, 'backoff.delayMs'],
    [{ delayMs: Number.NaN }, 'delayMs'],
    [{ jobId: '' }, 'jobId'],
    [{ jobId: '42' }, 'integer'],
    [{ jobId: 'run:1' }, '":"'],
    [{ jobId: 'meta' }, 'reserved'],
  ])('rejects %j with a message naming %s', (options, fragment) => {
    const error = errorOf(() => resolveJobOptions(options as never));
    expect(error.code).toBe(QueueErrorCode.INVALID_ARGUMENT);
    expect(error.message).toContain(fragment);
  });
});

describe('resolveListFilter', () => {
  it('defaults to every state and 50 jobs, and refuses unknown states', () => {
    expect(resolveListFilter({})).toEqual({
      name: undefined,
      states: ['waiting', 'delayed', 'active', 'completed', 'failed'],
      limit: 50,
    });
    expect(errorOf(() => resolveListFilter({ states: ['paused' as never] })).code).toBe(QueueErrorCode.INVALID_ARGUMENT);
    expect(errorOf(() => resolveListFilter({ limit: 1001 })).code).toBe(QueueErrorCode.INVALID_ARGUMENT);
  });
});

describe('toJson', () => {
  it('returns the JSON of plain data and drops undefined properties', () => {
    expect(toJson({ a: [1, 'x', null, true], b: { c: 1.5 }, d: undefined }, 'data')).toBe(
      '{"a":[1,"x",null,true],"b":{"c":1.5}}',
    );
    expect(toJson(Object.assign(Object.create(null) as object, { k: 1 }), 'data')).toBe('{"k":1}');
  });

  it.each([
    [{ when: new Date(0) }, 'data.when is a Date'],
    [{ list: [1, undefined] }, 'data.list[1] is undefined'],
    [{ 'odd key': Infinity }, 'data["odd key"] is Infinity'],
    [{ id: 1n }, 'data.id is a BigInt'],
    [new (class Model {})(), 'data is a Model'],
  ])('rejects %p with the offending path', (value, fragment) => {
    const error = errorOf(() => toJson(value, 'data of job "x"'));
    expect(error.code).toBe(QueueErrorCode.DATA_NOT_SERIALIZABLE);
    expect(error.message).toContain(fragment);
  });

  it('rejects circular structures but accepts the same object twice side by side', () => {
    const shared = { v: 1 };
    expect(toJson({ a: shared, b: shared }, 'data')).toBe('{"a":{"v":1},"b":{"v":1}}');
    const loop: { next?: unknown } = {};
    loop.next = { back: loop };
    expect(errorOf(() => toJson(loop, 'data')).message).toContain('data.next.back refers back to itself');
  });
});
