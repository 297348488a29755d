import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fromJson, toJson, type Tensor, type TensorLimits } from '@modelport/plugin-sdk';
import { GatewayError, toGatewayError } from './gateway.errors';
import type { GatewayService } from './gateway.service';

export interface V2RestOptions {
  /** Largest request body accepted, in bytes (413 above). */
  readonly maxBodyBytes: number;
  readonly limits: TensorLimits;
  readonly maxInputs: number;
  readonly maxRequestedOutputs: number;
  readonly serverVersion: string;
  /** False while the gateway is starting or draining. */
  ready(): boolean;
}

interface ModelParams {
  name: string;
  version?: string;
}

/**
 * The Open Inference Protocol over REST under /v2, in its own Fastify
 * context so that every error (including body-size and JSON errors raised by
 * Fastify itself) answers in the V2 form {"error": "..."}.
 */
export function registerV2Rest(fastify: FastifyInstance, gateway: GatewayService, options: V2RestOptions): void {
  fastify.register(
    async (v2) => {
    v2.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _request, reply) => {
      if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply.code(413).send({ error: `The request body is larger than the limit of ${options.maxBodyBytes} bytes. Send fewer rows per request.` });
      }
      if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return reply.code(415).send({ error: 'Send the request as JSON with "Content-Type: application/json".' });
      if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY' || err instanceof SyntaxError || err.statusCode === 400) {
        return reply.code(400).send({ error: `The request body is not valid JSON: ${err.message}` });
      }
      const g = toGatewayError(err);
      return reply.code(g.httpStatus).send({ error: g.message });
    });
    v2.setNotFoundHandler((request, reply) => reply.code(404).send({ error: `No V2 endpoint ${request.method} ${request.url.split('?')[0]}.` }));

    v2.get('', async () => ({ name: 'modelport', version: options.serverVersion, extensions: [] }));
    v2.get('/health/live', async () => ({ live: true }));
    v2.get('/health/ready', async (_request, reply) => (options.ready() ? { ready: true } : reply.code(503).send({ ready: false })));

    const metadata = async (request: FastifyRequest<{ Params: ModelParams }>) => {
      const caller = await gateway.authenticate(request.headers.authorization);
      const route = gateway.visibleRoute(caller, request.params.name, request.params.version ?? '');
      return {
        name: route.name,
        versions: [String(route.modelVersion)],
        platform: route.format,
        inputs: route.signature.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
        outputs: route.signature.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: [...t.shape] })),
      };
    };
    v2.get('/models/:name', metadata);
    v2.get('/models/:name/versions/:version', metadata);

    const ready = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
      const caller = await gateway.authenticate(request.headers.authorization);
      const route = gateway.visibleRoute(caller, request.params.name, request.params.version ?? '');
      const isReady = route.state === 'READY';
      return reply.code(isReady ? 200 : 503).send({ name: route.name, ready: isReady, state: route.state, ...(route.failure ? { reason: route.failure } : {}) });
    };
    v2.get('/models/:name/ready', ready);
    v2.get('/models/:name/versions/:version/ready', ready);

    const infer = async (request: FastifyRequest<{ Params: ModelParams }>, reply: FastifyReply) => {
      const caller = await gateway.authenticate(request.headers.authorization);
      const id = requestId(request.body);
      const answer = await gateway.infer(caller, {
        deployment: request.params.name,
        version: request.params.version ?? '',
        id,
        protocol: 'rest',
        decode: () => parseInferBody(request.body, options),
      });
      return reply.send({
        model_name: answer.route.name,
        model_version: String(answer.route.modelVersion),
        ...(id ? { id } : {}),
        parameters: answer.receipt,
        outputs: answer.outputs.map(toJson),
      });
    };
    const routeOptions = { bodyLimit: options.maxBodyBytes };
    v2.post('/models/:name/infer', routeOptions, infer);
    v2.post('/models/:name/versions/:version/infer', routeOptions, infer);
    },
    { prefix: '/v2' },
  );
}

/** The client's request id, echoed in the answer, when it is a sensible string. */
function requestId(body: unknown): string {
  const id = (body as { id?: unknown } | null)?.id;
  return typeof id === 'string' && id.length <= 256 ? id : '';
}

interface InferBody {
  id: string;
  inputs: Tensor[];
  outputs: string[];
  parameters: Record<string, unknown>;
}

/** Checks the untrusted JSON body's structure and decodes its tensors; every message says what was wrong. */
export function parseInferBody(body: unknown, options: Pick<V2RestOptions, 'limits' | 'maxInputs' | 'maxRequestedOutputs'>): InferBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw GatewayError.badRequest('The request body must be a JSON object with an "inputs" array (Open Inference Protocol).');
  }
  const b = body as Record<string, unknown>;
  if (b['id'] !== undefined && typeof b['id'] !== 'string') throw GatewayError.badRequest('"id" must be a string.');
  const id = (b['id'] as string | undefined) ?? '';
  if (id.length > 256) throw GatewayError.badRequest('"id" is longer than 256 characters.');
  const parameters = b['parameters'] ?? {};
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) throw GatewayError.badRequest('"parameters" must be an object.');
  if (!Array.isArray(b['inputs']) || b['inputs'].length === 0) throw GatewayError.badRequest('"inputs" must be a non-empty array of tensors.');
  if (b['inputs'].length > options.maxInputs) throw GatewayError.badRequest(`"inputs" has ${b['inputs'].length} tensors; at most ${options.maxInputs} are accepted.`);
  let totalBytes = 0;
  const inputs = b['inputs'].map((input) => {
    const tensor = fromJson(input, options.limits);
    totalBytes += tensorBytes(tensor);
    if (totalBytes > options.limits.maxBytes) {
      throw GatewayError.tooLarge(`The inputs together exceed the limit of ${options.limits.maxBytes} bytes. Send fewer rows per request.`);
    }
    return tensor;
  });
  const outputs: string[] = [];
  if (b['outputs'] !== undefined) {
    if (!Array.isArray(b['outputs'])) throw GatewayError.badRequest('"outputs" must be an array of {"name": ...} objects.');
    if (b['outputs'].length > options.maxRequestedOutputs) {
      throw GatewayError.badRequest(`${b['outputs'].length} outputs were requested; at most ${options.maxRequestedOutputs} are accepted.`);
    }
    for (const [i, o] of b['outputs'].entries()) {
      const name = (o as { name?: unknown } | null)?.name;
      if (typeof name !== 'string' || name === '') throw GatewayError.badRequest(`outputs[${i}] must be an object with a "name" string.`);
      outputs.push(name);
    }
  }
  return { id, inputs, outputs, parameters: parameters as Record<string, unknown> };
}

function tensorBytes(t: Tensor): number {
  const data = t.data as ArrayBufferView | Buffer[];
  return Array.isArray(data) ? data.reduce((n, b) => n + b.length + 4, 0) : data.byteLength;
}
