/** @jest-environment ./tools/sample-models/onnxruntime-jest-environment.cjs */
// OnnxRuntime on the real onnxruntime-node, without gRPC: every sample model against the outputs
// NumPy computed for it, signatures, settings, many models at once, unload and close.
import { createHash } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PluginError, type ModelToLoad, type SignatureSpec, type Tensor } from '@modelport/plugin-sdk';
// A plugin's tests may use the sample models (scope:testing; see eslint.config.cjs); its src imports only the SDK.
import {
  describeOutputMismatch,
  encodeOnnxModel,
  irisClassifierModel,
  loadExpectedCases,
  node,
  SAMPLE_MODELS,
  sampleModelPath,
  tensorType,
  valueInfo,
  type DataTypeName,
} from '@modelport/sample-models';
import * as ort from 'onnxruntime-node';
import { OnnxRuntime, type OnnxSession, type OnnxSessionFactory } from './onnx-runtime';
import { PLUGIN_VERSION } from './version';

let workDir: string;
beforeAll(() => {
  workDir = mkdtempSync(join(tmpdir(), 'runtime-onnx-spec-'));
});
afterAll(() => rmSync(workDir, { recursive: true, force: true }));

let fileCount = 0;
/** A ModelToLoad for a copy of the bytes, as the SDK hands over a verified temporary file. */
function modelToLoad(key: string, source: string | Uint8Array, config: Record<string, string> = {}, signature?: SignatureSpec): ModelToLoad {
  const path = join(workDir, `model-${++fileCount}.onnx`);
  if (typeof source === 'string') copyFileSync(source, path);
  else writeFileSync(path, source);
  return {
    key,
    path,
    sha256: createHash('sha256').update(readFileSync(path)).digest('hex'),
    format: 'onnx',
    signature: signature ?? { inputs: [], outputs: [] },
    config,
  };
}

/** Loads like the SDK: the temporary file is deleted once loadModel resolves. */
async function load(runtime: OnnxRuntime, model: ModelToLoad) {
  try {
    return await runtime.loadModel(model);
  } finally {
    rmSync(model.path, { force: true });
  }
}

async function rejection(promise: Promise<unknown>): Promise<PluginError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginError);
  return err as PluginError;
}

function fp32(name: string, shape: number[], values: number[]): Tensor {
  return { name, datatype: 'FP32', shape, data: Float32Array.from(values) };
}

/** Records the sessions the runtime creates, with a spy on release. */
function recordingFactory() {
  const sessions: { path: string; options: ort.InferenceSession.SessionOptions; session: OnnxSession; release: jest.SpyInstance }[] = [];
  const createSession: OnnxSessionFactory = async (path, options) => {
    const session = await ort.InferenceSession.create(path, options);
    sessions.push({ path, options, session, release: jest.spyOn(session, 'release') });
    return session;
  };
  return { sessions, createSession };
}

describe('OnnxRuntime description', () => {
  it('says what it serves and on which ONNX Runtime', () => {
    const { description } = new OnnxRuntime();
    expect(description).toMatchObject({
      id: 'runtime-onnx',
      version: PLUGIN_VERSION,
      formats: [{ name: 'onnx', priority: 100 }],
      details: { onnxruntime: '1.30.0', executionProvider: 'cpu' },
    });
  });

  it('has the version of its package.json', () => {
    const pkg = JSON.parse(readFileSync(join(__dirname, '..', 'package.json'), 'utf8')) as { name: string; version: string };
    expect(pkg.name).toBe('@modelport/runtime-onnx');
    expect(PLUGIN_VERSION).toBe(pkg.version);
  });
});

describe.each(SAMPLE_MODELS.map((m) => [m.name, m] as const))('sample model %s', (name, sample) => {
  const runtime = new OnnxRuntime();
  beforeAll(async () => {
    await load(runtime, modelToLoad(name, sampleModelPath(name)));
  });
  afterAll(() => runtime.close());

  it('serves the signature derived from the session', () => {
    // loadModel's result was checked when loading; load again under another key to see it.
    return load(runtime, modelToLoad(`${name}-again`, sampleModelPath(name))).then(({ signature }) => {
      expect(signature).toEqual(sample.signature);
    });
  });

  it.each(loadExpectedCases(name).map((c) => [c.name, c] as const))('matches the NumPy outputs: %s', async (_, c) => {
    const result = await runtime.infer(name, { id: c.name, inputs: c.inputs, outputs: [] });
    expect(result.outputs.map((o) => o.name)).toEqual(c.outputs.map((o) => o.name));
    for (const [i, expected] of c.outputs.entries()) {
      expect(describeOutputMismatch(result.outputs[i], expected)).toBeUndefined();
    }
  });

  it('returns only the outputs asked for, in the order asked', async () => {
    const [c] = loadExpectedCases(name);
    const wanted = [...c.outputs].reverse().slice(0, 1);
    const result = await runtime.infer(name, { id: '', inputs: c.inputs, outputs: wanted.map((o) => o.name) });
    expect(result.outputs).toHaveLength(1);
    expect(describeOutputMismatch(result.outputs[0], wanted[0])).toBeUndefined();
  });
});

describe('every V2 datatype ONNX Runtime has', () => {
  const TYPES: [DataTypeName, Tensor][] = [
    ['FLOAT', { name: 'in_FLOAT', datatype: 'FP32', shape: [2, 2], data: Float32Array.from([1.5, -2, 0, 3.25]) }],
    ['FLOAT16', { name: 'in_FLOAT16', datatype: 'FP16', shape: [2, 2], data: Uint16Array.from([0x3c00, 0x4000, 0xc000, 0x7bff]) }],
    ['DOUBLE', { name: 'in_DOUBLE', datatype: 'FP64', shape: [2, 2], data: Float64Array.from([1e300, -1, 0.1, 2]) }],
    ['INT8', { name: 'in_INT8', datatype: 'INT8', shape: [2, 2], data: Int8Array.from([-128, 127, 0, 1]) }],
    ['INT16', { name: 'in_INT16', datatype: 'INT16', shape: [2, 2], data: Int16Array.from([-32768, 32767, 0, 1]) }],
    ['INT32', { name: 'in_INT32', datatype: 'INT32', shape: [2, 2], data: Int32Array.from([-(2 ** 31), 2 ** 31 - 1, 0, 1]) }],
    ['INT64', { name: 'in_INT64', datatype: 'INT64', shape: [2, 2], data: BigInt64Array.from([-(2n ** 63n), 2n ** 63n - 1n, 0n, 1n]) }],
    ['UINT8', { name: 'in_UINT8', datatype: 'UINT8', shape: [2, 2], data: Uint8Array.from([0, 255, 7, 1]) }],
    ['UINT16', { name: 'in_UINT16', datatype: 'UINT16', shape: [2, 2], data: Uint16Array.from([0, 65535, 7, 1]) }],
    ['UINT32', { name: 'in_UINT32', datatype: 'UINT32', shape: [2, 2], data: Uint32Array.from([0, 2 ** 32 - 1, 7, 1]) }],
    ['UINT64', { name: 'in_UINT64', datatype: 'UINT64', shape: [2, 2], data: BigUint64Array.from([0n, 2n ** 64n - 1n, 7n, 1n]) }],
    ['BOOL', { name: 'in_BOOL', datatype: 'BOOL', shape: [2, 2], data: Uint8Array.from([1, 0, 0, 1]) }],
    ['STRING', { name: 'in_STRING', datatype: 'BYTES', shape: [2, 2], data: ['a', 'héllo', '', '日本'].map((s) => Buffer.from(s)) }],
  ];
  // Identity per type; the batch is symbolic, the rank-less and unknown-size tensors test the shapes.
  const identityModel = encodeOnnxModel({
    ir_version: 8,
    graph: {
      name: 'identities',
      node: [
        ...TYPES.map(([t]) => node('Identity', [`in_${t}`], [`out_${t}`])),
        node('Identity', ['no_rank'], ['no_rank_out']),
        node('Identity', ['unknown_dim'], ['unknown_dim_out']),
      ],
      input: [
        ...TYPES.map(([t]) => valueInfo(`in_${t}`, tensorType(t, ['n', 2]))),
        valueInfo('no_rank', tensorType('FLOAT')),
        valueInfo('unknown_dim', tensorType('FLOAT', [null, 3])),
      ],
      output: [
        ...TYPES.map(([t]) => valueInfo(`out_${t}`, tensorType(t, ['n', 2]))),
        valueInfo('no_rank_out', tensorType('FLOAT')),
        valueInfo('unknown_dim_out', tensorType('FLOAT', [null, 3])),
      ],
    },
    opset_import: [{ domain: '', version: 13 }],
  });
  const runtime = new OnnxRuntime();
  afterAll(() => runtime.close());

  it('maps element types to V2 datatypes and unknown sizes to -1, keeping a recorded shape for an unknown rank', async () => {
    const recorded: SignatureSpec = {
      inputs: [{ name: 'no_rank', datatype: 'FP32', shape: [-1] }],
      outputs: [{ name: 'no_rank_out', datatype: 'FP64', shape: [5] }],
    };
    const { signature } = await load(runtime, modelToLoad('identities', identityModel, {}, recorded));
    expect(signature.inputs).toEqual([
      ...TYPES.map(([t, tensor]) => ({ name: `in_${t}`, datatype: tensor.datatype, shape: [-1, 2] })),
      { name: 'no_rank', datatype: 'FP32', shape: [-1] },
      { name: 'unknown_dim', datatype: 'FP32', shape: [-1, 3] },
    ]);
    // A recorded shape of another datatype is not trusted.
    expect(signature.outputs.slice(-2)).toEqual([
      { name: 'no_rank_out', datatype: 'FP32', shape: [] },
      { name: 'unknown_dim_out', datatype: 'FP32', shape: [-1, 3] },
    ]);
  });

  it('passes every datatype through unchanged', async () => {
    const inputs = [
      ...TYPES.map(([, tensor]) => tensor),
      fp32('no_rank', [3], [1, 2, 3]),
      fp32('unknown_dim', [1, 3], [4, 5, 6]),
    ];
    const result = await runtime.infer('identities', { id: '', inputs, outputs: [] });
    const byName = new Map(result.outputs.map((o) => [o.name, o]));
    for (const [t, tensor] of TYPES) {
      const out = byName.get(`out_${t}`)!;
      expect({ datatype: out.datatype, shape: out.shape }).toEqual({ datatype: tensor.datatype, shape: [2, 2] });
      if (tensor.datatype === 'BYTES') {
        expect((out.data as Buffer[]).map((b) => b.toString())).toEqual(['a', 'héllo', '', '日本']);
        expect((out.data as Buffer[]).every((b) => Buffer.isBuffer(b))).toBe(true);
      } else {
        expect(Object.prototype.toString.call(out.data)).toBe(Object.prototype.toString.call(tensor.data));
        expect(Array.from(out.data as ArrayLike<unknown>)).toEqual(Array.from(tensor.data as ArrayLike<unknown>));
      }
    }
    expect(byName.get('no_rank_out')).toMatchObject({ shape: [3], data: Float32Array.from([1, 2, 3]) });
  });

  it('takes typed arrays that are views into a larger buffer', async () => {
    const backing = Float32Array.from([9, 9, 1, 2, 3, 9]);
    const result = await runtime.infer('identities', {
      id: '',
      inputs: [...TYPES.map(([, tensor]) => tensor), fp32('no_rank', [0], []), { name: 'unknown_dim', datatype: 'FP32', shape: [1, 3], data: backing.subarray(2, 5) }],
      outputs: ['unknown_dim_out'],
    });
    expect(Array.from(result.outputs[0].data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('refuses BYTES that are not UTF-8, since ONNX strings are text', async () => {
    const inputs = TYPES.map(([, tensor]) =>
      tensor.datatype === 'BYTES' ? { ...tensor, data: [Buffer.from('ok'), Buffer.from([0xff, 0xfe]), Buffer.from(''), Buffer.from('')] } : tensor,
    );
    const err = await rejection(runtime.infer('identities', { id: '', inputs, outputs: [] }));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe('input "in_STRING" element 1 is not valid UTF-8; ONNX string tensors carry text, so BYTES inputs must be UTF-8');
  });

  it('refuses BF16, which onnxruntime-node has no tensor type for', async () => {
    const inputs = [{ name: 'in_FLOAT16', datatype: 'BF16', shape: [1, 2], data: Uint16Array.from([0, 0]) } as Tensor];
    const err = await rejection(runtime.infer('identities', { id: '', inputs, outputs: [] }));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^input "in_FLOAT16" is BF16, which ONNX Runtime for Node cannot take; use one of FP32, FP16, FP64, INT8/);
  });
});

describe('loading', () => {
  it('refuses a ZipMap (sequence of maps) output, naming it and saying to export without ZipMap', async () => {
    const { sessions, createSession } = recordingFactory();
    const runtime = new OnnxRuntime({ createSession });
    const err = await rejection(load(runtime, modelToLoad('iris-zipmap', irisClassifierModel({ zipMap: true }))));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(
      'model "iris-zipmap" cannot be served by runtime-onnx: output "probabilities" is a sequence, map or optional value, not a tensor. ' +
        'The ONNX Runtime Node binding returns only tensors: export the model without ZipMap ' +
        '(skl2onnx: options={id(model): {"zipmap": False}}) so that the probabilities are a tensor',
    );
    expect(sessions).toHaveLength(1);
    expect(sessions[0].release).toHaveBeenCalledTimes(1);
    expect(runtime.loadedKeys()).toEqual([]);
  });

  it('refuses a file ONNX Runtime cannot read, with its message', async () => {
    const runtime = new OnnxRuntime();
    const err = await rejection(load(runtime, modelToLoad('garbage', Buffer.from('not a model'))));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toMatch(/^ONNX Runtime could not load model "garbage": Load model from .*model-\d+\.onnx failed: ?Protobuf parsing failed\.$/);
  });

  it('applies the deployment config over the plugin defaults', async () => {
    const { sessions, createSession } = recordingFactory();
    const runtime = new OnnxRuntime({ createSession, defaults: { intraOpThreads: 2, graphOptimizationLevel: 'basic' } });
    await load(runtime, modelToLoad('defaults', sampleModelPath('linear-regression')));
    await load(
      runtime,
      modelToLoad('tuned', sampleModelPath('linear-regression'), {
        intra_op_threads: '1',
        inter_op_threads: '2',
        execution_mode: 'parallel',
        graph_optimization_level: 'disabled',
      }),
    );
    expect(runtime.settingsOf('defaults')).toEqual({ intraOpThreads: 2, interOpThreads: 0, graphOptimizationLevel: 'basic', executionMode: 'sequential' });
    expect(runtime.settingsOf('tuned')).toEqual({ intraOpThreads: 1, interOpThreads: 2, graphOptimizationLevel: 'disabled', executionMode: 'parallel' });
    expect(sessions.map((s) => s.options)).toEqual([
      { executionProviders: ['cpu'], graphOptimizationLevel: 'basic', executionMode: 'sequential', intraOpNumThreads: 2 },
      { executionProviders: ['cpu'], graphOptimizationLevel: 'disabled', executionMode: 'parallel', intraOpNumThreads: 1, interOpNumThreads: 2 },
    ]);
    const result = await runtime.infer('tuned', { id: '', inputs: [fp32('features', [1, 4], [1, 2, 3, 4])], outputs: [] });
    expect(Array.from(result.outputs[0].data as Float32Array)).toEqual([7.125]);
    await runtime.close();
  });

  it.each([
    [{ intra_op_threads: 'many' }, 'intra_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "many"'],
    [{ inter_op_threads: '-3' }, 'inter_op_threads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "-3"'],
    [{ graph_optimization_level: 'O3' }, 'graph_optimization_level must be one of disabled, basic, extended, layout, all; got "O3"'],
    [
      { intra_op_thread: '4' },
      'unknown config key "intra_op_thread"; runtime-onnx understands intra_op_threads, inter_op_threads, graph_optimization_level, execution_mode',
    ],
  ])('fails the load for config %j, saying what is allowed', async (config, message) => {
    const { sessions, createSession } = recordingFactory();
    const runtime = new OnnxRuntime({ createSession });
    const err = await rejection(load(runtime, modelToLoad('bad-config', sampleModelPath('linear-regression'), config)));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(`model "bad-config": ${message}`);
    expect(sessions).toHaveLength(0);
  });

  it('refuses bad defaults when constructed', () => {
    expect(() => new OnnxRuntime({ defaults: { interOpThreads: 1.5 } })).toThrow(
      'option interOpThreads must be a whole number from 0 to 1024 (0 lets ONNX Runtime choose); got "1.5"',
    );
  });

  it('refuses to load a key that is already loaded', async () => {
    const runtime = new OnnxRuntime();
    await load(runtime, modelToLoad('twice', sampleModelPath('linear-regression')));
    const err = await rejection(load(runtime, modelToLoad('twice', sampleModelPath('linear-regression'))));
    expect(err.status).toBe('FAILED_PRECONDITION');
    expect(err.message).toBe('model "twice" is already loaded; unload it first');
    await runtime.close();
  });
});

describe('many models', () => {
  it('serves every sample model and two versions of one at once, concurrently', async () => {
    const runtime = new OnnxRuntime();
    const keys = SAMPLE_MODELS.map((m) => `${m.name}@1`);
    await Promise.all(SAMPLE_MODELS.map((m, i) => load(runtime, modelToLoad(keys[i], sampleModelPath(m.name)))));
    await load(runtime, modelToLoad('mlp-classifier@2', sampleModelPath('mlp-classifier')));
    expect(runtime.loadedKeys().sort()).toEqual([...keys, 'mlp-classifier@2'].sort());

    const runs = [...SAMPLE_MODELS.map((m, i) => [keys[i], m.name] as const), ['mlp-classifier@2', 'mlp-classifier'] as const].flatMap(
      ([key, name]) =>
        loadExpectedCases(name).map(async (c) => {
          const result = await runtime.infer(key, { id: '', inputs: c.inputs, outputs: [] });
          return c.outputs.map((expected, i) => describeOutputMismatch(result.outputs[i], expected)).filter(Boolean);
        }),
    );
    expect((await Promise.all(runs)).flat()).toEqual([]);
    await runtime.close();
  });
});

describe('unloading and closing', () => {
  it('unload releases the session; inference on the key then fails with NOT_FOUND', async () => {
    const { sessions, createSession } = recordingFactory();
    const runtime = new OnnxRuntime({ createSession });
    await load(runtime, modelToLoad('a', sampleModelPath('linear-regression')));
    await load(runtime, modelToLoad('b', sampleModelPath('linear-regression')));
    const request = { id: '', inputs: [fp32('features', [1, 4], [1, 2, 3, 4])], outputs: [] };
    await runtime.infer('a', request);

    await runtime.unloadModel('a');
    expect(sessions[0].release).toHaveBeenCalledTimes(1);
    expect(sessions[1].release).not.toHaveBeenCalled();
    const err = await rejection(runtime.infer('a', request));
    expect(err.status).toBe('NOT_FOUND');
    expect(err.message).toBe('model "a" is not loaded on runtime-onnx');
    expect(runtime.loadedKeys()).toEqual(['b']);
    await expect(runtime.infer('b', request)).resolves.toBeDefined();

    // The key can be loaded again afterwards.
    await load(runtime, modelToLoad('a', sampleModelPath('linear-regression')));
    await expect(runtime.infer('a', request)).resolves.toBeDefined();
    await runtime.close();
  });

  it('inference on a key never loaded is NOT_FOUND', async () => {
    const err = await rejection(new OnnxRuntime().infer('nope', { id: '', inputs: [], outputs: [] }));
    expect(err.status).toBe('NOT_FOUND');
  });

  it('close releases every session', async () => {
    const { sessions, createSession } = recordingFactory();
    const runtime = new OnnxRuntime({ createSession });
    await load(runtime, modelToLoad('x', sampleModelPath('iris-classifier')));
    await load(runtime, modelToLoad('y', sampleModelPath('tree-ensemble-regressor')));
    await runtime.close();
    expect(sessions.map((s) => s.release.mock.calls.length)).toEqual([1, 1]);
    expect(runtime.loadedKeys()).toEqual([]);
  });
});

describe('run errors', () => {
  const runtime = new OnnxRuntime();
  beforeAll(() => load(runtime, modelToLoad('linear', sampleModelPath('linear-regression'))));
  afterAll(() => runtime.close());

  // The SDK checks inputs against the signature before infer; these reach ONNX Runtime anyway.
  it('is INVALID_ARGUMENT with ONNX Runtime\'s message for a wrong shape', async () => {
    const err = await rejection(runtime.infer('linear', { id: '', inputs: [fp32('features', [1, 3], [1, 2, 3])], outputs: [] }));
    expect(err.status).toBe('INVALID_ARGUMENT');
    expect(err.message).toBe(
      'ONNX Runtime failed to run model "linear": Got invalid dimensions for input: features for the following indices index: 1 Got: 3 Expected: 4 Please fix either the inputs/outputs or the model.',
    );
  });

  it('is INVALID_ARGUMENT for a wrong datatype or a missing input', async () => {
    const fp64: Tensor = { name: 'features', datatype: 'FP64', shape: [1, 4], data: Float64Array.from([1, 2, 3, 4]) };
    const wrongType = await rejection(runtime.infer('linear', { id: '', inputs: [fp64], outputs: [] }));
    expect(wrongType.status).toBe('INVALID_ARGUMENT');
    expect(wrongType.message).toMatch(/Unexpected input data type. Actual: \(tensor\(double\)\)/);
    const missing = await rejection(runtime.infer('linear', { id: '', inputs: [], outputs: [] }));
    expect(missing.status).toBe('INVALID_ARGUMENT');
    expect(missing.message).toMatch(/input 'features' is missing in 'feeds'/);
  });

  it('is INTERNAL for anything else, with the message', async () => {
    const failing: OnnxSession = {
      inputMetadata: [{ name: 'x', isTensor: true, type: 'float32', shape: [1] }],
      outputMetadata: [{ name: 'y', isTensor: true, type: 'float32', shape: [1] }],
      outputNames: ['y'],
      run: async () => {
        throw new Error('Non-zero status code returned while running MatMul node. Name:\'m\' Status Message: bad allocation');
      },
      release: async () => undefined,
    };
    const broken = new OnnxRuntime({ createSession: async () => failing });
    await load(broken, modelToLoad('broken', sampleModelPath('linear-regression')));
    const err = await rejection(broken.infer('broken', { id: '', inputs: [fp32('x', [1], [1])], outputs: [] }));
    expect(err.status).toBe('INTERNAL');
    expect(err.message).toBe(
      'ONNX Runtime failed to run model "broken": Non-zero status code returned while running MatMul node. Name:\'m\' Status Message: bad allocation',
    );
  });
});
