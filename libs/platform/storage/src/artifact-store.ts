import type { Readable } from 'node:stream';

export interface StoredObject {
  key: string;
  size: number;
  /** Lowercase hex sha256 of the stored bytes. */
  sha256: string;
}

export interface ObjectInfo {
  key: string;
  size: number;
}

export interface PutOptions {
  /** Declared byte count; the put fails with SIZE_MISMATCH if the body differs. */
  size?: number;
  /** Upper bound; the put fails with ARTIFACT_TOO_LARGE as soon as the body exceeds it. */
  maxBytes?: number;
}

/**
 * Where artifact bytes live. Keys are built by the server (see `artifactKey`,
 * `stagingKey`) and checked by every method (`assertSafeKey`); a bad key
 * fails with INVALID_KEY before storage is touched.
 */
export interface ArtifactStore {
  readonly kind: 'local' | 's3';
  /** Creates the directory / bucket if missing. Idempotent. */
  init(): Promise<void>;
  /**
   * Streams `body` into `key`, computing size and sha256 on the way. An object
   * becomes visible only once complete. On any failure (ARTIFACT_TOO_LARGE,
   * SIZE_MISMATCH, a failing body) nothing is left behind, an existing object at
   * `key` is unchanged, and a stream body is destroyed.
   */
  put(key: string, body: Readable | Buffer, options?: PutOptions): Promise<StoredObject>;
  /** The object's bytes; OBJECT_NOT_FOUND if missing. */
  get(key: string): Promise<Readable>;
  /** Size of the object, or null if missing. */
  stat(key: string): Promise<ObjectInfo | null>;
  /** Reads the object and returns its sha256 and size; OBJECT_NOT_FOUND if missing. */
  hash(key: string): Promise<StoredObject>;
  /** Copies an object, replacing `toKey`; OBJECT_NOT_FOUND if `fromKey` is missing. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Removes an object; a missing object is fine. */
  delete(key: string): Promise<void>;
  /** Objects whose key starts with `prefix` (plain string prefix), in no promised order. */
  list(prefix: string): AsyncIterable<ObjectInfo>;
  /** A URL a client can PUT the bytes to, or null when the adapter cannot presign. */
  presignPut(key: string, ttlSeconds: number): Promise<string | null>;
  /** A URL a client can GET the bytes from, or null when the adapter cannot presign. */
  presignGet(key: string, ttlSeconds: number): Promise<string | null>;
  /**
   * A URL a process on this machine can read the object from: file:// for the
   * local directory (for plugins launched on the same machine), a presigned
   * https:// URL for S3. OBJECT_NOT_FOUND if missing.
   */
  readUrl(key: string, ttlSeconds: number): Promise<string>;
  close(): Promise<void>;
}
