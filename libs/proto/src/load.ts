import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import type { ProtoGrpcType as HealthProto } from './generated/health';
import type { ProtoGrpcType as InferenceProto } from './generated/grpc_predict_v2';
import type { ProtoGrpcType as PluginProto } from './generated/plugin';

/**
 * The options the generated types were written with (tools/scripts/proto-types.cjs):
 * field names as in the .proto files, 64-bit integers as JavaScript numbers,
 * enums as strings, defaults filled in on decode, oneofs named.
 */
export const PROTO_LOADER_OPTIONS: protoLoader.Options = Object.freeze({
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});

/** The repository's proto/ folder, found from both the sources and the build in dist/. */
export function protoRoot(): string {
  for (let dir = __dirname; ; dir = dirname(dir)) {
    const candidate = join(dir, 'proto');
    if (existsSync(join(candidate, 'modelport', 'plugin', 'v1', 'plugin.proto'))) return candidate;
    if (dir === dirname(dir)) throw new Error(`The Modelport proto/ folder was not found above ${__dirname}.`);
  }
}

const cache = new Map<string, unknown>();

function load<T>(file: string): T {
  let loaded = cache.get(file) as T | undefined;
  if (!loaded) {
    const root = protoRoot();
    const definition = protoLoader.loadSync(join(root, file), { ...PROTO_LOADER_OPTIONS, includeDirs: [root] });
    loaded = grpc.loadPackageDefinition(definition) as unknown as T;
    cache.set(file, loaded);
  }
  return loaded;
}

/** `inference.GRPCInferenceService` and its messages (the Open Inference Protocol). */
export const inferenceProto = (): InferenceProto => load<InferenceProto>('inference/grpc_predict_v2.proto');
/** `modelport.plugin.v1.Plugin` and `PluginRegistry`. */
export const pluginProto = (): PluginProto => load<PluginProto>('modelport/plugin/v1/plugin.proto');
/** `grpc.health.v1.Health`. */
export const healthProto = (): HealthProto => load<HealthProto>('grpc/health/v1/health.proto');

/** Metadata key carrying the secret a plugin was launched or registered with. */
export const PLUGIN_SECRET_METADATA = 'x-modelport-plugin-secret';
/** The contract version in proto/modelport/plugin/v1. */
export const PLUGIN_PROTOCOL_VERSION = 1;
