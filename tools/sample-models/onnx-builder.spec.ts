import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  attr,
  concatBytes,
  DataType,
  decodeOnnxModel,
  encodeOnnxModel,
  IRIS_CLASS_NAMES,
  irisClassifierModel,
  largeInitializerModel,
  largeInitializerModelChunks,
  largeInitializerModelLayout,
  LINEAR_BIAS,
  LINEAR_WEIGHTS,
  linearRegressionModel,
  node,
  SAMPLE_PRODUCER_NAME,
  SAMPLE_PRODUCER_VERSION,
  tensorType,
  valueInfo,
} from './onnx-builder';
import { SAMPLE_MODEL_FILES } from './write-sample-models';

function floatsOf(raw: Uint8Array | undefined): number[] {
  const bytes = Uint8Array.from(raw ?? []);
  const view = new DataView(bytes.buffer);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getFloat32(i * 4, true));
}

describe('sample models', () => {
  it.each(Object.keys(SAMPLE_MODEL_FILES))('the committed models/%s is what the builder writes', (file) => {
    const committed = readFileSync(join(__dirname, 'models', file));
    expect(Buffer.from(SAMPLE_MODEL_FILES[file]()).equals(committed)).toBe(true);
  });

  it('linear regression decodes back to the documented graph', () => {
    const model = decodeOnnxModel(linearRegressionModel());
    expect(model.ir_version).toBe(8);
    expect(model.producer_name).toBe(SAMPLE_PRODUCER_NAME);
    expect(model.producer_version).toBe(SAMPLE_PRODUCER_VERSION);
    expect(model.opset_import).toEqual([{ domain: '', version: 13 }]);
    expect(model.graph?.node?.map((n) => n.op_type)).toEqual(['MatMul', 'Add']);
    const [weights, bias] = model.graph?.initializer ?? [];
    expect(weights.dims).toEqual([4, 1]);
    expect(floatsOf(weights.raw_data)).toEqual([...LINEAR_WEIGHTS]);
    expect(floatsOf(bias.raw_data)).toEqual([LINEAR_BIAS]);
  });

  it('the iris classifier puts typical flowers of each species in the right class', () => {
    const model = decodeOnnxModel(irisClassifierModel());
    const classifier = model.graph?.node?.[0];
    expect(classifier?.op_type).toBe('LinearClassifier');
    expect(classifier?.domain).toBe('ai.onnx.ml');
    const attributes = Object.fromEntries((classifier?.attribute ?? []).map((a) => [a.name, a]));
    expect(Buffer.from(attributes.post_transform.s ?? []).toString()).toBe('SOFTMAX');
    const coefficients = attributes.coefficients.floats ?? [];
    const intercepts = attributes.intercepts.floats ?? [];
    // LinearClassifier: scores = X · coefficientsᵀ + intercepts, then softmax; label = argmax.
    const classify = (x: number[]) => {
      const scores = intercepts.map((b, c) => b + x.reduce((s, v, f) => s + v * coefficients[c * 4 + f], 0));
      return scores.indexOf(Math.max(...scores));
    };
    expect(classify([5.1, 3.5, 1.4, 0.2])).toBe(0);
    expect(classify([5.7, 2.8, 4.1, 1.3])).toBe(1);
    expect(classify([6.9, 3.2, 5.7, 2.3])).toBe(2);
    expect(IRIS_CLASS_NAMES[classify([6.3, 3.3, 6.0, 2.5])]).toBe('virginica');
  });

  it('the ZipMap variant declares seq(map(int64, tensor(float)))', () => {
    const output = decodeOnnxModel(irisClassifierModel({ zipMap: true })).graph?.output?.[1];
    expect(output?.type).toEqual({
      sequence_type: { elem_type: { map_type: { key_type: DataType.INT64, value_type: tensorType('FLOAT') } } },
    });
  });
});

describe('large initializer model', () => {
  it('rounds the requested size up to whole embedding rows', () => {
    expect(largeInitializerModelLayout({ initializerBytes: 1000, embeddingDim: 16 })).toEqual({
      vocabularySize: 16,
      embeddingDim: 16,
      initializerBytes: 1024,
    });
  });

  it('streams exactly the bytes protobufjs writes for the whole model in one go', () => {
    const options = { initializerBytes: 10_000, embeddingDim: 10, chunkBytes: 512 };
    const chunks = [...largeInitializerModelChunks(options)].map((c) => c.slice());
    const raw = concatBytes(chunks.slice(1, -1));
    const { vocabularySize } = largeInitializerModelLayout(options);
    expect(raw.length).toBe(vocabularySize * 10 * 4);
    expect(chunks.slice(1, -1).every((c) => c.length <= 512)).toBe(true);

    const oneShot = encodeOnnxModel({
      ir_version: 8,
      producer_name: SAMPLE_PRODUCER_NAME,
      producer_version: SAMPLE_PRODUCER_VERSION,
      graph: {
        node: [node('Gather', ['embedding', 'token_ids'], ['embeddings'], { name: 'lookup', attribute: [attr.int('axis', 0)] })],
        name: 'embedding_lookup',
        initializer: [{ dims: [vocabularySize, 10], data_type: DataType.FLOAT, name: 'embedding', raw_data: raw }],
        input: [valueInfo('token_ids', tensorType('INT64', ['batch', 'sequence']))],
        output: [valueInfo('embeddings', tensorType('FLOAT', ['batch', 'sequence', 10]))],
      },
      opset_import: [{ domain: '', version: 13 }],
    });
    expect(Buffer.from(concatBytes(chunks)).equals(Buffer.from(oneShot))).toBe(true);
    expect(Buffer.from(largeInitializerModel(options)).equals(Buffer.from(oneShot))).toBe(true);
  });

  it('keeps multi-byte length prefixes right for a 64 MiB initializer', () => {
    const model = decodeOnnxModel(largeInitializerModel({ initializerBytes: 64 * 1024 * 1024 }));
    const embedding = model.graph?.initializer?.[0];
    expect(embedding?.dims).toEqual([65536, 256]);
    expect(embedding?.raw_data?.length).toBe(64 * 1024 * 1024);
    expect(model.graph?.output?.[0].name).toBe('embeddings');
    expect(model.opset_import).toEqual([{ domain: '', version: 13 }]);
  });
});
