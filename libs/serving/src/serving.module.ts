import { Inject, Module, type BeforeApplicationShutdown, type OnApplicationBootstrap, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { FastifyInstance } from 'fastify';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { AccessService, ApprovalService, AUDIT_SINK, GovernanceModule, type AuditSink } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { RegistryModule, RegistryService } from '@modelport/registry';
import type { ArtifactStore } from '@modelport/storage';
import { DeploymentService } from './deployments/domain/deployment.service';
import { DeploymentResolver } from './deployments/graphql/deployment.resolver';
import { TrafficResolver } from './traffic/graphql/traffic.resolver';
import { DeploymentTraceResolver, PredictionTraceResolver, ServingResolver } from './graphql/serving.resolver';
import { PluginHost } from './plugins';
import { PredictionLogService } from './predictions';
import { ServingRuntime } from './serving-runtime';
import { IngestionController } from './ingestion/ingestion.controller';

@Module({
  imports: [GovernanceModule, RegistryModule],
  controllers: [IngestionController],
  providers: [
    {
      provide: ServingRuntime,
      inject: [MODELPORT_CONFIG, LOGGER, DataSource, ARTIFACT_STORE, JOB_QUEUE, AccessService, RegistryService, ApprovalService, { token: AUDIT_SINK, optional: true }],
      useFactory: (
        config: ModelportConfig,
        logger: Logger,
        dataSource: DataSource,
        store: ArtifactStore,
        queue: JobQueue,
        access: AccessService,
        registry: RegistryService,
        approvals: ApprovalService,
        audit?: AuditSink,
      ) => new ServingRuntime({ config, logger, dataSource, store, queue, access, registry, approvals, audit: audit ?? null }),
    },
    { provide: DeploymentService, inject: [ServingRuntime], useFactory: (rt: ServingRuntime) => rt.deployments },
    { provide: PluginHost, inject: [ServingRuntime], useFactory: (rt: ServingRuntime) => rt.host },
    { provide: PredictionLogService, inject: [ServingRuntime], useFactory: (rt: ServingRuntime) => rt.predictions },
    DeploymentResolver,
    TrafficResolver,
    ServingResolver,
    PredictionTraceResolver,
    DeploymentTraceResolver,
  ],
  exports: [ServingRuntime],
})
export class ServingModule implements OnModuleInit, OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    private readonly runtime: ServingRuntime,
    private readonly adapterHost: HttpAdapterHost,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    this.runtime.registerJobs(this.queue);
    this.runtime.registerRoutes(this.adapterHost.httpAdapter.getInstance<FastifyInstance>());
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.runtime.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.runtime.close();
  }
}
