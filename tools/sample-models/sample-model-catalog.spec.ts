import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeOnnxModel } from './onnx-builder';
import {
  describeOutputMismatch,
  formatJson,
  loadExpectedCases,
  readExpectedFile,
  SAMPLE_MODELS,
  SAMPLE_MODELS_DIR,
  sampleModel,
  sampleModelParamsJson,
  sampleModelPath,
  sha256Hex,
  toSampleTensor,
} from './sample-model-catalog';
import { flattenTrees, mlpLayers, seededRandom, treeClassifierTrees } from './tabular-models';

const names = SAMPLE_MODELS.map((m) => m.name);

describe('sample model catalog', () => {
  it('lists the committed models, and models/ holds nothing else', () => {
    expect(names).toEqual([
      'linear-regression',
      'iris-classifier',
      'binary-logistic-regression',
      'mlp-classifier',
      'tree-ensemble-classifier',
      'tree-ensemble-regressor',
    ]);
    const expectedFiles = names.flatMap((n) => [`${n}.onnx`, `${n}.params.json`, `${n}.expected.json`]).sort();
    expect(readdirSync(SAMPLE_MODELS_DIR).sort()).toEqual(expectedFiles);
  });

  it.each(names)('%s: the committed .onnx and .params.json are what the builder writes', (name) => {
    const model = sampleModel(name);
    expect(Buffer.from(model.build()).equals(readFileSync(sampleModelPath(name)))).toBe(true);
    expect(readFileSync(join(SAMPLE_MODELS_DIR, `${name}.params.json`), 'utf8')).toBe(sampleModelParamsJson(model));
  });

  it.each(names)('%s: the expected outputs were computed from the committed parameters', (name) => {
    const expected = readExpectedFile(name);
    const params = readFileSync(join(SAMPLE_MODELS_DIR, `${name}.params.json`));
    // If this fails, run compute_expected.py again (see README.md).
    expect(expected.params_sha256).toBe(sha256Hex(params));
    expect(expected.onnx_sha256).toBe(sha256Hex(readFileSync(sampleModelPath(name))));
    expect(expected.model).toBe(name);
    const model = sampleModel(name);
    expect(expected.cases.map((c) => ({ name: c.name, inputs: c.inputs }))).toEqual(
      model.cases.map((c) => ({ name: c.name, inputs: c.inputs })),
    );
    for (const c of expected.cases) {
      expect(c.outputs.map((o) => o.name)).toEqual(model.signature.outputs.map((o) => o.name));
      expect(c.outputs.map((o) => o.datatype)).toEqual(model.signature.outputs.map((o) => o.datatype));
      const batch = c.inputs[0].shape[0];
      for (const [i, out] of c.outputs.entries()) {
        const declared = model.signature.outputs[i].shape;
        expect(out.shape).toEqual(declared.map((d) => (d === -1 ? batch : d)));
        expect(out.data).toHaveLength(out.shape.reduce((a, b) => a * b, 1));
      }
    }
  });

  it.each(names)('%s: the graph declares the catalog signature (batch as a symbolic dimension)', (name) => {
    const graph = decodeOnnxModel(sampleModel(name).build()).graph!;
    const elemTypes: Record<string, number> = { FP32: 1, INT64: 7, BYTES: 8 };
    const declared = (values: typeof graph.input) =>
      (values ?? []).map((v) => ({
        name: v.name,
        elemType: v.type?.tensor_type?.elem_type,
        shape: (v.type?.tensor_type?.shape?.dim ?? []).map((d) => d.dim_value ?? -1),
      }));
    const { signature } = sampleModel(name);
    const asDeclared = (specs: typeof signature.inputs) =>
      specs.map((s) => ({ name: s.name, elemType: elemTypes[s.datatype], shape: [...s.shape] }));
    expect(declared(graph.input)).toEqual(asDeclared(signature.inputs));
    expect(declared(graph.output)).toEqual(asDeclared(signature.outputs));
  });

  it('loads expected cases as typed tensors', () => {
    const [first] = loadExpectedCases('tree-ensemble-classifier');
    const [features] = first.inputs;
    const [label, probabilities] = first.outputs;
    expect(features.data).toBeInstanceOf(Float32Array);
    expect(label.datatype).toBe('BYTES');
    expect((label.data as Buffer[]).map((b) => b.toString())).toEqual(['virginica']);
    expect(probabilities.data).toBeInstanceOf(Float32Array);
    const [iris] = loadExpectedCases('iris-classifier');
    expect(iris.outputs[0].data).toEqual(BigInt64Array.from([0n]));
  });

  it('throws for an unknown model name', () => {
    expect(() => sampleModel('nope')).toThrow(/no sample model nope; known: linear-regression/);
  });
});

describe('describeOutputMismatch', () => {
  const expected = toSampleTensor({ name: 'p', datatype: 'FP32', shape: [1, 2], data: [0.25, 1e-6] });

  it('accepts floats within the relative tolerance', () => {
    const actual = { ...expected, data: Float32Array.from([0.25 * (1 + 5e-6), 1e-6 * (1 - 5e-6)]) };
    expect(describeOutputMismatch(actual, expected)).toBeUndefined();
  });

  it('refuses floats outside the relative tolerance, even tiny ones', () => {
    const actual = { ...expected, data: Float32Array.from([0.25, 1.1e-6]) };
    expect(describeOutputMismatch(actual, expected)).toMatch(/^output p\[1\]: .* expected 9\.99999997\d*e-7 \(relative tolerance 0\.00001\)/);
    expect(describeOutputMismatch({ ...expected, data: Float32Array.from([0.25, NaN]) }, expected)).toMatch(/p\[1\]: NaN/);
  });

  it('compares labels exactly, and names, datatypes and shapes', () => {
    const labels = toSampleTensor({ name: 'label', datatype: 'INT64', shape: [2], data: [1, 2] });
    expect(describeOutputMismatch({ ...labels, data: BigInt64Array.from([1n, 2n]) }, labels)).toBeUndefined();
    expect(describeOutputMismatch({ ...labels, data: BigInt64Array.from([1n, 3n]) }, labels)).toBe('output label[1]: 3, expected 2');
    const words = toSampleTensor({ name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] });
    expect(describeOutputMismatch({ ...words, data: [Buffer.from('virginica')] }, words)).toBe(
      'output label[0]: "virginica", expected "setosa"',
    );
    expect(describeOutputMismatch({ ...labels, name: 'other' }, labels)).toMatch(/named other/);
    expect(describeOutputMismatch({ ...labels, datatype: 'INT32' }, labels)).toMatch(/datatype INT32, expected INT64/);
    expect(describeOutputMismatch({ ...labels, shape: [1, 2] }, labels)).toMatch(/shape \[1, 2\], expected \[2\]/);
  });
});

describe('tabular model helpers', () => {
  it('seededRandom repeats for a seed and differs between seeds', () => {
    const a = seededRandom(1);
    const b = seededRandom(1);
    const c = seededRandom(2);
    const first = [a(), a(), a()];
    expect([b(), b(), b()]).toEqual(first);
    expect(c()).not.toBe(first[0]);
    expect(first.every((v) => v >= 0 && v < 1)).toBe(true);
  });

  it('flattenTrees numbers nodes in pre-order per tree and keeps the true branch first', () => {
    const flat = flattenTrees([
      { feature: 1, threshold: 0.5, whenTrue: { leaf: [1, 0] }, whenFalse: { leaf: [0, 2] } },
      { leaf: [0.5, 0.5] },
    ]);
    expect(flat).toEqual({
      nodes_treeids: [0, 0, 0, 1],
      nodes_nodeids: [0, 1, 2, 0],
      nodes_featureids: [1, 0, 0, 0],
      nodes_modes: ['BRANCH_LEQ', 'LEAF', 'LEAF', 'LEAF'],
      nodes_values: [0.5, 0, 0, 0],
      nodes_truenodeids: [1, 0, 0, 0],
      nodes_falsenodeids: [2, 0, 0, 0],
      leaf_treeids: [0, 0, 1, 1],
      leaf_nodeids: [1, 2, 0, 0],
      leaf_ids: [0, 1, 0, 1],
      leaf_weights: [1, 2, 0.5, 0.5],
    });
  });

  it('the forest leaves are class distributions averaged over its three trees', () => {
    const flat = flattenTrees(treeClassifierTrees());
    const perLeaf = new Map<string, number>();
    flat.leaf_weights.forEach((w, i) => {
      const key = `${flat.leaf_treeids[i]}/${flat.leaf_nodeids[i]}`;
      perLeaf.set(key, (perLeaf.get(key) ?? 0) + w);
    });
    for (const total of perLeaf.values()) expect(total).toBeCloseTo(1 / 3, 5);
  });

  it('the MLP has 6 → 16 → 8 → 4 layers with weights as [out][in]', () => {
    expect(mlpLayers().map((l) => [l.weight.length, l.weight[0].length, l.bias.length])).toEqual([
      [16, 6, 16],
      [8, 16, 8],
      [4, 8, 4],
    ]);
  });

  it('formatJson keeps arrays of plain values on one line', () => {
    expect(formatJson({ a: [1, 'x, y'], b: [{ c: null }] })).toBe(
      '{\n  "a": [1, "x, y"],\n  "b": [\n    {\n      "c": null\n    }\n  ]\n}',
    );
  });
});
