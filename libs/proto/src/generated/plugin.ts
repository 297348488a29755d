import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { GRPCInferenceServiceClient as _inference_GRPCInferenceServiceClient, GRPCInferenceServiceDefinition as _inference_GRPCInferenceServiceDefinition } from './inference/GRPCInferenceService';
import type { InferParameter as _inference_InferParameter, InferParameter__Output as _inference_InferParameter__Output } from './inference/InferParameter';
import type { InferTensorContents as _inference_InferTensorContents, InferTensorContents__Output as _inference_InferTensorContents__Output } from './inference/InferTensorContents';
import type { ModelInferRequest as _inference_ModelInferRequest, ModelInferRequest__Output as _inference_ModelInferRequest__Output } from './inference/ModelInferRequest';
import type { ModelInferResponse as _inference_ModelInferResponse, ModelInferResponse__Output as _inference_ModelInferResponse__Output } from './inference/ModelInferResponse';
import type { ModelMetadataRequest as _inference_ModelMetadataRequest, ModelMetadataRequest__Output as _inference_ModelMetadataRequest__Output } from './inference/ModelMetadataRequest';
import type { ModelMetadataResponse as _inference_ModelMetadataResponse, ModelMetadataResponse__Output as _inference_ModelMetadataResponse__Output } from './inference/ModelMetadataResponse';
import type { ModelReadyRequest as _inference_ModelReadyRequest, ModelReadyRequest__Output as _inference_ModelReadyRequest__Output } from './inference/ModelReadyRequest';
import type { ModelReadyResponse as _inference_ModelReadyResponse, ModelReadyResponse__Output as _inference_ModelReadyResponse__Output } from './inference/ModelReadyResponse';
import type { ServerLiveRequest as _inference_ServerLiveRequest, ServerLiveRequest__Output as _inference_ServerLiveRequest__Output } from './inference/ServerLiveRequest';
import type { ServerLiveResponse as _inference_ServerLiveResponse, ServerLiveResponse__Output as _inference_ServerLiveResponse__Output } from './inference/ServerLiveResponse';
import type { ServerMetadataRequest as _inference_ServerMetadataRequest, ServerMetadataRequest__Output as _inference_ServerMetadataRequest__Output } from './inference/ServerMetadataRequest';
import type { ServerMetadataResponse as _inference_ServerMetadataResponse, ServerMetadataResponse__Output as _inference_ServerMetadataResponse__Output } from './inference/ServerMetadataResponse';
import type { ServerReadyRequest as _inference_ServerReadyRequest, ServerReadyRequest__Output as _inference_ServerReadyRequest__Output } from './inference/ServerReadyRequest';
import type { ServerReadyResponse as _inference_ServerReadyResponse, ServerReadyResponse__Output as _inference_ServerReadyResponse__Output } from './inference/ServerReadyResponse';
import type { Artifact as _modelport_plugin_v1_Artifact, Artifact__Output as _modelport_plugin_v1_Artifact__Output } from './modelport/plugin/v1/Artifact';
import type { Capabilities as _modelport_plugin_v1_Capabilities, Capabilities__Output as _modelport_plugin_v1_Capabilities__Output } from './modelport/plugin/v1/Capabilities';
import type { DeregisterRequest as _modelport_plugin_v1_DeregisterRequest, DeregisterRequest__Output as _modelport_plugin_v1_DeregisterRequest__Output } from './modelport/plugin/v1/DeregisterRequest';
import type { DeregisterResponse as _modelport_plugin_v1_DeregisterResponse, DeregisterResponse__Output as _modelport_plugin_v1_DeregisterResponse__Output } from './modelport/plugin/v1/DeregisterResponse';
import type { GetInfoRequest as _modelport_plugin_v1_GetInfoRequest, GetInfoRequest__Output as _modelport_plugin_v1_GetInfoRequest__Output } from './modelport/plugin/v1/GetInfoRequest';
import type { HeartbeatRequest as _modelport_plugin_v1_HeartbeatRequest, HeartbeatRequest__Output as _modelport_plugin_v1_HeartbeatRequest__Output } from './modelport/plugin/v1/HeartbeatRequest';
import type { HeartbeatResponse as _modelport_plugin_v1_HeartbeatResponse, HeartbeatResponse__Output as _modelport_plugin_v1_HeartbeatResponse__Output } from './modelport/plugin/v1/HeartbeatResponse';
import type { InferStreamRequest as _modelport_plugin_v1_InferStreamRequest, InferStreamRequest__Output as _modelport_plugin_v1_InferStreamRequest__Output } from './modelport/plugin/v1/InferStreamRequest';
import type { InferStreamResponse as _modelport_plugin_v1_InferStreamResponse, InferStreamResponse__Output as _modelport_plugin_v1_InferStreamResponse__Output } from './modelport/plugin/v1/InferStreamResponse';
import type { ListModelsRequest as _modelport_plugin_v1_ListModelsRequest, ListModelsRequest__Output as _modelport_plugin_v1_ListModelsRequest__Output } from './modelport/plugin/v1/ListModelsRequest';
import type { ListModelsResponse as _modelport_plugin_v1_ListModelsResponse, ListModelsResponse__Output as _modelport_plugin_v1_ListModelsResponse__Output } from './modelport/plugin/v1/ListModelsResponse';
import type { LoadModelRequest as _modelport_plugin_v1_LoadModelRequest, LoadModelRequest__Output as _modelport_plugin_v1_LoadModelRequest__Output } from './modelport/plugin/v1/LoadModelRequest';
import type { LoadModelResponse as _modelport_plugin_v1_LoadModelResponse, LoadModelResponse__Output as _modelport_plugin_v1_LoadModelResponse__Output } from './modelport/plugin/v1/LoadModelResponse';
import type { LoadedModel as _modelport_plugin_v1_LoadedModel, LoadedModel__Output as _modelport_plugin_v1_LoadedModel__Output } from './modelport/plugin/v1/LoadedModel';
import type { ModelFormat as _modelport_plugin_v1_ModelFormat, ModelFormat__Output as _modelport_plugin_v1_ModelFormat__Output } from './modelport/plugin/v1/ModelFormat';
import type { PluginClient as _modelport_plugin_v1_PluginClient, PluginDefinition as _modelport_plugin_v1_PluginDefinition } from './modelport/plugin/v1/Plugin';
import type { PluginInfo as _modelport_plugin_v1_PluginInfo, PluginInfo__Output as _modelport_plugin_v1_PluginInfo__Output } from './modelport/plugin/v1/PluginInfo';
import type { PluginRegistryClient as _modelport_plugin_v1_PluginRegistryClient, PluginRegistryDefinition as _modelport_plugin_v1_PluginRegistryDefinition } from './modelport/plugin/v1/PluginRegistry';
import type { RegisterRequest as _modelport_plugin_v1_RegisterRequest, RegisterRequest__Output as _modelport_plugin_v1_RegisterRequest__Output } from './modelport/plugin/v1/RegisterRequest';
import type { RegisterResponse as _modelport_plugin_v1_RegisterResponse, RegisterResponse__Output as _modelport_plugin_v1_RegisterResponse__Output } from './modelport/plugin/v1/RegisterResponse';
import type { Signature as _modelport_plugin_v1_Signature, Signature__Output as _modelport_plugin_v1_Signature__Output } from './modelport/plugin/v1/Signature';
import type { TensorSpec as _modelport_plugin_v1_TensorSpec, TensorSpec__Output as _modelport_plugin_v1_TensorSpec__Output } from './modelport/plugin/v1/TensorSpec';
import type { UnloadModelRequest as _modelport_plugin_v1_UnloadModelRequest, UnloadModelRequest__Output as _modelport_plugin_v1_UnloadModelRequest__Output } from './modelport/plugin/v1/UnloadModelRequest';
import type { UnloadModelResponse as _modelport_plugin_v1_UnloadModelResponse, UnloadModelResponse__Output as _modelport_plugin_v1_UnloadModelResponse__Output } from './modelport/plugin/v1/UnloadModelResponse';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  inference: {
    GRPCInferenceService: SubtypeConstructor<typeof grpc.Client, _inference_GRPCInferenceServiceClient> & { service: _inference_GRPCInferenceServiceDefinition }
    InferParameter: MessageTypeDefinition<_inference_InferParameter, _inference_InferParameter__Output>
    InferTensorContents: MessageTypeDefinition<_inference_InferTensorContents, _inference_InferTensorContents__Output>
    ModelInferRequest: MessageTypeDefinition<_inference_ModelInferRequest, _inference_ModelInferRequest__Output>
    ModelInferResponse: MessageTypeDefinition<_inference_ModelInferResponse, _inference_ModelInferResponse__Output>
    ModelMetadataRequest: MessageTypeDefinition<_inference_ModelMetadataRequest, _inference_ModelMetadataRequest__Output>
    ModelMetadataResponse: MessageTypeDefinition<_inference_ModelMetadataResponse, _inference_ModelMetadataResponse__Output>
    ModelReadyRequest: MessageTypeDefinition<_inference_ModelReadyRequest, _inference_ModelReadyRequest__Output>
    ModelReadyResponse: MessageTypeDefinition<_inference_ModelReadyResponse, _inference_ModelReadyResponse__Output>
    ServerLiveRequest: MessageTypeDefinition<_inference_ServerLiveRequest, _inference_ServerLiveRequest__Output>
    ServerLiveResponse: MessageTypeDefinition<_inference_ServerLiveResponse, _inference_ServerLiveResponse__Output>
    ServerMetadataRequest: MessageTypeDefinition<_inference_ServerMetadataRequest, _inference_ServerMetadataRequest__Output>
    ServerMetadataResponse: MessageTypeDefinition<_inference_ServerMetadataResponse, _inference_ServerMetadataResponse__Output>
    ServerReadyRequest: MessageTypeDefinition<_inference_ServerReadyRequest, _inference_ServerReadyRequest__Output>
    ServerReadyResponse: MessageTypeDefinition<_inference_ServerReadyResponse, _inference_ServerReadyResponse__Output>
  }
  modelport: {
    plugin: {
      v1: {
        Artifact: MessageTypeDefinition<_modelport_plugin_v1_Artifact, _modelport_plugin_v1_Artifact__Output>
        Capabilities: MessageTypeDefinition<_modelport_plugin_v1_Capabilities, _modelport_plugin_v1_Capabilities__Output>
        DeregisterRequest: MessageTypeDefinition<_modelport_plugin_v1_DeregisterRequest, _modelport_plugin_v1_DeregisterRequest__Output>
        DeregisterResponse: MessageTypeDefinition<_modelport_plugin_v1_DeregisterResponse, _modelport_plugin_v1_DeregisterResponse__Output>
        GetInfoRequest: MessageTypeDefinition<_modelport_plugin_v1_GetInfoRequest, _modelport_plugin_v1_GetInfoRequest__Output>
        HeartbeatRequest: MessageTypeDefinition<_modelport_plugin_v1_HeartbeatRequest, _modelport_plugin_v1_HeartbeatRequest__Output>
        HeartbeatResponse: MessageTypeDefinition<_modelport_plugin_v1_HeartbeatResponse, _modelport_plugin_v1_HeartbeatResponse__Output>
        InferStreamRequest: MessageTypeDefinition<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamRequest__Output>
        InferStreamResponse: MessageTypeDefinition<_modelport_plugin_v1_InferStreamResponse, _modelport_plugin_v1_InferStreamResponse__Output>
        ListModelsRequest: MessageTypeDefinition<_modelport_plugin_v1_ListModelsRequest, _modelport_plugin_v1_ListModelsRequest__Output>
        ListModelsResponse: MessageTypeDefinition<_modelport_plugin_v1_ListModelsResponse, _modelport_plugin_v1_ListModelsResponse__Output>
        LoadModelRequest: MessageTypeDefinition<_modelport_plugin_v1_LoadModelRequest, _modelport_plugin_v1_LoadModelRequest__Output>
        LoadModelResponse: MessageTypeDefinition<_modelport_plugin_v1_LoadModelResponse, _modelport_plugin_v1_LoadModelResponse__Output>
        LoadedModel: MessageTypeDefinition<_modelport_plugin_v1_LoadedModel, _modelport_plugin_v1_LoadedModel__Output>
        ModelFormat: MessageTypeDefinition<_modelport_plugin_v1_ModelFormat, _modelport_plugin_v1_ModelFormat__Output>
        Plugin: SubtypeConstructor<typeof grpc.Client, _modelport_plugin_v1_PluginClient> & { service: _modelport_plugin_v1_PluginDefinition }
        PluginInfo: MessageTypeDefinition<_modelport_plugin_v1_PluginInfo, _modelport_plugin_v1_PluginInfo__Output>
        PluginRegistry: SubtypeConstructor<typeof grpc.Client, _modelport_plugin_v1_PluginRegistryClient> & { service: _modelport_plugin_v1_PluginRegistryDefinition }
        RegisterRequest: MessageTypeDefinition<_modelport_plugin_v1_RegisterRequest, _modelport_plugin_v1_RegisterRequest__Output>
        RegisterResponse: MessageTypeDefinition<_modelport_plugin_v1_RegisterResponse, _modelport_plugin_v1_RegisterResponse__Output>
        Signature: MessageTypeDefinition<_modelport_plugin_v1_Signature, _modelport_plugin_v1_Signature__Output>
        TensorSpec: MessageTypeDefinition<_modelport_plugin_v1_TensorSpec, _modelport_plugin_v1_TensorSpec__Output>
        UnloadModelRequest: MessageTypeDefinition<_modelport_plugin_v1_UnloadModelRequest, _modelport_plugin_v1_UnloadModelRequest__Output>
        UnloadModelResponse: MessageTypeDefinition<_modelport_plugin_v1_UnloadModelResponse, _modelport_plugin_v1_UnloadModelResponse__Output>
      }
    }
  }
}

