import { inferenceProto, type ModelInferRequest, type ModelInferResponse } from '@modelport/proto';
import type { Tensor } from './datatype';
import { decodeInferInputs, decodeInferOutputs, encodeInferInputs, encodeInferOutputs } from './infer-messages';
import { toContents } from './contents-codec';
import { expectTensorError, sampleTensors, typedSampleTensors } from './sample-tensors.fixture';

/** Serializes a request the way a client does and decodes it the way the gRPC server does. */
function wireRequest(req: ModelInferRequest) {
  const type = inferenceProto().inference.ModelInferRequest;
  return type.deserialize(type.serialize({ model_name: 'm', ...req }));
}

function wireResponse(res: ModelInferResponse) {
  const type = inferenceProto().inference.ModelInferResponse;
  return type.deserialize(type.serialize({ model_name: 'm', ...res }));
}

const fp32 = (name: string, values: number[]): Tensor => ({ name, datatype: 'FP32', shape: [values.length], data: new Float32Array(values) });

describe('ModelInferRequest inputs', () => {
  it('round-trips every datatype raw through the real gRPC serialization', () => {
    const inputs = sampleTensors({ full64: true });
    const encoded = encodeInferInputs(inputs, 'raw');
    expect(encoded.raw_input_contents).toHaveLength(inputs.length);
    expect(encoded.inputs.every((i) => i.contents === undefined)).toBe(true);
    expect(decodeInferInputs(wireRequest(encoded))).toEqual({ inputs, encoding: 'raw' });
  });

  it('round-trips every typed datatype as typed contents through the real gRPC serialization', () => {
    const inputs = typedSampleTensors();
    const encoded = encodeInferInputs(inputs, 'typed');
    expect(encoded.raw_input_contents).toEqual([]);
    expect(decodeInferInputs(wireRequest(encoded))).toEqual({ inputs, encoding: 'typed' });
  });

  it('sends every input raw when typed is asked but one input is FP16 or BF16', () => {
    const inputs = [fp32('a', [1, 2]), sampleTensors({ full64: false }).find((t) => t.datatype === 'FP16')!];
    const encoded = encodeInferInputs(inputs, 'typed');
    expect(encoded.raw_input_contents).toHaveLength(2);
    expect(encoded.inputs.map((i) => i.contents)).toEqual([undefined, undefined]);
    expect(decodeInferInputs(wireRequest(encoded))).toEqual({ inputs, encoding: 'raw' });
  });

  it('decodes raw inputs from the wire whatever their offset in the message', () => {
    const decoded = decodeInferInputs(
      wireRequest({
        id: 'odd',
        inputs: [
          { name: 'a', datatype: 'UINT8', shape: [3] },
          { name: 'b', datatype: 'FP64', shape: [2] },
        ],
        raw_input_contents: [Buffer.from([1, 2, 3]), Buffer.from(new Float64Array([0.5, -8]).buffer)],
      }),
    );
    expect(decoded.inputs[1]!.data).toEqual(new Float64Array([0.5, -8]));
  });

  it('rejects an input with typed contents when raw contents are used (MIXED_CONTENTS)', () => {
    const req = wireRequest({
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1] },
        { name: 'b', datatype: 'FP32', shape: [1], contents: { fp32_contents: [1] } },
      ],
      raw_input_contents: [Buffer.alloc(4), Buffer.alloc(4)],
    });
    expectTensorError(() => decodeInferInputs(req), 'MIXED_CONTENTS', "'b'", 'typed contents', 'raw_input_contents', 'not both');
  });

  it('rejects raw_input_contents whose count differs from the inputs', () => {
    const two = [
      { name: 'a', datatype: 'FP32', shape: [1] },
      { name: 'b', datatype: 'FP32', shape: [1] },
    ];
    expectTensorError(() => decodeInferInputs(wireRequest({ inputs: two, raw_input_contents: [Buffer.alloc(4)] })), 'RAW_COUNT_MISMATCH', '2 inputs but 1 raw_input_contents', 'exactly one entry per input');
    expectTensorError(
      () => decodeInferInputs(wireRequest({ inputs: two, raw_input_contents: [Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4)] })),
      'RAW_COUNT_MISMATCH',
      '2 inputs but 3 raw_input_contents',
    );
  });

  it('rejects an input with neither raw nor typed contents (MISSING_DATA)', () => {
    const req = wireRequest({
      inputs: [
        { name: 'a', datatype: 'FP32', shape: [1], contents: toContents(fp32('a', [1])) },
        { name: 'b', datatype: 'FP32', shape: [1] },
      ],
    });
    expectTensorError(() => decodeInferInputs(req), 'MISSING_DATA', "'b'", 'neither', 'raw_input_contents', 'typed contents');
  });

  it('applies the request shape rules and limits to every input', () => {
    expectTensorError(
      () => decodeInferInputs(wireRequest({ inputs: [{ name: 'e', datatype: 'FP32', shape: [0] }], raw_input_contents: [Buffer.alloc(0)] })),
      'BAD_SHAPE',
      "'e'",
      'Modelport serves non-empty tensors',
    );
    expectTensorError(
      () => decodeInferInputs(wireRequest({ inputs: [{ name: 'w', datatype: 'FP32', shape: [2147483648] }], raw_input_contents: [Buffer.alloc(4)] })),
      'BAD_SHAPE',
      "'w'",
      '2147483648',
    );
    expectTensorError(
      () => decodeInferInputs(wireRequest({ inputs: [{ name: 'big', datatype: 'FP32', shape: [8] }], raw_input_contents: [Buffer.alloc(32)] }), { maxElements: 4, maxBytes: 1024 }),
      'TOO_LARGE',
      "'big'",
    );
    expectTensorError(
      () => decodeInferInputs(wireRequest({ inputs: [{ name: 'h', datatype: 'FP16', shape: [1], contents: { fp32_contents: [1] } }] })),
      'NO_TYPED_FORM',
      "'h'",
    );
  });
});

describe('ModelInferResponse outputs', () => {
  it('round-trips every datatype raw through the real gRPC serialization', () => {
    const outputs = sampleTensors({ full64: true });
    const encoded = encodeInferOutputs(outputs, 'raw');
    expect(decodeInferOutputs(wireResponse(encoded))).toEqual(outputs);
  });

  it('round-trips typed outputs, and falls back to raw for all when one is BF16', () => {
    const typed = typedSampleTensors();
    const encoded = encodeInferOutputs(typed, 'typed');
    expect(encoded.raw_output_contents).toEqual([]);
    expect(decodeInferOutputs(wireResponse(encoded))).toEqual(typed);

    const mixed = [...typed, sampleTensors({ full64: false }).find((t) => t.datatype === 'BF16')!];
    const fallback = encodeInferOutputs(mixed, 'typed');
    expect(fallback.raw_output_contents).toHaveLength(mixed.length);
    expect(fallback.outputs.every((o) => o.contents === undefined)).toBe(true);
    expect(decodeInferOutputs(wireResponse(fallback))).toEqual(mixed);
  });

  it('carries empty outputs (a zero-size dimension), raw and typed', () => {
    const empty: Tensor = { name: 'boxes', datatype: 'FP32', shape: [0, 4], data: new Float32Array(0) };
    expect(decodeInferOutputs(wireResponse(encodeInferOutputs([empty], 'raw')))).toEqual([empty]);
    expect(decodeInferOutputs(wireResponse(encodeInferOutputs([empty], 'typed')))).toEqual([empty]);
  });

  it('rejects an inconsistent output tensor from a plugin', () => {
    expectTensorError(() => encodeInferOutputs([{ name: 'y', datatype: 'FP32', shape: [3], data: new Float32Array(2) }], 'raw'), 'SIZE_MISMATCH', "'y'");
  });

  it('rejects a response whose raw contents do not match its outputs', () => {
    const res = wireResponse({ outputs: [{ name: 'y', datatype: 'FP32', shape: [1] }], raw_output_contents: [Buffer.alloc(4), Buffer.alloc(4)] });
    expectTensorError(() => decodeInferOutputs(res), 'RAW_COUNT_MISMATCH', '1 outputs but 2 raw_output_contents');
    expectTensorError(() => decodeInferOutputs(wireResponse({ outputs: [{ name: 'y', datatype: 'FP32', shape: [2] }] })), 'MISSING_DATA', "'y'");
  });
});
