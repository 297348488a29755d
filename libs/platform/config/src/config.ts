import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ROLES, type LocalPluginConfig, type ServerRole, settings, type SettingName } from './config.schema';
import { parseJwtSettings, type JwtAuthenticatorOptions } from './oidc-settings';

export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid Modelport configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface S3Config {
  readonly endPoint: string;
  readonly port: number;
  readonly useSSL: boolean;
  readonly accessKey: string;
  readonly secretKey: string;
  readonly bucket: string;
  readonly region: string;
}

export interface ModelportConfig {
  readonly env: 'development' | 'production' | 'test';
  readonly http: { readonly host: string; readonly port: number; readonly publicUrl: string | null };
  readonly roles: readonly ServerRole[];
  readonly dataDir: string;
  readonly logLevel: string;
  readonly shutdownTimeoutMs: number;
  readonly database: { readonly url: string | null; readonly poolSize: number; readonly runMigrations: boolean };
  readonly storage: { readonly kind: 'local'; readonly directory: string } | ({ readonly kind: 's3' } & S3Config);
  readonly queue: { readonly redisUrl: string | null; readonly prefix: string };
  readonly bootstrapToken: string | null;
  readonly artifacts: { readonly maxBytes: number; readonly uploadTtlSeconds: number };
  readonly graphql: {
    readonly maxDepth: number;
    readonly maxCost: number;
    readonly maxAliases: number;
    readonly maxPageSize: number;
  };
  readonly serving: {
    readonly grpcPort: number;
    readonly plugins: 'builtin' | readonly LocalPluginConfig[];
    readonly handshakeTimeoutMs: number;
    readonly maxInferBytes: number;
    readonly maxTensorElements: number;
    readonly inferTimeoutMs: number;
    readonly authCacheMs: number;
    readonly drainTimeoutMs: number;
  };
  readonly audit: { readonly signingKey: string | null };
  /** JWT sign-in through an OIDC identity provider; null when MODELPORT_OIDC_ISSUER is unset. */
  readonly oidc: JwtAuthenticatorOptions | null;
  readonly predictionLog: {
    readonly bufferRows: number;
    readonly batchRows: number;
    readonly flushIntervalMs: number;
    readonly retentionDays: number;
  };
}

type Env = Readonly<Record<string, string | undefined>>;

/** The file's settings; what is wrong with the file goes to `problems`, reported with every other problem. */
function readConfigFile(path: string, cwd: string, problems: string[]): Record<string, string> {
  const full = isAbsolute(path) ? path : resolve(cwd, path);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (err) {
    problems.push(`MODELPORT_CONFIG_FILE: cannot read ${full} (${(err as Error).message})`);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = /\.ya?ml$/i.test(full) ? parseYaml(text) : JSON.parse(text);
  } catch (err) {
    problems.push(`MODELPORT_CONFIG_FILE: ${full} is not valid ${/\.ya?ml$/i.test(full) ? 'YAML' : 'JSON'} (${(err as Error).message})`);
    return {};
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    problems.push(`MODELPORT_CONFIG_FILE: ${full} must hold an object of SETTING: value pairs`);
    return {};
  }
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (!(key in settings)) {
      problems.push(`MODELPORT_CONFIG_FILE: unknown setting ${key} in ${full} (see the configuration table in the README)`);
    } else if (key === 'MODELPORT_CONFIG_FILE') {
      problems.push(`MODELPORT_CONFIG_FILE: a config file cannot name another config file`);
    } else {
      out[key] = Array.isArray(value) ? value.join(',') : String(value);
    }
  }
  return out;
}

/**
 * Reads and validates the whole configuration. Environment variables win over
 * the optional config file; every problem is reported at once, each naming its
 * variable.
 */
export function loadConfig(env: Env = process.env, cwd = process.cwd()): ModelportConfig {
  const problems: string[] = [];
  const fileValues = env['MODELPORT_CONFIG_FILE'] ? readConfigFile(env['MODELPORT_CONFIG_FILE'], cwd, problems) : {};
  const values: Record<string, unknown> = {};
  for (const [name, setting] of Object.entries(settings)) {
    const fromEnv = env[name];
    const raw = fromEnv !== undefined && fromEnv !== '' ? fromEnv : (fileValues[name] ?? setting.default);
    if (raw === '') {
      values[name] = null;
      continue;
    }
    const result = setting.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(`${name}: ${result.error.issues.map((i) => i.message).join('; ')} (got ${JSON.stringify(raw)})`);
  }
  const v = values as { [K in SettingName]: never } & Record<string, unknown>;
  const s3Endpoint = v['S3_ENDPOINT'] as string | null;
  if (s3Endpoint) {
    if (!v['S3_ACCESS_KEY']) problems.push('S3_ACCESS_KEY: required when S3_ENDPOINT is set');
    if (!v['S3_SECRET_KEY']) problems.push('S3_SECRET_KEY: required when S3_ENDPOINT is set');
  }
  const oidc = parseJwtSettings(v as Record<string, string | null>);
  problems.push(...oidc.problems);
  if (problems.length) throw new ConfigError(problems);

  const dataDir = resolve(cwd, v['MODELPORT_DATA_DIR'] as string);
  let storage: ModelportConfig['storage'] = { kind: 'local', directory: resolve(dataDir, 'artifacts') };
  if (s3Endpoint) {
    const u = new URL(s3Endpoint);
    const useSSL = u.protocol === 'https:';
    storage = {
      kind: 's3',
      endPoint: u.hostname,
      port: u.port ? Number(u.port) : useSSL ? 443 : 80,
      useSSL,
      accessKey: v['S3_ACCESS_KEY'] as string,
      secretKey: v['S3_SECRET_KEY'] as string,
      bucket: v['S3_BUCKET'] as string,
      region: v['S3_REGION'] as string,
    };
  }
  const publicUrl = v['MODELPORT_PUBLIC_URL'] as string | null;
  return {
    env: v['NODE_ENV'] as ModelportConfig['env'],
    http: {
      host: v['MODELPORT_HOST'] as string,
      port: v['MODELPORT_PORT'] as number,
      publicUrl: publicUrl ? publicUrl.replace(/\/+$/, '') : null,
    },
    roles: v['MODELPORT_ROLES'] as ServerRole[],
    dataDir,
    logLevel: v['MODELPORT_LOG_LEVEL'] as string,
    shutdownTimeoutMs: v['MODELPORT_SHUTDOWN_TIMEOUT_MS'] as number,
    database: {
      url: v['DATABASE_URL'] as string | null,
      poolSize: v['MODELPORT_DB_POOL_SIZE'] as number,
      runMigrations: v['MODELPORT_MIGRATIONS_RUN'] as boolean,
    },
    storage,
    queue: { redisUrl: v['REDIS_URL'] as string | null, prefix: v['MODELPORT_QUEUE_PREFIX'] as string },
    bootstrapToken: v['MODELPORT_BOOTSTRAP_TOKEN'] as string | null,
    artifacts: {
      maxBytes: v['MODELPORT_MAX_ARTIFACT_BYTES'] as number,
      uploadTtlSeconds: v['MODELPORT_UPLOAD_TTL_SECONDS'] as number,
    },
    graphql: {
      maxDepth: v['MODELPORT_GRAPHQL_MAX_DEPTH'] as number,
      maxCost: v['MODELPORT_GRAPHQL_MAX_COST'] as number,
      maxAliases: v['MODELPORT_GRAPHQL_MAX_ALIASES'] as number,
      maxPageSize: v['MODELPORT_MAX_PAGE_SIZE'] as number,
    },
    serving: {
      grpcPort: v['MODELPORT_GRPC_PORT'] as number,
      plugins: v['MODELPORT_PLUGINS'] as 'builtin' | LocalPluginConfig[],
      handshakeTimeoutMs: v['MODELPORT_PLUGIN_HANDSHAKE_TIMEOUT_MS'] as number,
      maxInferBytes: v['MODELPORT_MAX_INFER_BYTES'] as number,
      maxTensorElements: v['MODELPORT_MAX_TENSOR_ELEMENTS'] as number,
      inferTimeoutMs: v['MODELPORT_INFER_TIMEOUT_MS'] as number,
      authCacheMs: v['MODELPORT_GATEWAY_AUTH_CACHE_MS'] as number,
      drainTimeoutMs: v['MODELPORT_DRAIN_TIMEOUT_MS'] as number,
    },
    audit: { signingKey: v['MODELPORT_AUDIT_SIGNING_KEY'] as string | null },
    oidc: oidc.settings,
    predictionLog: {
      bufferRows: v['MODELPORT_PREDICTION_LOG_BUFFER'] as number,
      batchRows: v['MODELPORT_PREDICTION_LOG_BATCH'] as number,
      flushIntervalMs: v['MODELPORT_PREDICTION_LOG_FLUSH_MS'] as number,
      retentionDays: v['MODELPORT_PREDICTION_RETENTION_DAYS'] as number,
    },
  };
}

/** Overrides for tests: a full config built from defaults plus the given variables. */
export function configFor(overrides: Env, cwd = process.cwd()): ModelportConfig {
  return loadConfig(overrides, cwd);
}

export { ROLES };
