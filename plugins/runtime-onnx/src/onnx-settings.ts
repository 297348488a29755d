// ONNX Runtime session settings: the plugin-wide defaults (options or MODELPORT_ONNX_* variables,
// read once at start) and the per-deployment overrides (the model's config keys), both validated
// with messages that say what is allowed.
import type { InferenceSession } from 'onnxruntime-node';

export const GRAPH_OPTIMIZATION_LEVELS = ['disabled', 'basic', 'extended', 'layout', 'all'] as const;
export type GraphOptimizationLevel = (typeof GRAPH_OPTIMIZATION_LEVELS)[number];

export const EXECUTION_MODES = ['sequential', 'parallel'] as const;
export type ExecutionMode = (typeof EXECUTION_MODES)[number];

/** Upper bound for thread counts; anything larger is a typo rather than a machine. */
export const MAX_THREADS = 1024;

export interface OnnxSessionSettings {
  /** Threads inside one operator; 0 lets ONNX Runtime choose (one per physical core). */
  readonly intraOpThreads: number;
  /** Threads running independent operators at once (parallel execution mode only); 0 lets ONNX Runtime choose. */
  readonly interOpThreads: number;
  readonly graphOptimizationLevel: GraphOptimizationLevel;
  readonly executionMode: ExecutionMode;
}

export const DEFAULT_SESSION_SETTINGS: OnnxSessionSettings = {
  intraOpThreads: 0,
  interOpThreads: 0,
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};

type SettingName = keyof OnnxSessionSettings;

/** Deployment config key → setting. */
export const CONFIG_KEYS: Readonly<Record<string, SettingName>> = {
  intra_op_threads: 'intraOpThreads',
  inter_op_threads: 'interOpThreads',
  graph_optimization_level: 'graphOptimizationLevel',
  execution_mode: 'executionMode',
};

/** Environment variable → setting (the plugin-wide defaults). */
export const SETTING_ENV: Readonly<Record<string, SettingName>> = {
  MODELPORT_ONNX_INTRA_OP_THREADS: 'intraOpThreads',
  MODELPORT_ONNX_INTER_OP_THREADS: 'interOpThreads',
  MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL: 'graphOptimizationLevel',
  MODELPORT_ONNX_EXECUTION_MODE: 'executionMode',
};

/** Settings that cannot work; the message names every problem and what is allowed. */
export class OnnxSettingsError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'OnnxSettingsError';
  }
}

const ALLOWED: Readonly<Record<SettingName, string>> = {
  intraOpThreads: `a whole number from 0 to ${MAX_THREADS} (0 lets ONNX Runtime choose)`,
  interOpThreads: `a whole number from 0 to ${MAX_THREADS} (0 lets ONNX Runtime choose)`,
  graphOptimizationLevel: `one of ${GRAPH_OPTIMIZATION_LEVELS.join(', ')}`,
  executionMode: `one of ${EXECUTION_MODES.join(', ')}`,
};

function parseSetting(setting: SettingName, raw: string): number | string | undefined {
  const text = raw.trim();
  switch (setting) {
    case 'intraOpThreads':
    case 'interOpThreads': {
      if (!/^\d+$/.test(text)) return undefined;
      const n = Number(text);
      return n <= MAX_THREADS ? n : undefined;
    }
    case 'graphOptimizationLevel':
      return (GRAPH_OPTIMIZATION_LEVELS as readonly string[]).includes(text.toLowerCase()) ? text.toLowerCase() : undefined;
    case 'executionMode':
      return (EXECUTION_MODES as readonly string[]).includes(text.toLowerCase()) ? text.toLowerCase() : undefined;
  }
}

function apply(
  base: OnnxSessionSettings,
  entries: readonly [label: string, setting: SettingName | undefined, raw: string][],
  unknown: (label: string) => string,
): OnnxSessionSettings {
  const problems: string[] = [];
  const result: Record<string, unknown> = { ...base };
  for (const [label, setting, raw] of entries) {
    if (setting === undefined) {
      problems.push(unknown(label));
      continue;
    }
    const value = parseSetting(setting, raw);
    if (value === undefined) problems.push(`${label} must be ${ALLOWED[setting]}; got "${raw}"`);
    else result[setting] = value;
  }
  if (problems.length > 0) throw new OnnxSettingsError(problems);
  return result as unknown as OnnxSessionSettings;
}

/**
 * The plugin-wide defaults from MODELPORT_ONNX_INTRA_OP_THREADS, MODELPORT_ONNX_INTER_OP_THREADS,
 * MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL and MODELPORT_ONNX_EXECUTION_MODE (unset or empty keeps
 * the built-in default). Throws OnnxSettingsError naming every bad variable.
 */
export function sessionDefaultsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  base: OnnxSessionSettings = DEFAULT_SESSION_SETTINGS,
): OnnxSessionSettings {
  const entries = Object.entries(SETTING_ENV)
    .filter(([name]) => (env[name] ?? '').trim() !== '')
    .map(([name, setting]) => [name, setting, env[name]!] as [string, SettingName, string]);
  return apply(base, entries, (name) => `unknown variable ${name}`);
}

/**
 * The settings for one model: `defaults` overridden by the deployment's config keys
 * (intra_op_threads, inter_op_threads, graph_optimization_level, execution_mode). An unknown key
 * is refused, so that a typo does not silently fall back to the default.
 */
export function sessionSettingsFromConfig(
  config: Readonly<Record<string, string>>,
  defaults: OnnxSessionSettings = DEFAULT_SESSION_SETTINGS,
): OnnxSessionSettings {
  const known = Object.keys(CONFIG_KEYS).join(', ');
  const entries = Object.entries(config).map(
    ([key, raw]) => [key, Object.hasOwn(CONFIG_KEYS, key) ? CONFIG_KEYS[key] : undefined, raw] as [string, SettingName | undefined, string],
  );
  return apply(defaults, entries, (key) => `unknown config key "${key}"; runtime-onnx understands ${known}`);
}

/** Checks settings given in code (plugin options), with the same rules as the variables. */
export function checkSessionSettings(settings: OnnxSessionSettings): OnnxSessionSettings {
  const entries = (Object.keys(ALLOWED) as SettingName[]).map(
    (setting) => [`option ${setting}`, setting, String(settings[setting])] as [string, SettingName, string],
  );
  return apply(settings, entries, (label) => `unknown ${label}`);
}

/** ONNX Runtime's session options for these settings (0 threads leaves the choice to ONNX Runtime). */
export function toSessionOptions(settings: OnnxSessionSettings): InferenceSession.SessionOptions {
  return {
    executionProviders: ['cpu'],
    graphOptimizationLevel: settings.graphOptimizationLevel,
    executionMode: settings.executionMode,
    ...(settings.intraOpThreads > 0 ? { intraOpNumThreads: settings.intraOpThreads } : {}),
    ...(settings.interOpThreads > 0 ? { interOpNumThreads: settings.interOpThreads } : {}),
  };
}
