import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@modelport/observability';
import { pluginProto } from '@modelport/proto';
import type { LocalPluginConfig } from './local-plugin-process';
import { isPluginCallError } from './plugin-connection';
import { type ModelsReloadedEvent, PluginHost } from './plugin-host';
import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
import { PluginRegistryService } from './plugin-registry.service';
import { capturingLogger, eventually, sleep } from './testing/capturing-logger';
import { fakePluginScript } from './testing';

const root = resolve(__dirname, '..', '..', '..', '..');
const fake = (name: string, env: Record<string, string> = {}): LocalPluginConfig => ({ name, command: process.execPath, args: [fakePluginScript(root)], env });
const load = (key: string) => ({ model_key: key, artifact: { uri: 'file:///dev/null', sha256: key.padEnd(64, '0'), format: 'fake' } });

function errorCode(run: () => unknown): string {
  try {
    run();
  } catch (err) {
    if (err instanceof PluginHostError) return err.code;
    throw err;
  }
  throw new Error('expected a PluginHostError');
}

describe('PluginHost with fake plugins from dist/', () => {
  beforeAll(() => {
    execFileSync(process.execPath, ['tools/scripts/build.cjs'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  describe.each<{ transport: 'unary' | 'stream'; env: Record<string, string> }>([
    { transport: 'unary', env: {} },
    { transport: 'stream', env: { FAKE_PLUGIN_INFER_STREAM: '1' } },
  ])('a plugin killed with SIGKILL under load (inferences: $transport)', ({ transport, env }) => {
    let host: PluginHost;

    afterAll(() => host?.close());

    it('fails in-flight calls fast with UNAVAILABLE, restarts it, loads its models again, and serves again', async () => {
      const { logger, lines } = capturingLogger();
      host = new PluginHost({
        logger,
        plugins: [fake('runtime', { FAKE_PLUGIN_INFER_DELAY_MS: '150', ...env })],
        process: { restart: { initialDelayMs: 200 }, connection: { inferTimeoutMs: 60_000 } },
        healthIntervalMs: 200,
      });
      await host.start();
      expect(host.get('runtime').health).toBe('SERVING');
      await host.loadModel('runtime', load('m1'));
      await host.loadModel('runtime', load('m2'));
      expect(host.get('runtime').loadedModels).toEqual(['m1', 'm2']);
      expect(host.connection('runtime').inferenceTransport).toBe(transport);
      const firstPid = host.get('runtime').pid!;

      let killedAt = 0;
      let reloadedAt = 0;
      let running = true;
      const failures: { code: number; ms: number; startedBeforeKill: boolean; message: string }[] = [];
      let okBefore = 0;
      let okAfter = 0;
      let refused = 0;
      const loop = async (i: number) => {
        while (running) {
          let connection;
          try {
            connection = host.choose('fake').connection;
          } catch (err) {
            if (!(err instanceof PluginHostError)) throw err;
            refused++;
            await sleep(10);
            continue;
          }
          const started = Date.now();
          try {
            const res = await connection.infer({ model_name: i % 2 ? 'm1' : 'm2', id: `r${i}`, inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [i] } }] });
            expect(res.outputs[0]!.contents!.int_contents).toEqual([i]);
            if (reloadedAt) okAfter++;
            else okBefore++;
          } catch (err) {
            if (!isPluginCallError(err)) throw err;
            failures.push({ code: err.code, ms: Date.now() - started, startedBeforeKill: killedAt === 0 || started < killedAt, message: err.message });
            await sleep(10);
          }
        }
      };
      const reloaded = new Promise<ModelsReloadedEvent>((r) => host.once('models-reloaded', r));
      const loops = Array.from({ length: 20 }, (_, i) => loop(i));

      await eventually(() => okBefore >= 40, 'inferences before the kill');
      await sleep(50); // the 150 ms inferences are in flight now
      killedAt = Date.now();
      process.kill(firstPid, 'SIGKILL');
      const event = await reloaded;
      reloadedAt = Date.now();
      await eventually(() => okAfter >= 40, 'inferences after the restart');
      running = false;
      await Promise.all(loops);

      // Every call in flight at the kill failed, fast, with UNAVAILABLE: most of the 20 loops had one in flight
      // (on a busy machine a few are between two calls at that moment).
      expect(failures.filter((f) => f.startedBeforeKill).length).toBeGreaterThanOrEqual(10);
      for (const failure of failures) {
        expect(failure.code).toBe(grpc.status.UNAVAILABLE);
        expect(failure.ms).toBeLessThan(1_000);
      }
      expect(failures.map((f) => f.message)).toContainEqual(expect.stringMatching(/plugin "runtime"/));
      // While it was down or reloading, choose() refused instead of sending calls to it.
      expect(refused).toBeGreaterThan(0);

      expect(event).toEqual({ plugin: 'runtime', reloaded: ['m1', 'm2'], failed: [] });
      const summary = host.get('runtime');
      expect(summary).toMatchObject({ health: 'SERVING', restarts: 1, loadedModels: ['m1', 'm2'], lastError: 'plugin "runtime" exited unexpectedly (killed by SIGKILL)' });
      expect(summary.pid).not.toBe(firstPid);
      expect(host.connection('runtime').inferenceTransport).toBe(transport);
      // ListModels on the new process shows them.
      expect((await host.connection('runtime').listModels()).map((m) => m.model_key).sort()).toEqual(['m1', 'm2']);
      expect(lines).toContainEqual(expect.objectContaining({ plugin: 'runtime', msg: 'plugin exited unexpectedly', signal: 'SIGKILL' }));
      expect(lines).toContainEqual(expect.objectContaining({ plugin: 'runtime', msg: 'models loaded again after plugin restart', reloaded: ['m1', 'm2'] }));
    });
  });

  describe('several plugins and a registry', () => {
    let host: PluginHost;
    let registry: PluginRegistryService;

    beforeAll(async () => {
      registry = new PluginRegistryService({ logger: silentLogger(), authorize: async () => ({ id: 'admin' }) });
      host = new PluginHost({
        logger: silentLogger(),
        registry,
        plugins: [
          fake('low', { FAKE_PLUGIN_ID: 'fake-low', FAKE_PLUGIN_PRIORITY: '1', FAKE_PLUGIN_INFER_STREAM: '1' }),
          fake('high', { FAKE_PLUGIN_ID: 'fake-high', FAKE_PLUGIN_PRIORITY: '5', FAKE_PLUGIN_VERSION: '2.0.0' }),
          fake('tabular', { FAKE_PLUGIN_FORMAT: 'sklearn' }),
          fake('broken', { FAKE_PLUGIN_MODE: 'error' }),
        ],
        process: { restart: { initialDelayMs: 60_000 } },
      });
      await host.start();
    });

    afterAll(async () => {
      await host.close();
      registry.close();
    });

    it('starts even though one plugin fails, and lists every plugin with what it serves', () => {
      const list = host.list();
      expect(list.map((p) => [p.name, p.health])).toEqual([
        ['broken', 'RESTARTING'],
        ['high', 'SERVING'],
        ['low', 'SERVING'],
        ['tabular', 'SERVING'],
      ]);
      const high = list.find((p) => p.name === 'high')!;
      expect(high).toMatchObject({
        kind: 'local',
        id: 'fake-high',
        version: '2.0.0',
        protocolVersion: 1,
        formats: [{ name: 'fake', priority: 5 }],
        capabilities: { rawContents: true, batching: false, maxMessageBytes: 64 * 1024 * 1024, inferStream: false },
        restarts: 0,
        lastError: null,
        loadedModels: [],
        registrationId: null,
      });
      expect(list.find((p) => p.name === 'low')!.capabilities.inferStream).toBe(true);
      expect(high.address).toMatch(/^unix:\//);
      expect(high.pid).toEqual(expect.any(Number));
      expect(list[0]!.lastError).toMatch(/^Plugin "broken" failed to start: the plugin reported an error: fake plugin was told to fail/);
    });

    it('chooses by format and priority, or the named plugin, with typed errors', () => {
      expect(host.choose('fake')).toMatchObject({ name: 'high', kind: 'local', priority: 5 });
      expect(host.choose('sklearn').name).toBe('tabular');
      expect(host.choose('fake', 'low')).toMatchObject({ name: 'low', priority: 1 });
      expect(host.choose('fake', 'low').connection).toBe(host.connection('low'));
      expect(errorCode(() => host.choose('onnx'))).toBe(PluginHostErrorCode.NO_PLUGIN_FOR_FORMAT);
      expect(errorCode(() => host.choose('fake', 'nope'))).toBe(PluginHostErrorCode.PLUGIN_NOT_FOUND);
      expect(errorCode(() => host.choose('sklearn', 'low'))).toBe(PluginHostErrorCode.PLUGIN_FORMAT_NOT_SERVED);
      expect(errorCode(() => host.choose('fake', 'broken'))).toBe(PluginHostErrorCode.PLUGIN_UNAVAILABLE);
      expect(errorCode(() => host.connection('nope'))).toBe(PluginHostErrorCode.PLUGIN_NOT_FOUND);
    });

    it('tracks loaded models per plugin and unloads idempotently', async () => {
      await host.loadModel('low', load('a'));
      expect(host.get('low').loadedModels).toEqual(['a']);
      expect(await host.unloadModel('low', 'a')).toBe(true);
      expect(await host.unloadModel('low', 'a')).toBe(false);
      expect(host.get('low').loadedModels).toEqual([]);
      await expect(host.loadModel('nope', load('a'))).rejects.toMatchObject({ code: PluginHostErrorCode.PLUGIN_NOT_FOUND });
    });

    it('falls back to the next priority while the best plugin is down, and says why the named one is unavailable', async () => {
      const pid = host.get('high').pid!;
      process.kill(pid, 'SIGKILL');
      await eventually(() => host.get('high').health === 'RESTARTING', 'high to be restarting');
      expect(host.choose('fake').name).toBe('low');
      expect(() => host.choose('fake', 'high')).toThrow('Plugin "high" is not serving right now: high (RESTARTING: plugin "high" exited unexpectedly (killed by SIGKILL)).');
      expect(host.get('high')).toMatchObject({ pid: null, lastError: 'plugin "high" exited unexpectedly (killed by SIGKILL)' });
    });

    it('refuses a remote registration under the name of a local plugin', async () => {
      const server = new grpc.Server();
      registry.addTo(server);
      const port = await new Promise<number>((ok, fail) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? fail(e) : ok(p))));
      const client = new (pluginProto().modelport.plugin.v1.PluginRegistry)(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
      try {
        const err = await new Promise<grpc.ServiceError | null>((done) =>
          client.Register(
            {
              registration_token: 'any',
              address: '127.0.0.1:1',
              call_secret: 's'.repeat(32),
              info: { id: 'low', version: '1.0.0', protocol_version: 1, formats: [{ name: 'fake', priority: 1 }] },
            },
            (e) => done(e),
          ),
        );
        expect(err).toMatchObject({ code: grpc.status.ALREADY_EXISTS, details: 'The name "low" is taken by a local plugin of this server; register under another plugin id.' });
      } finally {
        client.close();
        server.forceShutdown();
      }
    });
  });
});
