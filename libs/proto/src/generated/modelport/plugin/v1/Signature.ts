// Original file: proto/modelport/plugin/v1/plugin.proto

import type { TensorSpec as _modelport_plugin_v1_TensorSpec, TensorSpec__Output as _modelport_plugin_v1_TensorSpec__Output } from '../../../modelport/plugin/v1/TensorSpec';

export interface Signature {
  'inputs'?: (_modelport_plugin_v1_TensorSpec)[];
  'outputs'?: (_modelport_plugin_v1_TensorSpec)[];
}

export interface Signature__Output {
  'inputs': (_modelport_plugin_v1_TensorSpec__Output)[];
  'outputs': (_modelport_plugin_v1_TensorSpec__Output)[];
}
