import { silentLogger } from '@modelport/observability';
import { createArtifactStore } from './create-artifact-store';
import { LocalDirectoryStore } from './local-directory.store';
import { S3Store } from './s3.store';

describe('createArtifactStore', () => {
  it('builds the local directory adapter for kind "local"', async () => {
    const store = createArtifactStore({ kind: 'local', directory: '/tmp/modelport-never-created' }, silentLogger());
    expect(store).toBeInstanceOf(LocalDirectoryStore);
    expect(store.kind).toBe('local');
    await store.close();
  });

  it('builds the S3 adapter for kind "s3" without contacting the server', async () => {
    const store = createArtifactStore(
      {
        kind: 's3',
        endPoint: '127.0.0.1',
        port: 9,
        useSSL: false,
        accessKey: 'key',
        secretKey: 'secret',
        bucket: 'artifacts',
        region: 'us-east-1',
      },
      silentLogger(),
    );
    expect(store).toBeInstanceOf(S3Store);
    expect(store.kind).toBe('s3');
    await store.close();
  });
});
