import type { InferenceSession } from 'onnxruntime-node';

/**
 * The session options Modelport's runtime-onnx plugin uses by default (`toSessionOptions` of its
 * DEFAULT_SESSION_SETTINGS), so that the in-process and plain-server baselines run the model alike.
 */
export const SESSION_OPTIONS: InferenceSession.SessionOptions = {
  executionProviders: ['cpu'],
  graphOptimizationLevel: 'all',
  executionMode: 'sequential',
};
