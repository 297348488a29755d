// The committed sample models, one entry each: how to build the bytes, where the committed file is,
// the signature a server should derive (V2 datatypes, -1 for the batch), the parameters the NumPy
// reference reads, and the fixed test inputs. compute_expected.py turns <name>.params.json into
// <name>.expected.json; loadExpectedCases() reads it back as typed tensors.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  IRIS_CLASS_NAMES,
  IRIS_COEFFICIENTS,
  IRIS_INTERCEPTS,
  irisClassifierModel,
  LINEAR_BIAS,
  LINEAR_WEIGHTS,
  linearRegressionModel,
} from './onnx-builder';
import {
  binaryLogisticRegressionModel,
  flattenTrees,
  LOGISTIC_BIAS,
  LOGISTIC_WEIGHTS,
  MLP_LAYER_SIZES,
  MLP_SEED,
  mlpClassifierModel,
  mlpLayers,
  roundTo,
  seededRandom,
  TREE_CLASSIFIER_CLASS_NAMES,
  TREE_REGRESSOR_BASE_VALUE,
  treeClassifierTrees,
  treeEnsembleClassifierModel,
  treeEnsembleRegressorModel,
  treeRegressorTrees,
} from './tabular-models';

/** The V2 datatypes the sample models use. */
export type SampleDatatype = 'FP32' | 'INT64' | 'BYTES';

export interface SampleTensorSpec {
  readonly name: string;
  readonly datatype: SampleDatatype;
  /** -1 marks the batch dimension. */
  readonly shape: readonly number[];
}

export interface SampleSignature {
  readonly inputs: readonly SampleTensorSpec[];
  readonly outputs: readonly SampleTensorSpec[];
}

/** A tensor as the JSON files hold it: numbers for FP32 and INT64, UTF-8 strings for BYTES. */
export interface SampleTensorJson {
  readonly name: string;
  readonly datatype: SampleDatatype;
  readonly shape: readonly number[];
  readonly data: readonly (number | string)[];
}

/**
 * The same tensor with the typed data the Modelport plugin SDK uses per V2 datatype
 * (FP32 → Float32Array, INT64 → BigInt64Array, BYTES → Buffer[]).
 */
export interface SampleTensor {
  readonly name: string;
  readonly datatype: SampleDatatype;
  readonly shape: readonly number[];
  readonly data: Float32Array | BigInt64Array | Buffer[];
}

export interface SampleCaseInputs {
  readonly name: string;
  readonly inputs: readonly SampleTensorJson[];
}

export interface SampleModel {
  /** e.g. 'mlp-classifier'; the files are models/<name>.onnx, .params.json and .expected.json. */
  readonly name: string;
  readonly description: string;
  /** Builds the model bytes (what models/<name>.onnx holds). */
  readonly build: () => Uint8Array;
  readonly signature: SampleSignature;
  /** What the NumPy reference needs: `kind` selects the maths, the rest are the model's parameters. */
  readonly reference: { readonly kind: string } & Record<string, unknown>;
  readonly cases: readonly SampleCaseInputs[];
}

// ---- test inputs ----

function fp32Input(name: string, rows: readonly (readonly number[])[]): SampleTensorJson {
  return { name, datatype: 'FP32', shape: [rows.length, rows[0].length], data: rows.flat() };
}

function features(caseName: string, rows: readonly (readonly number[])[]): SampleCaseInputs {
  return { name: caseName, inputs: [fp32Input('features', rows)] };
}

/** Two flowers of each species, the last two close to the versicolor/virginica boundary. */
const IRIS_ROWS = [
  [5.1, 3.5, 1.4, 0.2],
  [4.9, 3.0, 1.4, 0.2],
  [7.0, 3.2, 4.7, 1.4],
  [6.4, 3.2, 4.5, 1.5],
  [6.3, 3.3, 6.0, 2.5],
  [5.8, 2.7, 5.1, 1.9],
  [6.0, 2.2, 5.0, 1.5],
  [5.9, 3.2, 4.8, 1.8],
] as const;

function randomRows(seed: number, rows: number, cols: number, limit: number): number[][] {
  const random = seededRandom(seed);
  return Array.from({ length: rows }, () => Array.from({ length: cols }, () => roundTo((random() * 2 - 1) * limit, 3)));
}

// ---- the catalog ----

const fp32 = (name: string, shape: number[]): SampleTensorSpec => ({ name, datatype: 'FP32', shape });
const int64 = (name: string, shape: number[]): SampleTensorSpec => ({ name, datatype: 'INT64', shape });
const bytes = (name: string, shape: number[]): SampleTensorSpec => ({ name, datatype: 'BYTES', shape });

function treeReference(kind: string, trees: ReturnType<typeof flattenTrees>, extra: Record<string, unknown>) {
  const { leaf_treeids, leaf_nodeids, leaf_ids, leaf_weights, ...nodes } = trees;
  return { kind, ...nodes, leaf_treeids, leaf_nodeids, leaf_ids, leaf_weights, ...extra };
}

export const SAMPLE_MODELS: readonly SampleModel[] = [
  {
    name: 'linear-regression',
    description: 'MatMul (4x1 weights) + Add (bias)',
    build: linearRegressionModel,
    signature: { inputs: [fp32('features', [-1, 4])], outputs: [fp32('prediction', [-1, 1])] },
    reference: { kind: 'linear-regression', weights: [...LINEAR_WEIGHTS], bias: LINEAR_BIAS },
    cases: [
      features('one row', [[1, 2, 3, 4]]),
      features('batch of four', [
        [0, 0, 0, 0],
        [-1.5, 0.25, 2, -3],
        [10, 4, -2.5, 1],
        [0.1, 0.2, 0.3, 0.4],
      ]),
    ],
  },
  {
    name: 'iris-classifier',
    description: 'ai.onnx.ml LinearClassifier, multinomial logistic regression on iris, SOFTMAX',
    build: () => irisClassifierModel(),
    signature: {
      inputs: [fp32('features', [-1, 4])],
      outputs: [int64('label', [-1]), fp32('probabilities', [-1, 3])],
    },
    reference: {
      kind: 'linear-classifier',
      coefficients: IRIS_COEFFICIENTS.map((row) => [...row]),
      intercepts: [...IRIS_INTERCEPTS],
      class_labels: [0, 1, 2],
      class_names: [...IRIS_CLASS_NAMES],
      post_transform: 'SOFTMAX',
    },
    cases: [features('one setosa', [IRIS_ROWS[0]]), features('eight flowers', IRIS_ROWS)],
  },
  {
    name: 'binary-logistic-regression',
    description: 'MatMul + Add + Sigmoid, probabilities [1 - p, p] by Sub and Concat, label by ArgMax',
    build: binaryLogisticRegressionModel,
    signature: {
      inputs: [fp32('features', [-1, 3])],
      outputs: [int64('label', [-1]), fp32('probabilities', [-1, 2])],
    },
    reference: { kind: 'binary-logistic-regression', weights: [...LOGISTIC_WEIGHTS], bias: LOGISTIC_BIAS },
    cases: [
      features('one row', [[1, 0.2, 0.5]]),
      features('batch of six', [
        [0, 0, 0],
        [-1, 1, 0],
        [1.2, -0.3, 0.8],
        [0.5, 0.25, -0.4],
        [-0.6, -1.1, 1.5],
        [0.3, 0.6, -1],
      ]),
    ],
  },
  {
    name: 'mlp-classifier',
    description: `MLP ${MLP_LAYER_SIZES.join(' → ')}: Gemm + Relu, Gemm + Relu, Gemm, Softmax; label by ArgMax`,
    build: mlpClassifierModel,
    signature: {
      inputs: [fp32('features', [-1, 6])],
      outputs: [int64('label', [-1]), fp32('probabilities', [-1, 4])],
    },
    reference: { kind: 'mlp', seed: MLP_SEED, layers: mlpLayers() },
    cases: [
      features('one row', randomRows(MLP_SEED + 1, 1, 6, 2)),
      features('batch of eight', randomRows(MLP_SEED + 2, 8, 6, 2)),
    ],
  },
  {
    name: 'tree-ensemble-classifier',
    description: 'ai.onnx.ml TreeEnsembleClassifier, a 3-tree random forest on iris, string labels, no ZipMap',
    build: treeEnsembleClassifierModel,
    signature: {
      inputs: [fp32('features', [-1, 4])],
      outputs: [bytes('label', [-1]), fp32('probabilities', [-1, 3])],
    },
    reference: treeReference('tree-ensemble-classifier', flattenTrees(treeClassifierTrees()), {
      class_labels: [...TREE_CLASSIFIER_CLASS_NAMES],
      post_transform: 'NONE',
    }),
    cases: [
      features('one virginica', [IRIS_ROWS[4]]),
      features('eight flowers', IRIS_ROWS),
      // Petal length and width exactly on the first split of trees 0 and 1: BRANCH_LEQ takes the
      // true branch (setosa); with a strict comparison the forest would say versicolor.
      features('on the thresholds', [[5.0, 3.0, 2.45, 0.8]]),
    ],
  },
  {
    name: 'tree-ensemble-regressor',
    description: 'ai.onnx.ml TreeEnsembleRegressor, 3 boosted trees, SUM + base value, LEQ/LT/GTE/GT splits',
    build: treeEnsembleRegressorModel,
    signature: { inputs: [fp32('features', [-1, 3])], outputs: [fp32('prediction', [-1, 1])] },
    reference: treeReference('tree-ensemble-regressor', flattenTrees(treeRegressorTrees()), {
      n_targets: 1,
      aggregate_function: 'SUM',
      base_values: [TREE_REGRESSOR_BASE_VALUE],
      post_transform: 'NONE',
    }),
    cases: [
      features('on the thresholds', [
        [0.5, -1.25, 3],
        [2, 0, 1.5],
        [-1, 0, 0],
      ]),
      features('batch of six', randomRows(7, 6, 3, 4)),
    ],
  },
];

// ---- files ----

/**
 * models/ beside this file; from the compiled copy (dist/tools/sample-models) it is the source
 * folder, since the build does not copy model files.
 */
export const SAMPLE_MODELS_DIR = [join(__dirname, 'models'), join(__dirname, '..', '..', '..', 'tools', 'sample-models', 'models')].find(
  (dir) => existsSync(join(dir, 'linear-regression.onnx')),
) ?? join(__dirname, 'models');

export function sampleModel(name: string): SampleModel {
  const model = SAMPLE_MODELS.find((m) => m.name === name);
  if (!model) throw new Error(`no sample model ${name}; known: ${SAMPLE_MODELS.map((m) => m.name).join(', ')}`);
  return model;
}

/** Absolute path of the committed models/<name>.onnx. */
export function sampleModelPath(name: string, dir = SAMPLE_MODELS_DIR): string {
  return join(dir, `${sampleModel(name).name}.onnx`);
}

export function sampleModelParamsPath(name: string, dir = SAMPLE_MODELS_DIR): string {
  return join(dir, `${sampleModel(name).name}.params.json`);
}

export function sampleModelExpectedPath(name: string, dir = SAMPLE_MODELS_DIR): string {
  return join(dir, `${sampleModel(name).name}.expected.json`);
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The text of models/<name>.params.json, which compute_expected.py reads. */
export function sampleModelParamsJson(model: SampleModel): string {
  const params = {
    model: model.name,
    description: model.description,
    onnx_sha256: sha256Hex(model.build()),
    signature: model.signature,
    reference: model.reference,
    cases: model.cases,
  };
  return `${formatJson(params)}\n`;
}

/** JSON with two-space indentation and arrays of plain values on one line (as compute_expected.py writes). */
export function formatJson(value: unknown, indent = 0): string {
  const pad = '  '.repeat(indent);
  const inner = '  '.repeat(indent + 1);
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) {
    return `[\n${value.map((v) => inner + formatJson(v, indent + 1)).join(',\n')}\n${pad}]`;
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
    const entries = Object.entries(value).filter(([, v]) => v !== undefined);
    if (entries.length === 0) return '{}';
    return `{\n${entries.map(([k, v]) => `${inner}${JSON.stringify(k)}: ${formatJson(v, indent + 1)}`).join(',\n')}\n${pad}}`;
  }
  if (Array.isArray(value)) return `[${value.map((v) => JSON.stringify(v)).join(', ')}]`;
  return JSON.stringify(value);
}

/** models/<name>.expected.json as compute_expected.py writes it. */
export interface ExpectedFile {
  readonly model: string;
  /** sha256 of the .params.json the outputs were computed from. */
  readonly params_sha256: string;
  readonly onnx_sha256: string;
  readonly cases: readonly {
    readonly name: string;
    readonly inputs: readonly SampleTensorJson[];
    readonly outputs: readonly SampleTensorJson[];
  }[];
}

export interface ExpectedCase {
  readonly name: string;
  readonly inputs: readonly SampleTensor[];
  readonly outputs: readonly SampleTensor[];
}

export function readExpectedFile(name: string, dir = SAMPLE_MODELS_DIR): ExpectedFile {
  return JSON.parse(readFileSync(sampleModelExpectedPath(name, dir), 'utf8')) as ExpectedFile;
}

/** The expected cases of one model, with typed tensors ready to feed a runtime. */
export function loadExpectedCases(name: string, dir = SAMPLE_MODELS_DIR): ExpectedCase[] {
  return readExpectedFile(name, dir).cases.map((c) => ({
    name: c.name,
    inputs: c.inputs.map(toSampleTensor),
    outputs: c.outputs.map(toSampleTensor),
  }));
}

export function toSampleTensor(json: SampleTensorJson): SampleTensor {
  const { name, datatype, shape, data } = json;
  switch (datatype) {
    case 'FP32':
      return { name, datatype, shape, data: Float32Array.from(data as number[]) };
    case 'INT64':
      return { name, datatype, shape, data: BigInt64Array.from((data as number[]).map((v) => BigInt(v))) };
    case 'BYTES':
      return { name, datatype, shape, data: (data as string[]).map((s) => Buffer.from(s, 'utf8')) };
    default:
      throw new Error(`sample tensor ${name}: unsupported datatype ${String(datatype)}`);
  }
}

/** Relative tolerance for FP32 outputs against the float64 NumPy reference. */
export const SAMPLE_FLOAT_RELATIVE_TOLERANCE = 1e-5;

/**
 * Compares one output with its expected value: same name, datatype and shape; labels (INT64,
 * BYTES) exactly, FP32 within SAMPLE_FLOAT_RELATIVE_TOLERANCE of the expected value. Returns a
 * description of the first difference, or undefined when they agree.
 */
export function describeOutputMismatch(
  actual: { readonly name: string; readonly datatype: string; readonly shape: readonly number[]; readonly data: unknown },
  expected: SampleTensor,
  relativeTolerance = SAMPLE_FLOAT_RELATIVE_TOLERANCE,
): string | undefined {
  const where = `output ${expected.name}`;
  if (actual.name !== expected.name) return `${where}: got a tensor named ${actual.name}`;
  if (actual.datatype !== expected.datatype) return `${where}: datatype ${actual.datatype}, expected ${expected.datatype}`;
  if (actual.shape.join(',') !== expected.shape.join(',')) {
    return `${where}: shape [${actual.shape.join(', ')}], expected [${expected.shape.join(', ')}]`;
  }
  const got = Array.from(actual.data as ArrayLike<unknown>);
  const want = Array.from(expected.data as ArrayLike<unknown>);
  if (got.length !== want.length) return `${where}: ${got.length} values, expected ${want.length}`;
  for (let i = 0; i < want.length; i++) {
    const [g, w] = [got[i], want[i]];
    if (expected.datatype === 'FP32') {
      if (typeof g !== 'number' || !(Math.abs(g - (w as number)) <= relativeTolerance * Math.abs(w as number))) {
        return `${where}[${i}]: ${String(g)}, expected ${String(w)} (relative tolerance ${relativeTolerance})`;
      }
    } else if (expected.datatype === 'BYTES') {
      if (!Buffer.isBuffer(g) && !(g instanceof Uint8Array)) return `${where}[${i}]: not bytes`;
      if (!Buffer.from(g).equals(w as Buffer)) {
        return `${where}[${i}]: "${Buffer.from(g).toString()}", expected "${(w as Buffer).toString()}"`;
      }
    } else if (g !== w) {
      return `${where}[${i}]: ${String(g)}, expected ${String(w)}`;
    }
  }
  return undefined;
}
