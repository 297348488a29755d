import { NestFactory } from '@nestjs/core';
import { GraphQLSchemaHost } from '@nestjs/graphql';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lexicographicSortSchema, printSchema } from 'graphql';
import { configFor } from '@modelport/config';
import { createDataSource } from '@modelport/database';
import { silentLogger } from '@modelport/observability';
import { createJobQueue } from '@modelport/queue';
import { createArtifactStore } from '@modelport/storage';
import { AppModule } from '../app.module';
import { modelportSchema } from '../database-schema';
import { ShutdownState } from '../http/shutdown-state';
import { ServerMetrics } from '../metrics/metrics';

export const SCHEMA_HEADER = '# Generated from the code-first GraphQL types by `npm run schema:generate`. Do not edit.\n\n';

/**
 * The server's GraphQL schema, built from the resolvers without connecting to
 * anything (nothing is initialised or listened on).
 */
export async function printServerSchema(): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'modelport-schema-'));
  const logger = silentLogger();
  const config = configFor({ MODELPORT_DATA_DIR: dir, NODE_ENV: 'development', MODELPORT_ROLES: 'api', MODELPORT_PLUGINS: 'none' });
  const queue = createJobQueue({ redisUrl: null, prefix: 'schema', logger });
  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({
      config,
      logger,
      dataSource: createDataSource({ url: 'postgres://unused@127.0.0.1:1/unused', schema: modelportSchema }),
      store: createArtifactStore(config.storage, logger),
      queue,
      metrics: new ServerMetrics(),
      shutdown: new ShutdownState(),
      publicUrl: { get: () => 'http://127.0.0.1' },
      schemaFile: true,
    }),
    new FastifyAdapter(),
    { logger: false },
  );
  try {
    await app.init();
    const { schema } = app.get(GraphQLSchemaHost);
    return SCHEMA_HEADER + printSchema(lexicographicSortSchema(schema)) + '\n';
  } finally {
    await app.close();
    await queue.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
