// The plugin from README.md, as a file the linter checks. Copy it into your
// own package; it needs only @modelport/plugin-sdk.
import { readFile } from 'node:fs/promises';
import { PluginError, servePlugin, type PluginRuntime, type Tensor } from '@modelport/plugin-sdk';

const models = new Map<string, { weights: number[]; bias: number }>();

const runtime: PluginRuntime = {
  description: { id: 'my-linear-runtime', version: '0.1.0', formats: [{ name: 'linear-json', priority: 1 }] },
  async loadModel({ key, path }) {
    const model = JSON.parse(await readFile(path, 'utf8')) as { weights: number[]; bias: number };
    models.set(key, model);
    const n = model.weights.length;
    return {
      signature: { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, n] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }] },
    };
  },
  async unloadModel(key) {
    models.delete(key);
  },
  async infer(key, { inputs }) {
    const model = models.get(key);
    if (!model) throw new PluginError('NOT_FOUND', `model ${key} is not loaded`);
    const x = inputs[0] as Tensor<'FP32'>; // already checked against the signature
    const n = model.weights.length;
    const rows = x.shape[0]!;
    const y = new Float32Array(rows).map((_, r) => model.weights.reduce((s, w, j) => s + w * x.data[r * n + j]!, model.bias));
    return { outputs: [{ name: 'y', datatype: 'FP32', shape: [rows, 1], data: y }] };
  },
};

void servePlugin(runtime);
