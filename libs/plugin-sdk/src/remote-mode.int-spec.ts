import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { pluginProto, type PluginRegistryHandlers } from '@modelport/proto';
import { connectPlugin } from './client';
import { runConformance } from './conformance';
import { silentPluginLogger } from './logger';
import { servePlugin, type RunningPlugin } from './serve-plugin';
import { linearJsonRuntime } from './testing/linear-json-runtime';

/** A stand-in for the core's PluginRegistry that records every call. */
class FakeRegistry {
  readonly registers: any[] = [];
  readonly heartbeats: any[] = [];
  readonly deregisters: any[] = [];
  /** What the next heartbeats answer. */
  known = true;
  private server: grpc.Server | undefined;
  port = 0;

  async start(port = 0): Promise<void> {
    const handlers: PluginRegistryHandlers = {
      Register: (call, cb) => {
        this.registers.push(call.request);
        cb(null, { registration_id: `reg-${this.registers.length}`, heartbeat_interval_ms: 40, lease_ms: 200 });
      },
      Heartbeat: (call, cb) => {
        this.heartbeats.push(call.request);
        cb(null, { known: this.known });
      },
      Deregister: (call, cb) => {
        this.deregisters.push(call.request);
        cb(null, {});
      },
    };
    this.server = new grpc.Server();
    this.server.addService(pluginProto().modelport.plugin.v1.PluginRegistry.service, handlers);
    this.port = await new Promise<number>((ok, fail) =>
      this.server!.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))),
    );
  }

  stop(): void {
    this.server?.forceShutdown();
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }
}

async function until(condition: () => boolean, what: string, ms = 5_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('servePlugin in remote mode, against a fake PluginRegistry', () => {
  let registry: FakeRegistry;
  let plugin: RunningPlugin | undefined;
  let dir: string;

  beforeEach(async () => {
    registry = new FakeRegistry();
    await registry.start();
    dir = mkdtempSync(join(tmpdir(), 'mp-remote-'));
  });
  afterEach(async () => {
    await plugin?.close();
    plugin = undefined;
    registry.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const serve = (env: Record<string, string> = {}, options: Record<string, string> = {}) =>
    servePlugin(linearJsonRuntime(), {
      handleSignals: false,
      logger: silentPluginLogger,
      workDir: dir,
      env: {
        MODELPORT_PLUGIN_LISTEN: '127.0.0.1:0',
        MODELPORT_REGISTRY_ADDRESS: registry.address,
        MODELPORT_REGISTRATION_TOKEN: 'token-from-env',
        ...env,
      },
      ...options,
    });

  it('registers with its address, info and a fresh call secret, then heartbeats', async () => {
    plugin = await serve();
    expect(plugin.address).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(registry.registers).toHaveLength(1);
    const [reg] = registry.registers;
    expect(reg).toMatchObject({ registration_token: 'token-from-env', address: plugin.address, call_secret: plugin.secret });
    expect(reg.info).toMatchObject({ id: 'example-linear-json', version: '1.0.0', protocol_version: 1, formats: [{ name: 'linear-json', priority: 1 }] });
    expect(plugin.secret.length).toBeGreaterThanOrEqual(40);

    await until(() => registry.heartbeats.length >= 2, 'two heartbeats');
    expect(registry.heartbeats[0]).toEqual({ registration_id: 'reg-1', registration_token: 'token-from-env' });

    // The core calls the plugin at the registered address with the registered secret.
    const conn = connectPlugin(reg.address, reg.call_secret);
    try {
      expect((await conn.getInfo()).id).toBe('example-linear-json');
    } finally {
      conn.close();
    }
  });

  it('registers again when a heartbeat answers known = false', async () => {
    plugin = await serve();
    await until(() => registry.heartbeats.length >= 1, 'a heartbeat');
    registry.known = false;
    await until(() => registry.registers.length >= 2, 'a second Register');
    registry.known = true;
    await until(() => registry.heartbeats.some((h) => h.registration_id === 'reg-2'), 'heartbeats for the new registration');
    expect(registry.registers[1].call_secret).toBe(plugin.secret);
  });

  it('registers again once an unreachable core is back', async () => {
    plugin = await serve();
    await until(() => registry.heartbeats.length >= 1, 'a heartbeat');
    const port = registry.port;
    registry.stop();
    await new Promise((r) => setTimeout(r, 300));
    const back = new FakeRegistry();
    await back.start(port);
    try {
      await until(() => back.registers.length >= 1, 'a Register to the restarted core');
      expect(back.registers[0]).toMatchObject({ registration_token: 'token-from-env', call_secret: plugin.secret });
      await until(() => back.heartbeats.length >= 1, 'heartbeats to the restarted core');
      await plugin.close();
      expect(back.deregisters).toEqual([{ registration_id: 'reg-1', registration_token: 'token-from-env' }]);
    } finally {
      back.stop();
    }
  });

  it('deregisters on close and stops heartbeating', async () => {
    plugin = await serve();
    await until(() => registry.heartbeats.length >= 1, 'a heartbeat');
    await plugin.close();
    expect(registry.deregisters).toEqual([{ registration_id: 'reg-1', registration_token: 'token-from-env' }]);
    const count = registry.heartbeats.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(registry.heartbeats.length).toBe(count);
  });

  it('lets options win over the environment', async () => {
    plugin = await serve({}, { registrationToken: 'token-from-options', advertise: 'plugin.example:7000', listen: '127.0.0.1:0' });
    expect(plugin.address).toBe('plugin.example:7000');
    expect(registry.registers[0]).toMatchObject({ registration_token: 'token-from-options', address: 'plugin.example:7000' });
  });

  it('keeps serving and retries while the core is unreachable at start', async () => {
    registry.stop();
    const port = registry.port;
    plugin = await serve();
    const conn = connectPlugin(plugin.address, plugin.secret);
    try {
      expect(await conn.serverReady()).toBe(true);
    } finally {
      conn.close();
    }
    const back = new FakeRegistry();
    await back.start(port);
    try {
      await until(() => back.registers.length >= 1, 'a Register once the core is up');
    } finally {
      back.stop();
    }
  });

  it('passes the conformance kit over TCP', async () => {
    plugin = await serve();
    const artifact = join(dir, 'linear.json');
    writeFileSync(artifact, JSON.stringify({ weights: [1, -1], bias: 0 }));
    const report = await runConformance({ address: plugin.address, secret: plugin.secret, artifact: { path: artifact, format: 'linear-json' } });
    expect(report.checks.filter((c) => !c.passed)).toEqual([]);
  });
});
