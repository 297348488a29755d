import { createHash, type Hash } from 'node:crypto';
import { Readable, Transform, type TransformCallback } from 'node:stream';
import type { PutOptions } from './artifact-store';
import { StorageError } from './storage.errors';

/** Longest presigned URL lifetime S3 accepts (7 days). */
export const MAX_PRESIGN_TTL_SECONDS = 604_800;

/**
 * A pass-through that counts and hashes the bytes flowing through it and
 * fails the stream as soon as a limit is broken: more than `maxBytes`
 * (ARTIFACT_TOO_LARGE) or a byte count other than the declared `size`
 * (SIZE_MISMATCH). The constructor rejects a declared size above the limit
 * before any byte is read.
 */
export class ByteMeter extends Transform {
  private readonly hasher: Hash = createHash('sha256');
  private count = 0;

  constructor(private readonly limits: PutOptions = {}) {
    super();
    checkLimit('size', limits.size);
    checkLimit('maxBytes', limits.maxBytes);
    if (limits.size !== undefined && limits.maxBytes !== undefined && limits.size > limits.maxBytes) {
      throw StorageError.tooLarge(limits.maxBytes);
    }
  }

  get bytes(): number {
    return this.count;
  }

  /** Hex sha256 of everything that passed; call once the stream has finished. */
  sha256(): string {
    return this.hasher.digest('hex');
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.count += chunk.length;
    const { size, maxBytes } = this.limits;
    if (maxBytes !== undefined && this.count > maxBytes) return callback(StorageError.tooLarge(maxBytes));
    if (size !== undefined && this.count > size) return callback(StorageError.sizeMismatch(size, 'more were sent'));
    this.hasher.update(chunk);
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    const { size } = this.limits;
    if (size !== undefined && this.count !== size) {
      return callback(StorageError.sizeMismatch(size, `only ${this.count} arrived`));
    }
    callback();
  }
}

export function toReadable(body: Readable | Buffer): Readable {
  return Buffer.isBuffer(body) ? Readable.from([body]) : body;
}

/** Destroys a stream body that a failed put did not finish reading. */
export function discardBody(body: Readable | Buffer): void {
  if (!Buffer.isBuffer(body)) body.destroy();
}

export function checkPresignTtl(ttlSeconds: number): void {
  if (!Number.isInteger(ttlSeconds) || ttlSeconds < 1 || ttlSeconds > MAX_PRESIGN_TTL_SECONDS) {
    throw new RangeError(`ttlSeconds must be an integer from 1 to ${MAX_PRESIGN_TTL_SECONDS}, got ${ttlSeconds}`);
  }
}

function checkLimit(name: string, value: number | undefined): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < 0)) {
    throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
  }
}
