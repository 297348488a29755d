// Small classic models written with real ONNX operators: a binary logistic regression, an MLP and
// two ai.onnx.ml tree ensembles. Every parameter is a fixed decimal (or drawn from a seeded
// generator and rounded), so the files are byte for byte reproducible, and the same numbers are
// exported as JSON for the NumPy reference in compute_expected.py.
import {
  attr,
  encodeOnnxModel,
  floatTensor,
  node,
  SAMPLE_PRODUCER_NAME,
  SAMPLE_PRODUCER_VERSION,
  tensorType,
  valueInfo,
} from './onnx-builder';

// ---- deterministic numbers ----

/** mulberry32: a tiny seeded generator of floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Rounds to `decimals` places; the model stores the float32 nearest to the result. */
export function roundTo(value: number, decimals = 4): number {
  const scale = 10 ** decimals;
  const rounded = Math.round(value * scale) / scale;
  return rounded === 0 ? 0 : rounded; // no -0 in the JSON
}

/** rows x cols uniform values in [-limit, limit], rounded to 4 decimals. */
function uniformMatrix(random: () => number, rows: number, cols: number, limit: number): number[][] {
  return Array.from({ length: rows }, () =>
    Array.from({ length: cols }, () => roundTo((random() * 2 - 1) * limit)),
  );
}

// ---- binary logistic regression: MatMul + Add + Sigmoid, label by ArgMax ----

/**
 * P(positive) = sigmoid(features · LOGISTIC_WEIGHTS + LOGISTIC_BIAS) over three standardised
 * features (think income, debt ratio, years as a customer).
 */
export const LOGISTIC_WEIGHTS = [1.5, -2, 0.75] as const;
export const LOGISTIC_BIAS = -0.25;

/**
 * Input `features` FLOAT ['batch', 3]; outputs `label` INT64 ['batch'] (0 or 1) and
 * `probabilities` FLOAT ['batch', 2] ([1 - p, p]). Graph: MatMul, Add, Sigmoid, Sub (1 - p),
 * Concat, ArgMax(axis 1, keepdims 0). IR 8, opset 13. Other weights give a challenger of the same signature.
 */
export function binaryLogisticRegressionModel(weights: readonly number[] = LOGISTIC_WEIGHTS, bias: number = LOGISTIC_BIAS): Uint8Array {
  if (weights.length !== 3) throw new Error(`the logistic regression takes 3 weights, got ${weights.length}`);
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      name: 'binary_logistic_regression',
      node: [
        node('MatMul', ['features', 'weights'], ['logit_raw'], { name: 'matmul' }),
        node('Add', ['logit_raw', 'bias'], ['logit'], { name: 'add_bias' }),
        node('Sigmoid', ['logit'], ['p_positive'], { name: 'sigmoid' }),
        node('Sub', ['one', 'p_positive'], ['p_negative'], { name: 'one_minus_p' }),
        node('Concat', ['p_negative', 'p_positive'], ['probabilities'], {
          name: 'concat',
          attribute: [attr.int('axis', 1)],
        }),
        node('ArgMax', ['probabilities'], ['label'], {
          name: 'argmax',
          attribute: [attr.int('axis', 1), attr.int('keepdims', 0)],
        }),
      ],
      initializer: [
        floatTensor('weights', [3, 1], [...weights]),
        floatTensor('bias', [1], [bias]),
        floatTensor('one', [1], [1]),
      ],
      input: [valueInfo('features', tensorType('FLOAT', ['batch', 3]))],
      output: [
        valueInfo('label', tensorType('INT64', ['batch'])),
        valueInfo('probabilities', tensorType('FLOAT', ['batch', 2])),
      ],
    },
    opset_import: [{ domain: '', version: 13 }],
  });
}

// ---- MLP: Gemm + Relu + Gemm + Relu + Gemm + Softmax, label by ArgMax ----

export const MLP_SEED = 20240613;
export const MLP_LAYER_SIZES = [6, 16, 8, 4] as const;

export interface DenseLayer {
  /** [out][in], as PyTorch's nn.Linear stores it (Gemm transB = 1). */
  readonly weight: readonly (readonly number[])[];
  readonly bias: readonly number[];
}

/** The MLP's layers: uniform Glorot-style weights from seededRandom(MLP_SEED), rounded to 4 decimals. */
export function mlpLayers(): DenseLayer[] {
  const random = seededRandom(MLP_SEED);
  const layers: DenseLayer[] = [];
  for (let i = 1; i < MLP_LAYER_SIZES.length; i++) {
    const fanIn = MLP_LAYER_SIZES[i - 1];
    const fanOut = MLP_LAYER_SIZES[i];
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    const weight = uniformMatrix(random, fanOut, fanIn, limit);
    const bias = uniformMatrix(random, 1, fanOut, 0.1)[0];
    layers.push({ weight, bias });
  }
  return layers;
}

/**
 * Input `features` FLOAT ['batch', 6]; outputs `label` INT64 ['batch'] (class 0-3) and
 * `probabilities` FLOAT ['batch', 4]. Layers 6 → 16 → 8 → 4: Gemm(transB 1) + Relu twice, then
 * Gemm, Softmax(axis 1) and ArgMax of the logits. IR 8, opset 13.
 */
export function mlpClassifierModel(): Uint8Array {
  const layers = mlpLayers();
  const nodes = [];
  const initializer = [];
  let current = 'features';
  for (const [i, layer] of layers.entries()) {
    const last = i === layers.length - 1;
    const gemmOut = last ? 'logits' : `hidden${i + 1}_linear`;
    initializer.push(
      floatTensor(`layer${i + 1}.weight`, [layer.weight.length, layer.weight[0].length], layer.weight.flat()),
      floatTensor(`layer${i + 1}.bias`, [layer.bias.length], [...layer.bias]),
    );
    nodes.push(
      node('Gemm', [current, `layer${i + 1}.weight`, `layer${i + 1}.bias`], [gemmOut], {
        name: `gemm${i + 1}`,
        attribute: [attr.int('transB', 1)],
      }),
    );
    if (!last) {
      current = `hidden${i + 1}`;
      nodes.push(node('Relu', [gemmOut], [current], { name: `relu${i + 1}` }));
    }
  }
  nodes.push(
    node('Softmax', ['logits'], ['probabilities'], { name: 'softmax', attribute: [attr.int('axis', 1)] }),
    node('ArgMax', ['logits'], ['label'], {
      name: 'argmax',
      attribute: [attr.int('axis', 1), attr.int('keepdims', 0)],
    }),
  );
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      name: 'mlp_classifier',
      node: nodes,
      initializer,
      input: [valueInfo('features', tensorType('FLOAT', ['batch', MLP_LAYER_SIZES[0]]))],
      output: [
        valueInfo('label', tensorType('INT64', ['batch'])),
        valueInfo('probabilities', tensorType('FLOAT', ['batch', MLP_LAYER_SIZES[MLP_LAYER_SIZES.length - 1]])),
      ],
    },
    opset_import: [{ domain: '', version: 13 }],
  });
}

// ---- tree ensembles (ai.onnx.ml) ----

export type BranchMode = 'BRANCH_LEQ' | 'BRANCH_LT' | 'BRANCH_GTE' | 'BRANCH_GT' | 'BRANCH_EQ' | 'BRANCH_NEQ';

/** A decision tree written as nested splits; `whenTrue` is taken when `x[feature] <mode> threshold`. */
export type TreeSpec =
  | {
      readonly feature: number;
      readonly threshold: number;
      readonly mode?: BranchMode;
      readonly whenTrue: TreeSpec;
      readonly whenFalse: TreeSpec;
    }
  | { readonly leaf: readonly number[] };

/** The nodes_* and leaf (class_* or target_*) attributes of a TreeEnsemble* node, as plain arrays. */
export interface TreeEnsembleAttributes {
  nodes_treeids: number[];
  nodes_nodeids: number[];
  nodes_featureids: number[];
  nodes_modes: string[];
  nodes_values: number[];
  nodes_truenodeids: number[];
  nodes_falsenodeids: number[];
  leaf_treeids: number[];
  leaf_nodeids: number[];
  leaf_ids: number[];
  leaf_weights: number[];
}

/**
 * Flattens trees into ONNX tree-ensemble attributes: node ids in pre-order (the root is node 0 of
 * its tree), leaves have mode LEAF with feature 0 and value 0, child ids of leaves are 0, and a
 * leaf contributes one weight per non-zero entry of its `leaf` vector (the id is the index).
 */
export function flattenTrees(trees: readonly TreeSpec[]): TreeEnsembleAttributes {
  const out: TreeEnsembleAttributes = {
    nodes_treeids: [],
    nodes_nodeids: [],
    nodes_featureids: [],
    nodes_modes: [],
    nodes_values: [],
    nodes_truenodeids: [],
    nodes_falsenodeids: [],
    leaf_treeids: [],
    leaf_nodeids: [],
    leaf_ids: [],
    leaf_weights: [],
  };
  trees.forEach((tree, treeId) => {
    let nextId = 0;
    const visit = (spec: TreeSpec): number => {
      const id = nextId++;
      const slot = out.nodes_nodeids.length;
      out.nodes_treeids.push(treeId);
      out.nodes_nodeids.push(id);
      if ('leaf' in spec) {
        out.nodes_featureids.push(0);
        out.nodes_modes.push('LEAF');
        out.nodes_values.push(0);
        out.nodes_truenodeids.push(0);
        out.nodes_falsenodeids.push(0);
        spec.leaf.forEach((weight, index) => {
          if (weight === 0) return;
          out.leaf_treeids.push(treeId);
          out.leaf_nodeids.push(id);
          out.leaf_ids.push(index);
          out.leaf_weights.push(weight);
        });
        return id;
      }
      out.nodes_featureids.push(spec.feature);
      out.nodes_modes.push(spec.mode ?? 'BRANCH_LEQ');
      out.nodes_values.push(spec.threshold);
      out.nodes_truenodeids.push(-1);
      out.nodes_falsenodeids.push(-1);
      out.nodes_truenodeids[slot] = visit(spec.whenTrue);
      out.nodes_falsenodeids[slot] = visit(spec.whenFalse);
      return id;
    };
    visit(tree);
  });
  return out;
}

/** Class distribution of the training samples in a leaf, as fractions divided by the number of trees. */
function forestLeaf(counts: readonly number[], treeCount: number): TreeSpec {
  const total = counts.reduce((a, b) => a + b, 0);
  return { leaf: counts.map((c) => roundTo(c / total / treeCount, 6)) };
}

export const TREE_CLASSIFIER_CLASS_NAMES = ['setosa', 'versicolor', 'virginica'] as const;

/**
 * A three-tree random forest on the iris features (sepal length, sepal width, petal length, petal
 * width in cm), written by hand in the shape scikit-learn grows: BRANCH_LEQ splits, leaves holding
 * the class distribution of their training samples divided by the number of trees, so the summed
 * scores are the averaged probabilities.
 */
export function treeClassifierTrees(): TreeSpec[] {
  const leaf = (counts: number[]) => forestLeaf(counts, 3);
  return [
    {
      feature: 2,
      threshold: 2.45,
      whenTrue: leaf([50, 0, 0]),
      whenFalse: {
        feature: 3,
        threshold: 1.75,
        whenTrue: {
          feature: 2,
          threshold: 4.95,
          whenTrue: leaf([0, 47, 1]),
          whenFalse: leaf([0, 2, 4]),
        },
        whenFalse: leaf([0, 1, 45]),
      },
    },
    {
      feature: 3,
      threshold: 0.8,
      whenTrue: leaf([49, 0, 0]),
      whenFalse: {
        feature: 2,
        threshold: 4.85,
        whenTrue: {
          feature: 0,
          threshold: 4.95,
          whenTrue: leaf([0, 1, 2]),
          whenFalse: leaf([0, 44, 1]),
        },
        whenFalse: {
          feature: 3,
          threshold: 1.65,
          whenTrue: leaf([0, 4, 3]),
          whenFalse: leaf([0, 1, 44]),
        },
      },
    },
    {
      feature: 2,
      threshold: 2.6,
      whenTrue: leaf([51, 0, 0]),
      whenFalse: {
        feature: 1,
        threshold: 2.25,
        whenTrue: leaf([0, 4, 1]),
        whenFalse: {
          feature: 3,
          threshold: 1.7,
          whenTrue: leaf([0, 42, 3]),
          whenFalse: leaf([0, 2, 47]),
        },
      },
    },
  ];
}

/**
 * ai.onnx.ml TreeEnsembleClassifier (opset 3) with string class labels and post_transform NONE, no
 * ZipMap: input `features` FLOAT ['batch', 4]; outputs `label` STRING ['batch'] (setosa, versicolor,
 * virginica) and `probabilities` FLOAT ['batch', 3]. IR 8, opsets '' 13 and ai.onnx.ml 3.
 */
export function treeEnsembleClassifierModel(): Uint8Array {
  const t = flattenTrees(treeClassifierTrees());
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      name: 'tree_ensemble_classifier',
      node: [
        node('TreeEnsembleClassifier', ['features'], ['label', 'probabilities'], {
          name: 'random_forest',
          domain: 'ai.onnx.ml',
          attribute: [
            ...treeNodeAttributes(t),
            attr.ints('class_treeids', t.leaf_treeids),
            attr.ints('class_nodeids', t.leaf_nodeids),
            attr.ints('class_ids', t.leaf_ids),
            attr.floats('class_weights', t.leaf_weights),
            attr.strings('classlabels_strings', [...TREE_CLASSIFIER_CLASS_NAMES]),
            attr.string('post_transform', 'NONE'),
          ],
        }),
      ],
      input: [valueInfo('features', tensorType('FLOAT', ['batch', 4]))],
      output: [
        valueInfo('label', tensorType('STRING', ['batch'])),
        valueInfo('probabilities', tensorType('FLOAT', ['batch', 3])),
      ],
    },
    opset_import: [
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
  });
}

/** Starting score of the boosted regressor (the mean target of its imaginary training set). */
export const TREE_REGRESSOR_BASE_VALUE = 2.5;

/**
 * Three boosted regression trees (learning rate folded into the leaf values) over three features.
 * The second tree splits with BRANCH_LT and the third with BRANCH_GTE and BRANCH_GT, so the reference
 * implementation has to honour each comparison, including at the thresholds themselves.
 */
export function treeRegressorTrees(): TreeSpec[] {
  return [
    {
      feature: 0,
      threshold: 0.5,
      whenTrue: { feature: 1, threshold: -1.25, whenTrue: { leaf: [-1.125] }, whenFalse: { leaf: [-0.375] } },
      whenFalse: { feature: 2, threshold: 3, whenTrue: { leaf: [0.4375] }, whenFalse: { leaf: [1.25] } },
    },
    {
      feature: 2,
      threshold: 1.5,
      mode: 'BRANCH_LT',
      whenTrue: { leaf: [-0.3] },
      whenFalse: {
        feature: 0,
        threshold: 2,
        mode: 'BRANCH_LT',
        whenTrue: { leaf: [0.15] },
        whenFalse: { leaf: [0.6] },
      },
    },
    {
      feature: 1,
      threshold: 0,
      mode: 'BRANCH_GTE',
      whenTrue: { feature: 0, threshold: -1, mode: 'BRANCH_GT', whenTrue: { leaf: [0.05] }, whenFalse: { leaf: [-0.2] } },
      whenFalse: { leaf: [0.125] },
    },
  ];
}

/**
 * ai.onnx.ml TreeEnsembleRegressor (opset 3), aggregate SUM with a base value, post_transform NONE:
 * input `features` FLOAT ['batch', 3]; output `prediction` FLOAT ['batch', 1]. IR 8, opsets '' 13
 * and ai.onnx.ml 3.
 */
export function treeEnsembleRegressorModel(): Uint8Array {
  const t = flattenTrees(treeRegressorTrees());
  return encodeOnnxModel({
    ir_version: 8,
    producer_name: SAMPLE_PRODUCER_NAME,
    producer_version: SAMPLE_PRODUCER_VERSION,
    graph: {
      name: 'tree_ensemble_regressor',
      node: [
        node('TreeEnsembleRegressor', ['features'], ['prediction'], {
          name: 'boosted_trees',
          domain: 'ai.onnx.ml',
          attribute: [
            ...treeNodeAttributes(t),
            attr.ints('target_treeids', t.leaf_treeids),
            attr.ints('target_nodeids', t.leaf_nodeids),
            attr.ints('target_ids', t.leaf_ids),
            attr.floats('target_weights', t.leaf_weights),
            attr.int('n_targets', 1),
            attr.string('aggregate_function', 'SUM'),
            attr.floats('base_values', [TREE_REGRESSOR_BASE_VALUE]),
            attr.string('post_transform', 'NONE'),
          ],
        }),
      ],
      input: [valueInfo('features', tensorType('FLOAT', ['batch', 3]))],
      output: [valueInfo('prediction', tensorType('FLOAT', ['batch', 1]))],
    },
    opset_import: [
      { domain: '', version: 13 },
      { domain: 'ai.onnx.ml', version: 3 },
    ],
  });
}

function treeNodeAttributes(t: TreeEnsembleAttributes) {
  return [
    attr.ints('nodes_treeids', t.nodes_treeids),
    attr.ints('nodes_nodeids', t.nodes_nodeids),
    attr.ints('nodes_featureids', t.nodes_featureids),
    attr.strings('nodes_modes', t.nodes_modes),
    attr.floats('nodes_values', t.nodes_values),
    attr.ints('nodes_truenodeids', t.nodes_truenodeids),
    attr.ints('nodes_falsenodeids', t.nodes_falsenodeids),
  ];
}
