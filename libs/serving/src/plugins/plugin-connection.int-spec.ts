import * as grpc from '@grpc/grpc-js';
import { PluginCallError, PluginConnection } from './plugin-connection';
import { type FakePlugin, startFakePlugin } from './testing/fake-plugin';

const SECRET = 'connection-spec-secret';

describe('PluginConnection against a plugin written on plain @grpc/grpc-js', () => {
  let plugin: FakePlugin;
  let slow: FakePlugin;
  let connection: PluginConnection;

  beforeAll(async () => {
    plugin = await startFakePlugin('127.0.0.1:0', { secret: SECRET, id: 'fake-conn', formats: [{ name: 'fake', priority: 3 }] });
    slow = await startFakePlugin('127.0.0.1:0', { secret: SECRET, inferDelayMs: 2_000 });
    connection = new PluginConnection('fake-conn', { address: plugin.address, secret: SECRET });
  });

  afterAll(async () => {
    connection.close();
    await Promise.all([plugin.close(), slow.close()]);
  });

  it('reads the info, loads, lists and unloads (idempotently) with the secret on every call', async () => {
    const info = await connection.getInfo();
    expect(info).toMatchObject({ id: 'fake-conn', version: '0.0.1', protocol_version: 1, formats: [{ name: 'fake', priority: 3 }] });
    expect(info.capabilities).toMatchObject({ raw_contents: true });

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
      expect((await toSlow.getInfo()).id).toBe('fake-conn');
    } finally {
      toSlow.close();
    }
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
