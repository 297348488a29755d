// Original file: proto/modelport/plugin/v1/plugin.proto


export interface UnloadModelResponse {
  'was_loaded'?: (boolean);
}

export interface UnloadModelResponse__Output {
  'was_loaded': (boolean);
}
