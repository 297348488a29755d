import * as grpc from '@grpc/grpc-js';
import type { ErrorKind } from '@modelport/errors';
import {
  type GRPCInferenceServiceClient,
  type HealthClient,
  type HealthCheckResponse__Output,
  type InferStreamRequest,
  type InferStreamResponse__Output,
  type ListModelsResponse__Output,
  type LoadedModel__Output,
  type LoadModelRequest,
  type LoadModelResponse__Output,
  type ModelInferRequest,
  type ModelInferResponse__Output,
  type PluginClient,
  type PluginInfo__Output,
  type UnloadModelResponse__Output,
  healthProto,
  inferenceProto,
  PLUGIN_SECRET_METADATA,
  pluginProto,
} from '@modelport/proto';

/** Largest gRPC message the core sends to or accepts from a plugin unless configured otherwise. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

export interface PluginConnectionOptions {
  /** Largest message in either direction, in bytes (default 64 MiB). */
  readonly maxMessageBytes?: number;
  /**
   * Interval of HTTP/2 keepalive pings while calls are active (default 5 minutes). gRPC servers
   * in Go and C++ reject pings more frequent than 5 minutes by default (GOAWAY too_many_pings),
   * so a shorter interval must be agreed with the plugin. Dead local plugins are found by the
   * process supervisor and dead remote ones by health checks and heartbeats, not by keepalive.
   */
  readonly keepaliveTimeMs?: number;
  /** How long a keepalive ping may go unanswered before the connection is dropped (default 20 s). */
  readonly keepaliveTimeoutMs?: number;
  /** Deadline of GetInfo, UnloadModel and ListModels (default 30 s). */
  readonly callTimeoutMs?: number;
  /** Deadline of LoadModel, which downloads and verifies the artifact (default 10 minutes). */
  readonly loadTimeoutMs?: number;
  /** Default deadline of ModelInfer when the caller gives none (default 60 s). */
  readonly inferTimeoutMs?: number;
  /** Deadline of a health Check (default 5 s). */
  readonly healthTimeoutMs?: number;
  /** Channel credentials (default insecure: unix sockets and trusted networks). */
  readonly credentials?: grpc.ChannelCredentials;
}

/** The gRPC channel options used for every plugin channel. */
export function pluginChannelOptions(options: PluginConnectionOptions = {}): grpc.ChannelOptions {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  return {
    'grpc.max_send_message_length': max,
    'grpc.max_receive_message_length': max,
    'grpc.keepalive_time_ms': options.keepaliveTimeMs ?? 5 * 60_000,
    'grpc.keepalive_timeout_ms': options.keepaliveTimeoutMs ?? 20_000,
    'grpc.keepalive_permit_without_calls': 0,
    // A plugin that restarts (or a remote one that comes back) is reached again quickly.
    'grpc.initial_reconnect_backoff_ms': 100,
    'grpc.max_reconnect_backoff_ms': 5_000,
    // Retries would hide a failing plugin from the supervisor and double inference work.
    'grpc.enable_retries': 0,
  };
}

const KIND_BY_STATUS: Partial<Record<grpc.status, ErrorKind>> = {
  [grpc.status.INVALID_ARGUMENT]: 'BAD_USER_INPUT',
  [grpc.status.OUT_OF_RANGE]: 'BAD_USER_INPUT',
  [grpc.status.FAILED_PRECONDITION]: 'BAD_USER_INPUT',
  [grpc.status.NOT_FOUND]: 'NOT_FOUND',
  [grpc.status.ALREADY_EXISTS]: 'CONFLICT',
  [grpc.status.ABORTED]: 'CONFLICT',
  [grpc.status.UNAUTHENTICATED]: 'UNAUTHENTICATED',
  [grpc.status.PERMISSION_DENIED]: 'FORBIDDEN',
  [grpc.status.RESOURCE_EXHAUSTED]: 'UNAVAILABLE',
  [grpc.status.UNAVAILABLE]: 'UNAVAILABLE',
  [grpc.status.DEADLINE_EXCEEDED]: 'UNAVAILABLE',
  [grpc.status.CANCELLED]: 'UNAVAILABLE',
};

/** A failed call to a plugin: the gRPC status, the plugin's message and which plugin it was. */
export class PluginCallError extends Error {
  constructor(
    /** The gRPC status code (`grpc.status`). */
    readonly code: grpc.status,
    message: string,
    /** The plugin's name in the host. */
    readonly plugin: string,
    /** The RPC, e.g. "ModelInfer". */
    readonly method: string,
  ) {
    super(message);
    this.name = 'PluginCallError';
  }

  /** The status name, e.g. "UNAVAILABLE". */
  get status(): string {
    return grpc.status[this.code] ?? String(this.code);
  }

  /** How the error reaches a client of the core (see @modelport/errors). */
  get kind(): ErrorKind {
    return KIND_BY_STATUS[this.code] ?? 'INTERNAL';
  }
}

export function isPluginCallError(err: unknown): err is PluginCallError {
  return err instanceof PluginCallError;
}

export type PluginServingStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** A running health Watch; `cancel()` ends it. */
export interface HealthWatch {
  cancel(): void;
}

interface Clients {
  readonly address: string;
  readonly channel: grpc.Channel;
  readonly plugin: PluginClient;
  readonly inference: GRPCInferenceServiceClient;
  readonly health: HealthClient;
  /** Shared by every call: grpc-js clones call metadata before it touches it. */
  readonly metadata: grpc.Metadata;
}

/** Fails one pending call at once with UNAVAILABLE and the reason. */
type Fail = (reason: string) => void;

/** An inference sent on the InferStream, waiting for the answer with its call id. */
interface StreamedCall {
  readonly request: ModelInferRequest;
  readonly resolve: (response: ModelInferResponse__Output) => void;
  readonly reject: (err: PluginCallError) => void;
  readonly timer: NodeJS.Timeout;
  readonly timeoutMs: number;
}

/** The open InferStream of a connection and its unanswered calls by call id. */
interface InferStreamState {
  readonly call: grpc.ClientDuplexStream<InferStreamRequest, InferStreamResponse__Output>;
  readonly pending: Map<number, StreamedCall>;
}

/** Call ids wrap around at 2^32 (uint32 on the wire); far fewer are ever unanswered at once. */
const CALL_ID_LIMIT = 2 ** 32;

/**
 * Requests with more raw tensor bytes than this go as ModelInfer calls even to a plugin that streams: on the
 * shared stream a large one would hold up the small ones behind it, and one beyond the message limit would
 * end the stream for every call on it, not only fail itself.
 */
const STREAM_MAX_RAW_BYTES = 1024 * 1024;

/** The stream's unanswered calls, taken off it with their deadline timers stopped. */
function takeWaiting(stream: InferStreamState): StreamedCall[] {
  const waiting = [...stream.pending.values()];
  stream.pending.clear();
  for (const w of waiting) clearTimeout(w.timer);
  return waiting;
}

function rawBytes(request: ModelInferRequest): number {
  let bytes = 0;
  for (const raw of request.raw_input_contents ?? []) bytes += raw.length;
  return bytes;
}

/**
 * A typed promise client for one plugin: one long-lived channel shared by the
 * Plugin, GRPCInferenceService and Health clients, the call secret on every
 * call, and gRPC errors mapped to {@link PluginCallError}.
 *
 * The connection object is stable for the life of a plugin; the supervisor
 * re-points it with {@link attach} when a local plugin restarts, and fails
 * calls fast with {@link markUnavailable} while the plugin is down instead of
 * letting them wait for gRPC reconnects.
 */
export class PluginConnection {
  private clients: Clients | null = null;
  private unavailable: string;
  private readonly inFlight = new Map<grpc.ClientUnaryCall, Fail>();
  private readonly watches = new Map<grpc.ClientReadableStream<HealthCheckResponse__Output>, Fail>();
  /** Whether the attached plugin serves Plugin.InferStream (its GetInfo says so); until then, ModelInfer. */
  private streamsInference = false;
  private inferStream: InferStreamState | null = null;
  private nextCallId = 0;
  private readonly channelOptions: grpc.ChannelOptions;
  private readonly credentials: grpc.ChannelCredentials;
  private readonly callTimeoutMs: number;
  private readonly loadTimeoutMs: number;
  private readonly inferTimeoutMs: number;
  private readonly healthTimeoutMs: number;

  constructor(
    /** The plugin's name, carried by every error. */
    readonly plugin: string,
    target: { readonly address: string; readonly secret: string } | null,
    options: PluginConnectionOptions = {},
  ) {
    this.channelOptions = pluginChannelOptions(options);
    this.credentials = options.credentials ?? grpc.credentials.createInsecure();
    this.callTimeoutMs = options.callTimeoutMs ?? 30_000;
    this.loadTimeoutMs = options.loadTimeoutMs ?? 10 * 60_000;
    this.inferTimeoutMs = options.inferTimeoutMs ?? 60_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 5_000;
    this.unavailable = `plugin "${plugin}" is not connected yet`;
    if (target) this.attach(target.address, target.secret);
  }

  /** The gRPC target, e.g. "unix:/tmp/…/p1.sock" or "10.0.0.5:7000"; null before the first attach. */
  get address(): string | null {
    return this.clients?.address ?? null;
  }

  /** False while calls fail fast (not attached, plugin down, closed). */
  get available(): boolean {
    return this.unavailable === '';
  }

  /**
   * Points the connection at a (new) plugin address and secret and makes it
   * available. The previous channel, if any, is closed; its in-flight calls
   * fail with UNAVAILABLE.
   */
  attach(address: string, secret: string): void {
    const previous = this.clients;
    if (previous) {
      this.failAll(`plugin "${this.plugin}" moved to a new address`);
      previous.channel.close();
    }
    // Whether the plugin at the new address streams inferences is known from its GetInfo.
    this.streamsInference = false;
    const channel = new grpc.Channel(address, this.credentials, this.channelOptions);
    const shared = { channelOverride: channel };
    const metadata = new grpc.Metadata();
    metadata.set(PLUGIN_SECRET_METADATA, secret);
    this.clients = {
      address,
      channel,
      metadata,
      plugin: new (pluginProto().modelport.plugin.v1.Plugin)(address, this.credentials, shared),
      inference: new (inferenceProto().inference.GRPCInferenceService)(address, this.credentials, shared),
      health: new (healthProto().grpc.health.v1.Health)(address, this.credentials, shared),
    };
    this.unavailable = '';
  }

  /**
   * Makes new calls fail at once with UNAVAILABLE and `reason`. With
   * `abortInFlight`, calls already sent fail the same way immediately (a
   * plugin process that died will never answer them).
   */
  markUnavailable(reason: string, options: { readonly abortInFlight: boolean }): void {
    this.unavailable = reason;
    if (options.abortInFlight) this.failAll(reason);
  }

  /** Fails every call and closes the channel. The connection can be attached again. */
  close(reason = `the connection to plugin "${this.plugin}" was closed`): void {
    this.markUnavailable(reason, { abortInFlight: true });
    this.clients?.channel.close();
    this.clients = null;
  }

  /** The plugin's description; whether it offers InferStream decides how inferences are sent from then on. */
  async getInfo(timeoutMs = this.callTimeoutMs): Promise<PluginInfo__Output> {
    const clients = this.clients;
    const info = await this.unary<object, PluginInfo__Output>('GetInfo', {}, timeoutMs, (c, req, md, opts, cb) => c.plugin.GetInfo(req, md, opts, cb));
    if (this.clients === clients) this.streamsInference = info.capabilities?.infer_stream === true;
    return info;
  }

  /** How inferences go to the plugin: over one long-lived InferStream, or one ModelInfer call each. */
  get inferenceTransport(): 'stream' | 'unary' {
    return this.streamsInference ? 'stream' : 'unary';
  }

  /** Loads a model; resolves with what the plugin reports as loaded. */
  async loadModel(request: LoadModelRequest): Promise<LoadedModel__Output> {
    const res = await this.unary<LoadModelRequest, LoadModelResponse__Output>('LoadModel', request, this.loadTimeoutMs, (c, req, md, opts, cb) => c.plugin.LoadModel(req, md, opts, cb));
    if (!res.model) throw new PluginCallError(grpc.status.INTERNAL, `plugin "${this.plugin}" answered LoadModel without a model`, this.plugin, 'LoadModel');
    return res.model;
  }

  /** Unloads a model (idempotent); resolves with whether it was loaded. */
  async unloadModel(modelKey: string): Promise<boolean> {
    const res = await this.unary<{ model_key: string }, UnloadModelResponse__Output>('UnloadModel', { model_key: modelKey }, this.callTimeoutMs, (c, req, md, opts, cb) => c.plugin.UnloadModel(req, md, opts, cb));
    return res.was_loaded;
  }

  async listModels(): Promise<LoadedModel__Output[]> {
    const res = await this.unary<object, ListModelsResponse__Output>('ListModels', {}, this.callTimeoutMs, (c, req, md, opts, cb) => c.plugin.ListModels(req, md, opts, cb));
    return res.models;
  }

  /** One inference; `timeoutMs` is the deadline from now (default: the connection's inferTimeoutMs). */
  infer(request: ModelInferRequest, timeoutMs = this.inferTimeoutMs): Promise<ModelInferResponse__Output> {
    if (this.streamsInference && rawBytes(request) <= STREAM_MAX_RAW_BYTES) return this.streamInfer(request, timeoutMs);
    return this.unary('ModelInfer', request, timeoutMs, inferCall);
  }

  /**
   * One inference on the InferStream (opened on first use, and again after it ends): one HTTP/2 stream for all
   * of them instead of one per call, which is most of what a unary call costs in CPU and garbage. The deadline
   * is kept here: an answer that comes later is dropped.
   */
  private streamInfer(request: ModelInferRequest, timeoutMs: number): Promise<ModelInferResponse__Output> {
    const clients = this.clients;
    if (!clients || this.unavailable !== '') return Promise.reject(this.unavailableError('ModelInfer'));
    const stream = this.inferStream ?? this.openInferStream(clients);
    return new Promise((resolve, reject) => {
      let id = this.nextCallId;
      while (stream.pending.has(id)) id = (id + 1) % CALL_ID_LIMIT;
      this.nextCallId = (id + 1) % CALL_ID_LIMIT;
      const timer = setTimeout(() => {
        if (stream.pending.delete(id)) {
          reject(new PluginCallError(grpc.status.DEADLINE_EXCEEDED, `ModelInfer on plugin "${this.plugin}" failed (DEADLINE_EXCEEDED): no answer within ${timeoutMs} ms`, this.plugin, 'ModelInfer'));
        }
      }, timeoutMs);
      stream.pending.set(id, { request, resolve, reject, timer, timeoutMs });
      stream.call.write({ call_id: id, request });
    });
  }

  private openInferStream(clients: Clients): InferStreamState {
    const call = clients.plugin.InferStream(clients.metadata);
    const stream: InferStreamState = { call, pending: new Map() };
    this.inferStream = stream;
    call.on('data', (answer: InferStreamResponse__Output) => {
      const waiting = stream.pending.get(answer.call_id);
      if (!waiting) return;
      stream.pending.delete(answer.call_id);
      clearTimeout(waiting.timer);
      if (answer.code === grpc.status.OK && answer.response) waiting.resolve(answer.response);
      else if (answer.code === grpc.status.OK) waiting.reject(new PluginCallError(grpc.status.INTERNAL, `plugin "${this.plugin}" answered an InferStream request without a response`, this.plugin, 'ModelInfer'));
      else waiting.reject(this.toError('ModelInfer', { code: answer.code, details: answer.message }));
    });
    // The stream is over (the plugin ended it, died or went away): its unanswered calls fail, the next call opens another.
    const ended = (err: grpc.ServiceError | null) => {
      if (this.inferStream === stream) this.inferStream = null;
      const waiting = takeWaiting(stream);
      if (waiting.length === 0) return;
      if (err?.code === grpc.status.UNIMPLEMENTED) {
        // GetInfo promised InferStream but the plugin lacks it: these never ran, so they go as ModelInfer calls, as will the rest.
        this.streamsInference = false;
        for (const w of waiting) this.unary('ModelInfer', w.request, w.timeoutMs, inferCall).then(w.resolve, w.reject);
        return;
      }
      // A stream cut from the other side (CANCELLED: the plugin's server shut down) means the plugin went away.
      const failure =
        err && err.code !== grpc.status.CANCELLED
          ? this.toError('ModelInfer', err)
          : new PluginCallError(
              grpc.status.UNAVAILABLE,
              this.unavailable || `plugin "${this.plugin}" ${err ? `cut its inference stream (${err.details || err.message})` : 'ended its inference stream'} before answering`,
              this.plugin,
              'ModelInfer',
            );
      for (const w of waiting) w.reject(failure);
    };
    call.on('error', (err: grpc.ServiceError) => ended(err));
    call.on('end', () => ended(null));
    return stream;
  }

  /** grpc.health.v1 Check; `service` "" is the plugin as a whole. */
  async healthCheck(service = '', timeoutMs = this.healthTimeoutMs): Promise<PluginServingStatus> {
    const res = await this.unary<{ service: string }, HealthCheckResponse__Output>('Health.Check', { service }, timeoutMs, (c, req, md, opts, cb) => c.health.Check(req, md, opts, cb));
    return res.status as PluginServingStatus;
  }

  /**
   * grpc.health.v1 Watch: `onStatus` gets the current status at once and every
   * change after it. `onError` gets the error that ended the stream (not
   * called after `cancel()`).
   */
  watchHealth(service: string, onStatus: (status: PluginServingStatus) => void, onError: (err: PluginCallError) => void = () => undefined): HealthWatch {
    const clients = this.clients;
    if (!clients || !this.available) {
      const err = this.unavailableError('Health.Watch');
      queueMicrotask(() => onError(err));
      return { cancel: () => undefined };
    }
    let ended = false;
    const stream = clients.health.Watch({ service }, clients.metadata);
    const end = (err: PluginCallError) => {
      if (ended) return;
      ended = true;
      this.watches.delete(stream);
      stream.cancel();
      onError(err);
    };
    this.watches.set(stream, (reason) => end(new PluginCallError(grpc.status.UNAVAILABLE, reason, this.plugin, 'Health.Watch')));
    stream.on('data', (res: HealthCheckResponse__Output) => {
      if (!ended) onStatus(res.status as PluginServingStatus);
    });
    stream.on('error', (err: grpc.ServiceError) => end(this.toError('Health.Watch', err)));
    stream.on('end', () => end(new PluginCallError(grpc.status.UNAVAILABLE, `plugin "${this.plugin}" ended the health watch`, this.plugin, 'Health.Watch')));
    return {
      cancel: () => {
        ended = true;
        this.watches.delete(stream);
        stream.cancel();
      },
    };
  }

  private unary<Req, Res>(
    method: string,
    request: Req,
    timeoutMs: number,
    invoke: (clients: Clients, request: Req, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<Res>) => grpc.ClientUnaryCall,
  ): Promise<Res> {
    const clients = this.clients;
    if (!clients || this.unavailable !== '') return Promise.reject(this.unavailableError(method));
    return new Promise<Res>((resolve, reject) => {
      let settled = false;
      const fail: Fail = (reason) => {
        if (settled) return;
        settled = true;
        reject(new PluginCallError(grpc.status.UNAVAILABLE, reason, this.plugin, method));
      };
      const call = invoke(clients, request, clients.metadata, { deadline: Date.now() + timeoutMs }, (err, res) => {
        this.inFlight.delete(call);
        if (settled) return;
        settled = true;
        if (err) reject(this.toError(method, err));
        else resolve(res!);
      });
      this.inFlight.set(call, fail);
    });
  }

  private failAll(reason: string): void {
    const stream = this.inferStream;
    if (stream) {
      this.inferStream = null;
      for (const w of takeWaiting(stream)) w.reject(new PluginCallError(grpc.status.UNAVAILABLE, reason, this.plugin, 'ModelInfer'));
      stream.call.cancel();
    }
    if (this.inFlight.size > 0) {
      const calls = [...this.inFlight];
      this.inFlight.clear();
      for (const [call, fail] of calls) {
        fail(reason);
        call.cancel();
      }
    }
    for (const fail of [...this.watches.values()]) fail(reason);
  }

  private unavailableError(method: string): PluginCallError {
    return new PluginCallError(grpc.status.UNAVAILABLE, this.unavailable || `plugin "${this.plugin}" is not connected`, this.plugin, method);
  }

  private toError(method: string, err: Pick<grpc.ServiceError, 'code' | 'details'> & { message?: string }): PluginCallError {
    // A channel marked down answers with why it is down, not with gRPC's transport message.
    if (this.unavailable !== '' && (err.code === grpc.status.UNAVAILABLE || err.code === grpc.status.CANCELLED)) {
      return this.unavailableError(method);
    }
    const details = err.details || err.message || 'no details';
    return new PluginCallError(err.code, `${method} on plugin "${this.plugin}" failed (${grpc.status[err.code] ?? err.code}): ${details}`, this.plugin, method);
  }
}

// Hoisted so that an inference allocates no closure for the call itself.
function inferCall(
  clients: Clients,
  request: ModelInferRequest,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: grpc.requestCallback<ModelInferResponse__Output>,
): grpc.ClientUnaryCall {
  return clients.inference.ModelInfer(request, metadata, options, callback);
}
