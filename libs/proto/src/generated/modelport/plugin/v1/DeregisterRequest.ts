// Original file: proto/modelport/plugin/v1/plugin.proto


export interface DeregisterRequest {
  'registration_id'?: (string);
  'registration_token'?: (string);
}

export interface DeregisterRequest__Output {
  'registration_id': (string);
  'registration_token': (string);
}
