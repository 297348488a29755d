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
} as const;

export type SettingName = keyof typeof settings;

export const settingDocs: readonly SettingDoc[] = Object.entries(settings).map(([variable, s]) => ({
  variable,
  default: s.default,
  description: s.description,
}));
