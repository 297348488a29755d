import { randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import * as Minio from 'minio';
import type { S3Config } from '@modelport/config';
import type { Logger } from '@modelport/observability';
import type { ArtifactStore, ObjectInfo, PutOptions, StoredObject } from './artifact-store';
import { ByteMeter, checkPresignTtl, discardBody, toReadable } from './byte-meter';
import { assertSafeKey, assertSafePrefix } from './keys';
import { StorageError } from './storage.errors';

export interface S3StoreOptions {
  /** Where bodies of unknown size are buffered before upload. Default: the OS temp directory. */
  spoolDirectory?: string;
}

const NOT_FOUND_CODES = new Set(['NoSuchKey', 'NotFound']);

/**
 * Objects in one S3 (or MinIO) bucket through the `minio` client.
 *
 * A put of known `size` streams through the size/hash meter straight into
 * `putObject`; one of unknown size is first metered into a temp file, then
 * uploaded with its size, so the limits are enforced before a byte is sent and
 * memory stays bounded. (The client itself holds up to one part, 64 MiB by
 * default, in memory; larger objects go multipart.) S3 only shows an object
 * once its upload completes, so a failed put leaves no object; an unfinished
 * multipart upload is aborted.
 */
export class S3Store implements ArtifactStore {
  readonly kind = 's3' as const;
  private readonly client: Minio.Client;
  private readonly agent: HttpAgent;
  private readonly bucket: string;
  private readonly region: string;
  private readonly target: string;
  private readonly spoolDirectory: string;
  private readonly logger: Logger;

  constructor(config: S3Config, logger: Logger, options: S3StoreOptions = {}) {
    this.agent = config.useSSL ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    this.client = new Minio.Client({
      endPoint: config.endPoint,
      port: config.port,
      useSSL: config.useSSL,
      accessKey: config.accessKey,
      secretKey: config.secretKey,
      region: config.region,
      transportAgent: this.agent,
    });
    this.bucket = config.bucket;
    this.region = config.region;
    this.target = `bucket ${config.bucket} at ${config.useSSL ? 'https' : 'http'}://${config.endPoint}:${config.port}`;
    this.spoolDirectory = options.spoolDirectory ?? tmpdir();
    this.logger = logger.child({ component: 'artifact-store', store: 's3', bucket: config.bucket });
  }

  async init(): Promise<void> {
    try {
      if (await this.client.bucketExists(this.bucket)) return;
      await this.client.makeBucket(this.bucket, this.region);
      this.logger.info('created bucket');
    } catch (err) {
      // Another replica may have created it in between; some servers then say "AlreadyExists".
      const code = s3Code(err);
      if (code === 'BucketAlreadyOwnedByYou') return;
      if (code === 'BucketAlreadyExists' && (await this.client.bucketExists(this.bucket).catch(() => false))) return;
      throw this.toStorageError(err);
    }
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    let bodyError: unknown;
    try {
      assertSafeKey(key);
      const meter = new ByteMeter(options);
      const source = toReadable(body);
      source.once('error', (err) => (bodyError = err));
      if (options.size === undefined) await this.putSpooled(key, source, meter);
      else await this.putStreamed(key, source, meter, options.size);
      const stored = { key, size: meter.bytes, sha256: meter.sha256() };
      this.logger.debug(stored, 'stored object');
      return stored;
    } catch (err) {
      discardBody(body);
      // The caller's own stream errors pass through unchanged.
      throw err === bodyError ? err : this.toStorageError(err, key);
    }
  }

  async get(key: string): Promise<Readable> {
    assertSafeKey(key);
    try {
      return await this.client.getObject(this.bucket, key);
    } catch (err) {
      throw this.toStorageError(err, key);
    }
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    try {
      const info = await this.client.statObject(this.bucket, key);
      return { key, size: info.size };
    } catch (err) {
      if (NOT_FOUND_CODES.has(s3Code(err) ?? '')) return null;
      throw this.toStorageError(err, key);
    }
  }

  async hash(key: string): Promise<StoredObject> {
    const meter = new ByteMeter();
    const body = await this.get(key);
    try {
      await pipeline(body, meter.resume());
    } catch (err) {
      throw this.toStorageError(err, key);
    }
    return { key, size: meter.bytes, sha256: meter.sha256() };
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    assertSafeKey(fromKey);
    assertSafeKey(toKey);
    try {
      await this.client.copyObject(
        new Minio.CopySourceOptions({ Bucket: this.bucket, Object: fromKey }),
        new Minio.CopyDestinationOptions({ Bucket: this.bucket, Object: toKey }),
      );
    } catch (err) {
      throw this.toStorageError(err, fromKey);
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await this.client.removeObject(this.bucket, key);
      this.logger.debug({ key }, 'deleted object');
    } catch (err) {
      if (NOT_FOUND_CODES.has(s3Code(err) ?? '')) return;
      throw this.toStorageError(err, key);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    const items = this.client.listObjectsV2(this.bucket, prefix, true);
    try {
      for await (const item of items as AsyncIterable<Minio.BucketItem>) {
        if (item.name !== undefined) yield { key: item.name, size: item.size };
      }
    } catch (err) {
      throw this.toStorageError(err);
    }
  }

  async presignPut(key: string, ttlSeconds: number): Promise<string | null> {
    assertSafeKey(key);
    checkPresignTtl(ttlSeconds);
    try {
      return await this.client.presignedPutObject(this.bucket, key, ttlSeconds);
    } catch (err) {
      throw this.toStorageError(err, key);
    }
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string | null> {
    assertSafeKey(key);
    checkPresignTtl(ttlSeconds);
    try {
      return await this.client.presignedGetObject(this.bucket, key, ttlSeconds);
    } catch (err) {
      throw this.toStorageError(err, key);
    }
  }

  async readUrl(key: string, ttlSeconds: number): Promise<string> {
    if (!(await this.stat(key))) throw StorageError.notFound(key);
    return (await this.presignGet(key, ttlSeconds))!;
  }

  async close(): Promise<void> {
    this.agent.destroy();
  }

  /** Known size: meter and upload in one pass; the client sends one PUT up to its part size. */
  private async putStreamed(key: string, source: Readable, meter: ByteMeter, size: number): Promise<void> {
    try {
      await Promise.all([pipeline(source, meter), this.client.putObject(this.bucket, key, meter, size)]);
    } catch (err) {
      meter.destroy();
      if (size > this.client.calculatePartSize(size)) await this.abortMultipart(key);
      throw err;
    }
  }

  /** Unknown size: meter into a temp file (limits enforced there), then upload it with its size. */
  private async putSpooled(key: string, source: Readable, meter: ByteMeter): Promise<void> {
    const spool = join(this.spoolDirectory, `modelport-upload-${randomUUID()}`);
    try {
      await pipeline(source, meter, createWriteStream(spool, { flags: 'wx', mode: 0o600 }));
      await this.client.putObject(this.bucket, key, createReadStream(spool), meter.bytes);
    } finally {
      await rm(spool, { force: true });
    }
  }

  private async abortMultipart(key: string): Promise<void> {
    try {
      await this.client.removeIncompleteUpload(this.bucket, key);
    } catch (err) {
      this.logger.warn({ key, err }, 'could not abort an unfinished multipart upload; a bucket lifecycle rule will have to');
    }
  }

  private toStorageError(err: unknown, key?: string): unknown {
    if (err instanceof StorageError) return err;
    const code = s3Code(err);
    if (key !== undefined && code !== undefined && NOT_FOUND_CODES.has(code)) return StorageError.notFound(key);
    const detail =
      code === 'NoSuchBucket'
        ? 'the bucket does not exist (init() creates it)'
        : `${code ?? 'error'}: ${String((err as Error | undefined)?.message ?? err)}`;
    return StorageError.unavailable(this.target, detail, err);
  }
}

function s3Code(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}
