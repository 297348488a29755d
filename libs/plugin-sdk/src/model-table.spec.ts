import { CallError } from './call-error';
import { silentPluginLogger } from './logger';
import { ModelTable, type LoadRequest } from './model-table';
import type { ModelToLoad, PluginRuntime, SignatureSpec } from './runtime';

const SHA_A = 'a'.repeat(64);
const SHA_B = 'b'.repeat(64);
const SIGNATURE: SignatureSpec = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 2] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1, 1] }] };

function deferred<T = void>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

function setup(overrides: { loadModel?: PluginRuntime['loadModel']; unloadModel?: PluginRuntime['unloadModel']; fetchArtifact?: () => Promise<string> } = {}) {
  const events: string[] = [];
  const removed: string[] = [];
  let n = 0;
  const runtime = {
    loadModel: jest.fn(overrides.loadModel ?? (async (_m: ModelToLoad) => ({ signature: SIGNATURE }))),
    unloadModel: jest.fn(overrides.unloadModel ?? (async (_key: string) => undefined)),
  };
  const fetchArtifact = jest.fn(overrides.fetchArtifact ?? (async () => `/tmp/artifact-${++n}`));
  let clock = 1000;
  const table = new ModelTable({
    runtime,
    formats: ['onnx'],
    fetchArtifact,
    removeFile: async (p) => void removed.push(p),
    logger: silentPluginLogger,
    now: () => clock++,
    events: {
      loaded: (k) => events.push(`loaded ${k}`),
      unloading: (k) => events.push(`unloading ${k}`),
      unloaded: (k) => events.push(`unloaded ${k}`),
    },
  });
  return { table, runtime, fetchArtifact, events, removed };
}

const request = (over: Partial<LoadRequest> = {}): LoadRequest => ({
  key: 'm1',
  uri: 'file:///models/a.onnx',
  sha256: SHA_A,
  sizeBytes: 10,
  format: 'onnx',
  signature: { inputs: [], outputs: [] },
  config: { threads: '2' },
  ...over,
});

async function rejection(p: Promise<unknown>): Promise<CallError> {
  try {
    await p;
  } catch (err) {
    return err as CallError;
  }
  throw new Error('expected a rejection');
}

describe('ModelTable', () => {
  it('loads through the runtime with the verified file, then deletes the file', async () => {
    const { table, runtime, removed, events } = setup();
    const loaded = await table.load(request());
    expect(runtime.loadModel).toHaveBeenCalledWith({
      key: 'm1',
      path: '/tmp/artifact-1',
      sha256: SHA_A,
      format: 'onnx',
      signature: { inputs: [], outputs: [] },
      config: { threads: '2' },
    });
    expect(loaded).toEqual({ key: 'm1', sha256: SHA_A, format: 'onnx', signature: SIGNATURE, loadedAtMs: expect.any(Number) });
    expect(removed).toEqual(['/tmp/artifact-1']);
    expect(events).toEqual(['loaded m1']);
    expect(table.list()).toEqual([loaded]);
  });

  it('treats the same key with the same sha256 as a no-op and another sha256 as ALREADY_EXISTS', async () => {
    const { table, runtime } = setup();
    const first = await table.load(request());
    const again = await table.load(request({ sha256: SHA_A.toUpperCase() }));
    expect(again).toBe(first);
    expect(runtime.loadModel).toHaveBeenCalledTimes(1);
    const err = await rejection(table.load(request({ sha256: SHA_B })));
    expect(err).toBeInstanceOf(CallError);
    expect(err.code).toBe('ALREADY_EXISTS');
    expect(err.message).toContain(SHA_A);
    expect(err.message).toContain(SHA_B);
    expect(table.get('m1')?.sha256).toBe(SHA_A);
  });

  it('shares one download and one runtime load between concurrent loads of a key', async () => {
    const gate = deferred();
    const { table, runtime, fetchArtifact } = setup({
      loadModel: async () => {
        await gate.promise;
        return { signature: SIGNATURE };
      },
    });
    const a = table.load(request());
    const b = table.load(request());
    const conflicting = rejection(table.load(request({ sha256: SHA_B })));
    await new Promise((r) => setImmediate(r));
    gate.resolve();
    const [ra, rb] = await Promise.all([a, b]);
    expect(ra).toBe(rb);
    expect(runtime.loadModel).toHaveBeenCalledTimes(1);
    expect(fetchArtifact).toHaveBeenCalledTimes(1);
    expect((await conflicting).code).toBe('ALREADY_EXISTS');
  });

  it('keeps nothing when the runtime fails, and deletes the file', async () => {
    const { table, removed, events } = setup({
      loadModel: async () => {
        throw new Error('bad model');
      },
    });
    await expect(table.load(request())).rejects.toThrow('bad model');
    expect(table.list()).toEqual([]);
    expect(removed).toEqual(['/tmp/artifact-1']);
    expect(events).toEqual([]);
    // A later load of the key starts afresh.
    await expect(table.load(request())).rejects.toThrow('bad model');
  });

  it('never calls the runtime when the download is refused', async () => {
    const { table, runtime } = setup({
      fetchArtifact: async () => {
        throw new CallError('FAILED_PRECONDITION', 'artifact sha256 mismatch');
      },
    });
    expect((await rejection(table.load(request()))).code).toBe('FAILED_PRECONDITION');
    expect(runtime.loadModel).not.toHaveBeenCalled();
  });

  it.each([
    [{ key: '' }, 'model_key is required'],
    [{ key: 'a\nb' }, 'control characters'],
    [{ sha256: 'abc' }, '64 hex digits'],
    [{ format: 'pmml' }, 'artifact.format "pmml" is not served by this plugin; it serves onnx'],
    [{ uri: '' }, 'artifact.uri is required'],
  ])('refuses %j with INVALID_ARGUMENT', async (over, message) => {
    const { table } = setup();
    const err = await rejection(table.load(request(over)));
    expect(err.code).toBe('INVALID_ARGUMENT');
    expect(err.message).toContain(message);
  });

  it('unloads idempotently', async () => {
    const { table, runtime, events } = setup();
    await table.load(request());
    expect(await table.unload('m1')).toBe(true);
    expect(await table.unload('m1')).toBe(false);
    expect(await table.unload('never')).toBe(false);
    expect(runtime.unloadModel).toHaveBeenCalledTimes(1);
    expect(events).toEqual(['loaded m1', 'unloading m1', 'unloaded m1']);
    expect(table.list()).toEqual([]);
  });

  it('stops routing new requests at once on unload, and unloads after the in-flight ones finish', async () => {
    const { table, runtime } = setup();
    await table.load(request());
    const inFlight = deferred<string>();
    const using = table.use('m1', () => inFlight.promise);
    const unloading = table.unload('m1');
    await new Promise((r) => setImmediate(r));
    await expect(table.use('m1', async () => 'late')).rejects.toThrow('model "m1" is not loaded on this plugin');
    expect(runtime.unloadModel).not.toHaveBeenCalled();
    inFlight.resolve('done');
    expect(await using).toBe('done');
    expect(await unloading).toBe(true);
    expect(runtime.unloadModel).toHaveBeenCalledWith('m1');
  });

  it('waits for a pending load before unloading the key', async () => {
    const gate = deferred();
    const { table, runtime } = setup({
      loadModel: async () => {
        await gate.promise;
        return { signature: SIGNATURE };
      },
    });
    const loading = table.load(request());
    const unloading = table.unload('m1');
    gate.resolve();
    await loading;
    expect(await unloading).toBe(true);
    expect(runtime.unloadModel).toHaveBeenCalledTimes(1);
  });

  it('refuses loads once closing', async () => {
    const { table } = setup();
    await table.close();
    expect((await rejection(table.load(request()))).code).toBe('UNAVAILABLE');
  });
});
