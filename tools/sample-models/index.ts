export * from './onnx-builder';
