import { execFileSync } from 'node:child_process';
import { resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { silentLogger } from '@modelport/observability';
import { type LocalPluginConfig, LocalPluginProcess, type LocalPluginProcessOptions } from './local-plugin-process';
import { PluginHostError, PluginHostErrorCode } from './plugin-host.errors';
import { capturingLogger, eventually } from './testing/capturing-logger';
import { fakePluginScript } from './testing';

const root = resolve(__dirname, '..', '..', '..', '..');

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('LocalPluginProcess with the fake plugin from dist/', () => {
  const started: LocalPluginProcess[] = [];
  const fake = (name: string, env: Record<string, string> = {}): LocalPluginConfig => ({ name, command: process.execPath, args: [fakePluginScript(root)], env });
  const launch = (config: LocalPluginConfig, options: Partial<LocalPluginProcessOptions> = {}) => {
    const plugin = new LocalPluginProcess(config, { logger: silentLogger(), ...options });
    started.push(plugin);
    return plugin;
  };

  beforeAll(() => {
    execFileSync(process.execPath, ['tools/scripts/build.cjs'], { cwd: root, stdio: 'pipe' });
  }, 120_000);

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop()));
  });

  it('launches, completes the handshake, calls GetInfo, and stops with SIGTERM', async () => {
    const plugin = launch(fake('alpha', { FAKE_PLUGIN_ID: 'fake-alpha', FAKE_PLUGIN_FORMAT: 'onnx', FAKE_PLUGIN_PRIORITY: '4' }));
    const info = await plugin.start();
    expect(info).toMatchObject({ id: 'fake-alpha', protocol_version: 1, formats: [{ name: 'onnx', priority: 4 }] });
    expect(plugin.state).toBe('running');
    expect(plugin.protocolVersion).toBe(1);
    expect(plugin.connection.address).toMatch(/^unix:\/.*\/p1\.sock$/);
    expect(await plugin.connection.healthCheck()).toBe('SERVING');
    const pid = plugin.pid!;
    expect(isAlive(pid)).toBe(true);

    const exits: unknown[] = [];
    plugin.on('exited', (e) => exits.push(e));
    await plugin.stop();
    expect(plugin.state).toBe('stopped');
    expect(isAlive(pid)).toBe(false);
    // The fake plugin exits 0 on SIGTERM after a graceful gRPC shutdown.
    expect(exits).toEqual([{ pid, code: 0, signal: null, expected: true }]);
    await expect(plugin.connection.getInfo()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
  });

  it('forwards stderr and stdout after the handshake to the logger line by line with the plugin name', async () => {
    const { logger, lines } = capturingLogger();
    const plugin = launch(fake('chatty', { FAKE_PLUGIN_STDERR: 'warming up the fake runtime' }), { logger });
    await plugin.start();
    const pid = plugin.pid;
    await eventually(() => lines.find((l) => l.msg === 'fake plugin fake serving on ' + plugin.connection.address!.slice('unix:'.length)), 'the stdout line');
    expect(lines).toContainEqual(expect.objectContaining({ plugin: 'chatty', stream: 'stderr', pid, level: 30, msg: 'warming up the fake runtime' }));
    expect(lines).toContainEqual(expect.objectContaining({ plugin: 'chatty', stream: 'stdout', pid }));
    // The handshake line itself is consumed, not logged.
    expect(lines.some((l) => String(l.msg).startsWith('MODELPORT-PLUGIN|'))).toBe(false);
    await plugin.stop();
    expect(lines).toContainEqual(expect.objectContaining({ plugin: 'chatty', stream: 'stderr', msg: 'fake plugin stopping' }));
  });

  it('kills a plugin that never answers the handshake and says so, naming the plugin and the timeout', async () => {
    const plugin = launch(fake('mute', { FAKE_PLUGIN_MODE: 'silent', FAKE_PLUGIN_STDERR: 'stuck loading' }), { handshakeTimeoutMs: 500, restart: false });
    const startedAt = Date.now();
    const err = (await plugin.start().catch((e: unknown) => e)) as PluginHostError;
    expect(Date.now() - startedAt).toBeLessThan(5_000);
    expect(err).toBeInstanceOf(PluginHostError);
    expect(err.code).toBe(PluginHostErrorCode.PLUGIN_LAUNCH_FAILED);
    expect(err.message).toMatch(/^Plugin "mute" failed to start: it did not answer the handshake within 500 ms .*the process \(pid \d+\) was killed\. Last stderr lines: stuck loading$/);
    const pid = err.details['pid'] as number;
    expect(isAlive(pid)).toBe(false);
    expect(plugin.state).toBe('down');
    expect(plugin.lastError).toBe(err.message);
  });

  it('reports the MODELPORT-PLUGIN-ERROR line', async () => {
    const plugin = launch(fake('broken', { FAKE_PLUGIN_MODE: 'error' }), { restart: false });
    await expect(plugin.start()).rejects.toThrow('Plugin "broken" failed to start: the plugin reported an error: fake plugin was told to fail.');
  });

  it('refuses a protocol version the host does not speak, and a command that does not exist', async () => {
    const future = launch(fake('future', { FAKE_PLUGIN_HANDSHAKE_VERSION: '7' }), { restart: false });
    await expect(future.start()).rejects.toThrow(/Plugin "future" failed to start: the plugin answered protocol version "7", but the host speaks 1/);
    const missing = launch({ name: 'missing', command: '/nonexistent/plugin-binary' }, { restart: false });
    await expect(missing.start()).rejects.toThrow('Plugin "missing" failed to start: the command "/nonexistent/plugin-binary" was not found.');
  });

  it('fails calls fast when the plugin dies, restarts it, and emits restarted', async () => {
    const plugin = launch(fake('crashy', { FAKE_PLUGIN_INFER_DELAY_MS: '5000' }), { restart: { initialDelayMs: 400 } });
    await plugin.start();
    await plugin.connection.loadModel({ model_key: 'm', artifact: { sha256: 'a'.repeat(64) } });
    const firstPid = plugin.pid!;
    const down = new Promise<string>((r) => plugin.once('down', r));
    const restarted = new Promise((r) => plugin.once('restarted', r));
    const call = plugin.connection.infer({ model_name: 'm', inputs: [] }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 100));
    const killedAt = Date.now();
    process.kill(firstPid, 'SIGKILL');
    const err = await call;
    expect(Date.now() - killedAt).toBeLessThan(1_000);
    // Whichever comes first, the dropped socket or the exit, the call ends with UNAVAILABLE.
    expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, plugin: 'crashy' });
    expect(await down).toBe('plugin "crashy" exited unexpectedly (killed by SIGKILL)');
    // While it is down, new calls fail at once instead of waiting for a reconnect.
    expect(plugin.state).toBe('restarting');
    const newCallAt = Date.now();
    await expect(plugin.connection.infer({ model_name: 'm', inputs: [] })).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });
    expect(Date.now() - newCallAt).toBeLessThan(100);
    await restarted;
    expect(plugin.state).toBe('running');
    expect(plugin.restarts).toBe(1);
    expect(plugin.pid).not.toBe(firstPid);
    expect(plugin.connection.address).toMatch(/p2\.sock$/);
    expect((await plugin.connection.getInfo()).id).toBe('fake');
  });

  it('backs off longer on each repeated crash, and starts over after a stable period', async () => {
    // Exits 20 ms after answering its first call (GetInfo): a plugin that crashes right after starting.
    const plugin = launch(fake('flappy', { FAKE_PLUGIN_EXIT_AFTER_CALLS: '1' }), { restart: { initialDelayMs: 40, maxDelayMs: 400, stableAfterMs: 60_000 } });
    const delays: number[] = [];
    plugin.on('restart-scheduled', (s) => delays.push(s.delayMs));
    await plugin.start();
    await eventually(() => delays.length >= 5, 'five scheduled restarts');
    await plugin.stop();
    expect(delays.slice(0, 5)).toEqual([40, 80, 160, 320, 400]);
    expect(plugin.restarts).toBeGreaterThanOrEqual(4);

    const steady = launch(fake('steady'), { restart: { initialDelayMs: 40, stableAfterMs: 300 } });
    const steadyDelays: number[] = [];
    steady.on('restart-scheduled', (s) => steadyDelays.push(s.delayMs));
    await steady.start();
    process.kill(steady.pid!, 'SIGKILL');
    await new Promise((r) => steady.once('restarted', r));
    process.kill(steady.pid!, 'SIGKILL');
    await new Promise((r) => steady.once('restarted', r));
    await new Promise((r) => setTimeout(r, 500)); // longer than stableAfterMs
    process.kill(steady.pid!, 'SIGKILL');
    await new Promise((r) => steady.once('restarted', r));
    expect(steadyDelays).toEqual([40, 80, 40]);
  });

  it('keeps retrying a plugin whose first launch failed', async () => {
    const plugin = launch(fake('late', { FAKE_PLUGIN_MODE: 'error' }), { restart: { initialDelayMs: 30 } });
    const failures: PluginHostError[] = [];
    plugin.on('launch-failed', (e) => failures.push(e));
    await expect(plugin.start()).rejects.toBeInstanceOf(PluginHostError);
    await eventually(() => failures.length >= 3, 'three failed launches');
    expect(plugin.state).toBe('restarting');
    expect(plugin.restarts).toBeGreaterThanOrEqual(2);
  });
});
