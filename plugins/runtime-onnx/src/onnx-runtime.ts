import {
  PluginError,
  type InferenceRequest,
  type InferenceResult,
  type ModelToLoad,
  type PluginDescription,
  type PluginRuntime,
  type SignatureSpec,
} from '@modelport/plugin-sdk';
import * as ort from 'onnxruntime-node';
import {
  checkSessionSettings,
  DEFAULT_SESSION_SETTINGS,
  OnnxSettingsError,
  sessionSettingsFromConfig,
  toSessionOptions,
  type OnnxSessionSettings,
} from './onnx-settings';
import { describeUnservable, fromOrtTensor, signatureFromSession, toOrtTensor } from './onnx-tensors';
import { PLUGIN_ID, PLUGIN_VERSION } from './version';

/** The part of ort.InferenceSession the runtime uses. */
export type OnnxSession = Pick<ort.InferenceSession, 'inputMetadata' | 'outputMetadata' | 'outputNames' | 'run' | 'release'>;

export type OnnxSessionFactory = (path: string, options: ort.InferenceSession.SessionOptions) => Promise<OnnxSession>;

export interface OnnxRuntimeOptions {
  /** Session settings for models whose deployment config does not set them (see sessionDefaultsFromEnv). */
  readonly defaults?: Partial<OnnxSessionSettings>;
  /** Creates sessions; ort.InferenceSession.create by default (tests wrap it). */
  readonly createSession?: OnnxSessionFactory;
}

interface LoadedModel {
  readonly session: OnnxSession;
  readonly signature: SignatureSpec;
  readonly settings: OnnxSessionSettings;
}

/**
 * Errors from session.run that come from the request (wrong shapes or types, indices out of range);
 * anything else is INTERNAL. The Node binding reports only a message, no status code.
 */
const CALLER_ERROR = /invalid (dimensions|rank|feed|input|output name)|unexpected input data type|is missing in 'feeds'|missing input|out of (data )?bounds|out of range|must be within/i;

/** Serves ONNX models on ONNX Runtime's CPU execution provider. */
export class OnnxRuntime implements PluginRuntime {
  readonly description: PluginDescription = {
    id: PLUGIN_ID,
    version: PLUGIN_VERSION,
    formats: [{ name: 'onnx', priority: 100 }],
    capabilities: { batching: false },
    details: { onnxruntime: ort.env.versions.node ?? ort.env.versions.common, executionProvider: 'cpu' },
  };

  private readonly models = new Map<string, LoadedModel>();
  private readonly defaults: OnnxSessionSettings;
  private readonly createSession: OnnxSessionFactory;

  constructor(options: OnnxRuntimeOptions = {}) {
    this.defaults = checkSessionSettings({ ...DEFAULT_SESSION_SETTINGS, ...options.defaults });
    this.createSession = options.createSession ?? ((path, sessionOptions) => ort.InferenceSession.create(path, sessionOptions));
  }

  async loadModel(model: ModelToLoad): Promise<{ readonly signature: SignatureSpec }> {
    if (this.models.has(model.key)) {
      throw new PluginError('FAILED_PRECONDITION', `model "${model.key}" is already loaded; unload it first`);
    }
    let settings: OnnxSessionSettings;
    try {
      settings = sessionSettingsFromConfig(model.config, this.defaults);
    } catch (err) {
      if (err instanceof OnnxSettingsError) throw new PluginError('INVALID_ARGUMENT', `model "${model.key}": ${err.message}`);
      throw err;
    }

    let session: OnnxSession;
    try {
      session = await this.createSession(model.path, toSessionOptions(settings));
    } catch (err) {
      throw new PluginError('INVALID_ARGUMENT', `ONNX Runtime could not load model "${model.key}": ${messageOf(err)}`);
    }

    const derived = signatureFromSession(session, model.signature);
    if (derived.signature === undefined) {
      await session.release().catch(() => undefined);
      throw new PluginError('INVALID_ARGUMENT', describeUnservable(model.key, derived.unservable));
    }
    // A concurrent load of the same key cannot happen (the SDK shares one load per key), but a
    // session must never be dropped without release.
    if (this.models.has(model.key)) {
      await session.release().catch(() => undefined);
      throw new PluginError('FAILED_PRECONDITION', `model "${model.key}" is already loaded; unload it first`);
    }
    this.models.set(model.key, { session, signature: derived.signature, settings });
    return { signature: derived.signature };
  }

  async unloadModel(key: string): Promise<void> {
    const model = this.models.get(key);
    if (!model) return;
    this.models.delete(key);
    await model.session.release();
  }

  async infer(key: string, request: InferenceRequest): Promise<InferenceResult> {
    const model = this.models.get(key);
    if (!model) throw new PluginError('NOT_FOUND', `model "${key}" is not loaded on runtime-onnx`);

    const feeds: Record<string, ort.Tensor> = {};
    for (const input of request.inputs) feeds[input.name] = toOrtTensor(input);
    const fetches = request.outputs.length > 0 ? [...request.outputs] : [...model.session.outputNames];

    let results: ort.InferenceSession.ReturnType;
    try {
      results = await model.session.run(feeds, fetches);
    } catch (err) {
      const message = messageOf(err);
      throw new PluginError(CALLER_ERROR.test(message) ? 'INVALID_ARGUMENT' : 'INTERNAL', `ONNX Runtime failed to run model "${key}": ${message}`);
    }
    return {
      outputs: fetches.map((name) => {
        const value = results[name];
        if (value === undefined) throw new PluginError('INTERNAL', `ONNX Runtime returned no output "${name}" for model "${key}"`);
        return fromOrtTensor(name, value);
      }),
    };
  }

  async close(): Promise<void> {
    const models = [...this.models.values()];
    this.models.clear();
    await Promise.allSettled(models.map((m) => m.session.release()));
  }

  /** The keys of the loaded models. */
  loadedKeys(): string[] {
    return [...this.models.keys()];
  }

  /** The session settings a loaded model runs with, or undefined. */
  settingsOf(key: string): OnnxSessionSettings | undefined {
    return this.models.get(key)?.settings;
  }
}

/** The message of an error, on one line (native errors may come from another realm, so no instanceof). */
function messageOf(err: unknown): string {
  const message = typeof err === 'object' && err !== null && typeof (err as { message?: unknown }).message === 'string' ? (err as Error).message : String(err);
  return message.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
