import { ArtifactUploadEntity } from './artifact-upload.entity';
import { ModelAliasEntity, ModelAliasEventEntity } from './model-alias.entity';
import { ModelVersionEntity } from './model-version.entity';
import { ModelEntity } from './model.entity';

export { ArtifactUploadEntity, ModelAliasEntity, ModelAliasEventEntity, ModelEntity, ModelVersionEntity };
export type { UploadStatus } from './artifact-upload.entity';
export { registryMigrations } from './registry.migrations';
export const registryEntities = [ModelEntity, ModelVersionEntity, ArtifactUploadEntity, ModelAliasEntity, ModelAliasEventEntity];
