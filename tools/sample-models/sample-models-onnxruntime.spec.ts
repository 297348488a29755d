/** @jest-environment ./tools/sample-models/onnxruntime-jest-environment.cjs */
// Runs every committed sample model in onnxruntime-node and compares its outputs with the
// expected outputs computed independently with NumPy (compute_expected.py).
import * as ort from 'onnxruntime-node';
import {
  describeOutputMismatch,
  loadExpectedCases,
  SAMPLE_MODELS,
  SampleTensor,
  sampleModelPath,
} from './sample-model-catalog';

const ORT_TO_V2: Record<string, string> = { float32: 'FP32', int64: 'INT64', string: 'BYTES' };

function toOrt(tensor: SampleTensor): ort.Tensor {
  if (tensor.datatype !== 'FP32') throw new Error(`inputs are FP32, got ${tensor.datatype}`);
  return new ort.Tensor('float32', tensor.data as Float32Array, [...tensor.shape]);
}

function fromOrt(name: string, value: ort.Tensor) {
  const data = value.type === 'string' ? (value.data as string[]).map((s) => Buffer.from(s, 'utf8')) : value.data;
  return { name, datatype: ORT_TO_V2[value.type] ?? value.type, shape: [...value.dims], data };
}

describe.each(SAMPLE_MODELS.map((m) => [m.name, m] as const))('%s in onnxruntime-node', (name, model) => {
  let session: ort.InferenceSession;
  beforeAll(async () => {
    session = await ort.InferenceSession.create(sampleModelPath(name));
  });
  afterAll(async () => {
    await session?.release();
  });

  it('has the catalog signature', () => {
    const describe = (meta: readonly ort.InferenceSession.ValueMetadata[]) =>
      meta.map((m) => {
        if (!m.isTensor) return { name: m.name, datatype: 'not a tensor', shape: [] };
        return { name: m.name, datatype: ORT_TO_V2[m.type], shape: m.shape.map((d) => (typeof d === 'number' ? d : -1)) };
      });
    expect(describe(session.inputMetadata)).toEqual(model.signature.inputs);
    expect(describe(session.outputMetadata)).toEqual(model.signature.outputs);
  });

  it.each(loadExpectedCases(name).map((c) => [c.name, c] as const))('matches the NumPy outputs: %s', async (_, c) => {
    const feeds = Object.fromEntries(c.inputs.map((t) => [t.name, toOrt(t)]));
    const results = await session.run(feeds);
    expect(Object.keys(results)).toEqual(c.outputs.map((o) => o.name));
    for (const expected of c.outputs) {
      expect(describeOutputMismatch(fromOrt(expected.name, results[expected.name] as ort.Tensor), expected)).toBeUndefined();
    }
  });
});
