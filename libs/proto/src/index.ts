// The contract between Modelport and serving plugins, and the Open Inference
// Protocol. The .proto sources live in proto/; the types in ./generated are
// written by `npm run proto:generate` and checked in CI (`npm run proto:check`).
export * from './load';

export type { GRPCInferenceServiceClient, GRPCInferenceServiceHandlers } from './generated/inference/GRPCInferenceService';
export type { InferParameter, InferParameter__Output } from './generated/inference/InferParameter';
export type { InferTensorContents, InferTensorContents__Output } from './generated/inference/InferTensorContents';
export type { ModelInferRequest, ModelInferRequest__Output } from './generated/inference/ModelInferRequest';
export type { ModelInferResponse, ModelInferResponse__Output } from './generated/inference/ModelInferResponse';
export type { ModelMetadataResponse, ModelMetadataResponse__Output } from './generated/inference/ModelMetadataResponse';

export type { PluginClient, PluginHandlers } from './generated/modelport/plugin/v1/Plugin';
export type { PluginRegistryClient, PluginRegistryHandlers } from './generated/modelport/plugin/v1/PluginRegistry';
export type { PluginInfo, PluginInfo__Output } from './generated/modelport/plugin/v1/PluginInfo';
export type { Capabilities, Capabilities__Output } from './generated/modelport/plugin/v1/Capabilities';
export type { ModelFormat, ModelFormat__Output } from './generated/modelport/plugin/v1/ModelFormat';
export type { TensorSpec, TensorSpec__Output } from './generated/modelport/plugin/v1/TensorSpec';
export type { Signature, Signature__Output } from './generated/modelport/plugin/v1/Signature';
export type { Artifact, Artifact__Output } from './generated/modelport/plugin/v1/Artifact';
export type { LoadModelRequest, LoadModelRequest__Output } from './generated/modelport/plugin/v1/LoadModelRequest';
export type { LoadModelResponse, LoadModelResponse__Output } from './generated/modelport/plugin/v1/LoadModelResponse';
export type { LoadedModel, LoadedModel__Output } from './generated/modelport/plugin/v1/LoadedModel';
export type { UnloadModelResponse__Output } from './generated/modelport/plugin/v1/UnloadModelResponse';
export type { ListModelsResponse__Output } from './generated/modelport/plugin/v1/ListModelsResponse';
export type { RegisterRequest, RegisterRequest__Output } from './generated/modelport/plugin/v1/RegisterRequest';
export type { RegisterResponse, RegisterResponse__Output } from './generated/modelport/plugin/v1/RegisterResponse';
export type { InferStreamRequest, InferStreamRequest__Output } from './generated/modelport/plugin/v1/InferStreamRequest';
export type { InferStreamResponse, InferStreamResponse__Output } from './generated/modelport/plugin/v1/InferStreamResponse';
export type { HeartbeatRequest__Output } from './generated/modelport/plugin/v1/HeartbeatRequest';
export type { HealthClient } from './generated/grpc/health/v1/Health';
export type { HealthCheckResponse__Output } from './generated/grpc/health/v1/HealthCheckResponse';
