// Original file: proto/modelport/plugin/v1/plugin.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { DeregisterRequest as _modelport_plugin_v1_DeregisterRequest, DeregisterRequest__Output as _modelport_plugin_v1_DeregisterRequest__Output } from '../../../modelport/plugin/v1/DeregisterRequest';
import type { DeregisterResponse as _modelport_plugin_v1_DeregisterResponse, DeregisterResponse__Output as _modelport_plugin_v1_DeregisterResponse__Output } from '../../../modelport/plugin/v1/DeregisterResponse';
import type { HeartbeatRequest as _modelport_plugin_v1_HeartbeatRequest, HeartbeatRequest__Output as _modelport_plugin_v1_HeartbeatRequest__Output } from '../../../modelport/plugin/v1/HeartbeatRequest';
import type { HeartbeatResponse as _modelport_plugin_v1_HeartbeatResponse, HeartbeatResponse__Output as _modelport_plugin_v1_HeartbeatResponse__Output } from '../../../modelport/plugin/v1/HeartbeatResponse';
import type { RegisterRequest as _modelport_plugin_v1_RegisterRequest, RegisterRequest__Output as _modelport_plugin_v1_RegisterRequest__Output } from '../../../modelport/plugin/v1/RegisterRequest';
import type { RegisterResponse as _modelport_plugin_v1_RegisterResponse, RegisterResponse__Output as _modelport_plugin_v1_RegisterResponse__Output } from '../../../modelport/plugin/v1/RegisterResponse';

export interface PluginRegistryClient extends grpc.Client {
  Deregister(argument: _modelport_plugin_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _modelport_plugin_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _modelport_plugin_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  Deregister(argument: _modelport_plugin_v1_DeregisterRequest, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _modelport_plugin_v1_DeregisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _modelport_plugin_v1_DeregisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _modelport_plugin_v1_DeregisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  deregister(argument: _modelport_plugin_v1_DeregisterRequest, callback: grpc.requestCallback<_modelport_plugin_v1_DeregisterResponse__Output>): grpc.ClientUnaryCall;
  
  Heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  Heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  heartbeat(argument: _modelport_plugin_v1_HeartbeatRequest, callback: grpc.requestCallback<_modelport_plugin_v1_HeartbeatResponse__Output>): grpc.ClientUnaryCall;
  
  Register(argument: _modelport_plugin_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _modelport_plugin_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _modelport_plugin_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  Register(argument: _modelport_plugin_v1_RegisterRequest, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _modelport_plugin_v1_RegisterRequest, metadata: grpc.Metadata, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _modelport_plugin_v1_RegisterRequest, metadata: grpc.Metadata, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _modelport_plugin_v1_RegisterRequest, options: grpc.CallOptions, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  register(argument: _modelport_plugin_v1_RegisterRequest, callback: grpc.requestCallback<_modelport_plugin_v1_RegisterResponse__Output>): grpc.ClientUnaryCall;
  
}

export interface PluginRegistryHandlers extends grpc.UntypedServiceImplementation {
  Deregister: grpc.handleUnaryCall<_modelport_plugin_v1_DeregisterRequest__Output, _modelport_plugin_v1_DeregisterResponse>;
  
  Heartbeat: grpc.handleUnaryCall<_modelport_plugin_v1_HeartbeatRequest__Output, _modelport_plugin_v1_HeartbeatResponse>;
  
  Register: grpc.handleUnaryCall<_modelport_plugin_v1_RegisterRequest__Output, _modelport_plugin_v1_RegisterResponse>;
  
}

export interface PluginRegistryDefinition extends grpc.ServiceDefinition {
  Deregister: MethodDefinition<_modelport_plugin_v1_DeregisterRequest, _modelport_plugin_v1_DeregisterResponse, _modelport_plugin_v1_DeregisterRequest__Output, _modelport_plugin_v1_DeregisterResponse__Output>
  Heartbeat: MethodDefinition<_modelport_plugin_v1_HeartbeatRequest, _modelport_plugin_v1_HeartbeatResponse, _modelport_plugin_v1_HeartbeatRequest__Output, _modelport_plugin_v1_HeartbeatResponse__Output>
  Register: MethodDefinition<_modelport_plugin_v1_RegisterRequest, _modelport_plugin_v1_RegisterResponse, _modelport_plugin_v1_RegisterRequest__Output, _modelport_plugin_v1_RegisterResponse__Output>
}
