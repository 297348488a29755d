// Original file: proto/modelport/plugin/v1/plugin.proto

import type { ModelFormat as _modelport_plugin_v1_ModelFormat, ModelFormat__Output as _modelport_plugin_v1_ModelFormat__Output } from '../../../modelport/plugin/v1/ModelFormat';
import type { Capabilities as _modelport_plugin_v1_Capabilities, Capabilities__Output as _modelport_plugin_v1_Capabilities__Output } from '../../../modelport/plugin/v1/Capabilities';

export interface PluginInfo {
  'id'?: (string);
  'version'?: (string);
  'protocol_version'?: (number);
  'formats'?: (_modelport_plugin_v1_ModelFormat)[];
  'capabilities'?: (_modelport_plugin_v1_Capabilities | null);
  'details'?: ({[key: string]: string});
}

export interface PluginInfo__Output {
  'id': (string);
  'version': (string);
  'protocol_version': (number);
  'formats': (_modelport_plugin_v1_ModelFormat__Output)[];
  'capabilities': (_modelport_plugin_v1_Capabilities__Output | null);
  'details': ({[key: string]: string});
}
