// Original file: proto/modelport/plugin/v1/plugin.proto


export interface RegisterResponse {
  'registration_id'?: (string);
  'heartbeat_interval_ms'?: (number);
  'lease_ms'?: (number);
}

export interface RegisterResponse__Output {
  'registration_id': (string);
  'heartbeat_interval_ms': (number);
  'lease_ms': (number);
}
