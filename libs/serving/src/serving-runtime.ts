import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { FastifyInstance } from 'fastify';
import type { DataSource } from 'typeorm';
import type { LocalPluginConfig as ConfiguredPlugin, ModelportConfig } from '@modelport/config';
import { GovernanceError, GovernanceErrorCode, type AccessService, type ApprovalService, type AuditSink } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { RegistryService } from '@modelport/registry';
import { artifactKey, type ArtifactStore } from '@modelport/storage';
import { DEFAULT_TENSOR_LIMITS, type TensorLimits } from '@modelport/plugin-sdk';
import { DeploymentService } from './deployments/domain/deployment.service';
import { RouteTable } from './deployments/domain/route-table';
import type { ServingBackend } from './deployments/domain/serving-backend';
import { DynamicBatcher } from './gateway/dynamic-batcher';
import { DeploymentReplayScorer } from './traffic/replay-scorer';
import { TrafficService } from './traffic/traffic.service';
import { GatewayService } from './gateway/gateway.service';
import { addV2Grpc } from './gateway/v2-grpc';
import { registerV2Rest } from './gateway/v2-rest';
import { PluginHost, PluginRegistryService, type LocalPluginConfig } from './plugins';
import { PredictionLogService, PredictionLogWriter, registerPredictionRetentionJob } from './predictions';

const SERVER_VERSION = '0.1.0';

/** The ONNX Runtime plugin that ships with Modelport, built beside the server in dist/. */
export function builtinPlugins(from = __dirname): LocalPluginConfig[] {
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'plugins/runtime-onnx/src/main.js'), join(dir, 'dist/plugins/runtime-onnx/src/main.js')]) {
      if (existsSync(candidate)) return [{ name: 'runtime-onnx', command: process.execPath, args: [candidate] }];
    }
    if (dir === dirname(dir)) throw new Error('The built-in ONNX Runtime plugin was not found in dist/: run `npm run build`, or set MODELPORT_PLUGINS.');
  }
}

export interface ServingDependencies {
  readonly config: ModelportConfig;
  readonly logger: Logger;
  readonly dataSource: DataSource;
  readonly store: ArtifactStore;
  readonly queue: JobQueue;
  readonly access: AccessService;
  readonly registry: RegistryService;
  /** Approval workflows: changes to production deployments may need reviews. */
  readonly approvals?: ApprovalService | null;
  /** Where refused predictions are recorded. */
  readonly audit?: AuditSink | null;
}

/**
 * Everything the serving context runs in one server process: the plugin
 * host (plugin-host role), the registry for remote plugins, deployments, the
 * V2 gateway over REST and gRPC (gateway role), and the prediction log.
 */
export class ServingRuntime {
  readonly routes = new RouteTable();
  readonly registryService: PluginRegistryService;
  readonly host: PluginHost;
  readonly writer: PredictionLogWriter;
  readonly predictions: PredictionLogService;
  readonly deployments: DeploymentService;
  readonly traffic: TrafficService;
  readonly replayScorer: DeploymentReplayScorer;
  readonly gateway: GatewayService;
  readonly limits: TensorLimits;
  readonly batcher = new DynamicBatcher();
  private grpcServer: grpc.Server | null = null;
  private grpcPort: number | null = null;
  private started = false;
  private closing = false;

  constructor(private readonly deps: ServingDependencies) {
    const { config, logger, access } = deps;
    const roles = new Set(config.roles);
    const log = logger.child({ context: 'serving' });
    this.registryService = new PluginRegistryService({
      logger: log,
      authorize: async (token) => {
        let caller;
        try {
          caller = await access.authenticate(token);
        } catch {
          return null;
        }
        const { principal } = caller;
        if (!caller.ability.can('register', 'Plugin')) {
          throw new GovernanceError(
            GovernanceErrorCode.FORBIDDEN,
            `The token of "${principal.userName}" may not register plugins: only platform admins may. Use a platform admin's token.`,
          );
        }
        return { id: principal.userId, name: principal.userName };
      },
    });
    const configured: readonly ConfiguredPlugin[] | 'builtin' = config.serving.plugins;
    const plugins = !roles.has('plugin-host') ? [] : configured === 'builtin' ? builtinPlugins() : configured.map((p) => ({ ...p }));
    this.host = new PluginHost({
      logger: log,
      plugins,
      registry: this.registryService,
      process: { handshakeTimeoutMs: config.serving.handshakeTimeoutMs, stopGraceMs: Math.min(config.shutdownTimeoutMs, 5000), connection: { inferTimeoutMs: config.serving.inferTimeoutMs, maxMessageBytes: config.serving.maxInferBytes + 1024 * 1024 } },
      // A restarted plugin gets a fresh artifact URL (presigned URLs expire).
      reloadRequest: async (_plugin, request) => {
        const key = request.artifact?.sha256 ? artifactKey(request.artifact.sha256) : null;
        if (!key || !request.artifact) return request;
        try {
          return { ...request, artifact: { ...request.artifact, uri: await deps.store.readUrl(key, 3600) } };
        } catch {
          return request;
        }
      },
    });
    this.writer = new PredictionLogWriter(deps.dataSource, log, {
      bufferRows: config.predictionLog.bufferRows,
      batchRows: Math.min(config.predictionLog.batchRows, config.predictionLog.bufferRows),
      flushIntervalMs: config.predictionLog.flushIntervalMs,
    });
    this.predictions = new PredictionLogService(deps.dataSource, { maxPageSize: config.graphql.maxPageSize });
    const host = this.host;
    const backend: ServingBackend = {
      choosePlugin: (format, name) => {
        const chosen = host.choose(format, name ?? undefined);
        const summary = host.get(chosen.name);
        return { name: chosen.name, id: summary.id ?? chosen.name, version: summary.version ?? '' };
      },
      loadModel: (plugin, request) => host.loadModel(plugin, request),
      unloadModel: async (plugin, key) => {
        await host.unloadModel(plugin, key);
      },
      infer: (plugin, request, deadlineMs) => host.connection(plugin).infer(request, deadlineMs),
    };
    this.deployments = new DeploymentService(
      deps.dataSource,
      deps.registry,
      deps.store,
      backend,
      this.routes,
      { maxPageSize: config.graphql.maxPageSize, drainTimeoutMs: config.serving.drainTimeoutMs, artifactUrlTtlSeconds: 3600 },
      log,
      deps.approvals ?? null,
    );
    this.replayScorer = new DeploymentReplayScorer(deps.dataSource, this.deployments, backend, config.serving.inferTimeoutMs);
    this.traffic = new TrafficService(deps.dataSource, deps.registry, this.deployments, this.routes, log, deps.approvals ?? null);
    this.limits = {
      ...DEFAULT_TENSOR_LIMITS,
      maxElements: config.serving.maxTensorElements,
      maxBytes: config.serving.maxInferBytes,
    };
    this.gateway = new GatewayService(
      access,
      this.routes,
      backend,
      this.writer,
      { limits: this.limits, authCacheMs: config.serving.authCacheMs, inferDeadlineMs: config.serving.inferTimeoutMs, maxRequestedOutputs: 1024 },
      log,
      this.batcher,
    );
    if (deps.audit) this.gateway.auditTo(deps.audit);
    // A promoted challenger has seen shadow batches only: one live-shaped request first, then the switch.
    this.traffic.warmUp = (deploymentId, target) => this.gateway.warm(deploymentId, target);
  }

  /** Jobs go in before the queue starts. */
  registerJobs(queue: JobQueue): void {
    if (this.deps.config.predictionLog.retentionDays > 0) {
      registerPredictionRetentionJob(queue, this.predictions, this.deps.config.predictionLog.retentionDays, this.deps.logger.child({ context: 'serving' }));
    }
  }

  /** V2 REST routes go in before the HTTP server listens. */
  registerRoutes(fastify: FastifyInstance): void {
    if (!this.deps.config.roles.includes('gateway')) return;
    registerV2Rest(fastify, this.gateway, {
      maxBodyBytes: this.deps.config.serving.maxInferBytes,
      limits: this.limits,
      maxInputs: 64,
      maxRequestedOutputs: 1024,
      serverVersion: SERVER_VERSION,
      ready: () => this.started && !this.closing,
    });
  }

  /** Launches plugins, restores deployments and opens the gRPC port. */
  async start(): Promise<void> {
    const { config, logger } = this.deps;
    // An api-only process (or the schema printer) serves no models: GraphQL reads deployments from the database.
    if (!config.roles.includes('gateway') && !config.roles.includes('plugin-host')) return;
    const server = new grpc.Server({ 'grpc.max_receive_message_length': config.serving.maxInferBytes, 'grpc.max_send_message_length': config.serving.maxInferBytes * 2 });
    if (config.roles.includes('gateway')) {
      addV2Grpc(server, this.gateway, {
        limits: this.limits,
        maxMessageBytes: config.serving.maxInferBytes,
        maxRequestedOutputs: 1024,
        serverVersion: SERVER_VERSION,
        ready: () => this.started && !this.closing,
      });
    }
    if (config.roles.includes('plugin-host')) this.registryService.addTo(server);
    this.grpcPort = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`${config.http.host}:${config.serving.grpcPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))),
    );
    this.grpcServer = server;
    await this.host.start();
    await this.deployments.restoreAll();
    // A plugin that comes back (or a new remote one) may be what FAILED deployments were waiting for.
    const retry = () => {
      if (this.closing) return;
      this.host
        .checkHealth()
        .then(() => this.deployments.retryFailed())
        .catch((err: unknown) => logger.error({ err }, 'could not retry failed deployments'));
    };
    this.host.on('models-reloaded', retry);
    this.host.on('plugin-registered', retry);
    this.started = true;
    logger.info({ grpcPort: this.grpcPort, plugins: this.host.list().map((p) => `${p.name}:${p.health}`) }, 'serving ready');
  }

  get grpcAddress(): string | null {
    return this.grpcPort === null ? null : `${this.deps.config.http.host}:${this.grpcPort}`;
  }

  /** Stops taking requests, drains, stops plugins and writes every buffered log row. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const server = this.grpcServer;
    if (server) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 5000);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    await this.host.close();
    await this.writer.close();
    this.registryService.close();
  }
}
