export const MODEL_FORMATS = ['onnx', 'pytorch', 'tensorflow', 'keras', 'sklearn', 'xgboost', 'lightgbm', 'pmml', 'custom'] as const;
export type ModelFormat = (typeof MODEL_FORMATS)[number];

export interface TensorSignature {
  readonly name: string;
  readonly elementType: string;
  /** Fixed sizes as numbers, symbolic dimensions as their names, unknown ones as null; null for unknown rank. */
  readonly shape: (number | string | null)[] | null;
  readonly kind: string;
}

export interface Signature {
  readonly inputs: TensorSignature[];
  readonly outputs: TensorSignature[];
}

export interface OnnxDetails {
  readonly irVersion: number;
  readonly opsets: { domain: string; version: number }[];
  readonly producerName: string | null;
  readonly producerVersion: string | null;
}

export interface Lineage {
  readonly trainingDataUri?: string | null;
  readonly codeCommit?: string | null;
  readonly parameters?: { key: string; value: string }[];
  readonly metrics?: { key: string; value: number }[];
  /** What caused this version (for example a refresh policy run). */
  readonly trigger?: string | null;
  /** The refresh run this version answers (the `runId` of a refresh.requested webhook or job). */
  readonly refreshRunId?: string | null;
}
