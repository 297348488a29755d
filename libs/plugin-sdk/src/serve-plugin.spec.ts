import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { type InferStreamRequest, type InferStreamResponse__Output, PLUGIN_SECRET_METADATA, pluginProto } from '@modelport/proto';
import { connectPlugin, PluginCallError, type HealthStatus, type PluginConnection } from './client';
import { silentPluginLogger } from './logger';
import { PluginError, type PluginRuntime } from './runtime';
import { servePlugin, type RunningPlugin, type ServePluginOptions } from './serve-plugin';
import { decodeInferOutputs, encodeInferInputs, type Tensor } from './tensors';
import { linearJsonRuntime } from './testing/linear-json-runtime';

const ARTIFACT = Buffer.from(JSON.stringify({ weights: [1, 2], bias: 0.5 }));
const SHA = createHash('sha256').update(ARTIFACT).digest('hex');
const X: Tensor = { name: 'x', datatype: 'FP32', shape: [2, 2], data: new Float32Array([1, 1, 0, 2]) };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((res) => (resolve = res));
  return { promise, resolve };
}

async function failure(p: Promise<unknown>): Promise<PluginCallError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PluginCallError);
  return err as PluginCallError;
}

/** A raw Plugin.InferStream call to a running plugin, collecting its answers in order of arrival. */
function openInferStream(running: RunningPlugin) {
  const client = new (pluginProto().modelport.plugin.v1.Plugin)(running.address, grpc.credentials.createInsecure());
  const metadata = new grpc.Metadata();
  metadata.set(PLUGIN_SECRET_METADATA, running.secret);
  const call = client.InferStream(metadata);
  const answers: InferStreamResponse__Output[] = [];
  call.on('data', (answer: InferStreamResponse__Output) => answers.push(answer));
  call.on('error', () => undefined);
  const status = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  const send = (message: InferStreamRequest) => call.write(message);
  const until = async (count: number) => {
    for (const deadline = Date.now() + 5_000; answers.length < count; await new Promise((r) => setTimeout(r, 5))) {
      if (Date.now() > deadline) throw new Error(`only ${answers.length} of ${count} answers came`);
    }
  };
  return { call, answers, send, until, status, close: () => client.close() };
}

describe('servePlugin (in process, over a unix socket)', () => {
  let dir: string;
  let uri: string;
  let running: RunningPlugin | undefined;
  let conn: PluginConnection | undefined;
  let handshake: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mp-serve-'));
    writeFileSync(join(dir, 'model.json'), ARTIFACT);
    uri = pathToFileURL(join(dir, 'model.json')).href;
    handshake = [];
  });
  afterEach(async () => {
    conn?.close();
    await running?.close();
    running = undefined;
    conn = undefined;
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(runtime: PluginRuntime, options: ServePluginOptions = {}) {
    running = await servePlugin(runtime, {
      socketPath: join(dir, 'plugin.sock'),
      secret: 'test-secret',
      handleSignals: false,
      logger: silentPluginLogger,
      workDir: dir,
      env: {},
      handshakeOutput: {
        write: (chunk, cb) => {
          handshake.push(chunk);
          cb?.();
        },
      },
      ...options,
    });
    conn = connectPlugin(running.address, running.secret);
    return { running, conn };
  }
  const load = (c: PluginConnection, key = 'm1', over: Record<string, unknown> = {}) =>
    c.loadModel({ model_key: key, artifact: { uri, sha256: SHA, size_bytes: ARTIFACT.length, format: 'linear-json', ...over } });

  it('listens on the socket (mode 0600) and prints the handshake line', async () => {
    const { running } = await start(linearJsonRuntime());
    expect(handshake).toEqual([`MODELPORT-PLUGIN|1|unix|${join(dir, 'plugin.sock')}|grpc\n`]);
    expect(running.address).toBe(`unix:${join(dir, 'plugin.sock')}`);
    expect(statSync(join(dir, 'plugin.sock')).mode & 0o777).toBe(0o600);
  });

  it('refuses calls without the right secret, except health', async () => {
    const { running } = await start(linearJsonRuntime());
    for (const secret of ['', 'wrong']) {
      const other = connectPlugin(running.address, secret);
      try {
        expect((await failure(other.getInfo())).code).toBe('UNAUTHENTICATED');
        expect((await failure(other.infer({ model_name: 'm1' }))).code).toBe('UNAUTHENTICATED');
        expect((await failure(other.serverLive())).code).toBe('UNAUTHENTICATED');
        expect(await other.checkHealth('')).toBe('SERVING');
      } finally {
        other.close();
      }
    }
  });

  it('describes itself in GetInfo and ServerMetadata', async () => {
    const { conn } = await start(linearJsonRuntime(), { maxMessageBytes: 1 << 20 });
    expect(await conn.getInfo()).toEqual({
      id: 'example-linear-json',
      version: '1.0.0',
      protocol_version: 1,
      formats: [{ name: 'linear-json', priority: 1 }],
      capabilities: { raw_contents: true, batching: false, max_message_bytes: 1 << 20, infer_stream: true },
      details: { runtime: 'plain TypeScript' },
    });
    expect(await conn.serverMetadata()).toEqual({ name: 'example-linear-json', version: '1.0.0', extensions: [] });
    expect(await conn.serverLive()).toBe(true);
    expect(await conn.serverReady()).toBe(true);
  });

  it('loads a verified artifact, reports the runtime signature, and deletes the temporary copy', async () => {
    const runtime = linearJsonRuntime();
    const spy = jest.spyOn(runtime, 'loadModel');
    const { conn } = await start(runtime);
    const loaded = await load(conn);
    expect(loaded).toEqual({
      model_key: 'm1',
      sha256: SHA,
      signature: {
        inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
        outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
      },
      loaded_at_ms: expect.any(Number),
    });
    const temp = spy.mock.calls[0]![0].path;
    expect(existsSync(temp)).toBe(false);
    expect(await load(conn)).toEqual(loaded);
    expect(spy).toHaveBeenCalledTimes(1);
    expect(await conn.listModels()).toEqual([loaded]);
    expect(await conn.modelReady('m1')).toBe(true);
    expect(await conn.modelMetadata('m1')).toEqual({
      name: 'm1',
      versions: [],
      platform: 'linear-json',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }],
    });
  });

  it('refuses a digest mismatch with FAILED_PRECONDITION naming both digests, loading nothing', async () => {
    const runtime = linearJsonRuntime();
    const spy = jest.spyOn(runtime, 'loadModel');
    const { conn } = await start(runtime);
    const wrong = '0'.repeat(64);
    const err = await failure(load(conn, 'm1', { sha256: wrong }));
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.details).toContain(`expected ${wrong}, got ${SHA}`);
    expect(spy).not.toHaveBeenCalled();
    expect(await conn.listModels()).toEqual([]);
    const leftovers = readdirSync(dir).filter((f) => f.startsWith('modelport-plugin-'));
    expect(leftovers.flatMap((d) => readdirSync(join(dir, d)))).toEqual([]);
  });

  it('answers ALREADY_EXISTS for a loaded key with another sha256', async () => {
    const { conn } = await start(linearJsonRuntime());
    await load(conn);
    writeFileSync(join(dir, 'other.json'), '{"weights":[3,3],"bias":0}');
    const other = createHash('sha256').update('{"weights":[3,3],"bias":0}').digest('hex');
    const err = await failure(load(conn, 'm1', { uri: pathToFileURL(join(dir, 'other.json')).href, sha256: other, size_bytes: 0 }));
    expect(err.code).toBe('ALREADY_EXISTS');
    expect((await conn.listModels()).map((m) => m.sha256)).toEqual([SHA]);
  });

  it('passes the status of a PluginError, and maps other runtime errors to INTERNAL', async () => {
    const runtime = linearJsonRuntime();
    jest
      .spyOn(runtime, 'loadModel')
      .mockRejectedValueOnce(new PluginError('RESOURCE_EXHAUSTED', 'not enough memory for this model'))
      .mockRejectedValueOnce(new Error('the file is corrupt'));
    const { conn } = await start(runtime);
    const first = await failure(load(conn));
    expect([first.code, first.details]).toEqual(['RESOURCE_EXHAUSTED', 'not enough memory for this model']);
    const second = await failure(load(conn));
    expect([second.code, second.details]).toEqual(['INTERNAL', 'the file is corrupt']);
    expect(await conn.listModels()).toEqual([]);
  });

  it('infers in the encoding of the request, keeping only the requested outputs and echoing the id', async () => {
    const runtime = linearJsonRuntime();
    const infer = runtime.infer.bind(runtime);
    jest.spyOn(runtime, 'infer').mockImplementation(async (key, request) => {
      const { outputs } = await infer(key, request);
      return { outputs: [...outputs, { name: 'debug', datatype: 'INT32', shape: [1], data: new Int32Array([7]) }] };
    });
    const { conn } = await start(runtime);
    await load(conn);
    const typed = await conn.infer({ model_name: 'm1', id: 'req-1', ...encodeInferInputs([X], 'typed') });
    expect(typed).toMatchObject({ model_name: 'm1', model_version: '', id: 'req-1', raw_output_contents: [] });
    expect(typed.outputs.map((o) => o.name)).toEqual(['y', 'debug']);
    expect(typed.outputs[0]!.contents!.fp32_contents).toEqual([3.5, 4.5]);

    const raw = await conn.infer({ model_name: 'm1', id: 'req-2', ...encodeInferInputs([X], 'raw'), outputs: [{ name: 'y' }] });
    expect(raw.id).toBe('req-2');
    expect(raw.outputs.map((o) => o.name)).toEqual(['y']);
    expect(raw.raw_output_contents).toHaveLength(1);
    expect(Array.from(decodeInferOutputs(raw)[0]!.data as Float32Array)).toEqual([3.5, 4.5]);
  });

  it('offers InferStream and answers each request on it by call id as soon as it is done, failures included', async () => {
    const gate = deferred();
    const runtime = linearJsonRuntime();
    const infer = runtime.infer.bind(runtime);
    jest.spyOn(runtime, 'infer').mockImplementation(async (key, request) => {
      if (request.id === 'slow') await gate.promise;
      return infer(key, request);
    });
    const { running, conn } = await start(runtime);
    expect((await conn.getInfo()).capabilities).toMatchObject({ infer_stream: true });
    await load(conn);
    const stream = openInferStream(running);
    try {
      stream.send({ call_id: 1, request: { model_name: 'm1', id: 'slow', ...encodeInferInputs([X], 'raw') } });
      stream.send({ call_id: 2, request: { model_name: 'm1', id: 'fast', ...encodeInferInputs([X], 'raw') } });
      stream.send({ call_id: 3, request: { model_name: 'nope', ...encodeInferInputs([X], 'raw') } });
      stream.send({ call_id: 4 });
      await stream.until(3);
      expect(stream.answers.map((a) => [a.call_id, a.code, a.message, a.response?.id ?? null])).toEqual([
        [2, 0, '', 'fast'],
        [3, grpc.status.NOT_FOUND, 'model "nope" is not loaded on this plugin', null],
        [4, grpc.status.INVALID_ARGUMENT, 'request is required: the ModelInferRequest to run', null],
      ]);
      expect(Array.from(decodeInferOutputs(stream.answers[0]!.response!)[0]!.data as Float32Array)).toEqual([3.5, 4.5]);
      gate.resolve();
      await stream.until(4);
      expect([stream.answers[3]!.call_id, stream.answers[3]!.response?.id]).toEqual([1, 'slow']);
      // The client ends its side: the plugin ends the stream with OK.
      stream.call.end();
      expect((await stream.status).code).toBe(grpc.status.OK);
    } finally {
      stream.close();
    }
  });

  it('drains open inference streams at shutdown: answers what they took, refuses new requests UNAVAILABLE, then ends them', async () => {
    const gate = deferred();
    const order: string[] = [];
    const runtime = linearJsonRuntime();
    const infer = runtime.infer.bind(runtime);
    jest.spyOn(runtime, 'infer').mockImplementation(async (key, request) => {
      order.push(`infer ${request.id}`);
      await gate.promise;
      return infer(key, request);
    });
    jest.spyOn(runtime, 'close').mockImplementation(async () => void order.push('runtime closed'));
    const { running, conn } = await start(runtime);
    await load(conn);
    const stream = openInferStream(running);
    try {
      stream.send({ call_id: 7, request: { model_name: 'm1', id: 'taken', ...encodeInferInputs([X], 'raw') } });
      while (!order.includes('infer taken')) await new Promise((r) => setTimeout(r, 5));
      const closed = running.close();
      stream.send({ call_id: 8, request: { model_name: 'm1', id: 'late', ...encodeInferInputs([X], 'raw') } });
      await stream.until(1);
      expect(stream.answers.map((a) => [a.call_id, grpc.status[a.code]])).toEqual([[8, 'UNAVAILABLE']]);
      expect(stream.answers[0]!.message).toContain('shutting down');
      gate.resolve();
      await stream.until(2);
      expect([stream.answers[1]!.call_id, stream.answers[1]!.code, stream.answers[1]!.response?.id]).toEqual([7, 0, 'taken']);
      expect((await stream.status).code).toBe(grpc.status.OK);
      await closed;
      expect(order).toEqual(['infer taken', 'runtime closed']);
    } finally {
      stream.close();
    }
  });

  it('refuses bad requests with the status the contract names', async () => {
    const runtime = linearJsonRuntime();
    jest.spyOn(runtime, 'infer').mockRejectedValueOnce(new PluginError('INVALID_ARGUMENT', 'x must be finite'));
    const { conn } = await start(runtime);
    await load(conn);
    await load(conn, 'secret-model');
    const unknown = await failure(conn.infer({ model_name: 'nope', ...encodeInferInputs([X], 'typed') }));
    expect(unknown.code).toBe('NOT_FOUND');
    expect(unknown.details).toBe('model "nope" is not loaded on this plugin');
    const wrongType = await failure(conn.infer({ model_name: 'm1', ...encodeInferInputs([{ ...X, datatype: 'INT32', data: new Int32Array(4) }], 'typed') }));
    expect(wrongType.code).toBe('INVALID_ARGUMENT');
    expect(wrongType.details).toContain('the model expects FP32');
    const unknownOutput = await failure(conn.infer({ model_name: 'm1', ...encodeInferInputs([X], 'typed'), outputs: [{ name: 'z' }] }));
    expect(unknownOutput.code).toBe('INVALID_ARGUMENT');
    const fromRuntime = await failure(conn.infer({ model_name: 'm1', ...encodeInferInputs([X], 'typed') }));
    expect([fromRuntime.code, fromRuntime.details]).toEqual(['INVALID_ARGUMENT', 'x must be finite']);
    expect((await failure(conn.modelMetadata('nope'))).code).toBe('NOT_FOUND');
    expect(await conn.modelReady('nope')).toBe(false);
  });

  it('refuses messages above the configured size', async () => {
    const { conn } = await start(linearJsonRuntime(), { maxMessageBytes: 4096 });
    await load(conn);
    const big: Tensor = { name: 'x', datatype: 'FP32', shape: [1024, 2], data: new Float32Array(2048) };
    expect((await failure(conn.infer({ model_name: 'm1', ...encodeInferInputs([big], 'raw') }))).code).toBe('RESOURCE_EXHAUSTED');
  });

  it('makes each loaded key a health service, forgotten after unload', async () => {
    const { conn } = await start(linearJsonRuntime());
    expect(await conn.checkHealth('m1')).toBe('SERVICE_UNKNOWN');
    const seen: HealthStatus[] = [];
    const watch = conn.watchHealth('m1', (s) => seen.push(s));
    await load(conn);
    expect(await conn.checkHealth('m1')).toBe('SERVING');
    expect(await conn.unloadModel('m1')).toBe(true);
    expect(await conn.unloadModel('m1')).toBe(false);
    expect(await conn.checkHealth('m1')).toBe('SERVICE_UNKNOWN');
    expect(await conn.modelReady('m1')).toBe(false);
    await new Promise((r) => setTimeout(r, 50));
    watch.cancel();
    expect(seen).toEqual(['SERVICE_UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN']);
  });

  it('shuts down gracefully: NOT_SERVING, in-flight calls finish, then runtime.close', async () => {
    const gate = deferred();
    const order: string[] = [];
    const runtime = linearJsonRuntime();
    const infer = runtime.infer.bind(runtime);
    jest.spyOn(runtime, 'infer').mockImplementation(async (key, req) => {
      order.push('infer started');
      await gate.promise;
      order.push('infer finished');
      return infer(key, req);
    });
    jest.spyOn(runtime, 'close').mockImplementation(async () => void order.push('runtime closed'));
    const { running, conn } = await start(runtime);
    await load(conn);
    const statuses: HealthStatus[] = [];
    const watch = conn.watchHealth('', (s) => statuses.push(s));
    const pending = conn.infer({ model_name: 'm1', id: 'slow', ...encodeInferInputs([X], 'typed') });
    while (!order.includes('infer started')) await new Promise((r) => setTimeout(r, 5));

    const closed = running.close();
    await new Promise((r) => setTimeout(r, 50));
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    expect(order).toEqual(['infer started']);
    gate.resolve();
    expect((await pending).id).toBe('slow');
    await closed;
    await watch.ended;
    expect(order).toEqual(['infer started', 'infer finished', 'runtime closed']);
    expect(existsSync(join(dir, 'plugin.sock'))).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('modelport-plugin-'))).toEqual([]);
  });

  it('cuts calls still running after the grace period, then closes the runtime', async () => {
    const runtime = linearJsonRuntime();
    jest.spyOn(runtime, 'infer').mockImplementation(() => new Promise(() => undefined));
    const close = jest.spyOn(runtime, 'close');
    const { running, conn } = await start(runtime, { gracePeriodMs: 300 });
    await load(conn);
    const stuck = conn.infer({ model_name: 'm1', ...encodeInferInputs([X], 'typed') }).then(
      () => 'answered',
      (err: PluginCallError) => err.code,
    );
    await new Promise((r) => setTimeout(r, 50));
    const started = Date.now();
    await running.close();
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(close).toHaveBeenCalledTimes(1);
    expect(await stuck).toMatch(/^(UNAVAILABLE|CANCELLED)$/);
  });

  it('writes the handshake error line and rejects when no protocol version is shared', async () => {
    await expect(
      servePlugin(linearJsonRuntime(), {
        handleSignals: false,
        logger: silentPluginLogger,
        env: { MODELPORT_PLUGIN_PROTOCOL_VERSIONS: '2', MODELPORT_PLUGIN_SOCKET: join(dir, 'p.sock'), MODELPORT_PLUGIN_SECRET: 's' },
        handshakeOutput: {
          write: (chunk, cb) => {
            handshake.push(chunk);
            cb?.();
          },
        },
      }),
    ).rejects.toThrow('the host offers plugin protocol version(s) 2, this plugin speaks 1');
    expect(handshake).toEqual(['MODELPORT-PLUGIN-ERROR|the host offers plugin protocol version(s) 2, this plugin speaks 1\n']);
    expect(existsSync(join(dir, 'p.sock'))).toBe(false);
  });

  it('refuses an incomplete runtime before listening', async () => {
    const broken = { ...linearJsonRuntime(), description: { id: '', version: '1.0.0', formats: [] } } as PluginRuntime;
    await expect(start(broken)).rejects.toThrow('invalid plugin runtime: description.id is empty; description.formats lists no model format');
    expect(handshake[0]).toMatch(/^MODELPORT-PLUGIN-ERROR\|invalid plugin runtime/);
  });
});
