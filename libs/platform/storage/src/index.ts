export type { ArtifactStore, ObjectInfo, PutOptions, StoredObject } from './artifact-store';
export { createArtifactStore } from './create-artifact-store';
export { artifactKey, assertSafeKey, MAX_KEY_LENGTH, MAX_SEGMENT_LENGTH, stagingKey } from './keys';
export { LocalDirectoryStore } from './local-directory.store';
export { S3Store, type S3StoreOptions } from './s3.store';
export { StorageError, StorageErrorCode } from './storage.errors';
export { MAX_PRESIGN_TTL_SECONDS } from './byte-meter';
