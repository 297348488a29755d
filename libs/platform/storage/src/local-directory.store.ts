import { randomUUID } from 'node:crypto';
import { createWriteStream, type Dirent } from 'node:fs';
import { copyFile, mkdir, open, readdir, rename, rm, stat, unlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { pipeline } from 'node:stream/promises';
import type { Logger } from '@modelport/observability';
import type { ArtifactStore, ObjectInfo, PutOptions, StoredObject } from './artifact-store';
import { ByteMeter, checkPresignTtl, discardBody, toReadable } from './byte-meter';
import { assertSafeKey, assertSafePrefix } from './keys';
import { StorageError } from './storage.errors';

/** Unfinished writes live here, inside the root so `rename` stays on one filesystem. No key can name it. */
const TEMP_DIR = '~incoming';
const KEY_SEGMENT = /^[a-z0-9._-]+$/;

/**
 * Objects as files under a root directory, one file per key. Writes go to a
 * temp file first and are renamed into place, so a reader never sees half an
 * object. Unlike S3, a key cannot be both an object and the prefix of another
 * (`a/b` and `a/b/c`): the second put fails with INVALID_KEY.
 */
export class LocalDirectoryStore implements ArtifactStore {
  readonly kind = 'local' as const;
  private readonly root: string;
  private readonly logger: Logger;

  constructor(directory: string, logger: Logger) {
    this.root = resolve(directory);
    this.logger = logger.child({ component: 'artifact-store', store: 'local', directory: this.root });
  }

  async init(): Promise<void> {
    try {
      await mkdir(join(this.root, TEMP_DIR), { recursive: true });
    } catch (err) {
      throw this.unavailable(err);
    }
  }

  async put(key: string, body: Readable | Buffer, options: PutOptions = {}): Promise<StoredObject> {
    const temp = this.tempPath();
    try {
      assertSafeKey(key);
      const meter = new ByteMeter(options);
      await this.writeTemp(toReadable(body), meter, temp);
      await this.moveIntoPlace(temp, key);
      const stored = { key, size: meter.bytes, sha256: meter.sha256() };
      this.logger.debug(stored, 'stored object');
      return stored;
    } catch (err) {
      discardBody(body);
      await rm(temp, { force: true });
      throw err;
    }
  }

  async get(key: string): Promise<Readable> {
    assertSafeKey(key);
    let handle;
    try {
      handle = await open(this.pathOf(key), 'r');
    } catch (err) {
      throw isMissing(err) ? StorageError.notFound(key) : this.unavailable(err);
    }
    // Opened first, checked second: a later rename or delete cannot change what this stream reads.
    if (!(await handle.stat()).isFile()) {
      await handle.close();
      throw StorageError.notFound(key);
    }
    return handle.createReadStream();
  }

  async stat(key: string): Promise<ObjectInfo | null> {
    assertSafeKey(key);
    try {
      const info = await stat(this.pathOf(key));
      return info.isFile() ? { key, size: info.size } : null;
    } catch (err) {
      if (isMissing(err)) return null;
      throw this.unavailable(err);
    }
  }

  async hash(key: string): Promise<StoredObject> {
    const meter = new ByteMeter();
    await pipeline(await this.get(key), meter.resume());
    return { key, size: meter.bytes, sha256: meter.sha256() };
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    assertSafeKey(fromKey);
    assertSafeKey(toKey);
    if ((await this.stat(fromKey)) === null) throw StorageError.notFound(fromKey);
    const temp = this.tempPath();
    try {
      await copyFile(this.pathOf(fromKey), temp).catch((err: unknown) => {
        throw isMissing(err) ? StorageError.notFound(fromKey) : this.unavailable(err);
      });
      await this.moveIntoPlace(temp, toKey);
    } catch (err) {
      await rm(temp, { force: true });
      throw err;
    }
  }

  async delete(key: string): Promise<void> {
    assertSafeKey(key);
    try {
      await unlink(this.pathOf(key));
      this.logger.debug({ key }, 'deleted object');
    } catch (err) {
      // A directory here is a key prefix, not an object: nothing to delete either.
      if (isMissing(err) || isErrno(err, 'EISDIR')) return;
      throw this.unavailable(err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    assertSafePrefix(prefix);
    const cut = prefix.lastIndexOf('/') + 1;
    yield* this.walk(prefix.slice(0, cut), prefix.slice(cut));
  }

  async presignPut(key: string, ttlSeconds: number): Promise<string | null> {
    assertSafeKey(key);
    checkPresignTtl(ttlSeconds);
    return null;
  }

  async presignGet(key: string, ttlSeconds: number): Promise<string | null> {
    assertSafeKey(key);
    checkPresignTtl(ttlSeconds);
    return null;
  }

  async readUrl(key: string, ttlSeconds: number): Promise<string> {
    checkPresignTtl(ttlSeconds);
    if (!(await this.stat(key))) throw StorageError.notFound(key);
    return pathToFileURL(this.pathOf(key)).href;
  }

  async close(): Promise<void> {
    // Nothing is held open between calls.
  }

  private async writeTemp(body: Readable, meter: ByteMeter, temp: string): Promise<void> {
    let bodyError: unknown;
    body.once('error', (err) => (bodyError = err));
    try {
      await pipeline(body, meter, createWriteStream(temp, { flags: 'wx', flush: true }));
    } catch (err) {
      // Limit violations and the caller's own stream errors pass through unchanged.
      if (err instanceof StorageError || err === bodyError) throw err;
      throw this.unavailable(err);
    }
  }

  private async moveIntoPlace(temp: string, key: string): Promise<void> {
    const target = this.pathOf(key);
    try {
      await mkdir(dirname(target), { recursive: true });
      await rename(temp, target);
    } catch (err) {
      if (isErrno(err, 'ENOTDIR') || isErrno(err, 'EEXIST') || isErrno(err, 'EISDIR')) {
        throw StorageError.invalidKey(key, 'an existing object is a prefix of this key, or this key is a prefix of existing objects');
      }
      throw this.unavailable(err);
    }
  }

  /** Objects under the directory `dirKey` ("" or ending in "/") whose next segment starts with `namePrefix`. */
  private async *walk(dirKey: string, namePrefix: string): AsyncGenerator<ObjectInfo> {
    let entries: Dirent[];
    try {
      entries = await readdir(this.pathOf(dirKey), { withFileTypes: true });
    } catch (err) {
      if (isMissing(err)) return;
      throw this.unavailable(err);
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      // Skips the temp directory and anything else no key could name.
      if (!KEY_SEGMENT.test(entry.name) || !entry.name.startsWith(namePrefix)) continue;
      const key = dirKey + entry.name;
      if (entry.isDirectory()) {
        yield* this.walk(`${key}/`, '');
      } else if (entry.isFile()) {
        const info = await this.stat(key); // null if deleted meanwhile
        if (info) yield info;
      }
    }
  }

  private pathOf(key: string): string {
    return join(this.root, key);
  }

  private tempPath(): string {
    return join(this.root, TEMP_DIR, randomUUID());
  }

  private unavailable(err: unknown): StorageError {
    const detail = isErrno(err, 'ENOENT')
      ? 'the directory or its temp folder is missing (init() creates them)'
      : String((err as Error | undefined)?.message ?? err);
    return StorageError.unavailable(`directory ${this.root}`, detail, err);
  }
}

/** Duck-typed: errors from node:fs may come from another realm (e.g. under Jest), failing `instanceof Error`. */
function isErrno(err: unknown, code: string): boolean {
  return typeof err === 'object' && err !== null && (err as NodeJS.ErrnoException).code === code;
}

function isMissing(err: unknown): boolean {
  return isErrno(err, 'ENOENT') || isErrno(err, 'ENOTDIR');
}
