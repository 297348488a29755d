// Original file: proto/modelport/plugin/v1/plugin.proto


export interface HeartbeatResponse {
  'known'?: (boolean);
}

export interface HeartbeatResponse__Output {
  'known': (boolean);
}
