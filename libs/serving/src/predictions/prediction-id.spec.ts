import { randomFillSync } from 'node:crypto';
import { createPredictionIdGenerator, isPredictionId, newPredictionId, predictionIdTime } from './prediction-id';

const V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** A clock the test moves by hand. */
function manualClock(start: number) {
  let now = start;
  return {
    now: () => now,
    set: (ms: number) => (now = ms),
    fillRandom: (target: Uint8Array) => randomFillSync(target),
  };
}

/** The 42-bit counter (rand_a and the 30 high bits of rand_b) of a UUIDv7 made here. */
function counterOf(id: string): number {
  const hex = id.replace(/-/g, '');
  const randA = parseInt(hex.slice(13, 16), 16);
  const randB30 = parseInt(hex.slice(16, 24), 16) & 0x3fffffff;
  return randA * 2 ** 30 + randB30;
}

describe('newPredictionId', () => {
  it('makes lowercase RFC 9562 version 7 UUIDs with the RFC variant', () => {
    for (let i = 0; i < 1000; i++) {
      const id = newPredictionId();
      expect(id).toMatch(V7);
      expect(isPredictionId(id)).toBe(true);
    }
  });

  it('embeds the current Unix time in milliseconds in the first 48 bits', () => {
    const before = Date.now();
    const id = newPredictionId();
    const after = Date.now();
    const ms = parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(ms).toBeGreaterThanOrEqual(before);
    expect(ms).toBeLessThanOrEqual(after);
    expect(predictionIdTime(id)!.getTime()).toBe(ms);
  });

  it('is strictly increasing and unique across many ids made within the same milliseconds', () => {
    const ids = Array.from({ length: 200_000 }, () => newPredictionId());
    for (let i = 1; i < ids.length; i++) {
      if (!(ids[i - 1]! < ids[i]!)) throw new Error(`id ${i} (${ids[i]}) is not greater than id ${i - 1} (${ids[i - 1]})`);
    }
    expect(new Set(ids).size).toBe(ids.length);
    // Far more ids than milliseconds passed: many share a timestamp, so the counter did the ordering.
    const timestamps = new Set(ids.map((id) => id.slice(0, 13)));
    expect(timestamps.size).toBeLessThan(ids.length / 10);
  });

  it('has random bits that differ between ids of the same millisecond', () => {
    const ids = Array.from({ length: 1000 }, () => newPredictionId());
    expect(new Set(ids.map((id) => id.slice(-8))).size).toBeGreaterThan(990);
  });
});

describe('createPredictionIdGenerator', () => {
  it('counts up by one within a millisecond while the clock stands still', () => {
    const clock = manualClock(1_795_000_000_000);
    const next = createPredictionIdGenerator(clock);
    const ids = Array.from({ length: 1000 }, () => next());
    for (const id of ids) expect(predictionIdTime(id)!.getTime()).toBe(1_795_000_000_000);
    for (let i = 1; i < ids.length; i++) {
      expect(ids[i - 1]! < ids[i]!).toBe(true);
      expect(counterOf(ids[i]!)).toBe(counterOf(ids[i - 1]!) + 1);
    }
  });

  it('reseeds the counter at random when the millisecond changes, leaving room to count', () => {
    const clock = manualClock(1_795_000_000_000);
    const next = createPredictionIdGenerator(clock);
    const seeds = new Set<number>();
    for (let ms = 0; ms < 200; ms++) {
      clock.set(1_795_000_000_000 + ms);
      const counter = counterOf(next());
      expect(counter).toBeLessThan(2 ** 41);
      seeds.add(counter);
    }
    expect(seeds.size).toBe(200);
  });

  it('stays increasing when the clock goes back, keeping the last timestamp until the clock catches up', () => {
    const clock = manualClock(1_795_000_000_500);
    const next = createPredictionIdGenerator(clock);
    const first = next();
    clock.set(1_795_000_000_000);
    const second = next();
    const third = next();
    expect(first < second && second < third).toBe(true);
    expect(predictionIdTime(second)!.getTime()).toBe(1_795_000_000_500);
    clock.set(1_795_000_000_501);
    const fourth = next();
    expect(third < fourth).toBe(true);
    expect(predictionIdTime(fourth)!.getTime()).toBe(1_795_000_000_501);
  });

  it('carries the counter from rand_b into rand_a and keeps the order', () => {
    // All-ones randomness seeds the highest counter allowed: 2^41 - 1, i.e. rand_a 0x7ff and the 30 counter bits of rand_b all set.
    const next = createPredictionIdGenerator({ now: () => 1_795_000_000_000, fillRandom: (t) => t.fill(0xff) });
    const high = next();
    const carried = next();
    expect(counterOf(high)).toBe(2 ** 41 - 1);
    expect(counterOf(carried)).toBe(2 ** 41);
    expect(high.slice(14, 18)).toBe('77ff');
    expect(carried.slice(14, 18)).toBe('7800');
    expect(carried).toMatch(V7);
    expect(high < carried).toBe(true);
  });

  it('refuses a clock reading outside the 48-bit timestamp', () => {
    expect(() => createPredictionIdGenerator(manualClock(-1))()).toThrow(RangeError);
    expect(() => createPredictionIdGenerator(manualClock(2 ** 48))()).toThrow(RangeError);
  });
});

describe('predictionIdTime and isPredictionId', () => {
  it('reject ids that are not version 7 UUIDs', () => {
    expect(isPredictionId('0f8fad5b-d9cb-469f-a165-70867728950e')).toBe(false);
    expect(isPredictionId('not an id')).toBe(false);
    expect(isPredictionId(42)).toBe(false);
    expect(predictionIdTime('0f8fad5b-d9cb-469f-a165-70867728950e')).toBeNull();
  });
});
