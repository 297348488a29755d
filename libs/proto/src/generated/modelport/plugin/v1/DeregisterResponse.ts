// Original file: proto/modelport/plugin/v1/plugin.proto


export interface DeregisterResponse {
}

export interface DeregisterResponse__Output {
}
