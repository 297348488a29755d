import { randomFillSync } from 'node:crypto';

/**
 * Prediction ids are RFC 9562 version 7 UUIDs:
 *
 *   48 bits unix_ts_ms | 4 bits version (7) | 12 bits rand_a | 2 bits variant (10) | 62 bits rand_b
 *
 * Monotonic within a millisecond by RFC 9562 section 6.2 method 1: rand_a and the 30 high bits
 * of rand_b form a 42-bit counter, seeded at random (top bit clear, so at least 2^41 ids fit in
 * one millisecond) whenever the millisecond changes and incremented otherwise; the last 32 bits
 * are fresh random bits in every id. If the clock stands still or goes back, the generator keeps
 * its last timestamp and counts on; if the counter runs out, it borrows the next millisecond.
 * So ids from one process are strictly increasing, as strings and as PostgreSQL uuids (both
 * compare bytes in order), and btree inserts stay at the right edge of the primary key.
 *
 * Ids of different processes are ordered by their clocks only; uniqueness across processes
 * rests on the 73 random bits drawn per millisecond.
 */

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
const COUNTER_LIMIT = 2 ** 42;
const LOW_BITS = 2 ** 30;
const POOL_BYTES = 4096;
const MAX_TIMESTAMP = 2 ** 48 - 1;

export interface PredictionIdSource {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Fills the array with cryptographically strong random bytes. */
  fillRandom(target: Uint8Array): void;
}

const systemSource: PredictionIdSource = { now: Date.now, fillRandom: (target) => randomFillSync(target) };

/** A generator with its own monotonic state; the default one is `newPredictionId`. */
export function createPredictionIdGenerator(source: PredictionIdSource = systemSource): () => string {
  // Random bytes come from a pool refilled 4 KiB at a time: one system call per 512 ids.
  const pool = new Uint8Array(POOL_BYTES);
  let poolAt = POOL_BYTES;
  const random32 = (): number => {
    if (poolAt + 4 > POOL_BYTES) {
      source.fillRandom(pool);
      poolAt = 0;
    }
    const v = ((pool[poolAt]! << 24) | (pool[poolAt + 1]! << 16) | (pool[poolAt + 2]! << 8) | pool[poolAt + 3]!) >>> 0;
    poolAt += 4;
    return v;
  };
  const freshCounter = (): number => (random32() & 0x7ff) * LOW_BITS + (random32() >>> 2);

  let lastMs = -1;
  let counter = 0;
  return () => {
    const now = source.now();
    if (now > lastMs) {
      lastMs = now;
      counter = freshCounter();
    } else if (++counter >= COUNTER_LIMIT) {
      lastMs += 1;
      counter = freshCounter();
    }
    if (!(lastMs >= 0 && lastMs <= MAX_TIMESTAMP)) throw new RangeError(`clock reading ${lastMs} does not fit a UUIDv7 timestamp`);
    const msHigh = Math.floor(lastMs / 0x10000);
    const msLow = lastMs % 0x10000;
    const counterHigh = Math.floor(counter / LOW_BITS);
    const counterLow = counter - counterHigh * LOW_BITS;
    const tail = random32();
    return (
      HEX[msHigh >>> 24]! +
      HEX[(msHigh >>> 16) & 0xff]! +
      HEX[(msHigh >>> 8) & 0xff]! +
      HEX[msHigh & 0xff]! +
      '-' +
      HEX[msLow >>> 8]! +
      HEX[msLow & 0xff]! +
      '-' +
      HEX[0x70 | (counterHigh >>> 8)]! +
      HEX[counterHigh & 0xff]! +
      '-' +
      HEX[0x80 | (counterLow >>> 24)]! +
      HEX[(counterLow >>> 16) & 0xff]! +
      '-' +
      HEX[(counterLow >>> 8) & 0xff]! +
      HEX[counterLow & 0xff]! +
      HEX[tail >>> 24]! +
      HEX[(tail >>> 16) & 0xff]! +
      HEX[(tail >>> 8) & 0xff]! +
      HEX[tail & 0xff]!
    );
  };
}

/** A new prediction id (UUIDv7, lowercase), strictly greater than every id this process made before. */
export const newPredictionId: () => string = createPredictionIdGenerator();

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** True for a version 7 UUID (any case). */
export function isPredictionId(value: unknown): value is string {
  return typeof value === 'string' && UUID_V7.test(value);
}

/** The millisecond embedded in a UUIDv7, or null when `id` is not one. */
export function predictionIdTime(id: string): Date | null {
  if (!isPredictionId(id)) return null;
  return new Date(parseInt(id.slice(0, 8) + id.slice(9, 13), 16));
}
