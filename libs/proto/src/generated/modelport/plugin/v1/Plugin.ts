// Original file: proto/modelport/plugin/v1/plugin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { GetInfoRequest as _modelport_plugin_v1_GetInfoRequest, GetInfoRequest__Output as _modelport_plugin_v1_GetInfoRequest__Output } from '../../../modelport/plugin/v1/GetInfoRequest';
import type { InferStreamRequest as _modelport_plugin_v1_InferStreamRequest, InferStreamRequest__Output as _modelport_plugin_v1_InferStreamRequest__Output } from '../../../modelport/plugin/v1/InferStreamRequest';
import type { InferStreamResponse as _modelport_plugin_v1_InferStreamResponse, InferStreamResponse__Output as _modelport_plugin_v1_InferStreamResponse__Output } from '../../../modelport/plugin/v1/InferStreamResponse';
import type { ListModelsRequest as _modelport_plugin_v1_ListModelsRequest, ListModelsRequest__Output as _modelport_plugin_v1_ListModelsRequest__Output } from '../../../modelport/plugin/v1/ListModelsRequest';
import type { ListModelsResponse as _modelport_plugin_v1_ListModelsResponse, ListModelsResponse__Output as _modelport_plugin_v1_ListModelsResponse__Output } from '../../../modelport/plugin/v1/ListModelsResponse';
import type { LoadModelRequest as _modelport_plugin_v1_LoadModelRequest, LoadModelRequest__Output as _modelport_plugin_v1_LoadModelRequest__Output } from '../../../modelport/plugin/v1/LoadModelRequest';
import type { LoadModelResponse as _modelport_plugin_v1_LoadModelResponse, LoadModelResponse__Output as _modelport_plugin_v1_LoadModelResponse__Output } from '../../../modelport/plugin/v1/LoadModelResponse';
import type { PluginInfo as _modelport_plugin_v1_PluginInfo, PluginInfo__Output as _modelport_plugin_v1_PluginInfo__Output } from '../../../modelport/plugin/v1/PluginInfo';
import type { UnloadModelRequest as _modelport_plugin_v1_UnloadModelRequest, UnloadModelRequest__Output as _modelport_plugin_v1_UnloadModelRequest__Output } from '../../../modelport/plugin/v1/UnloadModelRequest';
import type { UnloadModelResponse as _modelport_plugin_v1_UnloadModelResponse, UnloadModelResponse__Output as _modelport_plugin_v1_UnloadModelResponse__Output } from '../../../modelport/plugin/v1/UnloadModelResponse';

export interface PluginClient extends grpc.Client {
  GetInfo(argument: _modelport_plugin_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _modelport_plugin_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _modelport_plugin_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  GetInfo(argument: _modelport_plugin_v1_GetInfoRequest, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _modelport_plugin_v1_GetInfoRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _modelport_plugin_v1_GetInfoRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _modelport_plugin_v1_GetInfoRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  getInfo(argument: _modelport_plugin_v1_GetInfoRequest, callback: grpc.requestCallback<_modelport_plugin_v1_PluginInfo__Output>): grpc.ClientUnaryCall;
  
  InferStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamResponse__Output>;
  InferStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamResponse__Output>;
  inferStream(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamResponse__Output>;
  inferStream(options?: grpc.CallOptions): grpc.ClientDuplexStream<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamResponse__Output>;
  
  ListModels(argument: _modelport_plugin_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _modelport_plugin_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _modelport_plugin_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  ListModels(argument: _modelport_plugin_v1_ListModelsRequest, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _modelport_plugin_v1_ListModelsRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _modelport_plugin_v1_ListModelsRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _modelport_plugin_v1_ListModelsRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  listModels(argument: _modelport_plugin_v1_ListModelsRequest, callback: grpc.requestCallback<_modelport_plugin_v1_ListModelsResponse__Output>): grpc.ClientUnaryCall;
  
  LoadModel(argument: _modelport_plugin_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _modelport_plugin_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _modelport_plugin_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  LoadModel(argument: _modelport_plugin_v1_LoadModelRequest, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _modelport_plugin_v1_LoadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _modelport_plugin_v1_LoadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _modelport_plugin_v1_LoadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  loadModel(argument: _modelport_plugin_v1_LoadModelRequest, callback: grpc.requestCallback<_modelport_plugin_v1_LoadModelResponse__Output>): grpc.ClientUnaryCall;
  
  UnloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  UnloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  unloadModel(argument: _modelport_plugin_v1_UnloadModelRequest, callback: grpc.requestCallback<_modelport_plugin_v1_UnloadModelResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PluginHandlers extends grpc.UntypedServiceImplementation {
  GetInfo: grpc.handleUnaryCall<_modelport_plugin_v1_GetInfoRequest__Output, _modelport_plugin_v1_PluginInfo>;
  
  InferStream: grpc.handleBidiStreamingCall<_modelport_plugin_v1_InferStreamRequest__Output, _modelport_plugin_v1_InferStreamResponse>;
  
  ListModels: grpc.handleUnaryCall<_modelport_plugin_v1_ListModelsRequest__Output, _modelport_plugin_v1_ListModelsResponse>;
  
  LoadModel: grpc.handleUnaryCall<_modelport_plugin_v1_LoadModelRequest__Output, _modelport_plugin_v1_LoadModelResponse>;
  
  UnloadModel: grpc.handleUnaryCall<_modelport_plugin_v1_UnloadModelRequest__Output, _modelport_plugin_v1_UnloadModelResponse>;
  
}

export interface PluginDefinition extends grpc.ServiceDefinition {
  GetInfo: MethodDefinition<_modelport_plugin_v1_GetInfoRequest, _modelport_plugin_v1_PluginInfo, _modelport_plugin_v1_GetInfoRequest__Output, _modelport_plugin_v1_PluginInfo__Output>
  InferStream: MethodDefinition<_modelport_plugin_v1_InferStreamRequest, _modelport_plugin_v1_InferStreamResponse, _modelport_plugin_v1_InferStreamRequest__Output, _modelport_plugin_v1_InferStreamResponse__Output>
  ListModels: MethodDefinition<_modelport_plugin_v1_ListModelsRequest, _modelport_plugin_v1_ListModelsResponse, _modelport_plugin_v1_ListModelsRequest__Output, _modelport_plugin_v1_ListModelsResponse__Output>
  LoadModel: MethodDefinition<_modelport_plugin_v1_LoadModelRequest, _modelport_plugin_v1_LoadModelResponse, _modelport_plugin_v1_LoadModelRequest__Output, _modelport_plugin_v1_LoadModelResponse__Output>
  UnloadModel: MethodDefinition<_modelport_plugin_v1_UnloadModelRequest, _modelport_plugin_v1_UnloadModelResponse, _modelport_plugin_v1_UnloadModelRequest__Output, _modelport_plugin_v1_UnloadModelResponse__Output>
}
