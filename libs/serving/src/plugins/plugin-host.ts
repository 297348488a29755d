import { EventEmitter } from 'node:events';
import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@modelport/observability';
import type { LoadedModel__Output, LoadModelRequest, PluginInfo__Output } from '@modelport/proto';
import { type LocalPluginConfig, LocalPluginProcess, type LocalPluginProcessOptions } from './local-plugin-process';
import { isPluginCallError, type PluginConnection, type PluginServingStatus } from './plugin-connection';
import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
import type { PluginRegistryEvents, PluginRegistryService, RemotePluginRegistration } from './plugin-registry.service';
import { type PluginHealth, type PluginKind, type PluginSummary, selectPlugin } from './plugin-selection';

export interface PluginHostOptions {
  readonly logger: Logger;
  /** Local plugins to launch and supervise. */
  readonly plugins?: readonly LocalPluginConfig[];
  /** Remote plugins registered through this registry join the directory (the host does not close it). */
  readonly registry?: PluginRegistryService;
  /** Launch, restart and connection settings of local plugins. */
  readonly process?: Omit<LocalPluginProcessOptions, 'logger'>;
  /** How often every plugin's grpc.health.v1 Check is called (default 5 s). */
  readonly healthIntervalMs?: number;
  /** Deadline of one health Check (default 2 s). */
  readonly healthTimeoutMs?: number;
  /** How often ListModels is called on every plugin (default 30 s). */
  readonly modelsRefreshIntervalMs?: number;
  /**
   * Gives the LoadModel request to use when a model is reloaded after a
   * restart (e.g. with a fresh signed artifact URL). Default: the original request.
   */
  readonly reloadRequest?: (plugin: string, request: LoadModelRequest) => Promise<LoadModelRequest>;
}

export interface ModelsReloadedEvent {
  readonly plugin: string;
  /** Keys loaded again on the new process. */
  readonly reloaded: readonly string[];
  readonly failed: readonly { readonly modelKey: string; readonly error: string }[];
}

/** The plugin picked by {@link PluginHost.choose}. */
export interface ChosenPlugin {
  readonly name: string;
  readonly kind: PluginKind;
  /** The priority the plugin gives the requested format. */
  readonly priority: number;
  readonly connection: PluginConnection;
}

export interface PluginHostEvents {
  /** After a local plugin restarted (or a remote one registered again): the models it had were loaded again. */
  'models-reloaded': [event: ModelsReloadedEvent];
  'plugin-down': [plugin: string, reason: string];
  'plugin-restarted': [plugin: string];
  'plugin-registered': [plugin: string];
  'plugin-removed': [plugin: string];
}

type Probe = PluginServingStatus | 'UNREACHABLE';

interface Entry {
  readonly name: string;
  readonly kind: PluginKind;
  readonly process: LocalPluginProcess | null;
  registration: RemotePluginRegistration | null;
  probe: Probe;
  loadedKeys: readonly string[];
  /** What the host loaded on this plugin, to load again after a restart. */
  readonly wanted: Map<string, LoadModelRequest>;
  reloadGeneration: number;
  reloading: boolean;
  lastError: string | null;
}

function message(err: unknown): string {
  const text = typeof err === 'object' && err !== null ? (err as { message?: unknown }).message : undefined;
  return typeof text === 'string' ? text : String(err);
}

/**
 * Owns every serving plugin of this server, local (launched and supervised)
 * and remote (registered), in one in-memory directory: what each serves,
 * its health, what is loaded where; picks a plugin for a model format; loads
 * and unloads models and loads them again after a plugin restarts.
 */
export class PluginHost extends EventEmitter<PluginHostEvents> {
  private readonly entries = new Map<string, Entry>();
  private readonly logger: Logger;
  private readonly healthIntervalMs: number;
  private readonly healthTimeoutMs: number;
  private readonly modelsRefreshIntervalMs: number;
  private readonly registryListeners: { [K in keyof PluginRegistryEvents]?: (...args: PluginRegistryEvents[K]) => void } = {};
  private healthTimer: NodeJS.Timeout | null = null;
  private modelsTimer: NodeJS.Timeout | null = null;
  private probing = false;
  private state: 'new' | 'started' | 'closed' = 'new';

  constructor(private readonly options: PluginHostOptions) {
    super();
    this.logger = options.logger.child({ component: 'plugin-host' });
    this.healthIntervalMs = options.healthIntervalMs ?? 5_000;
    this.healthTimeoutMs = options.healthTimeoutMs ?? 2_000;
    this.modelsRefreshIntervalMs = options.modelsRefreshIntervalMs ?? 30_000;
    for (const config of options.plugins ?? []) {
      if (this.entries.has(config.name)) {
        throw new PluginHostError(PluginHostErrorCode.INVALID_PLUGIN_CONFIG, `Two local plugins are named "${config.name}"; plugin names must be unique.`, {
          plugin: config.name,
        });
      }
      const process = new LocalPluginProcess(config, { ...options.process, logger: options.logger });
      this.entries.set(config.name, this.newEntry(config.name, 'local', process, null));
    }
  }

  /**
   * Launches every local plugin in parallel and starts health checks. Resolves
   * once each plugin has started or failed its first launch; a plugin that
   * failed is logged and keeps being retried with backoff.
   */
  async start(): Promise<void> {
    if (this.state !== 'new') throw new Error('PluginHost.start() may be called once');
    this.state = 'started';
    const registry = this.options.registry;
    if (registry) this.attachRegistry(registry);
    this.healthTimer = setInterval(() => void this.probeAll(), this.healthIntervalMs);
    this.healthTimer.unref();
    this.modelsTimer = setInterval(() => void this.refreshAll(), this.modelsRefreshIntervalMs);
    this.modelsTimer.unref();
    const locals = [...this.entries.values()].filter((e) => e.process);
    await Promise.all(
      locals.map(async (entry) => {
        const process = entry.process!;
        process.on('down', (reason) => {
          entry.probe = 'UNKNOWN';
          entry.loadedKeys = [];
          entry.lastError = reason;
          this.emit('plugin-down', entry.name, reason);
        });
        process.on('launch-failed', (err) => (entry.lastError = err.message));
        process.on('restarted', () => {
          entry.probe = 'UNKNOWN';
          this.emit('plugin-restarted', entry.name);
          void this.reload(entry);
        });
        try {
          await process.start();
          await this.refresh(entry);
        } catch (err) {
          entry.lastError = message(err);
        }
      }),
    );
    const summary = this.list().map((p) => ({ name: p.name, health: p.health, formats: p.formats.map((f) => f.name) }));
    this.logger.info({ plugins: summary }, 'plugin host started');
  }

  /** Stops every local plugin (SIGTERM, grace period, SIGKILL) and the health checks. */
  async close(): Promise<void> {
    if (this.state === 'closed') return;
    this.state = 'closed';
    if (this.healthTimer) clearInterval(this.healthTimer);
    if (this.modelsTimer) clearInterval(this.modelsTimer);
    const registry = this.options.registry;
    if (registry) {
      for (const [event, listener] of Object.entries(this.registryListeners)) registry.off(event as keyof PluginRegistryEvents, listener as () => void);
    }
    await Promise.all([...this.entries.values()].map((e) => e.process?.stop()));
  }

  /** Every plugin, local and remote, sorted by name. */
  list(): PluginSummary[] {
    return [...this.entries.values()].map((e) => this.summary(e)).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** One plugin; PLUGIN_NOT_FOUND if no plugin has this name. */
  get(pluginName: string): PluginSummary {
    return this.summary(this.require(pluginName));
  }

  /**
   * The plugin to serve `format`: the healthy one with the highest priority
   * for it (ties: fewest loaded models), or the named one. Throws
   * NO_PLUGIN_FOR_FORMAT, PLUGIN_NOT_FOUND, PLUGIN_UNAVAILABLE or
   * PLUGIN_FORMAT_NOT_SERVED.
   */
  choose(format: string, pluginName?: string): ChosenPlugin {
    const chosen = selectPlugin(this.list(), format, pluginName);
    const entry = this.require(chosen.name);
    const wanted = format.toLowerCase();
    const priority = chosen.formats.find((f) => f.name.toLowerCase() === wanted)!.priority;
    return { name: chosen.name, kind: chosen.kind, priority, connection: this.connectionOf(entry) };
  }

  /** The plugin's connection (stable across restarts of a local plugin; fails fast while it is down). */
  connection(pluginName: string): PluginConnection {
    return this.connectionOf(this.require(pluginName));
  }

  /**
   * Loads a model on a plugin and remembers it, so that it is loaded again if
   * the plugin restarts. Errors are the plugin's ({@link PluginCallError}).
   */
  async loadModel(pluginName: string, request: LoadModelRequest): Promise<LoadedModel__Output> {
    const entry = this.require(pluginName);
    const key = request.model_key ?? '';
    const model = await this.connectionOf(entry).loadModel(request);
    entry.wanted.set(key, request);
    if (!entry.loadedKeys.includes(key)) entry.loadedKeys = [...entry.loadedKeys, key];
    await this.refresh(entry);
    return model;
  }

  /** Unloads a model (idempotent) and forgets it; resolves with whether it was loaded. */
  async unloadModel(pluginName: string, modelKey: string): Promise<boolean> {
    const entry = this.require(pluginName);
    entry.wanted.delete(modelKey);
    const wasLoaded = await this.connectionOf(entry).unloadModel(modelKey);
    entry.loadedKeys = entry.loadedKeys.filter((k) => k !== modelKey);
    await this.refresh(entry);
    return wasLoaded;
  }

  /** Calls ListModels on one plugin (or all) now. */
  async refreshModels(pluginName?: string): Promise<void> {
    if (pluginName !== undefined) await this.refresh(this.require(pluginName));
    else await this.refreshAll();
  }

  /** Calls every plugin's health Check now. */
  async checkHealth(): Promise<void> {
    await this.probeAll();
  }

  private newEntry(name: string, kind: PluginKind, process: LocalPluginProcess | null, registration: RemotePluginRegistration | null): Entry {
    return { name, kind, process, registration, probe: 'UNKNOWN', loadedKeys: [], wanted: new Map(), reloadGeneration: 0, reloading: false, lastError: null };
  }

  private require(pluginName: string): Entry {
    const entry = this.entries.get(pluginName);
    if (!entry) {
      const known = [...this.entries.keys()].sort();
      throw new PluginHostError(
        PluginHostErrorCode.PLUGIN_NOT_FOUND,
        `No plugin is named "${pluginName}"${known.length ? ` (known plugins: ${known.join(', ')})` : ' (no plugins are configured or registered)'}.`,
        { plugin: pluginName },
      );
    }
    return entry;
  }

  private connectionOf(entry: Entry): PluginConnection {
    return entry.process ? entry.process.connection : entry.registration!.connection;
  }

  private infoOf(entry: Entry): PluginInfo__Output | null {
    return entry.process ? entry.process.info : (entry.registration?.info ?? null);
  }

  private healthOf(entry: Entry): PluginHealth {
    if (entry.process) {
      switch (entry.process.state) {
        case 'idle':
        case 'starting':
          return 'STARTING';
        case 'restarting':
          return 'RESTARTING';
        case 'down':
        case 'stopping':
        case 'stopped':
          return 'DOWN';
        case 'running':
          if (entry.reloading) return 'RESTARTING';
      }
    } else if (entry.registration?.lease === 'EXPIRED') {
      return 'NOT_SERVING';
    }
    if (entry.probe === 'UNREACHABLE') return 'DOWN';
    if (entry.probe === 'NOT_SERVING' || entry.probe === 'SERVICE_UNKNOWN') return 'NOT_SERVING';
    return 'SERVING';
  }

  private summary(entry: Entry): PluginSummary {
    const info = this.infoOf(entry);
    const connection = this.connectionOf(entry);
    return {
      name: entry.name,
      kind: entry.kind,
      id: info?.id ?? null,
      version: info?.version ?? null,
      protocolVersion: entry.process ? entry.process.protocolVersion : (info?.protocol_version ?? null),
      formats: (info?.formats ?? []).map((f) => ({ name: f.name, priority: f.priority })),
      capabilities: {
        rawContents: info?.capabilities?.raw_contents ?? false,
        batching: info?.capabilities?.batching ?? false,
        maxMessageBytes: Number(info?.capabilities?.max_message_bytes ?? 0),
        inferStream: info?.capabilities?.infer_stream ?? false,
      },
      details: { ...info?.details },
      health: this.healthOf(entry),
      address: entry.registration?.address ?? connection.address,
      pid: entry.process?.pid ?? null,
      restarts: entry.process?.restarts ?? 0,
      lastError: entry.lastError ?? entry.process?.lastError ?? null,
      loadedModels: [...entry.loadedKeys],
      registrationId: entry.registration?.id ?? null,
    };
  }

  /** ListModels into the directory; a failure is recorded, not thrown. */
  private async refresh(entry: Entry): Promise<void> {
    const connection = this.connectionOf(entry);
    if (!connection.available) return;
    try {
      const models = await connection.listModels();
      entry.loadedKeys = models.map((m) => m.model_key);
    } catch (err) {
      entry.lastError = message(err);
      this.logger.warn({ plugin: entry.name, err: message(err) }, 'ListModels failed');
    }
  }

  private async refreshAll(): Promise<void> {
    await Promise.all([...this.entries.values()].map((e) => this.refresh(e)));
  }

  private async probeAll(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    try {
      await Promise.all([...this.entries.values()].map((e) => this.probe(e)));
    } finally {
      this.probing = false;
    }
  }

  private async probe(entry: Entry): Promise<void> {
    const connection = this.connectionOf(entry);
    if (!connection.available) return;
    let probe: Probe;
    try {
      probe = await connection.healthCheck('', this.healthTimeoutMs);
    } catch (err) {
      entry.lastError = isPluginCallError(err) && err.code === grpc.status.UNIMPLEMENTED ? `plugin "${entry.name}" does not serve grpc.health.v1` : message(err);
      probe = isPluginCallError(err) && err.code === grpc.status.UNIMPLEMENTED ? 'NOT_SERVING' : 'UNREACHABLE';
    }
    if (probe !== entry.probe && entry.probe !== 'UNKNOWN') {
      const log = probe === 'SERVING' ? this.logger.info.bind(this.logger) : this.logger.warn.bind(this.logger);
      log({ plugin: entry.name, from: entry.probe, to: probe, lastError: probe === 'SERVING' ? undefined : entry.lastError }, 'plugin health changed');
    }
    entry.probe = probe;
  }

  /** Loads again what the host had loaded on a plugin that restarted (or registered again). */
  private async reload(entry: Entry): Promise<void> {
    const generation = ++entry.reloadGeneration;
    entry.reloading = true;
    const connection = this.connectionOf(entry);
    const reloaded: string[] = [];
    const failed: { modelKey: string; error: string }[] = [];
    let present = new Set<string>();
    try {
      present = new Set((await connection.listModels()).map((m) => m.model_key));
    } catch {
      // Load everything; LoadModel of a key already loaded with the same digest is a no-op.
    }
    for (const [key, original] of [...entry.wanted]) {
      if (generation !== entry.reloadGeneration) return;
      if (!entry.wanted.has(key) || present.has(key)) continue;
      try {
        const request = this.options.reloadRequest ? await this.options.reloadRequest(entry.name, original) : original;
        await connection.loadModel(request);
        reloaded.push(key);
      } catch (err) {
        failed.push({ modelKey: key, error: message(err) });
        this.logger.error({ plugin: entry.name, modelKey: key, err: message(err) }, 'could not load a model again after the plugin restarted');
      }
    }
    if (generation !== entry.reloadGeneration) return;
    entry.reloading = false;
    await this.refresh(entry);
    this.logger.info({ plugin: entry.name, reloaded, failed: failed.map((f) => f.modelKey) }, 'models loaded again after plugin restart');
    this.emit('models-reloaded', { plugin: entry.name, reloaded, failed });
  }

  private attachRegistry(registry: PluginRegistryService): void {
    registry.setNameGuard((name) => {
      const entry = this.entries.get(name);
      return entry?.kind === 'local' ? `The name "${name}" is taken by a local plugin of this server; register under another plugin id.` : null;
    });
    const onRegistered = (registration: RemotePluginRegistration): void => {
      const existing = this.entries.get(registration.name);
      if (existing?.kind === 'local') return; // refused by the name guard; never replaces a local plugin
      if (existing) {
        existing.registration = registration;
        existing.probe = 'UNKNOWN';
        existing.lastError = null;
        void this.reload(existing);
      } else {
        const entry = this.newEntry(registration.name, 'remote', null, registration);
        this.entries.set(registration.name, entry);
        void this.refresh(entry);
      }
      this.emit('plugin-registered', registration.name);
    };
    const onRemoved = (registration: RemotePluginRegistration): void => {
      const entry = this.entries.get(registration.name);
      if (entry?.registration !== registration) return;
      this.entries.delete(registration.name);
      this.emit('plugin-removed', registration.name);
    };
    this.registryListeners.registered = onRegistered;
    this.registryListeners.removed = onRemoved;
    registry.on('registered', onRegistered);
    registry.on('removed', onRemoved);
    for (const registration of registry.list()) onRegistered(registration);
  }
}
