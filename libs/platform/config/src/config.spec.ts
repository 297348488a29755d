import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigError, loadConfig, type ModelportConfig } from './config';
import { settingDocs, settings } from './config.schema';
import { environmentWithoutSettings, pluginBaseEnvironment } from './test-services';

const CWD = '/srv/modelport';
const TOKEN = 'mpt_0123456789abcdef0123456789abcdef';

/** The problems a configuration is refused for, or a failure when it is accepted. */
function problemsOf(env: Record<string, string>, cwd = CWD): readonly string[] {
  try {
    loadConfig(env, cwd);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error(`expected a ConfigError for ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  it('gives a complete configuration from no settings at all', () => {
    const expected: ModelportConfig = {
      env: 'development',
      http: { host: '127.0.0.1', port: 8080, publicUrl: null },
      roles: ['api', 'gateway', 'worker', 'plugin-host'],
      dataDir: resolve(CWD, '.modelport'),
      logLevel: 'info',
      shutdownTimeoutMs: 10_000,
      database: { url: null, poolSize: 10, runMigrations: true },
      storage: { kind: 'local', directory: resolve(CWD, '.modelport', 'artifacts') },
      queue: { redisUrl: null, prefix: 'modelport' },
      bootstrapToken: null,
      artifacts: { maxBytes: 2 * 1024 ** 3, uploadTtlSeconds: 3600 },
      graphql: { maxDepth: 10, maxCost: 20_000, maxAliases: 30, maxPageSize: 100 },
      serving: {
        grpcPort: 8081,
        plugins: 'builtin',
        handshakeTimeoutMs: 20_000,
        maxInferBytes: 32 * 1024 ** 2,
        maxTensorElements: 16 * 1024 ** 2,
        inferTimeoutMs: 30_000,
        authCacheMs: 5000,
        drainTimeoutMs: 30_000,
      },
      predictionLog: { bufferRows: 20_000, batchRows: 500, flushIntervalMs: 50, retentionDays: 30 },
      audit: { signingKey: null },
      oidc: null,
    };
    expect(loadConfig({}, CWD)).toEqual(expected);
  });

  it('treats an empty variable as unset', () => {
    expect(loadConfig({ MODELPORT_PORT: '', DATABASE_URL: '' }, CWD)).toMatchObject({ http: { port: 8080 }, database: { url: null } });
  });

  it('reads every kind of value', () => {
    const config = loadConfig(
      {
        NODE_ENV: 'production',
        MODELPORT_HOST: '0.0.0.0',
        MODELPORT_PORT: '9000',
        MODELPORT_PUBLIC_URL: 'https://models.example.com/',
        MODELPORT_ROLES: ' api , worker ',
        MODELPORT_DATA_DIR: '/var/lib/modelport',
        MODELPORT_LOG_LEVEL: 'warn',
        DATABASE_URL: 'postgresql://mp:secret@db:5432/modelport',
        MODELPORT_DB_POOL_SIZE: '25',
        MODELPORT_MIGRATIONS_RUN: 'no',
        REDIS_URL: 'rediss://cache:6380',
        MODELPORT_BOOTSTRAP_TOKEN: TOKEN,
        MODELPORT_MAX_PAGE_SIZE: '7',
        MODELPORT_GRAPHQL_MAX_DEPTH: '4',
      },
      CWD,
    );
    expect(config.env).toBe('production');
    expect(config.http).toEqual({ host: '0.0.0.0', port: 9000, publicUrl: 'https://models.example.com' });
    expect(config.roles).toEqual(['api', 'worker']);
    expect(config.dataDir).toBe('/var/lib/modelport');
    expect(config.storage).toEqual({ kind: 'local', directory: '/var/lib/modelport/artifacts' });
    expect(config.logLevel).toBe('warn');
    expect(config.database).toEqual({ url: 'postgresql://mp:secret@db:5432/modelport', poolSize: 25, runMigrations: false });
    expect(config.queue.redisUrl).toBe('rediss://cache:6380');
    expect(config.bootstrapToken).toBe(TOKEN);
    expect(config.graphql).toMatchObject({ maxPageSize: 7, maxDepth: 4 });
  });

  describe('refuses each invalid value, naming its variable', () => {
    it.each([
      ['MODELPORT_PORT', '65536', /at most 65535/],
      ['MODELPORT_PORT', 'eighty', /whole number/],
      ['MODELPORT_PORT', '-1', /whole number/],
      ['MODELPORT_ROLES', 'api,web', /each role must be one of api, gateway, worker, plugin-host/],
      ['MODELPORT_ROLES', ' , ', /at least one role/],
      ['DATABASE_URL', 'mysql://db/modelport', /postgres:\/\/ or postgresql:\/\//],
      ['DATABASE_URL', 'not a url', /postgres:\/\//],
      ['REDIS_URL', 'http://cache:6379', /redis:\/\/ or rediss:\/\//],
      ['MODELPORT_PUBLIC_URL', 'ftp://models.example.com', /http:\/\/ or https:\/\//],
      ['S3_ENDPOINT', 's3.example.com', /http:\/\/ or https:\/\//],
      ['MODELPORT_LOG_LEVEL', 'verbose', /fatal, error, warn, info, debug, trace, silent/],
      ['NODE_ENV', 'staging', /development, production or test/],
      ['MODELPORT_MIGRATIONS_RUN', 'maybe', /true or false/],
      ['MODELPORT_DB_POOL_SIZE', '0', /at least 1/],
      ['MODELPORT_DB_POOL_SIZE', '1.5', /whole number/],
      ['MODELPORT_GRAPHQL_MAX_DEPTH', 'ten', /whole number/],
      ['MODELPORT_GRAPHQL_MAX_COST', '5', /at least 10/],
      ['MODELPORT_MAX_PAGE_SIZE', '10001', /at most 10000/],
      ['MODELPORT_UPLOAD_TTL_SECONDS', '59', /at least 60/],
      ['MODELPORT_BOOTSTRAP_TOKEN', 'mpt_short', /at least 32 characters/],
      ['MODELPORT_BOOTSTRAP_TOKEN', `${TOKEN}!`, /only letters, digits, _ and -/],
      ['S3_BUCKET', 'Modelport_Artifacts', /valid S3 bucket name/],
      ['MODELPORT_QUEUE_PREFIX', 'mp:prod', /only letters, digits, _ and -/],
    ])('%s=%p', (variable, value, reason) => {
      const problems = problemsOf({ [variable]: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(new RegExp(`^${variable}: `));
      expect(problems[0]).toMatch(reason);
      expect(problems[0]).toContain(JSON.stringify(value));
    });

    it('requires both S3 keys with S3_ENDPOINT', () => {
      expect(problemsOf({ S3_ENDPOINT: 'http://minio:9000' })).toEqual([
        'S3_ACCESS_KEY: required when S3_ENDPOINT is set',
        'S3_SECRET_KEY: required when S3_ENDPOINT is set',
      ]);
      expect(problemsOf({ S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'key' })).toEqual(['S3_SECRET_KEY: required when S3_ENDPOINT is set']);
    });
  });

  describe('JWT sign-in (MODELPORT_OIDC_*)', () => {
    const jwks = JSON.stringify({ keys: [{ kty: 'OKP', crv: 'Ed25519', kid: 'k1', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo' }] });

    it('is off without an issuer, and on with an issuer and keys', () => {
      expect(loadConfig({}, CWD).oidc).toBeNull();
      const config = loadConfig({ MODELPORT_OIDC_ISSUER: 'https://id.example.com', MODELPORT_OIDC_JWKS: jwks, MODELPORT_OIDC_ADMIN_GROUP: 'mlops-admins' }, CWD);
      expect(config.oidc).toMatchObject({ issuer: 'https://id.example.com', jwks: JSON.parse(jwks), claims: { subject: 'sub', platformAdmin: 'mlops-admins' } });
    });

    it('refuses an issuer without keys, and keys without an issuer, naming the variables', () => {
      expect(problemsOf({ MODELPORT_OIDC_ISSUER: 'https://id.example.com' })).toEqual([expect.stringMatching(/^MODELPORT_OIDC_JWKS: give the identity provider's keys/)]);
      expect(problemsOf({ MODELPORT_OIDC_JWKS: jwks })).toEqual(['MODELPORT_OIDC_ISSUER: required when MODELPORT_OIDC_JWKS is set (JWT sign-in is off without it)']);
      expect(problemsOf({ MODELPORT_OIDC_ISSUER: 'https://id.example.com', MODELPORT_OIDC_JWKS: jwks, MODELPORT_OIDC_ALGORITHMS: 'HS256' })).toEqual([
        expect.stringMatching(/^MODELPORT_OIDC_ALGORITHMS: HS256 signs with a shared secret/),
      ]);
    });
  });

  it('reports several problems at once, in one readable error', () => {
    let error: unknown;
    try {
      loadConfig({ MODELPORT_PORT: 'x', MODELPORT_LOG_LEVEL: 'loud', DATABASE_URL: 'http://db', S3_ENDPOINT: 'http://minio:9000', MODELPORT_BOOTSTRAP_TOKEN: 'short' }, CWD);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const problems = (error as ConfigError).problems;
    expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(
      ['DATABASE_URL', 'MODELPORT_BOOTSTRAP_TOKEN', 'MODELPORT_LOG_LEVEL', 'MODELPORT_PORT', 'S3_ACCESS_KEY', 'S3_SECRET_KEY'].sort(),
    );
    const message = (error as ConfigError).message;
    expect(message.startsWith('Invalid Modelport configuration:\n')).toBe(true);
    for (const p of problems) expect(message).toContain(`  - ${p}`);
  });

  describe('S3 endpoint', () => {
    const s3 = (endpoint: string) => loadConfig({ S3_ENDPOINT: endpoint, S3_ACCESS_KEY: 'ak', S3_SECRET_KEY: 'sk' }, CWD).storage;

    it('takes host, port and TLS from the URL', () => {
      expect(s3('http://minio.internal:9000')).toEqual({
        kind: 's3',
        endPoint: 'minio.internal',
        port: 9000,
        useSSL: false,
        accessKey: 'ak',
        secretKey: 'sk',
        bucket: 'modelport-artifacts',
        region: 'us-east-1',
      });
      expect(s3('https://s3.eu-west-1.amazonaws.com:8443')).toMatchObject({ endPoint: 's3.eu-west-1.amazonaws.com', port: 8443, useSSL: true });
    });

    it('defaults the port to 443 for https and 80 for http', () => {
      expect(s3('https://s3.amazonaws.com')).toMatchObject({ port: 443, useSSL: true });
      expect(s3('http://127.0.0.1')).toMatchObject({ endPoint: '127.0.0.1', port: 80, useSSL: false });
    });

    it('uses the bucket and region given', () => {
      expect(
        loadConfig({ S3_ENDPOINT: 'http://minio:9000', S3_ACCESS_KEY: 'ak', S3_SECRET_KEY: 'sk', S3_BUCKET: 'ml-artifacts', S3_REGION: 'eu-central-1' }, CWD).storage,
      ).toMatchObject({ bucket: 'ml-artifacts', region: 'eu-central-1' });
    });
  });

  describe('config file', () => {
    let dir: string;
    beforeEach(() => {
      dir = mkdtempSync(join(tmpdir(), 'modelport-config-'));
    });
    afterEach(() => rmSync(dir, { recursive: true, force: true }));

    it('reads a JSON file, with numbers and booleans as JSON values', () => {
      const file = join(dir, 'modelport.json');
      writeFileSync(file, JSON.stringify({ MODELPORT_PORT: 9100, MODELPORT_MIGRATIONS_RUN: false, DATABASE_URL: 'postgres://db/mp', MODELPORT_ROLES: ['api', 'worker'] }));
      const config = loadConfig({ MODELPORT_CONFIG_FILE: file }, CWD);
      expect(config.http.port).toBe(9100);
      expect(config.database).toMatchObject({ url: 'postgres://db/mp', runMigrations: false });
      expect(config.roles).toEqual(['api', 'worker']);
    });

    it('reads a YAML file, by a path relative to the working directory', () => {
      writeFileSync(
        join(dir, 'modelport.yaml'),
        ['MODELPORT_PORT: 9200', 'MODELPORT_LOG_LEVEL: debug', 'MODELPORT_ROLES:', '  - worker', 'S3_ENDPOINT: https://s3.example.com', 'S3_ACCESS_KEY: ak', 'S3_SECRET_KEY: sk'].join('\n'),
      );
      const config = loadConfig({ MODELPORT_CONFIG_FILE: 'modelport.yaml' }, dir);
      expect(config.http.port).toBe(9200);
      expect(config.logLevel).toBe('debug');
      expect(config.roles).toEqual(['worker']);
      expect(config.storage).toMatchObject({ kind: 's3', endPoint: 's3.example.com', port: 443, useSSL: true });
    });

    it('also reads .yml', () => {
      writeFileSync(join(dir, 'c.yml'), 'MODELPORT_MAX_PAGE_SIZE: 12\n');
      expect(loadConfig({ MODELPORT_CONFIG_FILE: join(dir, 'c.yml') }, CWD).graphql.maxPageSize).toBe(12);
    });

    it('lets environment variables win over the file', () => {
      const file = join(dir, 'modelport.yaml');
      writeFileSync(file, 'MODELPORT_PORT: 9200\nMODELPORT_LOG_LEVEL: debug\n');
      const config = loadConfig({ MODELPORT_CONFIG_FILE: file, MODELPORT_PORT: '9300' }, CWD);
      expect(config.http.port).toBe(9300);
      expect(config.logLevel).toBe('debug');
    });

    it('validates values from the file like variables', () => {
      const file = join(dir, 'modelport.json');
      writeFileSync(file, JSON.stringify({ MODELPORT_PORT: 70000 }));
      expect(problemsOf({ MODELPORT_CONFIG_FILE: file })).toEqual([expect.stringMatching(/^MODELPORT_PORT: must be at most 65535/)]);
    });

    it('refuses an unknown setting, naming it and the file', () => {
      const file = join(dir, 'modelport.json');
      writeFileSync(file, JSON.stringify({ MODELPORT_PORT: 9100, MODELPORT_PROT: 9100 }));
      const problems = problemsOf({ MODELPORT_CONFIG_FILE: file });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^MODELPORT_CONFIG_FILE: unknown setting MODELPORT_PROT in /);
      expect(problems[0]).toContain(file);
    });

    it("reports the file's problems together with those of the variables", () => {
      const file = join(dir, 'modelport.yaml');
      writeFileSync(file, 'MODELPORT_PROT: 9100\nMODELPORT_LOG_LEVEL: loud\n');
      const problems = problemsOf({ MODELPORT_CONFIG_FILE: file, DATABASE_URL: 'mysql://db' });
      expect(problems.map((p) => p.split(':')[0]).sort()).toEqual(['DATABASE_URL', 'MODELPORT_CONFIG_FILE', 'MODELPORT_LOG_LEVEL']);
    });

    it('refuses a file that names another config file', () => {
      const file = join(dir, 'modelport.json');
      writeFileSync(file, JSON.stringify({ MODELPORT_CONFIG_FILE: 'other.json' }));
      expect(problemsOf({ MODELPORT_CONFIG_FILE: file })).toEqual([expect.stringMatching(/^MODELPORT_CONFIG_FILE: a config file cannot name another/)]);
    });

    it('refuses a missing file, a file that does not parse, and one that is not an object', () => {
      expect(problemsOf({ MODELPORT_CONFIG_FILE: join(dir, 'missing.json') })).toEqual([expect.stringMatching(/^MODELPORT_CONFIG_FILE: cannot read .*missing\.json/)]);
      writeFileSync(join(dir, 'bad.json'), '{"MODELPORT_PORT": ');
      expect(problemsOf({ MODELPORT_CONFIG_FILE: join(dir, 'bad.json') })).toEqual([expect.stringMatching(/^MODELPORT_CONFIG_FILE: .*bad\.json is not valid JSON/)]);
      writeFileSync(join(dir, 'bad.yaml'), 'MODELPORT_PORT: [9100\n');
      expect(problemsOf({ MODELPORT_CONFIG_FILE: join(dir, 'bad.yaml') })).toEqual([expect.stringMatching(/^MODELPORT_CONFIG_FILE: .*bad\.yaml is not valid YAML/)]);
      writeFileSync(join(dir, 'list.yaml'), '- MODELPORT_PORT\n');
      expect(problemsOf({ MODELPORT_CONFIG_FILE: join(dir, 'list.yaml') })).toEqual([expect.stringMatching(/must hold an object of SETTING: value pairs/)]);
    });
  });
});

describe('settingDocs', () => {
  it('documents every setting with a description', () => {
    expect(settingDocs.map((d) => d.variable)).toEqual(Object.keys(settings));
    for (const doc of settingDocs) expect({ variable: doc.variable, described: doc.description.trim().length > 0 }).toEqual({ variable: doc.variable, described: true });
  });

  it("has every default pass the setting's own validation", () => {
    for (const [name, setting] of Object.entries(settings)) {
      if (setting.default === '') continue;
      expect({ name, ok: setting.schema.safeParse(setting.default).success }).toEqual({ name, ok: true });
    }
  });

  it("appear, each in a row of the README's configuration table with its default", () => {
    const readmePath = resolve(__dirname, '..', '..', '..', '..', 'README.md');
    const readme = existsSync(readmePath) ? readFileSync(readmePath, 'utf8') : '';
    const rows = readme.split('\n').filter((line) => line.startsWith('|'));
    const rowOf = (variable: string) => rows.find((line) => line.startsWith(`| \`${variable}\` |`));
    const missing = settingDocs.filter((d) => !rowOf(d.variable)).map((d) => d.variable);
    expect(missing).toEqual([]);
    const wrongDefault = settingDocs
      .filter((d) => d.default !== '' && !rowOf(d.variable)!.includes(`| \`${d.default}\` |`))
      .map((d) => `${d.variable}=${d.default}`);
    expect(wrongDefault).toEqual([]);
  });
});

describe('serving settings', () => {
  it('reads local plugins from a JSON array, and none', () => {
    const plugins = loadConfig({ MODELPORT_PLUGINS: JSON.stringify([{ name: 'acme', command: '/opt/acme/bin', args: ['--fast'] }]) }).serving.plugins;
    expect(plugins).toEqual([{ name: 'acme', command: '/opt/acme/bin', args: ['--fast'], env: {} }]);
    expect(loadConfig({ MODELPORT_PLUGINS: 'none' }).serving.plugins).toEqual([]);
  });

  it.each([
    ['not json', /MODELPORT_PLUGINS: must be builtin, none, or a JSON array/],
    ['[{"name":"Bad Name","command":"x"}]', /MODELPORT_PLUGINS: 0\.name: name must be lower-case/],
    ['[{"name":"a","command":"x"},{"name":"a","command":"y"}]', /MODELPORT_PLUGINS: plugin name "a" is used twice/],
    ['[{"name":"a","command":"x","extra":1}]', /MODELPORT_PLUGINS: .*extra/i],
  ])('refuses MODELPORT_PLUGINS=%s, naming the variable', (value, message) => {
    expect(() => loadConfig({ MODELPORT_PLUGINS: value })).toThrow(message);
  });
});

describe('environmentWithoutSettings', () => {
  it('keeps the shell environment and drops every Modelport setting', () => {
    expect(
      environmentWithoutSettings({ PATH: '/bin', HOME: '/root', DATABASE_URL: 'postgres://x', S3_ENDPOINT: 'http://s3', REDIS_URL: 'redis://r', MODELPORT_PORT: '1', NODE_ENV: 'test', GONE: undefined }),
    ).toEqual({ PATH: '/bin', HOME: '/root' });
  });
});

describe('pluginBaseEnvironment', () => {
  it('hands a plugin only the path, home, locale and temp settings', () => {
    expect(pluginBaseEnvironment({ PATH: '/bin', HOME: '/root', LANG: 'C', DATABASE_URL: 'postgres://secret', S3_SECRET_KEY: 'k', MODELPORT_BOOTSTRAP_TOKEN: 't' })).toEqual({
      PATH: '/bin',
      HOME: '/root',
      LANG: 'C',
    });
  });
});
