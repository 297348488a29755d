import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { healthProto, inferenceProto, pluginProto } from '@modelport/proto';
import { connectPlugin, PluginCallError } from '../client';
import { launchLocalPlugin, type LaunchedPlugin } from './launch-local-plugin';
import { runConformance, type ConformanceReport } from './run-conformance';

const root = resolve(__dirname, '..', '..', '..', '..');
const examplePlugin = join(root, 'dist/libs/plugin-sdk/src/testing/example-plugin.js');
const cli = join(root, 'dist/libs/plugin-sdk/src/conformance/cli.js');

/** Every check the kit runs against a plugin it launched. */
const ALL_CHECKS = [
  'health-plugin-serving',
  'get-info',
  'server-metadata',
  'secret-missing',
  'secret-wrong',
  'load-http',
  'load-idempotent',
  'load-conflict',
  'load-file-second-key',
  'load-digest-mismatch',
  'model-ready-metadata',
  'health-model-serving',
  'infer-typed',
  'infer-raw',
  'infer-requested-outputs',
  'infer-wrong-input-name',
  'infer-wrong-datatype',
  'infer-wrong-shape',
  'infer-wrong-raw-length',
  'infer-concurrent',
  'infer-stream',
  'infer-unknown-model',
  'unload-idempotent',
  'health-model-unloaded',
  'list-models-consistent',
  'shutdown-graceful',
];

const failedNames = (report: ConformanceReport) => report.checks.filter((c) => !c.passed).map((c) => c.name);
const failures = (report: ConformanceReport) =>
  report.checks
    .filter((c) => !c.passed)
    .map((c) => `${c.name}: ${c.detail}`)
    .join('\n');

describe('the conformance kit against the example plugin, launched as a real process', () => {
  let dir: string;
  let artifact: string;
  const launched: LaunchedPlugin[] = [];

  beforeAll(() => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    dir = mkdtempSync(join(tmpdir(), 'mp-conformance-'));
    artifact = join(dir, 'linear.json');
    writeFileSync(artifact, JSON.stringify({ weights: [0.5, -1.25, 2, 0.75], bias: 0.1 }));
  }, 120_000);

  afterAll(async () => {
    await Promise.all(launched.map((p) => p.stop(2_000)));
    rmSync(dir, { recursive: true, force: true });
  });

  const launch = async (env: Record<string, string> = {}) => {
    const plugin = await launchLocalPlugin(process.execPath, [examplePlugin], env, { handshakeTimeoutMs: 20_000 });
    launched.push(plugin);
    return plugin;
  };

  it('passes every check, including the graceful shutdown on SIGTERM', async () => {
    const plugin = await launch();
    const lines: string[] = [];
    const report = await runConformance({
      address: plugin.address,
      secret: plugin.secret,
      artifact: { path: artifact, format: 'linear-json' },
      launched: plugin,
      log: (l) => lines.push(l),
    });
    expect(failures(report)).toBe('');
    expect(report.passed).toBe(true);
    expect(report.checks.map((c) => c.name)).toEqual(ALL_CHECKS);
    expect(lines).toHaveLength(ALL_CHECKS.length);
    expect(await plugin.exited).toEqual({ code: 0, signal: null });
  });

  it('uses the given sample input instead of generating one', async () => {
    const plugin = await launch();
    const x = { name: 'x', datatype: 'FP32' as const, shape: [1, 4], data: new Float32Array([1, 2, 3, 4]) };
    const report = await runConformance({ address: plugin.address, secret: plugin.secret, artifact: { path: artifact, format: 'linear-json' }, sampleInput: [x] });
    expect(failures(report)).toBe('');
    expect(report.checks.find((c) => c.name === 'infer-typed')!.detail).toContain('x FP32 [1, 4] → y FP32 [1, 1]');
    expect(report.checks.map((c) => c.name)).not.toContain('shutdown-graceful');
  });

  it('fails the comparisons when a plugin answers differently to the same input', async () => {
    const plugin = await launch({ MODELPORT_EXAMPLE_MISBEHAVE: 'noisy' });
    const report = await runConformance({ address: plugin.address, secret: plugin.secret, artifact: { path: artifact, format: 'linear-json' } });
    expect(report.passed).toBe(false);
    expect(failedNames(report)).toEqual(['infer-raw', 'infer-concurrent', 'infer-stream']);
    expect(report.checks.find((c) => c.name === 'infer-stream')!.detail).toMatch(/on the stream gave other outputs than ModelInfer: output "y" differs at element \d/);
    expect(report.checks.find((c) => c.name === 'infer-raw')!.detail).toMatch(/raw inputs gave other outputs than typed inputs: output "y" differs at element \d/);
  });

  it('fails the second-key check when a plugin holds one model at a time', async () => {
    const plugin = await launch({ MODELPORT_EXAMPLE_MISBEHAVE: 'single-model' });
    const report = await runConformance({ address: plugin.address, secret: plugin.secret, artifact: { path: artifact, format: 'linear-json' } });
    expect(failedNames(report)).toEqual(['load-file-second-key']);
    expect(report.checks.find((c) => c.name === 'load-file-second-key')!.detail).toBe(
      'LoadModel failed with RESOURCE_EXHAUSTED: this runtime holds one model at a time',
    );
  });

  it('fails the secret and digest checks for a plugin that checks neither', async () => {
    const plugin = await launch();
    const proxy = await startLaxProxy(plugin);
    try {
      const report = await runConformance({ address: proxy.address, secret: 'anything', artifact: { path: artifact, format: 'linear-json' } });
      // The proxy relays GetInfo, which offers InferStream, but serves no InferStream itself.
      expect(failedNames(report)).toEqual(['secret-missing', 'secret-wrong', 'load-digest-mismatch', 'infer-stream', 'list-models-consistent']);
      expect(report.checks.find((c) => c.name === 'infer-stream')!.detail).toMatch(/^InferStream failed with UNIMPLEMENTED/);
      expect(report.checks.find((c) => c.name === 'secret-missing')!.detail).toBe('expected UNAUTHENTICATED, but the call succeeded');
      expect(report.checks.find((c) => c.name === 'load-digest-mismatch')!.detail).toBe('expected FAILED_PRECONDITION, but the call succeeded');
      expect(report.checks.find((c) => c.name === 'list-models-consistent')!.detail).toMatch(/after the refused load: "conformance-[0-9a-f]+-charlie" listed but not loaded/);
    } finally {
      await proxy.close();
    }
  });

  it('finishes a graceful shutdown when SIGTERM is repeated, and exits 0', async () => {
    const plugin = await launch();
    const conn = connectPlugin(plugin.address, plugin.secret);
    const statuses: string[] = [];
    // An open Watch keeps the shutdown busy for a moment, long enough for a second signal.
    const watch = conn.watchHealth('', (s) => statuses.push(s));
    try {
      while (statuses.length === 0) await new Promise((r) => setTimeout(r, 10));
      plugin.child.kill('SIGTERM');
      await new Promise((r) => setTimeout(r, 20));
      plugin.child.kill('SIGTERM');
      expect(await plugin.exited).toEqual({ code: 0, signal: null });
      expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    } finally {
      watch.cancel();
      conn.close();
    }
  });

  it('runs from the command line and exits 0 only when every check passed', () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MODELPORT_')));
    const args = ['--launch', `"${process.execPath}" "${examplePlugin}"`, '--artifact', artifact, '--format', 'linear-json'];
    const ok = spawnSync(process.execPath, [cli, ...args], { cwd: root, env, encoding: 'utf8', timeout: 60_000 });
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain('PASS load-digest-mismatch: a wrong sha256 is FAILED_PRECONDITION');
    expect(ok.stdout).toContain('PASS shutdown-graceful: after SIGTERM health went NOT_SERVING and the plugin exited 0');
    expect(ok.stdout.trim().split('\n').at(-1)).toBe(`${ALL_CHECKS.length}/${ALL_CHECKS.length} checks passed`);

    const noisy = spawnSync(process.execPath, [cli, ...args], { cwd: root, env: { ...env, MODELPORT_EXAMPLE_MISBEHAVE: 'noisy' }, encoding: 'utf8', timeout: 60_000 });
    expect(noisy.status).toBe(1);
    expect(noisy.stdout).toContain('FAIL infer-raw: raw inputs gave other outputs than typed inputs');
    expect(noisy.stdout).toContain(`${ALL_CHECKS.length - 3}/${ALL_CHECKS.length} checks passed — the plugin does not conform`);

    const usage = spawnSync(process.execPath, [cli, '--artifact', artifact], { cwd: root, env, encoding: 'utf8' });
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain('--format is required');
    expect(usage.stderr).toContain('give --launch "<command>" or --address with --secret');
    const missing = spawnSync(process.execPath, [cli, '--address', '127.0.0.1:1', '--secret', 's', '--artifact', join(dir, 'nope.onnx'), '--format', 'onnx'], {
      cwd: root,
      env,
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
    expect(missing.stderr).toContain(`--artifact ${join(dir, 'nope.onnx')}: no such file`);
  });

  it('runs against an address and secret given on the command line', async () => {
    const plugin = await launch();
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('MODELPORT_')));
    const run = await new Promise<{ status: number | null; stdout: string }>((done) => {
      // spawnSync would block the event loop that the launched plugin's pipes need; spawn async.
      const child = spawn(
        process.execPath,
        [cli, '--address', plugin.address, '--secret', plugin.secret, '--artifact', artifact, '--format', 'linear-json'],
        { cwd: root, env },
      );
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('exit', (status: number | null) => done({ status, stdout }));
    });
    expect(run.status).toBe(0);
    expect(run.stdout).toContain(`${ALL_CHECKS.length - 1}/${ALL_CHECKS.length - 1} checks passed`);
  });
});

/**
 * A deliberately non-conforming plugin: it relays to a real plugin but checks
 * no secret and loads whatever bytes the artifact URI holds, whatever sha256
 * the caller announced.
 */
async function startLaxProxy(target: LaunchedPlugin): Promise<{ address: string; close(): Promise<void> }> {
  const upstream = connectPlugin(target.address, target.secret);
  const relay =
    (fn: (req: any) => Promise<any>): grpc.handleUnaryCall<any, any> =>
    (call, callback) => {
      fn(call.request).then(
        (res) => callback(null, res),
        (err: PluginCallError) => callback({ code: grpc.status[err.code], details: err.details }),
      );
    };
  const bytesAt = async (uri: string) =>
    uri.startsWith('file:') ? readFile(fileURLToPath(uri)) : Buffer.from(await (await fetch(uri)).arrayBuffer());
  const server = new grpc.Server();
  server.addService(pluginProto().modelport.plugin.v1.Plugin.service, {
    GetInfo: relay(() => upstream.getInfo()),
    LoadModel: relay(async (req) => {
      const bytes = await bytesAt(req.artifact.uri);
      const actual = createHash('sha256').update(bytes).digest('hex');
      return { model: await upstream.loadModel({ ...req, artifact: { ...req.artifact, sha256: actual, size_bytes: bytes.length } }) };
    }),
    UnloadModel: relay(async (req) => ({ was_loaded: await upstream.unloadModel(req.model_key) })),
    ListModels: relay(async () => ({ models: await upstream.listModels() })),
  });
  server.addService(inferenceProto().inference.GRPCInferenceService.service, {
    ServerLive: relay(async () => ({ live: await upstream.serverLive() })),
    ServerReady: relay(async () => ({ ready: await upstream.serverReady() })),
    ServerMetadata: relay(() => upstream.serverMetadata()),
    ModelReady: relay(async (req) => ({ ready: await upstream.modelReady(req.name) })),
    ModelMetadata: relay((req) => upstream.modelMetadata(req.name)),
    ModelInfer: relay((req) => upstream.infer(req)),
  });
  server.addService(healthProto().grpc.health.v1.Health.service, {
    Check: relay(async (req) => {
      const status = await upstream.checkHealth(req.service);
      if (status === 'SERVICE_UNKNOWN') throw new PluginCallError('NOT_FOUND', 'unknown service', 'Check');
      return { status };
    }),
  });
  const port = await new Promise<number>((ok, fail) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? fail(err) : ok(p))),
  );
  return {
    address: `127.0.0.1:${port}`,
    close: async () => {
      upstream.close();
      server.forceShutdown();
    },
  };
}
