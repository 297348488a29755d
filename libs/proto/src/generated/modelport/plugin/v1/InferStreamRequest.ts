// Original file: proto/modelport/plugin/v1/plugin.proto

import type { ModelInferRequest as _inference_ModelInferRequest, ModelInferRequest__Output as _inference_ModelInferRequest__Output } from '../../../inference/ModelInferRequest';

export interface InferStreamRequest {
  'call_id'?: (number);
  'request'?: (_inference_ModelInferRequest | null);
}

export interface InferStreamRequest__Output {
  'call_id': (number);
  'request': (_inference_ModelInferRequest__Output | null);
}
