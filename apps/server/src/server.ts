import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AddressInfo } from 'node:net';
import type { ModelportConfig } from '@modelport/config';
import { createDataSource, runMigrations, startEmbeddedPostgres } from '@modelport/database';
import { CHANGE_REQUEST_SWEEP_INTERVAL_MS, enqueueChangeRequestSweep, IdentityService } from '@modelport/governance';
import { BAKE_WATCH_INTERVAL_MS, enqueueBakeWatch } from '@modelport/lifecycle';
import { ALERT_EVALUATION_INTERVAL_MS, enqueueAlertEvaluation } from '@modelport/monitoring';
import { createLogger, type Logger } from '@modelport/observability';
import { createJobQueue } from '@modelport/queue';
import { EXPIRE_UPLOADS_JOB } from '@modelport/registry';
import { enqueuePredictionRetention, PREDICTION_RETENTION_INTERVAL_MS, ServingRuntime } from '@modelport/serving';
import { createArtifactStore } from '@modelport/storage';
import { AppModule, type Runtime } from './app.module';
import { modelportSchema } from './database-schema';
import { instrumentGraphql } from './graphql/graphql-options';
import { ShutdownState } from './http/shutdown-state';
import { ServerMetrics } from './metrics/metrics';
import { NestPinoLogger } from './nest-logger';

export interface StartOptions {
  readonly config: ModelportConfig;
  readonly logger?: Logger;
  /** Write the generated GraphQL schema here (tests and `schema:generate`); default: keep it in memory. */
  readonly schemaFile?: string | true;
}

export interface RunningServer {
  readonly url: string;
  readonly app: NestFastifyApplication;
  readonly runtime: Runtime;
  /** host:port of the gRPC server (V2 inference and the plugin registry); null when this process runs neither the gateway nor the plugin-host role. */
  readonly grpcAddress: string | null;
  /** The first admin's token when this start created it, else null. */
  readonly bootstrapToken: string | null;
  close(): Promise<void>;
}

const UPLOAD_SWEEP_MS = 5 * 60_000;

/**
 * Starts one Modelport server process: the database (embedded when no
 * DATABASE_URL), migrations, the artifact store, the job queue, then the
 * HTTP server with the roles the config selects. Whatever was started is
 * stopped again, in reverse order, if a later step fails or on close().
 */
export async function startServer(options: StartOptions): Promise<RunningServer> {
  const { config } = options;
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const cleanups: (() => Promise<unknown>)[] = [];
  const cleanup = async () => {
    for (const fn of cleanups.reverse()) await fn().catch((err: unknown) => logger.error({ err }, 'error while stopping'));
    cleanups.length = 0;
  };
  try {
    let databaseUrl = config.database.url;
    if (!databaseUrl) {
      const embedded = await startEmbeddedPostgres({ dataDir: config.dataDir, logger });
      cleanups.push(() => embedded.stop());
      databaseUrl = embedded.url;
    }
    const dataSource = createDataSource({ url: databaseUrl, poolSize: config.database.poolSize, schema: modelportSchema });
    await dataSource.initialize();
    cleanups.push(() => dataSource.destroy());
    if (config.database.runMigrations) {
      const applied = await runMigrations(dataSource);
      if (applied.length) logger.info({ migrations: applied }, 'applied database migrations');
    } else if (await dataSource.showMigrations()) {
      throw new Error('The database has pending migrations and MODELPORT_MIGRATIONS_RUN=false: run `npm run migrate` first.');
    }

    const store = createArtifactStore(config.storage, logger);
    await store.init();
    cleanups.push(() => store.close());
    logger.info({ kind: store.kind }, 'artifact store ready');

    const queue = createJobQueue({ redisUrl: config.queue.redisUrl, prefix: config.queue.prefix, logger });
    cleanups.push(() => queue.close());

    const identity = new IdentityService(dataSource, { maxPageSize: config.graphql.maxPageSize });
    const boot = await identity.bootstrap(config.bootstrapToken);
    const bootstrapToken = boot.created ? boot.token : null;
    if (boot.created && boot.generated) {
      // Shown once, on the terminal only: it is stored hashed and cannot be recovered.
      process.stderr.write(
        `\n  Modelport created the first admin. Its API token (shown only now, store it safely):\n\n    ${boot.token}\n\n` +
          `  Use it as: Authorization: Bearer <token>\n\n`,
      );
    } else if (boot.created) {
      logger.info('created the first admin with MODELPORT_BOOTSTRAP_TOKEN');
    }

    const metrics = new ServerMetrics();
    const shutdown = new ShutdownState();
    let publicUrl = config.http.publicUrl ?? `http://${config.http.host}:${config.http.port}`;
    const runtime: Runtime = {
      config,
      logger,
      dataSource,
      store,
      queue,
      metrics,
      shutdown,
      publicUrl: { get: () => publicUrl },
      schemaFile: options.schemaFile ?? true,
    };

    const adapter = new FastifyAdapter({ bodyLimit: 1024 * 1024, return503OnClosing: true, forceCloseConnections: 'idle' });
    const fastify = adapter.getInstance();
    // Artifact uploads stream straight to the store; Fastify never buffers them.
    fastify.addContentTypeParser('application/octet-stream', (_request, payload, done) => done(null, payload));
    // Bulk ingestion (predictions, actuals) reads NDJSON line by line as it arrives.
    fastify.addContentTypeParser('application/x-ndjson', (_request, payload, done) => done(null, payload));
    // While draining, every response closes its connection, so close() does not wait out keep-alive timeouts.
    fastify.addHook('onSend', (_request, reply, payload, done) => {
      if (shutdown.draining) reply.header('connection', 'close');
      done(null, payload);
    });
    fastify.addHook('onResponse', (request, reply, done) => {
      metrics.httpDuration.observe(
        { method: request.method, route: request.routeOptions.url ?? 'unmatched', status_code: String(reply.statusCode) },
        reply.elapsedTime / 1000,
      );
      done();
    });

    const roles = new Set(config.roles);
    const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(runtime), adapter, {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    });
    cleanups.push(() => app.close());
    await app.init();
    instrumentGraphql((fastify as unknown as { graphql: Parameters<typeof instrumentGraphql>[0] }).graphql, metrics);
    await app.listen({ port: config.http.port, host: config.http.host });
    const address = fastify.server.address() as AddressInfo;
    const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
    if (!config.http.publicUrl) publicUrl = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${address.port}`;

    if (roles.has('worker')) {
      await queue.start();
      const sweep = () =>
        queue
          .enqueue(EXPIRE_UPLOADS_JOB, {}, { jobId: `expire-uploads-${Math.floor(Date.now() / UPLOAD_SWEEP_MS)}`, attempts: 3 })
          .catch((err: unknown) => logger.error({ err }, 'could not schedule the upload sweep'));
      const timer = setInterval(sweep, UPLOAD_SWEEP_MS);
      timer.unref();
      cleanups.push(async () => clearInterval(timer));
      const sweepRequests = setInterval(
        () => enqueueChangeRequestSweep(queue).catch((err: unknown) => logger.error({ err }, 'could not schedule the change request sweep')),
        CHANGE_REQUEST_SWEEP_INTERVAL_MS,
      );
      sweepRequests.unref();
      cleanups.push(async () => clearInterval(sweepRequests));
      const evaluateAlerts = setInterval(
        () => enqueueAlertEvaluation(queue).catch((err: unknown) => logger.error({ err }, 'could not schedule the alert evaluation')),
        ALERT_EVALUATION_INTERVAL_MS,
      );
      evaluateAlerts.unref();
      cleanups.push(async () => clearInterval(evaluateAlerts));
      const watchBakes = setInterval(() => enqueueBakeWatch(queue).catch((err: unknown) => logger.error({ err }, 'could not schedule the bake watch')), BAKE_WATCH_INTERVAL_MS);
      watchBakes.unref();
      cleanups.push(async () => clearInterval(watchBakes));
      if (config.predictionLog.retentionDays > 0) {
        const retain = () => enqueuePredictionRetention(queue).catch((err: unknown) => logger.error({ err }, 'could not schedule the prediction retention job'));
        const retention = setInterval(retain, PREDICTION_RETENTION_INTERVAL_MS);
        retention.unref();
        cleanups.push(async () => clearInterval(retention));
      }
    }
    const serving = app.get(ServingRuntime);
    logger.info({ url: publicUrl, roles: [...roles], queue: queue.kind, durableJobs: queue.durable }, 'Modelport server listening');

    let closing: Promise<void> | null = null;
    return {
      url: publicUrl,
      grpcAddress: serving.grpcAddress,
      app,
      runtime,
      bootstrapToken,
      close: () => {
        closing ??= (async () => {
          shutdown.draining = true;
          // A connection whose last response was still streaming when close() began becomes idle later; close it then.
          const reaper = setInterval(() => fastify.server.closeIdleConnections(), 100);
          try {
            await cleanup();
          } finally {
            clearInterval(reaper);
          }
        })();
        return closing;
      },
    };
  } catch (err) {
    await cleanup();
    throw err;
  }
}
