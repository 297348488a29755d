// Original file: proto/modelport/plugin/v1/plugin.proto


export interface ListModelsRequest {
}

export interface ListModelsRequest__Output {
}
