import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';

export type PluginKind = 'local' | 'remote';

/**
 * STARTING: first launch in progress; SERVING: up and its health check says so;
 * NOT_SERVING: up but its health check (or a missed heartbeat lease) says it is not;
 * RESTARTING: relaunching after a crash, or reloading its models; DOWN: not running or unreachable.
 */
export type PluginHealth = 'STARTING' | 'SERVING' | 'NOT_SERVING' | 'RESTARTING' | 'DOWN';

export interface PluginFormatSummary {
  readonly name: string;
  readonly priority: number;
}

/** One plugin as the host sees it. */
export interface PluginSummary {
  /** Name in the host: the configured name (local) or info.id (remote). */
  readonly name: string;
  readonly kind: PluginKind;
  /** The plugin's own id from GetInfo (null before a local plugin first started). */
  readonly id: string | null;
  readonly version: string | null;
  readonly protocolVersion: number | null;
  readonly formats: readonly PluginFormatSummary[];
  readonly capabilities: { readonly rawContents: boolean; readonly batching: boolean; readonly maxMessageBytes: number; readonly inferStream: boolean };
  readonly details: Readonly<Record<string, string>>;
  readonly health: PluginHealth;
  /** gRPC target: "unix:<socket>" (local) or host:port (remote). */
  readonly address: string | null;
  /** The process id (local, while running). */
  readonly pid: number | null;
  /** Relaunches after crashes or failed launches (local). */
  readonly restarts: number;
  readonly lastError: string | null;
  /** Model keys the plugin reports in ListModels (refreshed on load/unload and periodically). */
  readonly loadedModels: readonly string[];
  /** The PluginRegistry registration (remote). */
  readonly registrationId: string | null;
}

function priorityFor(plugin: PluginSummary, format: string): number | undefined {
  return plugin.formats.find((f) => f.name.toLowerCase() === format)?.priority;
}

function describe(plugins: readonly PluginSummary[]): string {
  return plugins.map((p) => `${p.name} (${p.health}${p.lastError ? `: ${p.lastError}` : ''})`).join(', ');
}

/**
 * The plugin to serve `format`: the named one (which must be healthy and serve
 * it), or the healthy plugin serving it with the highest priority, ties broken
 * by the fewest loaded models, then by name.
 */
export function selectPlugin(plugins: readonly PluginSummary[], format: string, pluginName?: string): PluginSummary {
  const wanted = format.toLowerCase();
  if (pluginName !== undefined) {
    const plugin = plugins.find((p) => p.name === pluginName);
    if (!plugin) {
      throw new PluginHostError(
        PluginHostErrorCode.PLUGIN_NOT_FOUND,
        `No plugin is named "${pluginName}"${plugins.length ? ` (known plugins: ${plugins.map((p) => p.name).join(', ')})` : ' (no plugins are configured or registered)'}.`,
        { plugin: pluginName },
      );
    }
    if (plugin.health !== 'SERVING') {
      throw new PluginHostError(PluginHostErrorCode.PLUGIN_UNAVAILABLE, `Plugin "${pluginName}" is not serving right now: ${describe([plugin])}.`, {
        plugin: pluginName,
        health: plugin.health,
      });
    }
    if (priorityFor(plugin, wanted) === undefined) {
      throw new PluginHostError(
        PluginHostErrorCode.PLUGIN_FORMAT_NOT_SERVED,
        `Plugin "${pluginName}" does not serve model format "${format}" (it serves: ${plugin.formats.map((f) => f.name).join(', ') || 'nothing'}).`,
        { plugin: pluginName, format },
      );
    }
    return plugin;
  }
  const serving = plugins.filter((p) => priorityFor(p, wanted) !== undefined);
  if (serving.length === 0) {
    const unknown = plugins.filter((p) => p.id === null);
    throw new PluginHostError(
      PluginHostErrorCode.NO_PLUGIN_FOR_FORMAT,
      `No plugin serves model format "${format}". Configure a local plugin or register a remote one that serves it` +
        (unknown.length ? `; plugins that have not started yet are not counted: ${describe(unknown)}.` : '.'),
      { format },
    );
  }
  const healthy = serving.filter((p) => p.health === 'SERVING');
  if (healthy.length === 0) {
    throw new PluginHostError(PluginHostErrorCode.PLUGIN_UNAVAILABLE, `No plugin serving model format "${format}" is healthy right now: ${describe(serving)}.`, {
      format,
      plugins: serving.map((p) => p.name),
    });
  }
  let best = healthy[0]!;
  for (const candidate of healthy.slice(1)) {
    const byPriority = priorityFor(candidate, wanted)! - priorityFor(best, wanted)!;
    const byLoad = best.loadedModels.length - candidate.loadedModels.length;
    if (byPriority > 0 || (byPriority === 0 && (byLoad > 0 || (byLoad === 0 && candidate.name < best.name)))) best = candidate;
  }
  return best;
}
