import * as grpc from '@grpc/grpc-js';
import {
  PLUGIN_PROTOCOL_VERSION,
  type GRPCInferenceServiceHandlers,
  type InferStreamRequest__Output,
  type InferStreamResponse,
  type LoadedModel,
  type ModelInferRequest__Output,
  type ModelInferResponse,
  type PluginHandlers,
  type PluginInfo,
} from '@modelport/proto';
import { checkArtifactUri } from './artifact-fetch';
import { CallError, toStatus } from './call-error';
import type { InFlightCalls } from './call-guard';
import type { PluginLogger } from './logger';
import type { LoadedModelState, ModelTable } from './model-table';
import type { PluginDescription, PluginRuntime, TensorSpec } from './runtime';
import { signatureFromProto, signatureToProto } from './signature';
import {
  checkInputsAgainstSignature,
  checkRequestedOutputs,
  decodeInferInputs,
  encodeInferOutputs,
  type Tensor,
  type TensorLimits,
} from './tensors';

export interface ServiceContext {
  readonly runtime: PluginRuntime;
  readonly table: ModelTable;
  readonly calls: InFlightCalls;
  readonly logger: PluginLogger;
  readonly maxMessageBytes: number;
  readonly tensorLimits: TensorLimits;
  /** True once listening and until shutdown starts. */
  readonly isReady: () => boolean;
  /**
   * The open InferStream calls, each as its `drain`: take no more requests, and end the stream once every
   * request it took is answered. Shutdown drains them all.
   */
  readonly inferStreams: Set<() => void>;
}

/** GetInfo's answer (also sent in RegisterRequest.info). */
export function pluginInfo(description: PluginDescription, maxMessageBytes: number): PluginInfo {
  return {
    id: description.id,
    version: description.version,
    protocol_version: PLUGIN_PROTOCOL_VERSION,
    formats: description.formats.map((f) => ({ name: f.name.toLowerCase(), priority: f.priority })),
    capabilities: {
      raw_contents: true,
      batching: description.capabilities?.batching ?? false,
      max_message_bytes: maxMessageBytes,
      infer_stream: true,
    },
    details: { ...(description.details ?? {}) },
  };
}

export function loadedModelToProto(m: LoadedModelState): LoadedModel {
  return { model_key: m.key, sha256: m.sha256, signature: signatureToProto(m.signature), loaded_at_ms: m.loadedAtMs };
}

/** modelport.plugin.v1.Plugin */
export function pluginHandlers(ctx: ServiceContext): PluginHandlers {
  const info = pluginInfo(ctx.runtime.description, ctx.maxMessageBytes);
  return {
    GetInfo: unary(ctx, 'GetInfo', async () => info),
    LoadModel: unary(ctx, 'LoadModel', async (req) => {
      const artifact = req.artifact;
      if (!artifact) throw new CallError('INVALID_ARGUMENT', 'artifact is required');
      checkArtifactUri(artifact.uri);
      const model = await ctx.table.load({
        key: req.model_key,
        uri: artifact.uri,
        sha256: artifact.sha256,
        sizeBytes: Number(artifact.size_bytes),
        format: artifact.format,
        signature: signatureFromProto(req.signature),
        config: { ...(req.config ?? {}) },
      });
      return { model: loadedModelToProto(model) };
    }),
    UnloadModel: unary(ctx, 'UnloadModel', async (req) => ({ was_loaded: await ctx.table.unload(req.model_key) })),
    ListModels: unary(ctx, 'ListModels', async () => ({ models: ctx.table.list().map(loadedModelToProto) })),
    InferStream: inferStream(ctx),
  };
}

/**
 * Plugin.InferStream: ModelInfer for every request on one long-lived stream. Requests run concurrently, as
 * separate ModelInfer calls would, and each is answered with its call_id once done, in any order; a failure is
 * an answer with its status, never the end of the stream. While the plugin shuts down, new requests are
 * answered UNAVAILABLE and the stream ends once the requests it took are answered.
 */
function inferStream(ctx: ServiceContext): grpc.handleBidiStreamingCall<InferStreamRequest__Output, InferStreamResponse> {
  return (call) => {
    let running = 0;
    let draining = false;
    let closed = false;
    const close = () => {
      closed = true;
      ctx.inferStreams.delete(drain);
    };
    const endIfDone = () => {
      if (draining && running === 0 && !closed) {
        close();
        call.end();
      }
    };
    const drain = () => {
      draining = true;
      endIfDone();
    };
    ctx.inferStreams.add(drain);
    call.on('data', (message: InferStreamRequest__Output) => {
      if (closed) return;
      const id = message.call_id;
      if (draining || !ctx.isReady()) {
        call.write({ call_id: id, code: grpc.status.UNAVAILABLE, message: 'the plugin is shutting down; send the request again once it is back' });
        return;
      }
      const request = message.request;
      if (!request) {
        call.write({ call_id: id, code: grpc.status.INVALID_ARGUMENT, message: 'request is required: the ModelInferRequest to run' });
        return;
      }
      running++;
      ctx.calls
        .track(() => infer(ctx, request))
        .then(
          (response) => {
            if (!closed) call.write({ call_id: id, response });
          },
          (err: unknown) => {
            const status = reportFailure(ctx, 'InferStream', err);
            if (!closed) call.write({ call_id: id, code: status.code, message: status.details });
          },
        )
        .finally(() => {
          running--;
          endIfDone();
        });
    });
    call.on('end', drain);
    call.on('cancelled', close);
    call.on('error', close);
  };
}

/** inference.GRPCInferenceService, with model_name = a loaded model key. */
export function inferenceHandlers(ctx: ServiceContext): GRPCInferenceServiceHandlers {
  const { description } = ctx.runtime;
  const tensorMeta = (t: TensorSpec) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] });
  return {
    ServerLive: unary(ctx, 'ServerLive', async () => ({ live: true })),
    ServerReady: unary(ctx, 'ServerReady', async () => ({ ready: ctx.isReady() })),
    ServerMetadata: unary(ctx, 'ServerMetadata', async () => ({ name: description.id, version: description.version, extensions: [] })),
    ModelReady: unary(ctx, 'ModelReady', async (req) => ({ ready: ctx.isReady() && ctx.table.get(req.name) !== undefined })),
    ModelMetadata: unary(ctx, 'ModelMetadata', async (req) => {
      const model = ctx.table.get(req.name);
      if (!model) throw new CallError('NOT_FOUND', `model "${req.name}" is not loaded on this plugin`);
      return {
        name: model.key,
        versions: [],
        platform: model.format,
        inputs: model.signature.inputs.map(tensorMeta),
        outputs: model.signature.outputs.map(tensorMeta),
      };
    }),
    ModelInfer: unary(ctx, 'ModelInfer', (req) => infer(ctx, req)),
  };
}

async function infer(ctx: ServiceContext, req: ModelInferRequest__Output): Promise<ModelInferResponse> {
  if (!req.model_name) throw new CallError('INVALID_ARGUMENT', 'model_name is required: the key the model was loaded under');
  return ctx.table.use(req.model_name, async (model) => {
    const { inputs, encoding } = decodeInferInputs(req, ctx.tensorLimits);
    checkInputsAgainstSignature(inputs, model.signature);
    const requested = req.outputs.map((o) => o.name);
    checkRequestedOutputs(requested, model.signature);
    const result = await ctx.runtime.infer(model.key, { id: req.id, inputs, outputs: requested });
    const outputs = selectOutputs(model, result?.outputs, requested);
    const encoded = encodeInferOutputs(outputs, encoding);
    return {
      model_name: model.key,
      model_version: '',
      id: req.id,
      outputs: encoded.outputs,
      raw_output_contents: encoded.raw_output_contents,
    };
  });
}

/** The requested outputs in the order asked for (all of them when none was named). */
function selectOutputs(model: LoadedModelState, produced: readonly Tensor[] | undefined, requested: readonly string[]): Tensor[] {
  if (!Array.isArray(produced)) throw new CallError('INTERNAL', `the runtime returned no outputs for model "${model.key}"`);
  if (requested.length === 0) return [...produced];
  return requested.map((name) => {
    const t = produced.find((o) => o.name === name);
    if (!t) throw new CallError('INTERNAL', `the runtime did not produce the requested output "${name}" for model "${model.key}"`);
    return t;
  });
}

/** Runs a handler as a tracked promise and maps what it throws to a gRPC status. */
function unary<Req, Res>(ctx: ServiceContext, method: string, handler: (request: Req) => Promise<Res>): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    ctx.calls
      .track(() => handler(call.request))
      .then(
        (response) => callback(null, response),
        (err: unknown) => {
          const status = reportFailure(ctx, method, err);
          callback({ code: status.code, details: status.details });
        },
      );
  };
}

/** The gRPC status a handler's error maps to, logged: as an error when it is INTERNAL (a plugin bug), else quietly. */
function reportFailure(ctx: ServiceContext, method: string, err: unknown): { code: grpc.status; details: string } {
  const status = toStatus(err);
  if (status.code === grpc.status.INTERNAL) ctx.logger.error('call failed', { method, err });
  else if (method === 'LoadModel') ctx.logger.warn('model load refused', { method, code: grpc.status[status.code], details: status.details });
  else ctx.logger.debug('call refused', { method, code: grpc.status[status.code], details: status.details });
  return status;
}
