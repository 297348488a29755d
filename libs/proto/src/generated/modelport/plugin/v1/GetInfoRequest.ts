// Original file: proto/modelport/plugin/v1/plugin.proto


export interface GetInfoRequest {
}

export interface GetInfoRequest__Output {
}
