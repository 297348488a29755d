// Original file: proto/modelport/plugin/v1/plugin.proto

import type { LoadedModel as _modelport_plugin_v1_LoadedModel, LoadedModel__Output as _modelport_plugin_v1_LoadedModel__Output } from '../../../modelport/plugin/v1/LoadedModel';

export interface LoadModelResponse {
  'model'?: (_modelport_plugin_v1_LoadedModel | null);
}

export interface LoadModelResponse__Output {
  'model': (_modelport_plugin_v1_LoadedModel__Output | null);
}
