import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { PassThrough, Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ArtifactStore, ObjectInfo } from './artifact-store';
import { artifactKey, stagingKey } from './keys';
import { StorageError, StorageErrorCode } from './storage.errors';

export interface ContractSubject {
  store: ArtifactStore;
  /** Closes the store and removes whatever it wrote. */
  cleanup(): Promise<void>;
}

/**
 * The behaviour every ArtifactStore adapter must have. `factory` gives a store
 * over a fresh, empty location that does not exist yet (init() not called).
 */
export function describeArtifactStoreContract(name: string, factory: () => Promise<ContractSubject>): void {
  describe(`ArtifactStore contract: ${name}`, () => {
    let subject: ContractSubject | undefined;
    let store: ArtifactStore;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
      await store.init();
    });

    afterEach(async () => {
      await subject?.cleanup();
      subject = undefined;
    });

    describe('init', () => {
      it('is idempotent and keeps existing objects', async () => {
        const bytes = Buffer.from('kept across init');
        await store.put('keep/me', bytes);
        await store.init();
        await store.init();
        expect(await read(store, 'keep/me')).toEqual(bytes);
      });

      it('is needed before the first put, which otherwise fails with STORAGE_UNAVAILABLE', async () => {
        const fresh = await factory();
        try {
          await expectStorageError(() => fresh.store.put('a', Buffer.from('x')), StorageErrorCode.STORAGE_UNAVAILABLE);
          await fresh.store.init();
          await expect(fresh.store.put('a', Buffer.from('x'))).resolves.toMatchObject({ key: 'a', size: 1 });
        } finally {
          await fresh.cleanup();
        }
      });
    });

    describe('put and get', () => {
      it('round-trips a Buffer and reports its size and sha256', async () => {
        const bytes = randomBytes(1000);
        const stored = await store.put('blobs/one', bytes);
        expect(stored).toEqual({ key: 'blobs/one', size: 1000, sha256: sha256(bytes) });
        expect(await read(store, 'blobs/one')).toEqual(bytes);
        expect(await store.stat('blobs/one')).toEqual({ key: 'blobs/one', size: 1000 });
      });

      it('computes the same sha256 as node:crypto (known vector)', async () => {
        const stored = await store.put('vector', Buffer.from('abc'));
        expect(stored.sha256).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
        expect(stored.sha256).toBe(createHash('sha256').update('abc').digest('hex'));
      });

      it.each([
        ['without a declared size', false],
        ['with a declared size', true],
      ])('round-trips a multi-MB stream %s', async (_label, declare) => {
        const bytes = randomBytes(5 * 1024 * 1024 + 123);
        const key = stagingKey(randomUUID());
        const stored = await store.put(key, chunked(bytes), declare ? { size: bytes.length } : {});
        expect(stored).toEqual({ key, size: bytes.length, sha256: sha256(bytes) });
        const back = await read(store, key);
        expect(back.length).toBe(bytes.length);
        expect(back.equals(bytes)).toBe(true);
      });

      it('stores an empty object', async () => {
        const stored = await store.put('empty', chunked(Buffer.alloc(0)), { size: 0 });
        expect(stored).toEqual({ key: 'empty', size: 0, sha256: sha256(Buffer.alloc(0)) });
        expect(await store.stat('empty')).toEqual({ key: 'empty', size: 0 });
        expect((await read(store, 'empty')).length).toBe(0);
      });

      it('replaces an existing object', async () => {
        await store.put('doc', Buffer.from('version one'));
        await store.put('doc', Buffer.from('v2'));
        expect((await read(store, 'doc')).toString()).toBe('v2');
        expect(await store.stat('doc')).toEqual({ key: 'doc', size: 2 });
      });

      it('does not show an object before its put completes', async () => {
        const body = new PassThrough();
        const pending = store.put('slow/upload', body);
        body.write(randomBytes(256 * 1024));
        await sleep(100);
        expect(await store.stat('slow/upload')).toBeNull();
        expect(await keys(store.list(''))).toEqual([]);
        body.end(Buffer.from('tail'));
        await expect(pending).resolves.toMatchObject({ size: 256 * 1024 + 4 });
        expect(await store.stat('slow/upload')).toEqual({ key: 'slow/upload', size: 256 * 1024 + 4 });
      });

      it("rejects with the body's own error when the body stream fails, leaving no object", async () => {
        const failure = new Error('client went away');
        const body = new PassThrough();
        body.write(randomBytes(64 * 1024));
        setTimeout(() => body.destroy(failure), 20);
        await expect(store.put('broken', body)).rejects.toBe(failure);
        await expectNoObject(store, 'broken');
      });

      it('gives a read URL another process can fetch the exact bytes from, and none for a missing object', async () => {
        const bytes = randomBytes(4096);
        await store.put('readable/object', bytes);
        const url = await store.readUrl('readable/object', 60);
        const fetched = url.startsWith('file:') ? await readFile(new URL(url)) : Buffer.from(await (await fetch(url)).arrayBuffer());
        expect(fetched.equals(bytes)).toBe(true);
        await expectStorageError(() => store.readUrl('readable/missing', 60), StorageErrorCode.OBJECT_NOT_FOUND);
      });

      it('rejects get of a missing object with OBJECT_NOT_FOUND', async () => {
        await expectStorageError(() => store.get('missing/object'), StorageErrorCode.OBJECT_NOT_FOUND);
      });

      it('treats a prefix of existing keys as no object', async () => {
        await store.put('dir/sub/file', Buffer.from('x'));
        expect(await store.stat('dir/sub')).toBeNull();
        await expectStorageError(() => store.get('dir/sub'), StorageErrorCode.OBJECT_NOT_FOUND);
      });
    });

    describe('size limits', () => {
      it('fails with SIZE_MISMATCH when the body is shorter than the declared size, leaving no object', async () => {
        await expectStorageError(
          () => store.put('short', chunked(randomBytes(100_000)), { size: 100_001 }),
          StorageErrorCode.SIZE_MISMATCH,
        );
        await expectNoObject(store, 'short');
      });

      it('fails with SIZE_MISMATCH when the body is longer than the declared size, leaving no object', async () => {
        await expectStorageError(
          () => store.put('long', chunked(randomBytes(100_000)), { size: 99_999 }),
          StorageErrorCode.SIZE_MISMATCH,
        );
        await expectNoObject(store, 'long');
      });

      it('fails with ARTIFACT_TOO_LARGE once a stream passes maxBytes, leaving no object', async () => {
        await expectStorageError(
          () => store.put('huge', chunked(randomBytes(3 * 1024 * 1024)), { maxBytes: 1024 * 1024 }),
          StorageErrorCode.ARTIFACT_TOO_LARGE,
        );
        await expectNoObject(store, 'huge');
      });

      it('fails with ARTIFACT_TOO_LARGE for a Buffer or a declared size above maxBytes', async () => {
        await expectStorageError(() => store.put('big', randomBytes(11), { maxBytes: 10 }), StorageErrorCode.ARTIFACT_TOO_LARGE);
        await expectStorageError(
          () => store.put('big', chunked(randomBytes(11)), { size: 11, maxBytes: 10 }),
          StorageErrorCode.ARTIFACT_TOO_LARGE,
        );
        await expectNoObject(store, 'big');
      });

      it('accepts a body of exactly maxBytes', async () => {
        const bytes = randomBytes(4096);
        await expect(store.put('exact', chunked(bytes), { maxBytes: 4096, size: 4096 })).resolves.toMatchObject({
          size: 4096,
          sha256: sha256(bytes),
        });
        await expect(store.put('exact2', chunked(bytes), { maxBytes: 4096 })).resolves.toMatchObject({ size: 4096 });
      });

      it('keeps the previous object when a put over it fails', async () => {
        const original = Buffer.from('good bytes');
        await store.put('stable', original);
        await expectStorageError(
          () => store.put('stable', chunked(randomBytes(50)), { size: 60 }),
          StorageErrorCode.SIZE_MISMATCH,
        );
        await expectStorageError(() => store.put('stable', randomBytes(50), { maxBytes: 20 }), StorageErrorCode.ARTIFACT_TOO_LARGE);
        expect(await read(store, 'stable')).toEqual(original);
      });
    });

    describe('stat and hash', () => {
      it('returns null from stat for a missing object', async () => {
        expect(await store.stat('nope')).toBeNull();
      });

      it('hashes a stored object by reading it back', async () => {
        const bytes = randomBytes(2 * 1024 * 1024 + 7);
        await store.put('to/hash', chunked(bytes), { size: bytes.length });
        expect(await store.hash('to/hash')).toEqual({ key: 'to/hash', size: bytes.length, sha256: sha256(bytes) });
      });

      it('rejects hash of a missing object with OBJECT_NOT_FOUND', async () => {
        await expectStorageError(() => store.hash('nope'), StorageErrorCode.OBJECT_NOT_FOUND);
      });
    });

    describe('copy', () => {
      it('copies bytes to a new key and keeps the source', async () => {
        const bytes = randomBytes(300_000);
        const stored = await store.put(stagingKey(randomUUID()), bytes);
        const target = artifactKey(stored.sha256);
        await store.copy(stored.key, target);
        expect(await read(store, target)).toEqual(bytes);
        expect(await store.hash(target)).toEqual({ key: target, size: bytes.length, sha256: stored.sha256 });
        expect(await read(store, stored.key)).toEqual(bytes);
      });

      it('replaces an existing destination', async () => {
        await store.put('copy/src', Buffer.from('new'));
        await store.put('copy/dst', Buffer.from('old contents'));
        await store.copy('copy/src', 'copy/dst');
        expect((await read(store, 'copy/dst')).toString()).toBe('new');
      });

      it('rejects a missing source with OBJECT_NOT_FOUND and creates nothing', async () => {
        await expectStorageError(() => store.copy('copy/missing', 'copy/dst'), StorageErrorCode.OBJECT_NOT_FOUND);
        await expectNoObject(store, 'copy/dst');
      });
    });

    describe('delete', () => {
      it('removes an object and is idempotent', async () => {
        await store.put('gone', Buffer.from('bye'));
        await store.delete('gone');
        await expectNoObject(store, 'gone');
        await expectStorageError(() => store.get('gone'), StorageErrorCode.OBJECT_NOT_FOUND);
        await expect(store.delete('gone')).resolves.toBeUndefined();
        await expect(store.delete('never/existed')).resolves.toBeUndefined();
      });

      it('removes only the named object', async () => {
        await store.put('pair/a', Buffer.from('a'));
        await store.put('pair/b', Buffer.from('b'));
        await store.delete('pair/a');
        expect(await keys(store.list('pair/'))).toEqual(['pair/b']);
      });
    });

    describe('list', () => {
      const shaA = 'a'.repeat(64);
      const shaB = `b${'0'.repeat(63)}`;
      const upload = stagingKey('0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f');

      beforeEach(async () => {
        await store.put(artifactKey(shaA), Buffer.from('aaa'));
        await store.put(artifactKey(shaB), Buffer.from('bbbbb'));
        await store.put(upload, Buffer.from('u'));
        await store.put('artifacts-old/x', Buffer.from('xx'));
      });

      it('lists the objects under a prefix with their sizes', async () => {
        expect(await infos(store.list('artifacts/'))).toEqual([
          { key: artifactKey(shaA), size: 3 },
          { key: artifactKey(shaB), size: 5 },
        ]);
        expect(await infos(store.list('uploads/'))).toEqual([{ key: upload, size: 1 }]);
      });

      it('matches a plain string prefix, including a partial segment', async () => {
        expect(await keys(store.list('artifacts/sha256/a'))).toEqual([artifactKey(shaA)]);
        expect(await keys(store.list('artifacts'))).toEqual(['artifacts-old/x', artifactKey(shaA), artifactKey(shaB)].sort());
        expect(await keys(store.list(artifactKey(shaB)))).toEqual([artifactKey(shaB)]);
      });

      it('lists everything for an empty prefix and nothing for an unused one', async () => {
        expect(await keys(store.list(''))).toEqual(['artifacts-old/x', artifactKey(shaA), artifactKey(shaB), upload].sort());
        expect(await keys(store.list('nothing/'))).toEqual([]);
      });
    });

    describe('keys', () => {
      const unsafe = ['../x', '/abs', 'a//b', 'A', 'a\0b', 'uploads/../../etc', '', 'a/', 'a/./b', 'with space', 'x'.repeat(513), `${'s'.repeat(256)}/x`];
      const unsafePrefixes = ['../x', '/abs', 'a//b', 'A', 'a\0b', 'uploads/../../etc'];
      const methods: Array<[string, (store: ArtifactStore, key: string) => Promise<unknown>]> = [
        ['put', (s, k) => s.put(k, Buffer.from('x'))],
        ['put (stream)', (s, k) => s.put(k, Readable.from([Buffer.from('x')]), { size: 1 })],
        ['get', (s, k) => s.get(k)],
        ['stat', (s, k) => s.stat(k)],
        ['hash', (s, k) => s.hash(k)],
        ['copy from', (s, k) => s.copy(k, 'ok')],
        ['copy to', (s, k) => s.copy('ok', k)],
        ['delete', (s, k) => s.delete(k)],
        ['presignPut', (s, k) => s.presignPut(k, 60)],
        ['presignGet', (s, k) => s.presignGet(k, 60)],
      ];

      it.each(methods)('%s rejects every unsafe key with INVALID_KEY and writes nothing', async (_name, call) => {
        await store.put('ok', Buffer.from('ok'));
        for (const key of unsafe) {
          await expectStorageError(() => call(store, key), StorageErrorCode.INVALID_KEY);
        }
        expect(await keys(store.list(''))).toEqual(['ok']);
        expect((await read(store, 'ok')).toString()).toBe('ok');
      });

      it('list rejects unsafe prefixes with INVALID_KEY', async () => {
        for (const prefix of unsafePrefixes) {
          await expectStorageError(() => keys(store.list(prefix)), StorageErrorCode.INVALID_KEY);
        }
      });

      it('accepts a key of the maximum length', async () => {
        const key = `${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(110)}`;
        expect(key).toHaveLength(512);
        await store.put(key, Buffer.from('long'));
        expect(await store.stat(key)).toEqual({ key, size: 4 });
      });
    });

    describe('presigned URLs', () => {
      it('gives URLs that plain fetch can PUT to and GET from, or null on both when unsupported', async () => {
        const key = stagingKey(randomUUID());
        const putUrl = await store.presignPut(key, 300);
        const getUrl = await store.presignGet(key, 300);
        expect(putUrl === null).toBe(store.kind === 'local');
        expect(getUrl === null).toBe(putUrl === null);
        if (putUrl === null || getUrl === null) return;

        const bytes = randomBytes(200_000);
        const uploaded = await fetch(putUrl, { method: 'PUT', body: bytes });
        expect(uploaded.status).toBe(200);
        expect(await store.stat(key)).toEqual({ key, size: bytes.length });
        expect(await store.hash(key)).toMatchObject({ sha256: sha256(bytes) });

        const downloaded = await fetch(getUrl);
        expect(downloaded.status).toBe(200);
        expect(Buffer.from(await downloaded.arrayBuffer()).equals(bytes)).toBe(true);
      });

      it('gives a GET URL that downloads an object stored with put', async () => {
        const bytes = randomBytes(1_500_000);
        await store.put('shared/file', chunked(bytes), { size: bytes.length });
        const url = await store.presignGet('shared/file', 60);
        expect(url === null).toBe(store.kind === 'local');
        if (url === null) return;
        const response = await fetch(url);
        expect(response.status).toBe(200);
        expect(sha256(Buffer.from(await response.arrayBuffer()))).toBe(sha256(bytes));

        const missing = await store.presignGet('shared/missing', 60);
        expect((await fetch(missing!)).status).toBe(404);
      });

      it('gives URLs that stop working after their ttl', async () => {
        await store.put('expiring', Buffer.from('soon gone'));
        const url = await store.presignGet('expiring', 1);
        if (url === null) {
          expect(store.kind).toBe('local');
          return;
        }
        expect((await fetch(url)).status).toBe(200);
        await sleep(2100);
        expect((await fetch(url)).status).toBe(403);
      });

      it('rejects a ttl outside 1 second to 7 days', async () => {
        for (const ttl of [0, -1, 1.5, 604_801]) {
          await expect(store.presignPut('ok', ttl)).rejects.toBeInstanceOf(RangeError);
          await expect(store.presignGet('ok', ttl)).rejects.toBeInstanceOf(RangeError);
        }
      });
    });

    describe('concurrency', () => {
      it('stores concurrent puts of different keys intact', async () => {
        const bodies = Array.from({ length: 16 }, (_, i) => randomBytes(100_000 + i * 1000));
        const results = await Promise.all(
          bodies.map((bytes, i) =>
            i % 2 === 0 ? store.put(`many/${i}`, chunked(bytes, 8192)) : store.put(`many/${i}`, bytes, { size: bytes.length }),
          ),
        );
        results.forEach((stored, i) => expect(stored).toEqual({ key: `many/${i}`, size: bodies[i]!.length, sha256: sha256(bodies[i]!) }));
        expect(await keys(store.list('many/'))).toEqual(bodies.map((_, i) => `many/${i}`).sort());
        for (const [i, bytes] of bodies.entries()) {
          expect((await read(store, `many/${i}`)).equals(bytes)).toBe(true);
        }
      });
    });
  });
}

function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A stream delivering `bytes` in chunks, like a network upload. */
function chunked(bytes: Buffer, chunkSize = 64 * 1024): Readable {
  return Readable.from(
    (function* () {
      for (let at = 0; at < bytes.length; at += chunkSize) yield bytes.subarray(at, at + chunkSize);
    })(),
  );
}

async function read(store: ArtifactStore, key: string): Promise<Buffer> {
  return buffer(await store.get(key));
}

async function infos(list: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const info of list) out.push(info);
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

async function keys(list: AsyncIterable<ObjectInfo>): Promise<string[]> {
  return (await infos(list)).map((info) => info.key);
}

async function expectNoObject(store: ArtifactStore, key: string): Promise<void> {
  expect(await store.stat(key)).toBeNull();
  expect(await keys(store.list(''))).not.toContain(key);
}

async function expectStorageError(action: () => Promise<unknown>, code: StorageErrorCode): Promise<void> {
  const outcome = await action().then(
    () => 'resolved',
    (err: unknown) => err,
  );
  expect(outcome).toBeInstanceOf(StorageError);
  expect((outcome as StorageError).code).toBe(code);
}
