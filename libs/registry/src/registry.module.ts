import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { ArtifactStore } from '@modelport/storage';
import { RegistryService } from './domain/registry.service';
import { ModelResolver, ModelVersionResolver } from './graphql/registry.resolver';
import { ArtifactsController } from './http/artifacts.controller';

export const EXPIRE_UPLOADS_JOB = 'registry.expire-uploads';

/** Base URL for links to this server; set by the server once it listens. */
export const PUBLIC_URL = 'modelport:public-url';

@Module({
  controllers: [ArtifactsController],
  providers: [
    {
      provide: RegistryService,
      inject: [DataSource, ARTIFACT_STORE, MODELPORT_CONFIG, LOGGER, PUBLIC_URL],
      useFactory: (db: DataSource, store: ArtifactStore, config: ModelportConfig, logger: Logger, publicUrl: { get(): string }) =>
        new RegistryService(
          db,
          store,
          {
            maxPageSize: config.graphql.maxPageSize,
            maxArtifactBytes: config.artifacts.maxBytes,
            uploadTtlSeconds: config.artifacts.uploadTtlSeconds,
            publicUrl: () => publicUrl.get(),
          },
          logger.child({ context: 'registry' }),
        ),
    },
    ModelResolver,
    ModelVersionResolver,
  ],
  exports: [RegistryService],
})
export class RegistryModule implements OnModuleInit {
  constructor(
    private readonly registry: RegistryService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    this.queue.register(EXPIRE_UPLOADS_JOB, () => this.registry.expireUploads(), { concurrency: 1 });
  }
}
