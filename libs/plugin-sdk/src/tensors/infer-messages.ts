import type { ModelInferRequest, ModelInferRequest__Output, ModelInferResponse, ModelInferResponse__Output } from '@modelport/proto';
import { decodeContents, hasTypedValues, toContents } from './contents-codec';
import type { Tensor } from './datatype';
import { decodeRaw, toRaw } from './raw-codec';
import { DEFAULT_TENSOR_LIMITS, requestRules, responseRules, type ShapeRules, type TensorLimits } from './shape';
import { TensorError, tensorLabel } from './tensor.errors';

/** An input tensor of a ModelInferRequest, as given to the gRPC serializer. */
export type InferInputTensor = NonNullable<ModelInferRequest['inputs']>[number];
/** An output tensor of a ModelInferResponse, as given to the gRPC serializer. */
export type InferOutputTensor = NonNullable<ModelInferResponse['outputs']>[number];
/** How a message carried its tensors: raw_*_contents, or typed contents. */
export type TensorEncoding = 'raw' | 'typed';

type WireTensor = ModelInferRequest__Output['inputs'][number] | ModelInferResponse__Output['outputs'][number];

/**
 * Decodes the inputs of a V2 request. raw_input_contents is all or nothing:
 * when used, it has exactly one entry per input and no input carries typed
 * contents (MIXED_CONTENTS); otherwise every input carries typed contents
 * (MISSING_DATA). Shapes follow the request rules (see elementCount).
 */
export function decodeInferInputs(req: ModelInferRequest__Output, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): { inputs: Tensor[]; encoding: TensorEncoding } {
  const { tensors, encoding } = decodeTensors(req.inputs ?? [], req.raw_input_contents ?? [], 'input', requestRules(limits));
  return { inputs: tensors, encoding };
}

/**
 * Decodes the outputs of a V2 response, the inverse of encodeInferOutputs.
 * Zero-size dimensions are accepted here: a model may produce empty tensors.
 */
export function decodeInferOutputs(res: ModelInferResponse__Output, limits: TensorLimits = DEFAULT_TENSOR_LIMITS): Tensor[] {
  return decodeTensors(res.outputs ?? [], res.raw_output_contents ?? [], 'output', responseRules(limits)).tensors;
}

function decodeTensors(
  wire: readonly WireTensor[],
  raw: readonly Buffer[],
  role: 'input' | 'output',
  rules: ShapeRules,
): { tensors: Tensor[]; encoding: TensorEncoding } {
  const field = `raw_${role}_contents`;
  const tensors = new Array<Tensor>(wire.length);
  if (raw.length > 0) {
    if (raw.length !== wire.length) {
      const first = wire[Math.min(raw.length, wire.length - 1)]?.name ?? '';
      throw new TensorError(
        raw.length < wire.length ? first : '',
        'RAW_COUNT_MISMATCH',
        `The ${role === 'input' ? 'request' : 'response'} has ${wire.length} ${role}s but ${raw.length} ${field} entries; when ${field} is used it must hold exactly one entry per ${role}, in order.`,
      );
    }
    for (let i = 0; i < wire.length; i++) {
      const t = wire[i]!;
      if (hasTypedValues(t.contents)) {
        throw new TensorError(
          t.name,
          'MIXED_CONTENTS',
          `${tensorLabel(t.name)} carries typed contents while the ${role}s travel in ${field}; send every ${role} raw or every ${role} typed, not both.`,
        );
      }
      tensors[i] = decodeRaw(t.name, t.datatype, t.shape, raw[i]!, rules);
    }
    return { tensors, encoding: 'raw' };
  }
  for (let i = 0; i < wire.length; i++) {
    const t = wire[i]!;
    if (!hasTypedValues(t.contents) && !(rules.allowEmpty && t.shape?.includes(0))) {
      throw new TensorError(
        t.name,
        'MISSING_DATA',
        `${tensorLabel(t.name)} has no data: neither an entry in ${field} nor typed contents (e.g. fp32_contents for FP32).`,
      );
    }
    tensors[i] = decodeContents(t.name, t.datatype, t.shape, t.contents, rules);
  }
  return { tensors, encoding: 'typed' };
}

/**
 * Encodes a plugin's outputs for a ModelInferResponse. With 'typed', FP16 and
 * BF16 (which have no typed form) make every output raw, since V2 forbids
 * mixing. Raw contents of fixed-size tensors are views of their data.
 */
export function encodeInferOutputs(outputs: readonly Tensor[], encoding: TensorEncoding): { outputs: InferOutputTensor[]; raw_output_contents: Buffer[] } {
  const { tensors, raw } = encodeTensors(outputs, encoding);
  return { outputs: tensors, raw_output_contents: raw };
}

/** Encodes inputs for a ModelInferRequest (the gateway calling a plugin); same rules as encodeInferOutputs. */
export function encodeInferInputs(inputs: readonly Tensor[], encoding: TensorEncoding): { inputs: InferInputTensor[]; raw_input_contents: Buffer[] } {
  const { tensors, raw } = encodeTensors(inputs, encoding);
  return { inputs: tensors, raw_input_contents: raw };
}

/** 'raw' when any tensor has no typed form, else the encoding asked for. */
export function effectiveEncoding(tensors: readonly Tensor[], encoding: TensorEncoding): TensorEncoding {
  if (encoding === 'raw') return 'raw';
  return tensors.some((t) => t.datatype === 'FP16' || t.datatype === 'BF16') ? 'raw' : 'typed';
}

function encodeTensors(tensors: readonly Tensor[], encoding: TensorEncoding): { tensors: InferOutputTensor[]; raw: Buffer[] } {
  if (effectiveEncoding(tensors, encoding) === 'raw') {
    const raw = tensors.map(toRaw);
    return { tensors: tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })), raw };
  }
  return { tensors: tensors.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape], contents: toContents(t) })), raw: [] };
}
