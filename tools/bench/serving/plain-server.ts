/*
 * The baseline of the serving benchmark (see README.md beside this file): what a user writes instead
 * of Modelport. One Fastify route taking a V2-style JSON body, one ONNX Runtime session, a JSON answer.
 * No auth, no logging, no registry. Run as its own process by serving.bench.ts:
 *
 *   node dist/tools/bench/serving/plain-server.js --model tools/sample-models/models/mlp-classifier.onnx
 *
 * It prints one JSON line {"msg":"plain server listening","url":...} once it accepts requests.
 */
import { parseArgs } from 'node:util';
import Fastify from 'fastify';
import * as ort from 'onnxruntime-node';
import { SESSION_OPTIONS } from './session-options';

interface JsonTensor {
  name: string;
  datatype: string;
  shape: number[];
  data: number[];
}

interface InferBody {
  id?: string;
  inputs?: JsonTensor[];
}

const DATATYPES: Record<string, string> = { float32: 'FP32', int64: 'INT64', float64: 'FP64', int32: 'INT32' };

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { model: { type: 'string' }, port: { type: 'string', default: '0' } } });
  if (!values.model) throw new Error('usage: plain-server --model <file.onnx> [--port <port>]');
  const session = await ort.InferenceSession.create(values.model, SESSION_OPTIONS);
  const app = Fastify({ logger: false, bodyLimit: 32 * 1024 * 1024 });

  app.post<{ Params: { name: string }; Body: InferBody }>('/v2/models/:name/infer', async (request, reply) => {
    const { id, inputs } = request.body ?? {};
    if (!Array.isArray(inputs) || inputs.length === 0) return reply.code(400).send({ error: '"inputs" must be a non-empty array' });
    const feeds: Record<string, ort.Tensor> = {};
    for (const t of inputs) {
      if (t.datatype !== 'FP32') return reply.code(400).send({ error: `input ${t.name}: only FP32 is supported` });
      feeds[t.name] = new ort.Tensor('float32', Float32Array.from(t.data), t.shape);
    }
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds);
    } catch (err) {
      return reply.code(400).send({ error: err instanceof Error ? err.message : String(err) });
    }
    return {
      model_name: request.params.name,
      ...(id ? { id } : {}),
      outputs: Object.entries(results).map(([name, value]) => ({
        name,
        datatype: DATATYPES[value.type] ?? value.type,
        shape: value.dims,
        data: Array.from(value.data as ArrayLike<number | bigint>, Number),
      })),
    };
  });

  const url = await app.listen({ host: '127.0.0.1', port: Number(values.port) });
  process.stdout.write(`${JSON.stringify({ msg: 'plain server listening', url })}\n`);

  const stop = () => {
    void app
      .close()
      .then(() => session.release())
      .finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`plain server failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
