/**
 * A serving plugin for tests, written directly on @grpc/grpc-js (not with the
 * SDK): it also shows that a plugin needs nothing but the .proto contract.
 *
 * Serves modelport.plugin.v1.Plugin (Load records keys and ignores the
 * artifact), inference.GRPCInferenceService (ModelInfer echoes the inputs back
 * as outputs with the same contents and raw bytes) and grpc.health.v1.
 *
 * Run from the build: `node dist/libs/serving/src/plugins/testing/fake-plugin.js`
 * with the handshake environment, plus (all optional):
 *   FAKE_PLUGIN_ID, FAKE_PLUGIN_VERSION        GetInfo id (default "fake") and version ("0.0.1")
 *   FAKE_PLUGIN_FORMAT, FAKE_PLUGIN_PRIORITY   the one format served (default "fake", priority 0)
 *   FAKE_PLUGIN_MODE                           "serve" (default), "silent" (never prints the
 *                                              handshake), "error" (prints MODELPORT-PLUGIN-ERROR, exits 1)
 *   FAKE_PLUGIN_EXIT_AFTER_CALLS               exit with code 3 after this many Plugin/ModelInfer calls
 *   FAKE_PLUGIN_INFER_DELAY_MS                 ModelInfer answers after this delay
 *   FAKE_PLUGIN_INFER_STREAM                   "1" serves Plugin.InferStream and says so in GetInfo;
 *                                              "unimplemented" says so but answers it UNIMPLEMENTED
 *   FAKE_PLUGIN_STDERR                         a line printed on stderr at start
 *   FAKE_PLUGIN_HANDSHAKE_VERSION              protocol version to announce (to test negotiation)
 */
import * as grpc from '@grpc/grpc-js';
import { HealthImplementation } from 'grpc-health-check';
import {
  type GRPCInferenceServiceHandlers,
  inferenceProto,
  type InferStreamRequest__Output,
  type ModelInferRequest__Output,
  type ModelInferResponse,
  type LoadedModel,
  PLUGIN_PROTOCOL_VERSION,
  PLUGIN_SECRET_METADATA,
  type PluginHandlers,
  type PluginInfo,
  pluginProto,
} from '@modelport/proto';

export interface FakePluginOptions {
  /** The secret every call must carry as x-modelport-plugin-secret. */
  readonly secret: string;
  readonly id?: string;
  readonly version?: string;
  readonly formats?: readonly { readonly name: string; readonly priority: number }[];
  readonly protocolVersion?: number;
  /** ModelInfer answers after this many milliseconds. */
  readonly inferDelayMs?: number;
  /** Called after each Plugin or ModelInfer call has been answered, with the running count. */
  readonly onCall?: (calls: number) => void;
  /**
   * Plugin.InferStream: true serves it and says so in GetInfo; 'unimplemented' says so but answers the stream
   * UNIMPLEMENTED (a plugin that lies); absent, it is neither offered nor served.
   */
  readonly inferStream?: boolean | 'unimplemented';
}

export interface FakePlugin {
  /** The bound address: "unix:<path>" or "127.0.0.1:<port>". */
  readonly address: string;
  readonly info: PluginInfo;
  readonly health: HealthImplementation;
  /** Loaded models by key. */
  readonly models: Map<string, LoadedModel>;
  /** Inferences answered, by how they came: ModelInfer calls, or requests on an InferStream. */
  readonly inferred: { unary: number; stream: number };
  close(): Promise<void>;
}

/** Starts the fake plugin in this process on `listen` ("unix:/path" or "127.0.0.1:0"). */
export async function startFakePlugin(listen: string, options: FakePluginOptions): Promise<FakePlugin> {
  const info: PluginInfo = {
    id: options.id ?? 'fake',
    version: options.version ?? '0.0.1',
    protocol_version: options.protocolVersion ?? PLUGIN_PROTOCOL_VERSION,
    formats: (options.formats ?? [{ name: 'fake', priority: 0 }]).map((f) => ({ ...f })),
    capabilities: { raw_contents: true, batching: false, max_message_bytes: 64 * 1024 * 1024, infer_stream: options.inferStream !== undefined && options.inferStream !== false },
    details: { runtime: 'fake' },
  };
  const models = new Map<string, LoadedModel>();
  const inferred = { unary: 0, stream: 0 };
  let calls = 0;

  // Refuses calls without the secret; counts the calls it answers.
  function guarded<Req, Res>(handler: (request: Req, call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res> | Res): grpc.handleUnaryCall<Req, Res> {
    return (call, callback) => {
      if (call.metadata.get(PLUGIN_SECRET_METADATA)[0] !== options.secret) {
        callback({ code: grpc.status.UNAUTHENTICATED, details: `missing or wrong ${PLUGIN_SECRET_METADATA}` });
        return;
      }
      Promise.resolve()
        .then(() => handler(call.request, call))
        .then(
          (response) => callback(null, response),
          (err: { code?: grpc.status; message?: string }) => callback({ code: err.code ?? grpc.status.INTERNAL, details: err.message ?? String(err) }),
        )
        .finally(() => options.onCall?.(++calls));
    };
  }
  const fail = (code: grpc.status, message: string) => Object.assign(new Error(message), { code });

  // ModelInfer's answer: the inputs echoed back, after inferDelayMs (cut short when the caller gives up).
  async function echo(request: ModelInferRequest__Output, cancelled?: NodeJS.EventEmitter): Promise<ModelInferResponse> {
    if (!models.has(request.model_name)) throw fail(grpc.status.NOT_FOUND, `model ${request.model_name} is not loaded`);
    if (options.inferDelayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, options.inferDelayMs);
        cancelled?.once('cancelled', () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return {
      model_name: request.model_name,
      model_version: request.model_version,
      id: request.id,
      outputs: request.inputs.map((input) => ({ name: input.name, datatype: input.datatype, shape: input.shape, contents: input.contents })),
      raw_output_contents: request.raw_input_contents,
    };
  }

  const plugin: PluginHandlers = {
    GetInfo: guarded(() => info),
    LoadModel: guarded((request) => {
      const existing = models.get(request.model_key);
      const sha256 = request.artifact?.sha256 ?? '';
      if (existing) {
        if (existing.sha256 !== sha256) throw fail(grpc.status.ALREADY_EXISTS, `model ${request.model_key} is loaded with another sha256`);
        return { model: existing };
      }
      const model: LoadedModel = { model_key: request.model_key, sha256, signature: request.signature, loaded_at_ms: Date.now() };
      models.set(request.model_key, model);
      return { model };
    }),
    UnloadModel: guarded((request) => ({ was_loaded: models.delete(request.model_key) })),
    ListModels: guarded(() => ({ models: [...models.values()] })),
    InferStream: (call) => {
      if (call.metadata.get(PLUGIN_SECRET_METADATA)[0] !== options.secret) {
        call.emit('error', { code: grpc.status.UNAUTHENTICATED, details: `missing or wrong ${PLUGIN_SECRET_METADATA}` });
        return;
      }
      if (options.inferStream !== true) {
        call.emit('error', { code: grpc.status.UNIMPLEMENTED, details: 'InferStream is not served by this fake plugin' });
        return;
      }
      // As the contract asks: when the core ends its side, answer what was taken, then end.
      let running = 0;
      let ended = false;
      const endIfDone = () => {
        if (ended && running === 0) call.end();
      };
      call.on('data', (message: InferStreamRequest__Output) => {
        running++;
        echo(message.request!)
          .then(
            (response) => {
              inferred.stream++;
              call.write({ call_id: message.call_id, response });
            },
            (err: { code?: grpc.status; message?: string }) => call.write({ call_id: message.call_id, code: err.code ?? grpc.status.INTERNAL, message: err.message ?? String(err) }),
          )
          .finally(() => {
            options.onCall?.(++calls);
            running--;
            endIfDone();
          });
      });
      call.on('end', () => {
        ended = true;
        endIfDone();
      });
    },
  };
  const notImplemented = (_call: unknown, callback: grpc.sendUnaryData<never>) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'not in the fake plugin' });
  const inference: GRPCInferenceServiceHandlers = {
    ServerLive: (_call, callback) => callback(null, { live: true }),
    ServerReady: (_call, callback) => callback(null, { ready: true }),
    ModelReady: (call, callback) => callback(null, { ready: models.has(call.request.name) }),
    ServerMetadata: (_call, callback) => callback(null, { name: info.id, version: info.version, extensions: [] }),
    ModelMetadata: notImplemented,
    ModelInfer: guarded(async (request, call) => {
      const response = await echo(request, call);
      inferred.unary++;
      return response;
    }),
  };

  const server = new grpc.Server({ 'grpc.max_receive_message_length': 64 * 1024 * 1024, 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  server.addService(pluginProto().modelport.plugin.v1.Plugin.service, plugin);
  server.addService(inferenceProto().inference.GRPCInferenceService.service, inference);
  const health = new HealthImplementation({ '': 'SERVING' });
  health.addToServer(server);
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(listen, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const address = listen.startsWith('unix:') ? listen : `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
  return {
    address,
    info,
    health,
    models,
    inferred,
    close: () =>
      new Promise<void>((resolve) => {
        const force = setTimeout(() => server.forceShutdown(), 1_000);
        server.tryShutdown(() => {
          clearTimeout(force);
          resolve();
        });
      }),
  };
}

/** The process entry point: the handshake from the environment, then serve until SIGTERM. */
async function main(env: NodeJS.ProcessEnv): Promise<void> {
  const out = (line: string) => process.stdout.write(`${line}\n`);
  const mode = env['FAKE_PLUGIN_MODE'] ?? 'serve';
  if (env['FAKE_PLUGIN_STDERR']) process.stderr.write(`${env['FAKE_PLUGIN_STDERR']}\n`);
  if (mode === 'error') {
    out('MODELPORT-PLUGIN-ERROR|fake plugin was told to fail');
    process.exit(1);
  }
  if (mode === 'silent') {
    setInterval(() => undefined, 60_000);
    return;
  }
  const offered = (env['MODELPORT_PLUGIN_PROTOCOL_VERSIONS'] ?? '').split(',').map(Number);
  const socket = env['MODELPORT_PLUGIN_SOCKET'];
  const secret = env['MODELPORT_PLUGIN_SECRET'];
  if (!offered.includes(PLUGIN_PROTOCOL_VERSION) || !socket || !secret) {
    out(`MODELPORT-PLUGIN-ERROR|this plugin speaks protocol ${PLUGIN_PROTOCOL_VERSION} and needs MODELPORT_PLUGIN_SOCKET and MODELPORT_PLUGIN_SECRET`);
    process.exit(1);
  }
  const exitAfter = Number(env['FAKE_PLUGIN_EXIT_AFTER_CALLS'] ?? 0);
  const plugin = await startFakePlugin(`unix:${socket}`, {
    secret,
    id: env['FAKE_PLUGIN_ID'],
    version: env['FAKE_PLUGIN_VERSION'],
    formats: [{ name: env['FAKE_PLUGIN_FORMAT'] ?? 'fake', priority: Number(env['FAKE_PLUGIN_PRIORITY'] ?? 0) }],
    inferDelayMs: Number(env['FAKE_PLUGIN_INFER_DELAY_MS'] ?? 0),
    inferStream: env['FAKE_PLUGIN_INFER_STREAM'] === '1' ? true : env['FAKE_PLUGIN_INFER_STREAM'] === 'unimplemented' ? 'unimplemented' : undefined,
    onCall: (calls) => {
      if (exitAfter > 0 && calls >= exitAfter) setTimeout(() => process.exit(3), 20);
    },
  });
  out(`MODELPORT-PLUGIN|${env['FAKE_PLUGIN_HANDSHAKE_VERSION'] ?? PLUGIN_PROTOCOL_VERSION}|unix|${socket}|grpc`);
  out(`fake plugin ${plugin.info.id} serving on ${socket}`);
  const stop = () => {
    process.stderr.write('fake plugin stopping\n');
    void plugin.close().then(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  // The host holds our stdin open; its end means the host is gone.
  process.stdin.on('end', stop);
  process.stdin.resume();
}

if (require.main === module) {
  main(process.env).catch((err: unknown) => {
    process.stdout.write(`MODELPORT-PLUGIN-ERROR|${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  });
}
