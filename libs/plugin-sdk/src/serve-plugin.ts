import { rmSync } from 'node:fs';
import { chmod, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { inferenceProto, pluginProto } from '@modelport/proto';
import { fetchArtifact } from './artifact-fetch';
import { InFlightCalls, secretInterceptor } from './call-guard';
import { formatHandshakeError, formatHandshakeLine, HANDSHAKE_ENV } from './handshake';
import { jsonLineLogger, type PluginLogger } from './logger';
import { ModelTable } from './model-table';
import { PluginHealth } from './plugin-health';
import { inferenceHandlers, pluginHandlers, pluginInfo } from './plugin-services';
import { RegistrationLoop, registryCalls } from './registration';
import type { PluginRuntime } from './runtime';
import {
  DEFAULT_DOWNLOAD_TIMEOUT_MS,
  DEFAULT_GRACE_PERIOD_MS,
  DEFAULT_MAX_MESSAGE_BYTES,
  resolveListenSettings,
  resolveLogLevel,
  type ListenOptions,
  type ListenSettings,
  processEnvironment,
} from './serve-settings';
import { DEFAULT_TENSOR_LIMITS, type TensorLimits } from './tensors';

export interface ServePluginOptions extends ListenOptions {
  /**
   * Local mode (launched by the Modelport plugin host): the unix socket to
   * listen on. Default: MODELPORT_PLUGIN_SOCKET. Wins over `listen`.
   */
  readonly socketPath?: string;
  /** The call secret. Default: MODELPORT_PLUGIN_SECRET in local mode, a random one in remote mode. */
  readonly secret?: string;
  /** Remote mode: host:port to listen on. Default: MODELPORT_PLUGIN_LISTEN. */
  readonly listen?: string;
  /** Remote mode: host:port the core can reach. Default: MODELPORT_PLUGIN_ADVERTISE, else the bound address. */
  readonly advertise?: string;
  /** Remote mode: the core's PluginRegistry. Default: MODELPORT_REGISTRY_ADDRESS (no registration when unset). */
  readonly registryAddress?: string;
  /** Remote mode: default MODELPORT_REGISTRATION_TOKEN. */
  readonly registrationToken?: string;
  /** Largest gRPC message accepted and sent, in bytes. Default 64 MiB. */
  readonly maxMessageBytes?: number;
  /** Bounds on one decoded request tensor. Default: the tensor codec's defaults, bytes raised to maxMessageBytes. */
  readonly tensorLimits?: TensorLimits;
  /** How long shutdown waits for in-flight calls before cutting them. Default 10 s. */
  readonly gracePeriodMs?: number;
  /** Shut down gracefully and exit on SIGTERM/SIGINT. Default true; false for embedding and tests. */
  readonly handleSignals?: boolean;
  /** Default: JSON lines on stderr at MODELPORT_PLUGIN_LOG_LEVEL (info). */
  readonly logger?: PluginLogger;
  /** Where verified artifact copies are kept until the runtime has loaded them. Default: the OS temp folder. */
  readonly workDir?: string;
  /** Bound on one artifact download. Default 10 minutes. */
  readonly downloadTimeoutMs?: number;
  /** Where the handshake line goes. Default process.stdout. */
  readonly handshakeOutput?: { write(chunk: string, callback?: (err?: Error | null) => void): unknown };
  /** Default: the process environment. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/** A plugin that is serving. */
export interface RunningPlugin {
  /** `unix:/path/to.sock` (local) or host:port (remote); what a client connects to. */
  readonly address: string;
  /** The secret every call must carry as x-modelport-plugin-secret. */
  readonly secret: string;
  readonly protocolVersion: number;
  /** Graceful shutdown: health NOT_SERVING, deregister, drain in-flight calls (bounded), runtime.close(). */
  close(): Promise<void>;
}

/**
 * Serves a plugin runtime: the modelport.plugin.v1.Plugin control plane, the
 * Open Inference Protocol data plane and grpc.health.v1 on one gRPC server.
 *
 * Launched by the Modelport plugin host (MODELPORT_PLUGIN_SOCKET set), it
 * listens on the unix socket and writes the handshake line on stdout. With
 * MODELPORT_PLUGIN_LISTEN (or `listen`) it listens on TCP and, when a registry
 * address is given, registers with the core and keeps heartbeating. When it
 * owns the process (handleSignals, the default) a refused handshake or a
 * startup failure under the host exits 1, and SIGTERM/SIGINT exit 0 after a
 * graceful shutdown.
 */
export async function servePlugin(runtime: PluginRuntime, options: ServePluginOptions = {}): Promise<RunningPlugin> {
  const env = options.env ?? processEnvironment();
  const ownsProcess = options.handleSignals !== false;
  const output = options.handshakeOutput ?? process.stdout;
  const launchedByHost = options.socketPath !== undefined || (options.listen === undefined && !!env[HANDSHAKE_ENV.socket]);
  const logger = options.logger ?? jsonLineLogger({ name: runtime?.description?.id || 'modelport-plugin', level: resolveLogLevel(env) });

  const refuse = async (message: string): Promise<never> => {
    if (launchedByHost) {
      await new Promise<void>((resolve) => output.write(`${formatHandshakeError(message)}\n`, () => resolve()));
      logger.error('plugin not started', { reason: message });
      if (ownsProcess) process.exit(1);
    }
    throw new Error(message);
  };

  let settings: ListenSettings;
  try {
    checkRuntime(runtime);
    settings = resolveListenSettings(options, env);
  } catch (err) {
    return refuse((err as Error).message);
  }
  if (settings.mode === 'refused') return refuse(settings.message);

  try {
    return await start(runtime, settings, options, logger, output);
  } catch (err) {
    return refuse(`the plugin could not start: ${(err as Error).message}`);
  }
}

async function start(
  runtime: PluginRuntime,
  settings: Exclude<ListenSettings, { mode: 'refused' }>,
  options: ServePluginOptions,
  logger: PluginLogger,
  output: NonNullable<ServePluginOptions['handshakeOutput']>,
): Promise<RunningPlugin> {
  const maxMessageBytes = options.maxMessageBytes ?? runtime.description.capabilities?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const gracePeriodMs = options.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  const workDir = await mkdtemp(join(options.workDir ?? tmpdir(), 'modelport-plugin-'));

  let ready = false;
  const health = new PluginHealth();
  const calls = new InFlightCalls();
  const table = new ModelTable({
    runtime,
    formats: runtime.description.formats.map((f) => f.name.toLowerCase()),
    fetchArtifact: (artifact) => fetchArtifact(artifact, { dir: workDir, timeoutMs: options.downloadTimeoutMs ?? DEFAULT_DOWNLOAD_TIMEOUT_MS }),
    removeFile: (path) => rm(path, { force: true }),
    logger,
    events: {
      loaded: (key) => health.setStatus(key, ready ? 'SERVING' : 'NOT_SERVING'),
      unloading: (key) => health.setStatus(key, 'NOT_SERVING'),
      unloaded: (key) => health.remove(key),
    },
  });
  const ctx = {
    runtime,
    table,
    calls,
    logger,
    maxMessageBytes,
    // A raw tensor may be as large as the largest message.
    tensorLimits: options.tensorLimits ?? { ...DEFAULT_TENSOR_LIMITS, maxBytes: Math.max(DEFAULT_TENSOR_LIMITS.maxBytes, maxMessageBytes) },
    isReady: () => ready,
    inferStreams: new Set<() => void>(),
  };

  const server = new grpc.Server({
    interceptors: [secretInterceptor(settings.secret)],
    'grpc.max_receive_message_length': maxMessageBytes,
    'grpc.max_send_message_length': maxMessageBytes,
  });
  server.addService(pluginProto().modelport.plugin.v1.Plugin.service, pluginHandlers(ctx));
  server.addService(inferenceProto().inference.GRPCInferenceService.service, inferenceHandlers(ctx));
  health.addToServer(server);

  const bindTarget = settings.mode === 'local' ? `unix:${settings.socketPath}` : settings.listen;
  let port: number;
  try {
    port = await new Promise<number>((resolve, reject) =>
      server.bindAsync(bindTarget, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
    );
    if (settings.mode === 'local') await chmod(settings.socketPath, 0o600);
  } catch (err) {
    server.forceShutdown();
    await rm(workDir, { recursive: true, force: true });
    throw new Error(`cannot listen on ${bindTarget}: ${(err as Error).message}`);
  }

  let address: string;
  let registration: RegistrationLoop | undefined;
  if (settings.mode === 'local') {
    address = `unix:${settings.socketPath}`;
  } else {
    const host = settings.listen.slice(0, settings.listen.lastIndexOf(':'));
    address = settings.advertise ?? `${['0.0.0.0', '[::]', '::'].includes(host) ? 'localhost' : host}:${port}`;
  }
  ready = true;
  health.setStatus('', 'SERVING');
  const protocolVersion = settings.mode === 'local' ? settings.protocolVersion : 1;

  if (settings.mode === 'local') {
    await new Promise<void>((resolve) => output.write(`${formatHandshakeLine(settings.protocolVersion, settings.socketPath)}\n`, () => resolve()));
  } else if (settings.registry) {
    registration = new RegistrationLoop(registryCalls(settings.registry.address), {
      token: settings.registry.token,
      address,
      info: pluginInfo(runtime.description, maxMessageBytes),
      secret: settings.secret,
      logger,
    });
    await registration.start();
  }
  logger.info('plugin serving', {
    plugin: runtime.description.id,
    version: runtime.description.version,
    mode: settings.mode === 'local' ? 'local' : 'remote',
    address,
    protocolVersion,
    formats: runtime.description.formats.map((f) => f.name),
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      const deadline = Date.now() + gracePeriodMs;
      ready = false;
      for (const service of health.statuses().keys()) health.setStatus(service, 'NOT_SERVING');
      logger.info('plugin shutting down', { inFlight: calls.size, gracePeriodMs });
      // Open inference streams take no new requests and end once they have answered the ones they took.
      for (const drain of [...ctx.inferStreams]) drain();
      await registration?.stop();
      const stopped = new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
      // Unary calls finish, then their sessions close; open health watches would hold
      // tryShutdown forever, so once no call is in flight they get a short moment and are cut.
      const drained = calls.idle().then(() => within(stopped, 250));
      await within(Promise.race([stopped, drained]), deadline - Date.now());
      server.forceShutdown();
      if (calls.size > 0) {
        logger.warn('grace period over; calls still running', { inFlight: calls.size });
        await within(calls.idle(), deadline - Date.now());
      }
      await within(table.close(), Math.max(0, deadline - Date.now()));
      try {
        await runtime.close?.();
      } finally {
        await rm(workDir, { recursive: true, force: true });
        if (settings.mode === 'local') await rm(settings.socketPath, { force: true });
        removeSignalHandlers();
        logger.info('plugin stopped');
      }
    })();
    return closing;
  };

  let removeSignalHandlers = () => undefined as void;
  if (options.handleSignals !== false) {
    const onSignal = (signal: NodeJS.Signals) => {
      if (closing) {
        // A supervisor repeating SIGTERM must not cut the graceful shutdown short (it sends
        // SIGKILL when it runs out of patience); a second Ctrl-C means "now".
        if (signal !== 'SIGINT') return logger.info('already shutting down', { signal });
        logger.warn('second interrupt during shutdown; exiting now', { signal });
        rmSync(workDir, { recursive: true, force: true });
        if (settings.mode === 'local') rmSync(settings.socketPath, { force: true });
        process.exit(1);
      }
      logger.info('signal received', { signal });
      close().then(
        () => process.exit(0),
        (err: unknown) => {
          logger.error('shutdown failed', { err });
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    removeSignalHandlers = () => {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    };
  }

  return { address, secret: settings.secret, protocolVersion, close };
}

function checkRuntime(runtime: PluginRuntime): void {
  const d = runtime?.description;
  const problems: string[] = [];
  if (!d) problems.push('runtime.description is missing');
  else {
    if (!d.id) problems.push('description.id is empty');
    if (!d.version) problems.push('description.version is empty');
    if (!Array.isArray(d.formats) || d.formats.length === 0) problems.push('description.formats lists no model format');
  }
  for (const method of ['loadModel', 'unloadModel', 'infer'] as const) {
    if (typeof runtime?.[method] !== 'function') problems.push(`runtime.${method} is not a function`);
  }
  if (problems.length > 0) throw new Error(`invalid plugin runtime: ${problems.join('; ')}`);
}

/** Waits for a promise at most ms (never rejects). */
async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    promise.catch(() => undefined),
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, Math.max(0, ms));
    }),
  ]);
  clearTimeout(timer);
}
