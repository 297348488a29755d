import type * as grpc from '@grpc/grpc-js';
import type { MessageTypeDefinition } from '@grpc/proto-loader';

import type { Artifact as _modelport_plugin_v1_Artifact, Artifact__Output as _modelport_plugin_v1_Artifact__Output } from './modelport/plugin/v1/Artifact';
import type { Capabilities as _modelport_plugin_v1_Capabilities, Capabilities__Output as _modelport_plugin_v1_Capabilities__Output } from './modelport/plugin/v1/Capabilities';
import type { DeregisterRequest as _modelport_plugin_v1_DeregisterRequest, DeregisterRequest__Output as _modelport_plugin_v1_DeregisterRequest__Output } from './modelport/plugin/v1/DeregisterRequest';
import type { DeregisterResponse as _modelport_plugin_v1_DeregisterResponse, DeregisterResponse__Output as _modelport_plugin_v1_DeregisterResponse__Output } from './modelport/plugin/v1/DeregisterResponse';
import type { GetInfoRequest as _modelport_plugin_v1_GetInfoRequest, GetInfoRequest__Output as _modelport_plugin_v1_GetInfoRequest__Output } from './modelport/plugin/v1/GetInfoRequest';
import type { HeartbeatRequest as _modelport_plugin_v1_HeartbeatRequest, HeartbeatRequest__Output as _modelport_plugin_v1_HeartbeatRequest__Output } from './modelport/plugin/v1/HeartbeatRequest';
import type { HeartbeatResponse as _modelport_plugin_v1_HeartbeatResponse, HeartbeatResponse__Output as _modelport_plugin_v1_HeartbeatResponse__Output } from './modelport/plugin/v1/HeartbeatResponse';
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

