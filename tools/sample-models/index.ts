export * from './onnx-builder';
export * from './tabular-models';
export * from './sample-model-catalog';
