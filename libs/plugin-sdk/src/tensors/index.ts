// Tensors of the Open Inference Protocol (KServe V2): one in-memory form
// (Tensor) and pure codecs to and from raw bytes, typed gRPC contents and
// REST JSON, plus request-level helpers and signature checks. Used by plugins
// to decode requests and by the core's gateway in both directions.
export { DATATYPES, bytesPerElement, isDatatype } from './datatype';
export type { Datatype, Tensor, TensorData, TensorStorage } from './datatype';
export { TENSOR_PROBLEMS, TensorError } from './tensor.errors';
export type { TensorProblem } from './tensor.errors';
export { DEFAULT_TENSOR_LIMITS, MAX_DIMENSION, MAX_RANK, elementCount } from './shape';
export type { TensorLimits } from './shape';
export { assertTensor, isTensorOf, makeTensor } from './tensor';
export { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from './half-float';
export { fromRaw, toRaw } from './raw-codec';
export { fromContents, toContents } from './contents-codec';
export { fromJson, toJson } from './json-codec';
export type { JsonTensor, JsonTensorOutput } from './json-codec';
export { decodeInferInputs, decodeInferOutputs, effectiveEncoding, encodeInferInputs, encodeInferOutputs } from './infer-messages';
export type { InferInputTensor, InferOutputTensor, TensorEncoding } from './infer-messages';
export { checkInputsAgainstSignature, checkRequestedOutputs } from './signature-checks';
export type { SignatureLike, SignatureTensor } from './signature-checks';
