import type { Datatype, Tensor } from './tensors';

/** One tensor of a model signature. -1 marks a variable-size dimension. */
export interface TensorSpec {
  readonly name: string;
  readonly datatype: Datatype;
  readonly shape: readonly number[];
}

export interface SignatureSpec {
  readonly inputs: readonly TensorSpec[];
  readonly outputs: readonly TensorSpec[];
}

/** What a plugin says about itself in GetInfo. */
export interface PluginDescription {
  /** Stable identifier, e.g. "runtime-onnx". */
  readonly id: string;
  /** Semantic version of the plugin. */
  readonly version: string;
  /** Formats it serves; the higher priority wins when several plugins serve one format. */
  readonly formats: readonly { readonly name: string; readonly priority: number }[];
  readonly capabilities?: { readonly batching?: boolean; readonly maxMessageBytes?: number };
  /** Free text such as the runtime's own version. */
  readonly details?: Readonly<Record<string, string>>;
}

/** A model whose artifact the SDK has already downloaded and verified. */
export interface ModelToLoad {
  /** The key the core chose; inference requests name it as model_name. */
  readonly key: string;
  /** A local file holding exactly the artifact bytes (sha256 verified). Deleted after loadModel resolves. */
  readonly path: string;
  readonly sha256: string;
  readonly format: string;
  /** The signature the registry recorded; the runtime may refine it. */
  readonly signature: SignatureSpec;
  /** Runtime settings from the deployment, e.g. intra_op_threads. */
  readonly config: Readonly<Record<string, string>>;
}

export interface InferenceRequest {
  /** The V2 request id ('' when the client gave none). */
  readonly id: string;
  /** Inputs already decoded and checked against the loaded signature (names, datatypes, shapes). */
  readonly inputs: readonly Tensor[];
  /** Names of the outputs asked for; empty means all. */
  readonly outputs: readonly string[];
}

export interface InferenceResult {
  readonly outputs: readonly Tensor[];
}

/**
 * What a plugin author implements. The SDK does the rest: gRPC, the handshake,
 * registration, health, artifact download and digest check, load/unload
 * idempotency, tensor decoding and validation, and graceful shutdown.
 */
export interface PluginRuntime {
  readonly description: PluginDescription;
  /** Loads one model; resolves with the signature the runtime will serve. Throwing fails the load. */
  loadModel(model: ModelToLoad): Promise<{ readonly signature: SignatureSpec }>;
  /** Releases one model. Only called for keys that loadModel loaded. */
  unloadModel(key: string): Promise<void>;
  infer(key: string, request: InferenceRequest): Promise<InferenceResult>;
  /** Called once on shutdown, after in-flight requests have finished. */
  close?(): Promise<void>;
}

/**
 * Errors a runtime may throw to choose the gRPC status the caller sees;
 * anything else is INTERNAL with its message.
 */
export class PluginError extends Error {
  constructor(
    readonly status: 'INVALID_ARGUMENT' | 'NOT_FOUND' | 'FAILED_PRECONDITION' | 'RESOURCE_EXHAUSTED' | 'UNAVAILABLE' | 'INTERNAL',
    message: string,
  ) {
    super(message);
    this.name = 'PluginError';
  }
}
