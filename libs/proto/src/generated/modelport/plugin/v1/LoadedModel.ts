// Original file: proto/modelport/plugin/v1/plugin.proto

import type { Signature as _modelport_plugin_v1_Signature, Signature__Output as _modelport_plugin_v1_Signature__Output } from '../../../modelport/plugin/v1/Signature';
import type { Long } from '@grpc/proto-loader';

export interface LoadedModel {
  'model_key'?: (string);
  'sha256'?: (string);
  'signature'?: (_modelport_plugin_v1_Signature | null);
  'loaded_at_ms'?: (number | string | Long);
}

export interface LoadedModel__Output {
  'model_key': (string);
  'sha256': (string);
  'signature': (_modelport_plugin_v1_Signature__Output | null);
  'loaded_at_ms': (number);
}
