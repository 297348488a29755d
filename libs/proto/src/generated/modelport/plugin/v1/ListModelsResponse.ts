// Original file: proto/modelport/plugin/v1/plugin.proto

import type { LoadedModel as _modelport_plugin_v1_LoadedModel, LoadedModel__Output as _modelport_plugin_v1_LoadedModel__Output } from '../../../modelport/plugin/v1/LoadedModel';

export interface ListModelsResponse {
  'models'?: (_modelport_plugin_v1_LoadedModel)[];
}

export interface ListModelsResponse__Output {
  'models': (_modelport_plugin_v1_LoadedModel__Output)[];
}
