// Original file: proto/modelport/plugin/v1/plugin.proto

import type { PluginInfo as _modelport_plugin_v1_PluginInfo, PluginInfo__Output as _modelport_plugin_v1_PluginInfo__Output } from '../../../modelport/plugin/v1/PluginInfo';

export interface RegisterRequest {
  'registration_token'?: (string);
  'address'?: (string);
  'info'?: (_modelport_plugin_v1_PluginInfo | null);
  'call_secret'?: (string);
}

export interface RegisterRequest__Output {
  'registration_token': (string);
  'address': (string);
  'info': (_modelport_plugin_v1_PluginInfo__Output | null);
  'call_secret': (string);
}
