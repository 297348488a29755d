import { join } from 'node:path';
import * as protobuf from 'protobufjs';
import { inferenceProto, pluginProto, protoRoot } from './load';

/**
 * Field numbers of the Open Inference Protocol as the public specification
 * (KServe docs/predict-api/v2/grpc_predict_v2.proto) gives them. Unmodified
 * KServe, Triton and MLServer clients only work if every one matches.
 */
const SPEC: Record<string, Record<string, number>> = {
  ServerLiveResponse: { live: 1 },
  ServerReadyResponse: { ready: 1 },
  ModelReadyRequest: { name: 1, version: 2 },
  ModelReadyResponse: { ready: 1 },
  ServerMetadataResponse: { name: 1, version: 2, extensions: 3 },
  ModelMetadataRequest: { name: 1, version: 2 },
  'ModelMetadataResponse.TensorMetadata': { name: 1, datatype: 2, shape: 3 },
  ModelMetadataResponse: { name: 1, versions: 2, platform: 3, inputs: 4, outputs: 5 },
  'ModelInferRequest.InferInputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
  'ModelInferRequest.InferRequestedOutputTensor': { name: 1, parameters: 2 },
  ModelInferRequest: { model_name: 1, model_version: 2, id: 3, parameters: 4, inputs: 5, outputs: 6, raw_input_contents: 7 },
  'ModelInferResponse.InferOutputTensor': { name: 1, datatype: 2, shape: 3, parameters: 4, contents: 5 },
  ModelInferResponse: { model_name: 1, model_version: 2, id: 3, parameters: 4, outputs: 5, raw_output_contents: 6 },
  InferParameter: { bool_param: 1, int64_param: 2, string_param: 3 },
  InferTensorContents: {
    bool_contents: 1,
    int_contents: 2,
    int64_contents: 3,
    uint_contents: 4,
    uint64_contents: 5,
    fp32_contents: 6,
    fp64_contents: 7,
    bytes_contents: 8,
  },
};

describe('proto/inference/grpc_predict_v2.proto', () => {
  const root = new protobuf.Root().loadSync(join(protoRoot(), 'inference/grpc_predict_v2.proto'), { keepCase: true });

  it.each(Object.entries(SPEC))('%s has exactly the specification fields and numbers', (name, fields) => {
    const type = root.lookupType(`inference.${name}`);
    const actual = Object.fromEntries(Object.values(type.fields).map((f) => [f.name, f.id]));
    expect(actual).toEqual(fields);
  });

  it('serves the six specification methods with their request and response types', () => {
    const service = root.lookupService('inference.GRPCInferenceService');
    expect(Object.fromEntries(Object.values(service.methods).map((m) => [m.name, `${m.requestType}->${m.responseType}`]))).toEqual({
      ServerLive: 'ServerLiveRequest->ServerLiveResponse',
      ServerReady: 'ServerReadyRequest->ServerReadyResponse',
      ModelReady: 'ModelReadyRequest->ModelReadyResponse',
      ServerMetadata: 'ServerMetadataRequest->ServerMetadataResponse',
      ModelMetadata: 'ModelMetadataRequest->ModelMetadataResponse',
      ModelInfer: 'ModelInferRequest->ModelInferResponse',
    });
  });

  it('round-trips a request through the loaded gRPC definition with 64-bit shapes as numbers', () => {
    const type = inferenceProto().inference.ModelInferRequest;
    const bytes = type.serialize({ model_name: 'm', inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 3], contents: { fp32_contents: [1, 2, 3, 4, 5, 6] } }] });
    const back = type.deserialize(bytes);
    expect(back.inputs[0]!.shape).toEqual([2, 3]);
    expect(back.inputs[0]!.contents!.fp32_contents).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.raw_input_contents).toEqual([]);
  });
});

describe('proto/modelport/plugin/v1/plugin.proto', () => {
  it('defines the plugin control plane and the registry the core serves', () => {
    const { Plugin, PluginRegistry } = pluginProto().modelport.plugin.v1;
    expect(Object.keys(Plugin.service).sort()).toEqual(['GetInfo', 'InferStream', 'ListModels', 'LoadModel', 'UnloadModel']);
    // Inferences over one long-lived stream in both directions (optional for plugins: Capabilities.infer_stream).
    expect([Plugin.service.InferStream.requestStream, Plugin.service.InferStream.responseStream]).toEqual([true, true]);
    expect(Plugin.service.LoadModel.requestStream || Plugin.service.LoadModel.responseStream).toBe(false);
    expect(Object.keys(PluginRegistry.service).sort()).toEqual(['Deregister', 'Heartbeat', 'Register']);
  });
});
