import { z } from 'zod';

/**
 * Every setting Modelport reads, with its environment variable, default and
 * meaning. The README's configuration table is generated from this list
 * (`node tools/scripts/config-table.cjs`), so the two cannot drift apart.
 */
export interface SettingDoc {
  readonly variable: string;
  readonly default: string;
  readonly description: string;
}

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { message: `must be at least ${min}` }).max(max, { message: `must be at most ${max}` }));

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

export const ROLES = ['api', 'gateway', 'worker', 'plugin-host'] as const;
export type ServerRole = (typeof ROLES)[number];

const roles = z
  .string()
  .transform((v) => v.split(',').map((r) => r.trim()).filter(Boolean))
  .pipe(
    z
      .array(z.enum(ROLES, { message: `each role must be one of ${ROLES.join(', ')}` }))
      .min(1, { message: 'must name at least one role' }),
  );

const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
  message: 'must be one of fatal, error, warn, info, debug, trace, silent',
});

/** A plugin the plugin-host role launches and supervises on this machine. */
export interface LocalPluginConfig {
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

const localPlugin = z
  .object(
    {
      name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: 'name must be lower-case letters, digits and hyphens' }),
      command: z.string().min(1, { message: 'command must not be empty' }),
      args: z.array(z.string()).default([]),
      env: z.record(z.string(), z.string()).default({}),
    },
    { message: 'each plugin must be an object {"name", "command", "args"?, "env"?}' },
  )
  .strict();

/** "builtin" (the ONNX Runtime plugin shipped with Modelport), "none", or a JSON array of local plugins. */
const plugins = z.string().transform((value, ctx): 'builtin' | LocalPluginConfig[] => {
  if (value === 'builtin') return 'builtin';
  if (value === 'none') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    ctx.addIssue({ code: 'custom', message: 'must be builtin, none, or a JSON array of {"name", "command", "args", "env"}' });
    return z.NEVER;
  }
  const result = z.array(localPlugin).safeParse(parsed);
  if (!result.success) {
    ctx.addIssue({ code: 'custom', message: result.error.issues.map((i) => `${i.path.join('.') || 'value'}: ${i.message}`).join('; ') });
    return z.NEVER;
  }
  const names = result.data.map((p) => p.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) {
    ctx.addIssue({ code: 'custom', message: `plugin name "${dup}" is used twice` });
    return z.NEVER;
  }
  return result.data;
});

/** The raw schema over environment-variable names. Values are strings, as in the environment. */
export const settings = {
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test'], { message: 'must be development, production or test' }),
    default: 'development',
    description: 'production turns off GraphiQL, introspection and field suggestions.',
  },
  MODELPORT_CONFIG_FILE: {
    schema: z.string().min(1),
    default: '',
    description: 'Optional JSON or YAML file with any of these settings; environment variables win over it.',
  },
  MODELPORT_HOST: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    description: 'Interface the HTTP server listens on (0.0.0.0 in containers).',
  },
  MODELPORT_PORT: { schema: int(0, 65535), default: '8080', description: 'HTTP port (GraphQL, uploads, health, metrics). 0 picks a free port.' },
  MODELPORT_PUBLIC_URL: {
    schema: url(['http:', 'https:']),
    default: '',
    description: 'Base URL clients use to reach the server, for upload and download links. Defaults to http://HOST:PORT.',
  },
  MODELPORT_ROLES: {
    schema: roles,
    default: ROLES.join(','),
    description: 'Comma-separated roles this process runs: api, gateway, worker, plugin-host.',
  },
  MODELPORT_DATA_DIR: {
    schema: z.string().min(1),
    default: '.modelport',
    description: 'Directory for the embedded PostgreSQL data and the local artifact store.',
  },
  MODELPORT_LOG_LEVEL: { schema: logLevel, default: 'info', description: 'Log level (pino).' },
  MODELPORT_SHUTDOWN_TIMEOUT_MS: {
    schema: int(0, 600000),
    default: '10000',
    description: 'How long a graceful shutdown waits for in-flight work before exiting.',
  },
  DATABASE_URL: {
    schema: url(['postgres:', 'postgresql:']),
    default: '',
    description: 'PostgreSQL connection URL. Unset: an embedded PostgreSQL is started under MODELPORT_DATA_DIR.',
  },
  MODELPORT_DB_POOL_SIZE: { schema: int(1, 500), default: '10', description: 'PostgreSQL connection pool size.' },
  MODELPORT_MIGRATIONS_RUN: {
    schema: bool,
    default: 'true',
    description: 'Run pending migrations at start (`npm run migrate` runs them alone).',
  },
  S3_ENDPOINT: {
    schema: url(['http:', 'https:']),
    default: '',
    description: 'S3/MinIO endpoint URL. Unset: artifacts go to MODELPORT_DATA_DIR/artifacts.',
  },
  S3_ACCESS_KEY: { schema: z.string().min(1), default: '', description: 'S3 access key (required with S3_ENDPOINT).' },
  S3_SECRET_KEY: { schema: z.string().min(1), default: '', description: 'S3 secret key (required with S3_ENDPOINT).' },
  S3_BUCKET: {
    schema: z.string().regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, { message: 'must be a valid S3 bucket name (3-63 lowercase letters, digits, dots, hyphens)' }),
    default: 'modelport-artifacts',
    description: 'Bucket for artifacts; created if missing.',
  },
  S3_REGION: { schema: z.string().min(1), default: 'us-east-1', description: 'S3 region.' },
  REDIS_URL: {
    schema: url(['redis:', 'rediss:']),
    default: '',
    description: 'Redis URL for the BullMQ job queue. Unset: jobs run in-process (not durable).',
  },
  MODELPORT_QUEUE_PREFIX: { schema: z.string().regex(/^[a-zA-Z0-9_-]+$/, { message: 'may hold only letters, digits, _ and -' }), default: 'modelport', description: 'Key prefix for BullMQ queues in Redis.' },
  MODELPORT_BOOTSTRAP_TOKEN: {
    schema: z
      .string()
      .min(32, { message: 'must be at least 32 characters' })
      .regex(/^[A-Za-z0-9_-]+$/, { message: 'may hold only letters, digits, _ and -' }),
    default: '',
    description: 'Token of the first admin, set at first start. Unset: one is generated and printed once.',
  },
  MODELPORT_MAX_ARTIFACT_BYTES: {
    schema: int(1, Number.MAX_SAFE_INTEGER),
    default: String(2 * 1024 ** 3),
    description: 'Largest artifact that may be uploaded, in bytes.',
  },
  MODELPORT_UPLOAD_TTL_SECONDS: {
    schema: int(60, 7 * 24 * 3600),
    default: '3600',
    description: 'How long an upload slot (and its presigned URL) stays valid.',
  },
  MODELPORT_GRAPHQL_MAX_DEPTH: { schema: int(2, 100), default: '10', description: 'Deepest GraphQL selection accepted.' },
  MODELPORT_GRAPHQL_MAX_COST: {
    schema: int(10, 10000000),
    default: '20000',
    description: 'Highest estimated GraphQL query cost (fields times requested page sizes) accepted.',
  },
  MODELPORT_GRAPHQL_MAX_ALIASES: { schema: int(1, 10000), default: '30', description: 'Most aliased fields one GraphQL operation may use.' },
  MODELPORT_MAX_PAGE_SIZE: { schema: int(1, 10000), default: '100', description: 'Largest `first` a list query accepts.' },
  MODELPORT_AUDIT_SIGNING_KEY: {
    schema: z.string().min(1),
    default: '',
    description:
      'Key that signs the checkpoint ending an audit export: a PEM Ed25519 private key (openssl genpkey -algorithm ed25519) or a base64 HMAC secret of 32+ bytes (openssl rand -base64 32). Unset: exports are refused.',
  },
  MODELPORT_OIDC_ISSUER: {
    schema: z.string().min(1),
    default: '',
    description:
      'Turns on JWT sign-in: the identity provider\'s issuer URL, compared exactly with the `iss` claim. Unset: only API tokens sign in. Needs MODELPORT_OIDC_JWKS or MODELPORT_OIDC_JWKS_URL.',
  },
  MODELPORT_OIDC_AUDIENCE: { schema: z.string().min(1), default: '', description: 'When set, sign-in tokens must list it in `aud`.' },
  MODELPORT_OIDC_JWKS: {
    schema: z.string().min(1),
    default: '',
    description: 'The identity provider\'s public keys as a JSON Web Key Set ({"keys": [...]}); private or shared-secret keys are refused.',
  },
  MODELPORT_OIDC_JWKS_URL: {
    schema: z.string().min(1),
    default: '',
    description: 'Where to fetch the key set instead (https://, or http:// on localhost); cached, fetched again for an unknown key id.',
  },
  MODELPORT_OIDC_ALGORITHMS: {
    schema: z.string().min(1),
    default: '',
    description: 'Comma-separated signing algorithms accepted (default: every public-key one: RS*, PS*, ES*, EdDSA). none and HS* are never accepted.',
  },
  MODELPORT_OIDC_NAME_CLAIM: { schema: z.string().min(1), default: '', description: 'The claim naming a user at first sign-in (default preferred_username).' },
  MODELPORT_OIDC_GROUPS_CLAIM: {
    schema: z.string().min(1),
    default: '',
    description: 'The claim listing the user\'s groups (default groups). Groups with the same name in Modelport give their project roles to the user for that request.',
  },
  MODELPORT_OIDC_ADMIN_GROUP: {
    schema: z.string().min(1),
    default: '',
    description: 'A group whose members are platform admins, decided by the token at every sign-in. Unset: the users table decides.',
  },
  MODELPORT_OIDC_CLOCK_TOLERANCE_SECONDS: {
    schema: z.string().min(1),
    default: '',
    description: 'Leeway in seconds for exp and nbf against clock skew (0-300, default 30).',
  },
  MODELPORT_GRPC_PORT: {
    schema: int(0, 65535),
    default: '8081',
    description: 'Port of the gRPC server: the V2 inference service and the registry remote plugins register with. 0 picks a free port.',
  },
  MODELPORT_PLUGINS: {
    schema: plugins,
    default: 'builtin',
    description:
      'Local serving plugins the plugin-host role launches: builtin (the ONNX Runtime plugin), none, or a JSON array of {"name", "command", "args", "env"}.',
  },
  MODELPORT_PLUGIN_HANDSHAKE_TIMEOUT_MS: {
    schema: int(100, 600000),
    default: '20000',
    description: 'How long a launched plugin has to print its handshake line before it is killed and restarted.',
  },
  MODELPORT_MAX_INFER_BYTES: {
    schema: int(1024, 2 * 1024 ** 3),
    default: String(32 * 1024 ** 2),
    description: 'Largest V2 inference request body (REST) or message (gRPC), in bytes; larger ones get 413 / RESOURCE_EXHAUSTED.',
  },
  MODELPORT_MAX_TENSOR_ELEMENTS: {
    schema: int(1, 2 ** 31 - 1),
    default: String(16 * 1024 ** 2),
    description: 'Most elements one request tensor may hold.',
  },
  MODELPORT_INFER_TIMEOUT_MS: { schema: int(10, 600000), default: '30000', description: 'Deadline of one plugin inference call.' },
  MODELPORT_GATEWAY_AUTH_CACHE_MS: {
    schema: int(0, 300000),
    default: '5000',
    description: 'How long the gateway trusts a checked API token before checking it again; a revoked token stops working within this time.',
  },
  MODELPORT_DRAIN_TIMEOUT_MS: {
    schema: int(0, 600000),
    default: '30000',
    description: 'How long a replaced or deleted deployment version may finish its requests before it is unloaded.',
  },
  MODELPORT_PREDICTION_LOG_BUFFER: {
    schema: int(1, 10000000),
    default: '20000',
    description: 'Most prediction log rows held in memory waiting for the database; when full, the gateway answers 503.',
  },
  MODELPORT_PREDICTION_LOG_BATCH: { schema: int(1, 100000), default: '500', description: 'Most prediction log rows written in one insert.' },
  MODELPORT_PREDICTION_LOG_FLUSH_MS: { schema: int(1, 60000), default: '50', description: 'How often buffered prediction log rows are written.' },
  MODELPORT_PREDICTION_RETENTION_DAYS: {
    schema: int(0, 36500),
    default: '30',
    description: 'Prediction log rows older than this many days are deleted by a daily job; 0 keeps them forever.',
  },
} as const;

export type SettingName = keyof typeof settings;

export const settingDocs: readonly SettingDoc[] = Object.entries(settings).map(([variable, s]) => ({
  variable,
  default: s.default,
  description: s.description,
}));
