import * as grpc from '@grpc/grpc-js';
import { decodeInferInputs, encodeInferOutputs, type TensorLimits } from '@modelport/plugin-sdk';
import { inferenceProto, type GRPCInferenceServiceHandlers, type ModelInferResponse } from '@modelport/proto';
import { GatewayError, toGatewayError } from './gateway.errors';
import type { GatewayService } from './gateway.service';

export interface V2GrpcOptions {
  readonly limits: TensorLimits;
  readonly maxMessageBytes: number;
  readonly maxRequestedOutputs: number;
  readonly serverVersion: string;
  ready(): boolean;
}

function fail(callback: (err: grpc.ServiceError | null) => void, err: unknown): void {
  const g = toGatewayError(err);
  callback(Object.assign(new Error(g.message), { code: g.grpcCode, details: g.message, metadata: new grpc.Metadata() }) as grpc.ServiceError);
}

function authorization(metadata: grpc.Metadata): string | undefined {
  const value = metadata.get('authorization')[0];
  return typeof value === 'string' ? value : undefined;
}

/**
 * `inference.GRPCInferenceService` for clients: the same checks, log and
 * receipt as REST. The receipt travels in the response `parameters` as
 * string parameters. Raw requests get raw answers, typed requests typed ones.
 */
export function v2GrpcHandlers(gateway: GatewayService, options: V2GrpcOptions): GRPCInferenceServiceHandlers {
  return {
    ServerLive: (_call, callback) => callback(null, { live: true }),
    ServerReady: (_call, callback) => callback(null, { ready: options.ready() }),
    ServerMetadata: (_call, callback) => callback(null, { name: 'modelport', version: options.serverVersion, extensions: [] }),
    ModelReady: (call, callback) => {
      gateway
        .authenticate(authorization(call.metadata))
        .then((caller) => callback(null, { ready: gateway.visibleRoute(caller, call.request.name, call.request.version).state === 'READY' }))
        .catch((err: unknown) => fail(callback, err));
    },
    ModelMetadata: (call, callback) => {
      gateway
        .authenticate(authorization(call.metadata))
        .then((caller) => {
          const route = gateway.visibleRoute(caller, call.request.name, call.request.version);
          callback(null, {
            name: route.name,
            versions: [String(route.modelVersion)],
            platform: route.format,
            inputs: route.signature.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
            outputs: route.signature.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
          });
        })
        .catch((err: unknown) => fail(callback, err));
    },
    ModelInfer: (call, callback) => {
      const request = call.request;
      (async () => {
        const caller = await gateway.authenticate(authorization(call.metadata));
        let encoding: 'raw' | 'typed' = 'typed';
        const answer = await gateway.infer(caller, {
          deployment: request.model_name,
          version: request.model_version,
          id: request.id,
          protocol: 'grpc',
          decode: () => {
            if (request.outputs.length > options.maxRequestedOutputs) {
              throw GatewayError.badRequest(`${request.outputs.length} outputs were requested; at most ${options.maxRequestedOutputs} are accepted.`);
            }
            const decoded = decodeInferInputs(request, options.limits);
            encoding = decoded.encoding;
            const parameters: Record<string, unknown> = {};
            for (const [k, v] of Object.entries(request.parameters)) parameters[k] = v.parameter_choice ? v[v.parameter_choice] : null;
            return { inputs: decoded.inputs, outputs: request.outputs.map((o) => o.name), parameters };
          },
        });
        const encoded = encodeInferOutputs(answer.outputs, encoding);
        const response: ModelInferResponse = {
          model_name: answer.route.name,
          model_version: String(answer.route.modelVersion),
          id: request.id,
          parameters: Object.fromEntries(Object.entries(answer.receipt).map(([k, v]) => [k, { string_param: v }])),
          outputs: encoded.outputs,
          raw_output_contents: encoded.raw_output_contents,
        };
        return response;
      })().then(
        (response) => callback(null, response),
        (err: unknown) => fail(callback, err),
      );
    },
  };
}

/** Adds the V2 inference service to a gRPC server (the gateway's own port). */
export function addV2Grpc(server: grpc.Server, gateway: GatewayService, options: V2GrpcOptions): void {
  server.addService(inferenceProto().inference.GRPCInferenceService.service, v2GrpcHandlers(gateway, options));
}
