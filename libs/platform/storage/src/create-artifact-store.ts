import type { ModelportConfig } from '@modelport/config';
import type { Logger } from '@modelport/observability';
import type { ArtifactStore } from './artifact-store';
import { LocalDirectoryStore } from './local-directory.store';
import { S3Store } from './s3.store';

/** The artifact store the configuration asks for. Call `init()` before use and `close()` at shutdown. */
export function createArtifactStore(config: ModelportConfig['storage'], logger: Logger): ArtifactStore {
  switch (config.kind) {
    case 'local':
      return new LocalDirectoryStore(config.directory, logger);
    case 's3':
      return new S3Store(config, logger);
  }
}
