import { type DynamicModule, Global, Module } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { ARTIFACT_STORE, JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { GovernanceModule } from '@modelport/governance';
import { LifecycleModule } from '@modelport/lifecycle';
import { MonitoringModule } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { PUBLIC_URL, RegistryModule } from '@modelport/registry';
import { ServingModule } from '@modelport/serving';
import type { ArtifactStore } from '@modelport/storage';
import { graphqlOptions } from './graphql/graphql-options';
import { HttpErrorFilter } from './http/error.filter';
import { HealthController } from './http/health.controller';
import { ShutdownState } from './http/shutdown-state';
import { ServerMetrics } from './metrics/metrics';

/** What the server creates before Nest starts (database, store, queue) and hands to every context. */
export interface Runtime {
  readonly config: ModelportConfig;
  readonly logger: Logger;
  readonly dataSource: DataSource;
  readonly store: ArtifactStore;
  readonly queue: JobQueue;
  readonly metrics: ServerMetrics;
  readonly shutdown: ShutdownState;
  readonly publicUrl: { get(): string };
  /** Where to write the generated schema, or true to keep it in memory. */
  readonly schemaFile: string | true;
}

@Global()
@Module({})
class PlatformModule {
  static forRoot(rt: Runtime): DynamicModule {
    const providers = [
      { provide: MODELPORT_CONFIG, useValue: rt.config },
      { provide: LOGGER, useValue: rt.logger },
      { provide: DataSource, useValue: rt.dataSource },
      { provide: ARTIFACT_STORE, useValue: rt.store },
      { provide: JOB_QUEUE, useValue: rt.queue },
      { provide: ServerMetrics, useValue: rt.metrics },
      { provide: ShutdownState, useValue: rt.shutdown },
      { provide: PUBLIC_URL, useValue: rt.publicUrl },
    ];
    return { module: PlatformModule, providers, exports: providers.map((p) => p.provide) };
  }
}

@Module({})
export class AppModule {
  static forRoot(rt: Runtime): DynamicModule {
    const monitoring = MonitoringModule.forRoot({ metricsRegistry: rt.metrics.registry });
    return {
      module: AppModule,
      imports: [
        PlatformModule.forRoot(rt),
        GraphQLModule.forRoot(graphqlOptions(rt.config, rt.logger, rt.schemaFile)),
        GovernanceModule,
        RegistryModule,
        ServingModule,
        monitoring,
        LifecycleModule.forRoot(monitoring),
      ],
      controllers: [HealthController],
      providers: [{ provide: APP_FILTER, useClass: HttpErrorFilter }],
    };
  }
}
