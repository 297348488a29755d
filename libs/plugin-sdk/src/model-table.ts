import type { ArtifactToFetch } from './artifact-fetch';
import { CallError } from './call-error';
import type { PluginLogger } from './logger';
import type { PluginRuntime, SignatureSpec } from './runtime';

export interface LoadRequest {
  readonly key: string;
  readonly uri: string;
  readonly sha256: string;
  /** 0 when unknown. */
  readonly sizeBytes: number;
  readonly format: string;
  readonly signature: SignatureSpec;
  readonly config: Readonly<Record<string, string>>;
}

/** A model the runtime has loaded, as LoadModel and ListModels answer it. */
export interface LoadedModelState {
  readonly key: string;
  readonly sha256: string;
  readonly format: string;
  readonly signature: SignatureSpec;
  readonly loadedAtMs: number;
}

export interface ModelTableDeps {
  readonly runtime: Pick<PluginRuntime, 'loadModel' | 'unloadModel'>;
  /** Lower-case format names the runtime serves. */
  readonly formats: readonly string[];
  /** Downloads and verifies an artifact; resolves with a temporary file the table deletes. */
  readonly fetchArtifact: (artifact: ArtifactToFetch) => Promise<string>;
  readonly removeFile: (path: string) => Promise<void>;
  readonly logger: PluginLogger;
  readonly now?: () => number;
  /** Told when a key starts serving, stops taking new requests, and is gone. */
  readonly events?: {
    loaded?(key: string): void;
    unloading?(key: string): void;
    unloaded?(key: string): void;
  };
}

interface Entry {
  readonly state: LoadedModelState;
  inFlight: number;
  drained?: () => void;
}

const SHA256 = /^[0-9a-f]{64}$/;
const MAX_KEY_LENGTH = 512;

/**
 * The models a plugin holds, with the contract's load/unload semantics:
 * loading a loaded key with the same sha256 is a no-op, with another sha256
 * it is ALREADY_EXISTS; concurrent loads of one key share one download and
 * one runtime.loadModel; unloading is idempotent and waits for the key's
 * in-flight requests before calling runtime.unloadModel.
 */
export class ModelTable {
  private readonly loaded = new Map<string, Entry>();
  private readonly loading = new Map<string, { sha256: string; promise: Promise<LoadedModelState> }>();
  private readonly unloading = new Map<string, Promise<void>>();
  private closing = false;
  private readonly now: () => number;

  constructor(private readonly deps: ModelTableDeps) {
    this.now = deps.now ?? Date.now;
  }

  async load(request: LoadRequest): Promise<LoadedModelState> {
    const req = this.validate(request);
    const pendingUnload = this.unloading.get(req.key);
    if (pendingUnload) await pendingUnload.catch(() => undefined);
    if (this.closing) throw new CallError('UNAVAILABLE', 'the plugin is shutting down');

    const existing = this.loaded.get(req.key);
    if (existing) {
      if (existing.state.sha256 === req.sha256) return existing.state;
      throw new CallError(
        'ALREADY_EXISTS',
        `model key "${req.key}" is already loaded with sha256 ${existing.state.sha256}; unload it before loading sha256 ${req.sha256} under the same key`,
      );
    }
    const pending = this.loading.get(req.key);
    if (pending) {
      if (pending.sha256 === req.sha256) return pending.promise;
      throw new CallError(
        'ALREADY_EXISTS',
        `model key "${req.key}" is being loaded with sha256 ${pending.sha256}; unload it before loading sha256 ${req.sha256} under the same key`,
      );
    }
    const promise = this.doLoad(req);
    this.loading.set(req.key, { sha256: req.sha256, promise });
    try {
      return await promise;
    } finally {
      this.loading.delete(req.key);
    }
  }

  /** Resolves true when the key was loaded (and now is not), false when there was nothing to unload. */
  async unload(key: string): Promise<boolean> {
    const pendingUnload = this.unloading.get(key);
    if (pendingUnload) {
      await pendingUnload.catch(() => undefined);
      return false;
    }
    const pendingLoad = this.loading.get(key);
    if (pendingLoad) await pendingLoad.promise.catch(() => undefined);
    const entry = this.loaded.get(key);
    if (!entry) return false;
    this.loaded.delete(key);
    this.deps.events?.unloading?.(key);
    const done = (async () => {
      if (entry.inFlight > 0) await new Promise<void>((resolve) => (entry.drained = resolve));
      await this.deps.runtime.unloadModel(key);
    })();
    this.unloading.set(key, done);
    try {
      await done;
      this.deps.logger.info('model unloaded', { modelKey: key, sha256: entry.state.sha256 });
      return true;
    } catch (err) {
      this.deps.logger.error('runtime failed to unload a model; it is no longer served', { modelKey: key, err });
      throw err;
    } finally {
      this.unloading.delete(key);
      this.deps.events?.unloaded?.(key);
    }
  }

  /** Runs fn for a loaded key, counting it as in flight so that an unload waits for it. */
  async use<T>(key: string, fn: (model: LoadedModelState) => Promise<T>): Promise<T> {
    const entry = this.loaded.get(key);
    // The message names only the key asked for: other keys belong to other callers.
    if (!entry) throw new CallError('NOT_FOUND', `model "${key}" is not loaded on this plugin`);
    entry.inFlight++;
    try {
      return await fn(entry.state);
    } finally {
      entry.inFlight--;
      if (entry.inFlight === 0 && entry.drained) entry.drained();
    }
  }

  get(key: string): LoadedModelState | undefined {
    return this.loaded.get(key)?.state;
  }

  list(): LoadedModelState[] {
    return [...this.loaded.values()].map((e) => e.state);
  }

  /** Refuses new loads from now on; resolves when pending loads and unloads have settled. */
  async close(): Promise<void> {
    this.closing = true;
    await Promise.allSettled([...[...this.loading.values()].map((l) => l.promise), ...this.unloading.values()]);
  }

  private validate(req: LoadRequest): LoadRequest {
    if (!req.key) throw new CallError('INVALID_ARGUMENT', 'model_key is required');
    if (req.key.length > MAX_KEY_LENGTH) throw new CallError('INVALID_ARGUMENT', `model_key is longer than ${MAX_KEY_LENGTH} characters`);
    if (hasControlCharacter(req.key)) throw new CallError('INVALID_ARGUMENT', 'model_key must not contain control characters');
    const sha256 = req.sha256.toLowerCase();
    if (!SHA256.test(sha256)) throw new CallError('INVALID_ARGUMENT', `artifact.sha256 must be 64 hex digits (got ${JSON.stringify(req.sha256.slice(0, 80))})`);
    if (!req.uri) throw new CallError('INVALID_ARGUMENT', 'artifact.uri is required');
    const format = req.format.toLowerCase();
    if (!this.deps.formats.includes(format)) {
      throw new CallError('INVALID_ARGUMENT', `artifact.format "${req.format}" is not served by this plugin; it serves ${this.deps.formats.join(', ') || 'no formats'}`);
    }
    if (!Number.isSafeInteger(req.sizeBytes) || req.sizeBytes < 0) throw new CallError('INVALID_ARGUMENT', `artifact.size_bytes is not a byte count (${req.sizeBytes})`);
    return { ...req, sha256, format };
  }

  private async doLoad(req: LoadRequest): Promise<LoadedModelState> {
    const started = this.now();
    const path = await this.deps.fetchArtifact({ uri: req.uri, sha256: req.sha256, sizeBytes: req.sizeBytes });
    try {
      const { signature } = await this.deps.runtime.loadModel({
        key: req.key,
        path,
        sha256: req.sha256,
        format: req.format,
        signature: req.signature,
        config: req.config,
      });
      if (!signature || !Array.isArray(signature.inputs) || !Array.isArray(signature.outputs)) {
        throw new CallError('INTERNAL', `the runtime loaded model "${req.key}" but reported no signature`);
      }
      const state: LoadedModelState = { key: req.key, sha256: req.sha256, format: req.format, signature, loadedAtMs: this.now() };
      this.loaded.set(req.key, { state, inFlight: 0 });
      this.deps.events?.loaded?.(req.key);
      this.deps.logger.info('model loaded', { modelKey: req.key, sha256: req.sha256, format: req.format, ms: state.loadedAtMs - started });
      return state;
    } finally {
      await this.deps.removeFile(path).catch((err: unknown) => this.deps.logger.warn('could not delete a temporary artifact copy', { path, err }));
    }
  }
}

function hasControlCharacter(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
