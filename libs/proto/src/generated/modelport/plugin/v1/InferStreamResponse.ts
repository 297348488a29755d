// Original file: proto/modelport/plugin/v1/plugin.proto

import type { ModelInferResponse as _inference_ModelInferResponse, ModelInferResponse__Output as _inference_ModelInferResponse__Output } from '../../../inference/ModelInferResponse';

export interface InferStreamResponse {
  'call_id'?: (number);
  'response'?: (_inference_ModelInferResponse | null);
  'code'?: (number);
  'message'?: (string);
}

export interface InferStreamResponse__Output {
  'call_id': (number);
  'response': (_inference_ModelInferResponse__Output | null);
  'code': (number);
  'message': (string);
}
