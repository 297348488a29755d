// Original file: proto/modelport/plugin/v1/plugin.proto


export interface HeartbeatRequest {
  'registration_id'?: (string);
  'registration_token'?: (string);
}

export interface HeartbeatRequest__Output {
  'registration_id': (string);
  'registration_token': (string);
}
