export { RegistryModule, EXPIRE_UPLOADS_JOB, PUBLIC_URL } from './registry.module';
export {
  RegistryService,
  type RegistryOptions,
  type RegisterVersionInput,
  type ModelFilter,
  type VersionFilter,
  type VersionRegisteredEvent,
  type VersionRegisteredListener,
} from './domain/registry.service';
export { RegistryError, RegistryErrorCode } from './domain/registry.errors';
export { MODEL_FORMATS, type ModelFormat, type Signature, type TensorSignature, type Lineage } from './domain/registry.types';
export { registryEntities, registryMigrations } from './persistence';
