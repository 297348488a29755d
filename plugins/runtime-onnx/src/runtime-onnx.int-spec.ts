// The built plugin (dist/plugins/runtime-onnx/src/main.js) as the Modelport host runs it: launched
// as a child process with the local handshake, checked with the SDK's conformance kit for every
// sample model, and over gRPC against the outputs NumPy computed. Also remote mode with the
// container health check, and a refused start.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  connectPlugin,
  decodeInferOutputs,
  encodeInferInputs,
  launchLocalPlugin,
  PluginCallError,
  runConformance,
  type LaunchedPlugin,
  type Tensor,
} from '@modelport/plugin-sdk';
// A plugin's tests may use the sample models (scope:testing; see eslint.config.cjs); its src imports only the SDK.
import { describeOutputMismatch, loadExpectedCases, SAMPLE_MODELS, sampleModelPath } from '@modelport/sample-models';

const root = resolve(__dirname, '..', '..', '..');
const main = join(root, 'dist', 'plugins', 'runtime-onnx', 'src', 'main.js');
const healthCheck = join(root, 'dist', 'plugins', 'runtime-onnx', 'src', 'health-check.js');

beforeAll(() => {
  execFileSync(process.execPath, [join(root, 'tools', 'scripts', 'build.cjs')], { cwd: root, stdio: 'pipe' });
});

/** Launches the built plugin as the host does; its output is kept for failure messages. */
async function launch(env: Record<string, string> = {}): Promise<{ plugin: LaunchedPlugin; output: string[] }> {
  const output: string[] = [];
  const plugin = await launchLocalPlugin(process.execPath, [main], env, {
    cwd: root,
    onOutput: (stream, line) => output.push(`${stream}: ${line}`),
  });
  return { plugin, output };
}

describe.each(SAMPLE_MODELS.map((m) => m.name))('conformance with %s', (name) => {
  it('passes every check of the SDK conformance kit', async () => {
    const { plugin, output } = await launch();
    try {
      const report = await runConformance({
        address: plugin.address,
        secret: plugin.secret,
        artifact: { path: sampleModelPath(name), format: 'onnx' },
        sampleInput: loadExpectedCases(name)[0].inputs as Tensor[],
        launched: plugin,
        concurrency: 16,
        // The plugin stops in milliseconds; a short grace also shortens the kit's uncleared shutdown timer.
        shutdownGraceMs: 2000,
      });
      const failed = report.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);
      expect({ failed, output: failed.length > 0 ? output.slice(-20) : [] }).toEqual({ failed: [], output: [] });
      expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['get-info', 'load-http', 'infer-typed', 'infer-raw', 'shutdown-graceful']));
      expect(report.passed).toBe(true);
    } finally {
      await plugin.stop(2000);
    }
  });
});

describe('over gRPC', () => {
  let plugin: LaunchedPlugin;
  beforeAll(async () => {
    ({ plugin } = await launch({ MODELPORT_ONNX_INTRA_OP_THREADS: '1' }));
  });
  afterAll(() => plugin?.stop(5000));

  it('describes itself and serves every sample model with the NumPy outputs', async () => {
    const conn = connectPlugin(plugin.address, plugin.secret);
    try {
      const info = await conn.getInfo();
      expect(info).toMatchObject({ id: 'runtime-onnx', formats: [{ name: 'onnx', priority: 100 }], details: { onnxruntime: '1.30.0' } });

      for (const { name, signature } of SAMPLE_MODELS) {
        const path = sampleModelPath(name);
        const loaded = await conn.loadModel({
          model_key: `${name}@1`,
          artifact: {
            uri: pathToFileURL(path).href,
            sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
            size_bytes: readFileSync(path).length,
            format: 'onnx',
          },
          signature: { inputs: [], outputs: [] },
          config: name === 'mlp-classifier' ? { graph_optimization_level: 'basic', execution_mode: 'parallel', inter_op_threads: '2' } : {},
        });
        expect(loaded.signature).toEqual({ inputs: signature.inputs, outputs: signature.outputs });
      }
      for (const { name } of SAMPLE_MODELS) {
        for (const c of loadExpectedCases(name)) {
          for (const encoding of ['typed', 'raw'] as const) {
            const res = await conn.infer({ model_name: `${name}@1`, id: c.name, ...encodeInferInputs(c.inputs as Tensor[], encoding) });
            const outputs = decodeInferOutputs(res);
            expect(outputs.map((o) => o.name)).toEqual(c.outputs.map((o) => o.name));
            const mismatches = c.outputs.map((expected, i) => describeOutputMismatch(outputs[i], expected)).filter(Boolean);
            expect({ name, case: c.name, encoding, mismatches }).toEqual({ name, case: c.name, encoding, mismatches: [] });
          }
        }
      }
    } finally {
      conn.close();
    }
  });

  it('refuses bad session config with INVALID_ARGUMENT naming what is allowed', async () => {
    const conn = connectPlugin(plugin.address, plugin.secret);
    const path = sampleModelPath('linear-regression');
    const bytes = readFileSync(path);
    try {
      const err = await conn
        .loadModel({
          model_key: 'bad-threads',
          artifact: { uri: pathToFileURL(path).href, sha256: createHash('sha256').update(bytes).digest('hex'), size_bytes: bytes.length, format: 'onnx' },
          signature: { inputs: [], outputs: [] },
          config: { intra_op_threads: 'lots' },
        })
        .catch((e: unknown) => e);
      expect(err).toBeInstanceOf(PluginCallError);
      expect((err as PluginCallError).code).toBe('INVALID_ARGUMENT');
      expect((err as PluginCallError).details).toContain('intra_op_threads must be a whole number from 0 to 1024');
    } finally {
      conn.close();
    }
  });
});

describe('starting', () => {
  it('refuses to start with a bad MODELPORT_ONNX_* variable, saying why in the handshake', async () => {
    await expect(launch({ MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL: 'max' })).rejects.toThrow(
      /MODELPORT_ONNX_GRAPH_OPTIMIZATION_LEVEL must be one of disabled, basic, extended, layout, all; got "max"/,
    );
  });

  it('without the host or MODELPORT_PLUGIN_LISTEN, exits 1 saying how to run it', () => {
    const env: Record<string, string | undefined> = { ...process.env };
    for (const name of Object.keys(env)) if (name.startsWith('MODELPORT_')) delete env[name];
    const run = spawnSync(process.execPath, [main], { cwd: root, env, encoding: 'utf8', timeout: 20000 });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain('runtime-onnx cannot start: nowhere to listen');
  });

  it('in remote mode listens on MODELPORT_PLUGIN_LISTEN, and the container health check sees it serving', async () => {
    const port = await freePort();
    const env = { ...process.env, MODELPORT_PLUGIN_LISTEN: `127.0.0.1:${port}` };
    const child = spawn(process.execPath, [main], { cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'] });
    const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
    try {
      const probe = () => spawnSync(process.execPath, [healthCheck], { cwd: root, env: { ...env, MODELPORT_PLUGIN_LISTEN: `0.0.0.0:${port}` } }).status;
      let status = probe();
      for (let i = 0; i < 50 && status !== 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        status = probe();
      }
      expect(status).toBe(0);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
    const after = spawnSync(process.execPath, [healthCheck], { cwd: root, env: { ...process.env, MODELPORT_PLUGIN_LISTEN: `0.0.0.0:${port}` } });
    expect(after.status).toBe(1);
  });
});

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
  });
}
