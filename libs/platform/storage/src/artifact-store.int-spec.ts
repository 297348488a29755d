import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { silentLogger } from '@modelport/observability';
import { startS3Server, type S3Server } from '@modelport/testing';
import { describeArtifactStoreContract } from './artifact-store.contract';
import { createArtifactStore } from './create-artifact-store';
import { LocalDirectoryStore } from './local-directory.store';
import { S3Store } from './s3.store';
import { StorageError, StorageErrorCode } from './storage.errors';

describe('LocalDirectoryStore', () => {
  let base: string;
  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'modelport-local-store-'));
  });
  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  describeArtifactStoreContract('local directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'modelport-local-contract-'));
    const store = createArtifactStore({ kind: 'local', directory: join(dir, 'artifacts') }, silentLogger());
    return {
      store,
      cleanup: async () => {
        await store.close();
        await rm(dir, { recursive: true, force: true });
      },
    };
  });

  it('leaves no temp files behind after successful and failed puts', async () => {
    const root = join(base, 'store');
    const store = new LocalDirectoryStore(root, silentLogger());
    await store.init();
    await store.put('ok', Readable.from([randomBytes(1000)]));
    await expect(store.put('bad', Readable.from([randomBytes(1000)]), { size: 10 })).rejects.toMatchObject({
      code: StorageErrorCode.SIZE_MISMATCH,
    });
    await expect(store.put('big', Readable.from([randomBytes(1000)]), { maxBytes: 10 })).rejects.toMatchObject({
      code: StorageErrorCode.ARTIFACT_TOO_LARGE,
    });
    const entries = await readdir(root, { recursive: true });
    expect(entries.filter((entry) => entry !== 'ok' && entry !== '~incoming')).toEqual([]);
  });

  it('never writes outside its root, whatever the key', async () => {
    const store = new LocalDirectoryStore(join(base, 'store'), silentLogger());
    await store.init();
    await expect(store.put('../escaped', Buffer.from('x'))).rejects.toBeInstanceOf(StorageError);
    expect(await readdir(base)).toEqual(['store']);
  });

  it('fails with STORAGE_UNAVAILABLE when its directory cannot be created', async () => {
    await writeFile(join(base, 'a-file'), 'not a directory');
    const store = new LocalDirectoryStore(join(base, 'a-file', 'store'), silentLogger());
    await expect(store.init()).rejects.toMatchObject({ code: StorageErrorCode.STORAGE_UNAVAILABLE });
  });

  it('refuses a key whose prefix is already an object', async () => {
    const store = new LocalDirectoryStore(join(base, 'store'), silentLogger());
    await store.init();
    await store.put('a/b', Buffer.from('object'));
    await expect(store.put('a/b/c', Buffer.from('x'))).rejects.toMatchObject({ code: StorageErrorCode.INVALID_KEY });
    await expect(store.put('a', Buffer.from('x'))).rejects.toMatchObject({ code: StorageErrorCode.INVALID_KEY });
    expect((await store.stat('a/b'))?.size).toBe(6);
  });
});

describe('S3Store', () => {
  let server: S3Server;
  let spool: string;

  beforeAll(async () => {
    server = await startS3Server();
  });
  afterAll(async () => {
    await server.stop();
  });
  beforeEach(async () => {
    spool = await mkdtemp(join(tmpdir(), 'modelport-s3-spool-'));
  });
  afterEach(async () => {
    await rm(spool, { recursive: true, force: true });
  });

  function s3Store(bucket = `test-${randomUUID().slice(0, 8)}`, port = server.port): S3Store {
    return new S3Store(
      {
        endPoint: server.endpoint,
        port,
        useSSL: false,
        accessKey: server.accessKey,
        secretKey: server.secretKey,
        bucket,
        region: 'us-east-1',
      },
      silentLogger(),
      { spoolDirectory: spool },
    );
  }

  describeArtifactStoreContract('s3 (s3rver)', async () => {
    const store = createArtifactStore(
      {
        kind: 's3',
        endPoint: server.endpoint,
        port: server.port,
        useSSL: false,
        accessKey: server.accessKey,
        secretKey: server.secretKey,
        bucket: `contract-${randomUUID().slice(0, 8)}`,
        region: 'us-east-1',
      },
      silentLogger(),
    );
    return { store, cleanup: () => store.close() };
  });

  it('removes its spool file after puts of unknown size, successful or not', async () => {
    const store = s3Store();
    try {
      await store.init();
      await store.put('ok', Readable.from([randomBytes(1000)]));
      await expect(store.put('big', Readable.from([randomBytes(1000)]), { maxBytes: 10 })).rejects.toMatchObject({
        code: StorageErrorCode.ARTIFACT_TOO_LARGE,
      });
      expect(await readdir(spool)).toEqual([]);
      expect(await store.stat('ok')).toEqual({ key: 'ok', size: 1000 });
    } finally {
      await store.close();
    }
  });

  it('fails with STORAGE_UNAVAILABLE when the server cannot be reached', async () => {
    const store = s3Store('unreachable', await closedPort());
    try {
      await expect(store.init()).rejects.toMatchObject({ code: StorageErrorCode.STORAGE_UNAVAILABLE });
      await expect(store.put('x', Buffer.from('x'))).rejects.toMatchObject({ code: StorageErrorCode.STORAGE_UNAVAILABLE });
    } finally {
      await store.close();
    }
  });

  it('creates one bucket when several stores initialise it at once', async () => {
    const bucket = `race-${randomUUID().slice(0, 8)}`;
    const stores = [s3Store(bucket), s3Store(bucket), s3Store(bucket)];
    try {
      await Promise.all(stores.map((store) => store.init()));
      await stores[0]!.put('seen', Buffer.from('by all'));
      for (const store of stores) expect(await store.stat('seen')).toEqual({ key: 'seen', size: 6 });
    } finally {
      await Promise.all(stores.map((store) => store.close()));
    }
  });
});

/** A loopback port with nothing listening on it. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}
