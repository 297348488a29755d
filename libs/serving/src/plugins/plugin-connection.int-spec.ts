import * as grpc from '@grpc/grpc-js';
import { PluginCallError, PluginConnection } from './plugin-connection';
import { type FakePlugin, type FakePluginOptions, startFakePlugin } from './testing/fake-plugin';

const SECRET = 'connection-spec-secret';

describe.each([
  { transport: 'unary', inferStream: undefined },
  { transport: 'stream', inferStream: true },
] as const)('PluginConnection against a plugin written on plain @grpc/grpc-js (inferences: $transport)', ({ transport, inferStream }) => {
  let plugin: FakePlugin;
  let slow: FakePlugin;
  let connection: PluginConnection;

  beforeAll(async () => {
    plugin = await startFakePlugin('127.0.0.1:0', { secret: SECRET, id: 'fake-conn', formats: [{ name: 'fake', priority: 3 }], inferStream });
    slow = await startFakePlugin('127.0.0.1:0', { secret: SECRET, inferDelayMs: 2_000, inferStream });
    connection = new PluginConnection('fake-conn', { address: plugin.address, secret: SECRET });
    // GetInfo tells the connection whether the plugin streams inferences.
    expect(connection.inferenceTransport).toBe('unary');
    await connection.getInfo();
  });

  it(`sends inferences as ${transport} once GetInfo says how`, () => {
    expect(connection.inferenceTransport).toBe(transport);
  });

  afterAll(async () => {
    connection.close();
    await Promise.all([plugin.close(), slow.close()]);
  });

  it('reads the info, loads, lists and unloads (idempotently) with the secret on every call', async () => {
    const info = await connection.getInfo();
    expect(info).toMatchObject({ id: 'fake-conn', version: '0.0.1', protocol_version: 1, formats: [{ name: 'fake', priority: 3 }] });
    expect(info.capabilities).toMatchObject({ raw_contents: true, infer_stream: transport === 'stream' });

    const loaded = await connection.loadModel({ model_key: 'm1', artifact: { uri: 'file:///dev/null', sha256: 'a'.repeat(64), format: 'fake' } });
    expect(loaded).toMatchObject({ model_key: 'm1', sha256: 'a'.repeat(64) });
    expect((await connection.listModels()).map((m) => m.model_key)).toEqual(['m1']);
    expect(await connection.unloadModel('m1')).toBe(true);
    expect(await connection.unloadModel('m1')).toBe(false);
    expect(await connection.listModels()).toEqual([]);
  });

  it('infers: the fake plugin echoes typed and raw contents', async () => {
    await connection.loadModel({ model_key: 'echo', artifact: { sha256: 'b'.repeat(64) } });
    const raw = Buffer.from(new Float32Array([1.5, -2, 3]).buffer);
    const response = await connection.infer({
      model_name: 'echo',
      model_version: '7',
      id: 'req-1',
      inputs: [
        { name: 'x', datatype: 'FP32', shape: [1, 3] },
        { name: 'y', datatype: 'INT32', shape: [2], contents: { int_contents: [4, 5] } },
      ],
      raw_input_contents: [raw],
    });
    expect(response).toMatchObject({ model_name: 'echo', model_version: '7', id: 'req-1' });
    expect(response.outputs.map((o) => [o.name, o.datatype, o.shape])).toEqual([
      ['x', 'FP32', [1, 3]],
      ['y', 'INT32', [2]],
    ]);
    expect(response.outputs[1]!.contents!.int_contents).toEqual([4, 5]);
    expect(Buffer.compare(response.raw_output_contents[0]!, raw)).toBe(0);
    expect(plugin.inferred).toEqual(transport === 'stream' ? { unary: 0, stream: 1 } : { unary: 1, stream: 0 });
  });

  it('maps a plugin error to a PluginCallError with the status, the message and the plugin name', async () => {
    const err = await connection.infer({ model_name: 'not-loaded', inputs: [] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PluginCallError);
    expect(err).toMatchObject({ code: grpc.status.NOT_FOUND, plugin: 'fake-conn', method: 'ModelInfer', status: 'NOT_FOUND', kind: 'NOT_FOUND' });
    expect((err as Error).message).toBe('ModelInfer on plugin "fake-conn" failed (NOT_FOUND): model not-loaded is not loaded');
  });

  it('is refused with UNAUTHENTICATED without the right secret', async () => {
    const wrong = new PluginConnection('fake-conn', { address: plugin.address, secret: 'wrong' });
    try {
      await expect(wrong.getInfo()).rejects.toMatchObject({ code: grpc.status.UNAUTHENTICATED, kind: 'UNAUTHENTICATED' });
    } finally {
      wrong.close();
    }
  });

  it('checks and watches grpc.health.v1', async () => {
    expect(await connection.healthCheck()).toBe('SERVING');
    const statuses: string[] = [];
    const watch = connection.watchHealth('', (s) => statuses.push(s));
    await waitFor(() => statuses.length === 1);
    plugin.health.setStatus('', 'NOT_SERVING');
    await waitFor(() => statuses.length === 2);
    expect(await connection.healthCheck()).toBe('NOT_SERVING');
    watch.cancel();
    plugin.health.setStatus('', 'SERVING');
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
  });

  it('ends an inference at its deadline with DEADLINE_EXCEEDED', async () => {
    const toSlow = new PluginConnection('slow', { address: slow.address, secret: SECRET });
    try {
      await toSlow.getInfo();
      await toSlow.loadModel({ model_key: 'm', artifact: { sha256: 'c'.repeat(64) } });
      const started = Date.now();
      await expect(toSlow.infer({ model_name: 'm', inputs: [] }, 200)).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED });
      expect(Date.now() - started).toBeLessThan(1_500);
    } finally {
      toSlow.close();
    }
  });

  it('fails in-flight and new calls at once with UNAVAILABLE when marked unavailable, and works again after attach', async () => {
    const toSlow = new PluginConnection('slow', { address: slow.address, secret: SECRET });
    try {
      await toSlow.getInfo();
      await toSlow.loadModel({ model_key: 'm', artifact: { sha256: 'c'.repeat(64) } });
      const started = Date.now();
      const inFlight = toSlow.infer({ model_name: 'm', inputs: [] }).catch((e: unknown) => e);
      await new Promise((r) => setTimeout(r, 100));
      toSlow.markUnavailable('plugin "slow" exited unexpectedly (killed by SIGKILL)', { abortInFlight: true });
      const err = await inFlight;
      expect(Date.now() - started).toBeLessThan(1_000);
      expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, message: 'plugin "slow" exited unexpectedly (killed by SIGKILL)', plugin: 'slow' });
      expect(toSlow.available).toBe(false);
      await expect(toSlow.listModels()).rejects.toMatchObject({ code: grpc.status.UNAVAILABLE });

      toSlow.attach(plugin.address, SECRET);
      expect(toSlow.available).toBe(true);
      expect(toSlow.inferenceTransport).toBe('unary');
      expect((await toSlow.getInfo()).id).toBe('fake-conn');
      expect(toSlow.inferenceTransport).toBe(transport);
      await toSlow.loadModel({ model_key: 'after-attach', artifact: { sha256: 'd'.repeat(64) } });
      expect((await toSlow.infer({ model_name: 'after-attach', id: 'again', inputs: [] })).id).toBe('again');
    } finally {
      toSlow.close();
    }
  });

  it('answers many concurrent inferences each with its own outputs, and a failed one leaves the others alone', async () => {
    await connection.loadModel({ model_key: 'many', artifact: { sha256: 'e'.repeat(64) } });
    const calls = Array.from({ length: 40 }, (_, i) =>
      i % 10 === 3
        ? connection.infer({ model_name: 'missing', id: `r${i}`, inputs: [] }).then(
            () => 'answered',
            (err: PluginCallError) => err.status,
          )
        : connection.infer({ model_name: 'many', id: `r${i}`, inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [i] } }] }).then((r) => `${r.id}:${r.outputs[0]!.contents!.int_contents[0]}`),
    );
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 40 }, (_, i) => (i % 10 === 3 ? 'NOT_FOUND' : `r${i}:${i}`)));
  });
});

describe('PluginConnection over Plugin.InferStream', () => {
  const echoOne = (connection: PluginConnection, model: string, id: string) =>
    connection.infer({ model_name: model, id, inputs: [{ name: 'x', datatype: 'INT32', shape: [1], contents: { int_contents: [7] } }] });

  /** A fake plugin and a connection to it that has read its GetInfo and loaded model "m"; both closed after `use`. */
  async function connected(name: string, options: Omit<FakePluginOptions, 'secret'>, use: (connection: PluginConnection, plugin: FakePlugin) => Promise<void>): Promise<void> {
    const plugin = await startFakePlugin('127.0.0.1:0', { secret: SECRET, ...options });
    const connection = new PluginConnection(name, { address: plugin.address, secret: SECRET });
    try {
      await connection.getInfo();
      await connection.loadModel({ model_key: 'm', artifact: { sha256: 'f'.repeat(64) } });
      await use(connection, plugin);
    } finally {
      connection.close();
      await plugin.close();
    }
  }

  it('sends inferences as ModelInfer when a plugin offers InferStream but answers it UNIMPLEMENTED, without failing any', () =>
    connected('liar', { inferStream: 'unimplemented' }, async (connection) => {
      expect(connection.inferenceTransport).toBe('stream');
      const answers = await Promise.all([echoOne(connection, 'm', 'a'), echoOne(connection, 'm', 'b'), echoOne(connection, 'm', 'c')]);
      expect(answers.map((a) => a.id)).toEqual(['a', 'b', 'c']);
      expect(connection.inferenceTransport).toBe('unary');
      expect((await echoOne(connection, 'm', 'd')).id).toBe('d');
    }));

  it('fails the calls waiting on a stream that breaks with UNAVAILABLE, and opens a new stream for the next call', async () => {
    const first = await startFakePlugin('127.0.0.1:0', { secret: SECRET, inferStream: true, inferDelayMs: 2_000 });
    const connection = new PluginConnection('breaks', { address: first.address, secret: SECRET });
    let second: FakePlugin | null = null;
    try {
      await connection.getInfo();
      await connection.loadModel({ model_key: 'm', artifact: { sha256: 'f'.repeat(64) } });
      const started = Date.now();
      const waiting = [echoOne(connection, 'm', 'a').catch((e: unknown) => e), echoOne(connection, 'm', 'b').catch((e: unknown) => e)];
      await new Promise((r) => setTimeout(r, 100));
      await first.close();
      for (const err of await Promise.all(waiting)) {
        expect(err).toBeInstanceOf(PluginCallError);
        expect(err).toMatchObject({ code: grpc.status.UNAVAILABLE, method: 'ModelInfer', plugin: 'breaks' });
      }
      expect(Date.now() - started).toBeLessThan(1_900);

      // The same address comes back (a restarted remote plugin): the next call gets a new stream.
      const port = Number(first.address.slice(first.address.lastIndexOf(':') + 1));
      second = await startFakePlugin(`127.0.0.1:${port}`, { secret: SECRET, inferStream: true });
      await connection.loadModel({ model_key: 'm', artifact: { sha256: 'f'.repeat(64) } });
      expect((await echoOne(connection, 'm', 'after')).id).toBe('after');
      expect(connection.inferenceTransport).toBe('stream');
    } finally {
      connection.close();
      await second?.close();
    }
  });

  it('sends a request with more than 1 MiB of raw tensor bytes as ModelInfer, the small ones on the stream', () =>
    connected('big', { inferStream: true }, async (connection, plugin) => {
      const big = Buffer.alloc(4 * 300_000, 1);
      const answer = await connection.infer({ model_name: 'm', id: 'big', inputs: [{ name: 'x', datatype: 'FP32', shape: [300_000] }], raw_input_contents: [big] });
      expect(answer.raw_output_contents[0]!.length).toBe(big.length);
      expect((await echoOne(connection, 'm', 'small')).id).toBe('small');
      expect(plugin.inferred).toEqual({ unary: 1, stream: 1 });
    }));

  it('drops an answer that comes after its deadline and keeps the stream for the calls after it', () =>
    connected('late', { inferStream: true, inferDelayMs: 300 }, async (connection) => {
      const late = connection.infer({ model_name: 'm', id: 'late', inputs: [] }, 50);
      await expect(late).rejects.toMatchObject({ code: grpc.status.DEADLINE_EXCEEDED, message: 'ModelInfer on plugin "late" failed (DEADLINE_EXCEEDED): no answer within 50 ms' });
      // The late answer arrives while this call waits on the same stream; each gets only its own.
      expect((await connection.infer({ model_name: 'm', id: 'on-time', inputs: [] }, 2_000)).id).toBe('on-time');
    }));
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
