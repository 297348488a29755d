/*
 * Target (e) of the serving benchmark (see README.md beside this file): the floor of one gRPC hop.
 * A bare @grpc/grpc-js server serving `inference.GRPCInferenceService/ModelInfer` on a unix socket,
 * answering each request's raw inputs as its outputs: no model, no checks, no logging. What is left
 * is what any design pays for one out-of-process call per prediction (protobuf both ways, HTTP/2
 * framing, the socket, two process wake-ups). Run as its own process by serving.bench.ts:
 *
 *   node dist/tools/bench/serving/echo-server.js --socket /tmp/dir/echo.sock
 *
 * It prints one JSON line {"msg":"echo server listening","address":"unix:..."} once it accepts calls.
 */
import { parseArgs } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { inferenceProto, type ModelInferRequest__Output, type ModelInferResponse } from '@modelport/proto';

/** The message size limit the plugin side uses by default (64 MiB), so the channel behaves alike. */
const MAX_MESSAGE_BYTES = 64 * 1024 * 1024;

function echo(request: ModelInferRequest__Output): ModelInferResponse {
  return {
    model_name: request.model_name,
    model_version: request.model_version,
    id: request.id,
    outputs: request.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape })),
    raw_output_contents: request.raw_input_contents,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { socket: { type: 'string' } } });
  if (!values.socket) throw new Error('usage: echo-server --socket <path>');
  const server = new grpc.Server({ 'grpc.max_receive_message_length': MAX_MESSAGE_BYTES, 'grpc.max_send_message_length': MAX_MESSAGE_BYTES });
  const unimplemented = (_call: unknown, callback: (err: Partial<grpc.ServiceError>) => void) => callback({ code: grpc.status.UNIMPLEMENTED, details: 'the echo server only answers ModelInfer' });
  server.addService(inferenceProto().inference.GRPCInferenceService.service, {
    ServerLive: unimplemented,
    ServerReady: unimplemented,
    ServerMetadata: unimplemented,
    ModelReady: unimplemented,
    ModelMetadata: unimplemented,
    ModelInfer: (call: grpc.ServerUnaryCall<ModelInferRequest__Output, ModelInferResponse>, callback: grpc.sendUnaryData<ModelInferResponse>) => callback(null, echo(call.request)),
  });
  const address = `unix:${values.socket}`;
  await new Promise<number>((resolve, reject) => server.bindAsync(address, grpc.ServerCredentials.createInsecure(), (err, port) => (err ? reject(err) : resolve(port))));
  process.stdout.write(`${JSON.stringify({ msg: 'echo server listening', address })}\n`);

  const stop = () => server.tryShutdown(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`echo server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
