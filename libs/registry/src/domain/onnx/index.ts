export {
  DEFAULT_MAX_METADATA_BYTES,
  MAX_ONNX_IR_VERSION,
  MIN_ONNX_IR_VERSION,
  onnxDataTypeName,
  readOnnxModelInfo,
} from './onnx-model-reader';
export type {
  OnnxModelInfo,
  OnnxSignature,
  ReadOnnxModelInfoOptions,
  TensorKind,
  TensorSpec,
} from './onnx-model-reader';
export { OnnxParseError, OnnxParseErrorCode } from './onnx.errors';
