import * as grpc from '@grpc/grpc-js';
import {
  healthProto,
  inferenceProto,
  PLUGIN_SECRET_METADATA,
  pluginProto,
  type InferStreamResponse__Output,
  type LoadedModel__Output,
  type LoadModelRequest,
  type ModelInferRequest,
  type ModelInferResponse__Output,
  type ModelMetadataResponse__Output,
  type PluginInfo__Output,
} from '@modelport/proto';
import { statusName, type StatusName } from './call-error';
import { unaryCall, type RequestOf } from './grpc-unary';
import { DEFAULT_MAX_MESSAGE_BYTES } from './serve-settings';

/** Per-call options. */
export interface CallOptions {
  /** Milliseconds before the call fails with DEADLINE_EXCEEDED. Default: the connection's. */
  readonly deadlineMs?: number;
}

export interface ConnectOptions {
  /** Deadline of every call unless given per call. Default 30 s. */
  readonly deadlineMs?: number;
  /** Deadline of loadModel (which downloads the artifact). Default 10 minutes. */
  readonly loadDeadlineMs?: number;
  /** Largest gRPC message sent or received. Default 64 MiB. */
  readonly maxMessageBytes?: number;
}

export type HealthStatus = 'UNKNOWN' | 'SERVING' | 'NOT_SERVING' | 'SERVICE_UNKNOWN';

/** A failed call: the gRPC status name (e.g. 'NOT_FOUND') and the plugin's message. */
export class PluginCallError extends Error {
  constructor(
    readonly code: StatusName,
    readonly details: string,
    readonly method: string,
  ) {
    super(`${method} failed with ${code}: ${details}`);
    this.name = 'PluginCallError';
  }
}

export interface HealthWatch {
  /** Resolves when the stream ends: cancelled, or the plugin went away (never rejects). */
  readonly ended: Promise<{ code: StatusName; details: string }>;
  cancel(): void;
}

/** An open Plugin.InferStream call. */
export interface InferStreamCall {
  /** Sends one request; resolves with its answer, whatever its code (rejects if the stream ends first). */
  send(callId: number, request: ModelInferRequest): Promise<InferStreamResponse__Output>;
  /** Ends this side; resolves with the status the plugin ends the stream with. */
  end(): Promise<{ code: StatusName; details: string }>;
}

/** A connection to a plugin, as the core (and the conformance kit) use it. */
export interface PluginConnection {
  readonly address: string;
  getInfo(options?: CallOptions): Promise<PluginInfo__Output>;
  loadModel(request: LoadModelRequest, options?: CallOptions): Promise<LoadedModel__Output>;
  /** Resolves with was_loaded. */
  unloadModel(modelKey: string, options?: CallOptions): Promise<boolean>;
  listModels(options?: CallOptions): Promise<LoadedModel__Output[]>;
  infer(request: ModelInferRequest, options?: CallOptions): Promise<ModelInferResponse__Output>;
  /** Opens a Plugin.InferStream (for plugins whose GetInfo declares capabilities.infer_stream). */
  inferStream(): InferStreamCall;
  modelReady(modelKey: string, options?: CallOptions): Promise<boolean>;
  modelMetadata(modelKey: string, options?: CallOptions): Promise<ModelMetadataResponse__Output>;
  serverLive(options?: CallOptions): Promise<boolean>;
  serverReady(options?: CallOptions): Promise<boolean>;
  serverMetadata(options?: CallOptions): Promise<{ name: string; version: string; extensions: string[] }>;
  /** grpc.health.v1 Check; an unknown service answers SERVICE_UNKNOWN instead of failing. */
  checkHealth(service?: string, options?: CallOptions): Promise<HealthStatus>;
  /** grpc.health.v1 Watch: calls onStatus with every status the plugin sends. */
  watchHealth(service: string, onStatus: (status: HealthStatus) => void): HealthWatch;
  close(): void;
}

/**
 * Connects to a plugin at `unix:/path` or host:port. Every call carries the
 * secret as x-modelport-plugin-secret metadata (an empty secret sends none),
 * has a deadline, and rejects with PluginCallError.
 */
export function connectPlugin(address: string, secret: string, options: ConnectOptions = {}): PluginConnection {
  const max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  const channelOptions: grpc.ChannelOptions = { 'grpc.max_receive_message_length': max, 'grpc.max_send_message_length': max };
  const credentials = grpc.credentials.createInsecure();
  const plugin = new (pluginProto().modelport.plugin.v1.Plugin)(address, credentials, channelOptions);
  // One channel for all three services: the other clients share the plugin client's channel.
  const shared = { channelOverride: plugin.getChannel() };
  const inference = new (inferenceProto().inference.GRPCInferenceService)(address, credentials, shared);
  const health = new (healthProto().grpc.health.v1.Health)(address, credentials, shared);
  const defaultDeadline = options.deadlineMs ?? 30_000;
  const loadDeadline = options.loadDeadlineMs ?? 10 * 60_000;

  const metadata = () => {
    const md = new grpc.Metadata();
    if (secret) md.set(PLUGIN_SECRET_METADATA, secret);
    return md;
  };
  const call = <F>(client: grpc.Client, method: F, name: string, req: RequestOf<F>, opts: CallOptions | undefined, fallbackMs = defaultDeadline) =>
    unaryCall(client, method, req, metadata(), { deadline: Date.now() + (opts?.deadlineMs ?? fallbackMs) }).catch((err: grpc.ServiceError) => {
      throw new PluginCallError(statusName(err.code), err.details || err.message, name);
    });

  return {
    address,
    getInfo: (o) => call(plugin, plugin.GetInfo, 'GetInfo', {}, o),
    loadModel: async (req, o) => {
      const res = await call(plugin, plugin.LoadModel, 'LoadModel', req, o, loadDeadline);
      if (!res.model) throw new PluginCallError('INTERNAL', 'the plugin answered LoadModel without a model', 'LoadModel');
      return res.model;
    },
    unloadModel: async (key, o) => (await call(plugin, plugin.UnloadModel, 'UnloadModel', { model_key: key }, o)).was_loaded,
    listModels: async (o) => (await call(plugin, plugin.ListModels, 'ListModels', {}, o)).models,
    infer: (req, o) => call(inference, inference.ModelInfer, 'ModelInfer', req, o),
    inferStream: () => {
      const stream = plugin.InferStream(metadata());
      const waiting = new Map<number, { resolve: (answer: InferStreamResponse__Output) => void; reject: (err: PluginCallError) => void }>();
      const ended = new Promise<{ code: StatusName; details: string }>((resolve) => {
        stream.on('error', (err: grpc.ServiceError) => resolve({ code: statusName(err.code), details: err.details || err.message }));
        stream.on('end', () => resolve({ code: 'OK', details: '' }));
      });
      stream.on('data', (answer: InferStreamResponse__Output) => {
        const w = waiting.get(answer.call_id);
        waiting.delete(answer.call_id);
        w?.resolve(answer);
      });
      void ended.then(({ code, details }) => {
        for (const w of waiting.values()) w.reject(new PluginCallError(code, `the stream ended before the request was answered${details ? `: ${details}` : ''}`, 'InferStream'));
        waiting.clear();
      });
      return {
        send: (callId, request) =>
          new Promise((resolve, reject) => {
            waiting.set(callId, { resolve, reject });
            stream.write({ call_id: callId, request });
          }),
        end: () => {
          stream.end();
          return ended;
        },
      };
    },
    modelReady: async (key, o) => (await call(inference, inference.ModelReady, 'ModelReady', { name: key }, o)).ready,
    modelMetadata: (key, o) => call(inference, inference.ModelMetadata, 'ModelMetadata', { name: key }, o),
    serverLive: async (o) => (await call(inference, inference.ServerLive, 'ServerLive', {}, o)).live,
    serverReady: async (o) => (await call(inference, inference.ServerReady, 'ServerReady', {}, o)).ready,
    serverMetadata: (o) => call(inference, inference.ServerMetadata, 'ServerMetadata', {}, o),
    checkHealth: async (service = '', o) => {
      try {
        return (await call(health, health.Check, 'Health.Check', { service }, o)).status;
      } catch (err) {
        if (err instanceof PluginCallError && err.code === 'NOT_FOUND') return 'SERVICE_UNKNOWN';
        throw err;
      }
    },
    watchHealth: (service, onStatus) => {
      const stream = health.Watch({ service }, metadata());
      stream.on('data', (res: { status: HealthStatus }) => onStatus(res.status));
      const ended = new Promise<{ code: StatusName; details: string }>((resolve) => {
        stream.on('error', (err: grpc.ServiceError) => resolve({ code: statusName(err.code), details: err.details || err.message }));
        stream.on('end', () => resolve({ code: 'OK', details: '' }));
      });
      return { ended, cancel: () => stream.cancel() };
    },
    close: () => {
      health.close();
      inference.close();
      plugin.close();
    },
  };
}
