import { StorageError } from './storage.errors';

/** Longest object key any adapter accepts. */
export const MAX_KEY_LENGTH = 512;
/** Longest path segment: a file name on common filesystems. */
export const MAX_SEGMENT_LENGTH = 255;

const KEY_CHARS = /^[a-z0-9._/-]*$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Content-addressed key of a finished artifact: `artifacts/sha256/<first2>/<sha256>`. */
export function artifactKey(sha256: string): string {
  if (typeof sha256 !== 'string' || !SHA256_HEX.test(sha256)) {
    throw StorageError.invalidKey(sha256, 'an artifact key needs a sha256 digest of 64 lowercase hex characters');
  }
  return `artifacts/sha256/${sha256.slice(0, 2)}/${sha256}`;
}

/** Key of an upload in progress: `uploads/<uuid>` (the uuid is lowercased). */
export function stagingKey(uploadId: string): string {
  const id = typeof uploadId === 'string' ? uploadId.toLowerCase() : uploadId;
  if (typeof id !== 'string' || !UUID.test(id)) {
    throw StorageError.invalidKey(uploadId, 'a staging key needs an upload id in UUID form');
  }
  return `uploads/${id}`;
}

/** Every adapter method checks its keys with this before touching storage. */
export function assertSafeKey(key: unknown): asserts key is string {
  assertSafePath(key, 'key');
}

/**
 * A listing prefix: empty, or a safe key with an optional trailing "/" or a
 * partial last segment (`artifacts/sha256/a`). Only whole segments are used as
 * path components; the partial one is a string filter.
 */
export function assertSafePrefix(prefix: unknown): asserts prefix is string {
  assertSafePath(prefix, 'prefix');
}

function assertSafePath(value: unknown, kind: 'key' | 'prefix'): asserts value is string {
  if (typeof value !== 'string') throw StorageError.invalidKey(value, `the ${kind} must be a string`);
  if (value === '') {
    if (kind === 'prefix') return;
    throw StorageError.invalidKey(value, 'the key is empty');
  }
  if (value.length > MAX_KEY_LENGTH) {
    throw StorageError.invalidKey(value, `the ${kind} is ${value.length} characters long`);
  }
  if (!KEY_CHARS.test(value)) {
    const bad = [...value].find((c) => !KEY_CHARS.test(c)) ?? '';
    throw StorageError.invalidKey(value, `it contains the character ${JSON.stringify(bad)}`);
  }
  if (value.startsWith('/')) throw StorageError.invalidKey(value, 'it starts with "/"');

  const segments = value.split('/');
  // A prefix's last segment may be partial or empty (a trailing "/"): it only filters names.
  const whole = kind === 'prefix' ? segments.slice(0, -1) : segments;
  for (const segment of whole) {
    if (segment === '') throw StorageError.invalidKey(value, 'it has an empty path segment ("//" or a trailing "/")');
    if (segment === '.' || segment === '..') {
      throw StorageError.invalidKey(value, `it has a "${segment}" path segment`);
    }
    if (segment.length > MAX_SEGMENT_LENGTH) {
      throw StorageError.invalidKey(value, `a path segment is longer than ${MAX_SEGMENT_LENGTH} characters`);
    }
  }
}
