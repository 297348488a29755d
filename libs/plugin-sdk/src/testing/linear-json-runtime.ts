import { readFile } from 'node:fs/promises';
import { PluginError, type PluginRuntime, type SignatureSpec } from '../runtime';
import type { Tensor } from '../tensors';

/**
 * Ways the example runtime can be told to misbehave, so that tests can prove
 * the conformance kit fails a broken plugin:
 * - noisy: adds random noise to every output (non-deterministic inference);
 * - single-model: refuses to hold more than one model at a time.
 */
export type LinearJsonMisbehaviour = 'noisy' | 'single-model';

interface LinearModel {
  readonly weights: Float64Array;
  readonly bias: number;
}

/**
 * A tiny runtime for tests and as an example. Format "linear-json": the
 * artifact is `{ "weights": number[], "bias": number }`; input `x` FP32
 * [-1, n], output `y` FP32 [-1, 1] = x·w + b.
 */
export function linearJsonRuntime(options: { misbehave?: readonly LinearJsonMisbehaviour[] } = {}): PluginRuntime {
  const misbehave = new Set(options.misbehave ?? []);
  const models = new Map<string, LinearModel>();
  return {
    description: {
      id: 'example-linear-json',
      version: '1.0.0',
      formats: [{ name: 'linear-json', priority: 1 }],
      details: { runtime: 'plain TypeScript' },
    },

    async loadModel(model) {
      if (misbehave.has('single-model') && models.size > 0) {
        throw new PluginError('RESOURCE_EXHAUSTED', 'this runtime holds one model at a time');
      }
      const parsed = parseArtifact(await readFile(model.path, 'utf8'));
      models.set(model.key, parsed);
      return { signature: linearSignature(parsed.weights.length) };
    },

    async unloadModel(key) {
      models.delete(key);
    },

    async infer(key, request) {
      const model = models.get(key);
      if (!model) throw new PluginError('NOT_FOUND', `model "${key}" is not loaded`);
      const x = request.inputs.find((t) => t.name === 'x') as Tensor<'FP32'>;
      const n = model.weights.length;
      const rows = x.shape[0]!;
      const y = new Float32Array(rows);
      for (let r = 0; r < rows; r++) {
        let sum = model.bias;
        for (let j = 0; j < n; j++) sum += x.data[r * n + j]! * model.weights[j]!;
        y[r] = misbehave.has('noisy') ? sum + Math.random() : sum;
      }
      return { outputs: [{ name: 'y', datatype: 'FP32', shape: [rows, 1], data: y }] };
    },

    async close() {
      models.clear();
    },
  };
}

export function linearSignature(n: number): SignatureSpec {
  return {
    inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, n] }],
    outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
  };
}

function parseArtifact(text: string): LinearModel {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new PluginError('INVALID_ARGUMENT', `a linear-json artifact must be JSON: ${(err as Error).message}`);
  }
  const o = value as { weights?: unknown; bias?: unknown };
  if (
    !Array.isArray(o?.weights) ||
    o.weights.length === 0 ||
    !o.weights.every((w) => typeof w === 'number' && Number.isFinite(w)) ||
    typeof o.bias !== 'number' ||
    !Number.isFinite(o.bias)
  ) {
    throw new PluginError('INVALID_ARGUMENT', 'a linear-json artifact is {"weights": [finite numbers, at least one], "bias": finite number}');
  }
  return { weights: Float64Array.from(o.weights as number[]), bias: o.bias };
}
