// Original file: proto/modelport/plugin/v1/plugin.proto

import type { Artifact as _modelport_plugin_v1_Artifact, Artifact__Output as _modelport_plugin_v1_Artifact__Output } from '../../../modelport/plugin/v1/Artifact';
import type { Signature as _modelport_plugin_v1_Signature, Signature__Output as _modelport_plugin_v1_Signature__Output } from '../../../modelport/plugin/v1/Signature';

export interface LoadModelRequest {
  'model_key'?: (string);
  'artifact'?: (_modelport_plugin_v1_Artifact | null);
  'signature'?: (_modelport_plugin_v1_Signature | null);
  'config'?: ({[key: string]: string});
}

export interface LoadModelRequest__Output {
  'model_key': (string);
  'artifact': (_modelport_plugin_v1_Artifact__Output | null);
  'signature': (_modelport_plugin_v1_Signature__Output | null);
  'config': ({[key: string]: string});
}
