import type { LoadedModel__Output, LoadModelRequest, ModelInferRequest, ModelInferResponse__Output } from '@modelport/proto';

/** The plugin a model is placed on. */
export interface PluginChoice {
  readonly name: string;
  readonly id: string;
  readonly version: string;
}

/**
 * What deployments and the gateway need from the plugin host: choose a
 * plugin, load and unload models on it, and run inference. The host keeps
 * loaded models loaded across plugin restarts.
 */
export interface ServingBackend {
  choosePlugin(format: string, pluginName?: string | null): PluginChoice;
  loadModel(pluginName: string, request: LoadModelRequest): Promise<LoadedModel__Output>;
  unloadModel(pluginName: string, modelKey: string): Promise<void>;
  infer(pluginName: string, request: ModelInferRequest, deadlineMs?: number): Promise<ModelInferResponse__Output>;
}
