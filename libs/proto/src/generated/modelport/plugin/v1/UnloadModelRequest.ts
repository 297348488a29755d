// Original file: proto/modelport/plugin/v1/plugin.proto


export interface UnloadModelRequest {
  'model_key'?: (string);
}

export interface UnloadModelRequest__Output {
  'model_key': (string);
}
