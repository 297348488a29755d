import { defineAbilityFor, type AccessService, type Caller } from '@modelport/governance';
import { silentLogger } from '@modelport/observability';
import { DEFAULT_TENSOR_LIMITS, type SignatureSpec, type Tensor } from '@modelport/plugin-sdk';
import type { ModelInferRequest, ModelInferResponse__Output } from '@modelport/proto';
import { RouteTable, type Route, type RouteVariant } from '../deployments/domain/route-table';
import type { ServingBackend } from '../deployments/domain/serving-backend';
import type { PredictionLogRow } from '../predictions';
import { GatewayService, type PredictionSink } from './gateway.service';

const signature: SignatureSpec = { inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 1] }], outputs: [{ name: 'y', datatype: 'FP32', shape: [-1] }] };

const variant = (role: 'canary' | 'shadow', version: number, weight = 0): RouteVariant => ({
  role,
  modelVersionId: `00000000-0000-4000-8000-00000000000${version}`,
  modelVersion: version,
  artifactSha256: String(version).repeat(64),
  pluginName: 'onnx',
  pluginId: 'onnx',
  pluginVersion: '1',
  modelKey: `m/v${version}`,
  signature,
  weight,
});

function route(extra: Partial<Route> = {}): Route {
  return {
    deploymentId: '10000000-0000-4000-8000-000000000000',
    projectId: '20000000-0000-4000-8000-000000000000',
    name: 'scorer',
    state: 'READY',
    failure: null,
    modelId: '30000000-0000-4000-8000-000000000000',
    modelVersionId: '00000000-0000-4000-8000-000000000001',
    modelVersion: 1,
    artifactSha256: '1'.repeat(64),
    format: 'onnx',
    pluginName: 'onnx',
    pluginId: 'onnx',
    pluginVersion: '1',
    modelKey: 'm/v1',
    signature,
    payloadLogging: 'full',
    payloadSampleRate: 1,
    maxBatchSize: null,
    maxBatchDelayMs: null,
    ...extra,
  };
}

/** A plugin whose models answer y = x * version, each after the delay (or with the failure) set for its key. */
function backend() {
  const behaviour = new Map<string, { delayMs?: number; fail?: string }>();
  const calls: string[] = [];
  const b: ServingBackend = {
    choosePlugin: () => ({ name: 'onnx', id: 'onnx', version: '1' }),
    loadModel: async () => ({}) as never,
    unloadModel: async () => undefined,
    infer: async (_plugin: string, request: ModelInferRequest): Promise<ModelInferResponse__Output> => {
      const key = request.model_name!;
      calls.push(key);
      const how = behaviour.get(key) ?? {};
      if (how.delayMs) await new Promise((r) => setTimeout(r, how.delayMs));
      if (how.fail) throw Object.assign(new Error(how.fail), { code: 14 });
      const factor = Number(key.split('/v')[1]);
      const x = new Float32Array(new Uint8Array(request.raw_input_contents![0] as Buffer).buffer.slice(0));
      const y = Buffer.from(new Float32Array([...x].map((v) => v * factor)).buffer);
      return {
        model_name: key,
        model_version: '',
        id: request.id ?? '',
        parameters: {},
        outputs: [{ name: 'y', datatype: 'FP32', shape: [x.length], parameters: {}, contents: null }],
        raw_output_contents: [y],
      } as unknown as ModelInferResponse__Output;
    },
  };
  return { b, behaviour, calls };
}

function sink(): PredictionSink & { rows: PredictionLogRow[] } {
  const rows: PredictionLogRow[] = [];
  return { rows, hasRoom: () => true, tryAppend: (row) => (rows.push(row), true) };
}

const caller = (userId: string): Caller => {
  const principal = { userId, userName: userId, isPlatformAdmin: true, tokenId: 't', memberships: new Map() };
  return { principal, ability: defineAbilityFor(principal) };
};

function gateway(r: Route, maxShadowInflight = 64) {
  const routes = new RouteTable();
  routes.set(r);
  const plugin = backend();
  const log = sink();
  const gw = new GatewayService(
    {} as AccessService,
    routes,
    plugin.b,
    log,
    { limits: DEFAULT_TENSOR_LIMITS, authCacheMs: 1000, inferDeadlineMs: 5000, maxRequestedOutputs: 8, maxShadowInflight },
    silentLogger(),
  );
  const infer = (who = caller('u1'), x = 2, parameters: Record<string, unknown> = {}, version = '') =>
    gw.infer(who, {
      deployment: 'scorer',
      version,
      id: '',
      protocol: 'rest',
      decode: () => ({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 1], data: new Float32Array([x]) } as Tensor], outputs: [], parameters }),
    });
  return { gw, plugin, log, infer };
}

/** Longer than the shadow batch window (20 ms). */
const settle = () => new Promise((r) => setTimeout(r, 60));
/** Waits until `done()` holds (shadow copies run after the answer, gathered into batches); gives up after 10 s. */
async function until(done: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('the gateway routes by traffic policy', () => {
  it('splits live traffic between the champion and canaries by weight, and names the version that answered', async () => {
    const { infer, log } = gateway(route({ canaries: [variant('canary', 2, 30)] }));
    const versions: number[] = [];
    for (let i = 0; i < 2000; i++) versions.push(Number((await infer()).receipt.model_version));
    const canaryShare = versions.filter((v) => v === 2).length / versions.length;
    expect(canaryShare).toBeGreaterThan(0.26);
    expect(canaryShare).toBeLessThan(0.34);
    // The log row is the answering version's, with its own artifact.
    const canaryRow = log.rows.find((r) => r.modelVersion === 2)!;
    expect(canaryRow).toMatchObject({ artifactSha256: '2'.repeat(64), status: 'ok' });
    expect(canaryRow.role ?? 'live').toBe('live');
  });

  it('keeps one caller on one version when sticky by consumer, and by a request parameter', async () => {
    const { infer } = gateway(route({ canaries: [variant('canary', 2, 50)], stickyBy: 'consumer' }));
    for (const user of ['alice', 'bob', 'carol', 'dave']) {
      const seen = new Set<string>();
      for (let i = 0; i < 20; i++) seen.add((await infer(caller(user))).receipt.model_version);
      expect(seen.size).toBe(1);
    }
    const byParameter = gateway(route({ canaries: [variant('canary', 2, 50)], stickyBy: 'request-parameter', stickyParameter: 'customer' }));
    const answers = new Map<string, Set<string>>();
    for (let i = 0; i < 200; i++) {
      const key = `c${i % 10}`;
      const seen = answers.get(key) ?? new Set<string>();
      seen.add((await byParameter.infer(caller(`u${i}`), 1, { customer: key })).receipt.model_version);
      answers.set(key, seen);
    }
    expect([...answers.values()].every((s) => s.size === 1)).toBe(true);
    // Different keys still spread over both versions.
    expect(new Set([...answers.values()].map((s) => [...s][0])).size).toBe(2);
  });

  it('answers with a canary when the request names its version, and 404s a version that takes no live traffic', async () => {
    const { infer } = gateway(route({ canaries: [variant('canary', 2, 10)], shadows: [variant('shadow', 3)] }));
    for (let i = 0; i < 10; i++) expect((await infer(caller('u'), 1, {}, '2')).receipt.model_version).toBe('2');
    await expect(infer(caller('u'), 1, {}, '3')).rejects.toMatchObject({ httpStatus: 404, message: expect.stringMatching(/serves model version 1, 2, not "3"/) });
  });

  it('copies each live request to every shadow off the response path, and logs the copy with the live prediction id', async () => {
    const { infer, log } = gateway(route({ shadows: [variant('shadow', 3)] }));
    const answer = await infer(caller('u1'), 2);
    expect(answer.receipt.model_version).toBe('1');
    expect(answer.outputs[0]!.data).toEqual(new Float32Array([2]));
    await until(() => log.rows.some((r) => r.role === 'shadow'), 'the shadow row');
    const shadow = log.rows.find((r) => r.role === 'shadow')!;
    expect(shadow).toMatchObject({ shadowOf: answer.predictionId, modelVersion: 3, status: 'ok', payloadStored: true, inputs: null });
    expect(shadow.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [1], data: [6] }]);
    expect(shadow.id).not.toBe(answer.predictionId);
  });

  it('a slow shadow costs the caller nothing, and copies beyond the in-flight limit are skipped, not queued', async () => {
    const { gw, infer, plugin, log } = gateway(route({ shadows: [variant('shadow', 3)] }), 4);
    plugin.behaviour.set('m/v3', { delayMs: 1500 });
    for (let i = 0; i < 10; i++) expect((await infer()).receipt.model_version).toBe('1');
    await settle();
    // Every caller has its answer while the copies are still running: none has been logged yet.
    expect(log.rows.filter((r) => r.role === 'shadow')).toHaveLength(0);
    // Four copies run (the limit), six are skipped.
    expect(gw.shadowStats).toMatchObject({ run: 4, skipped: 6 });
    await new Promise((r) => setTimeout(r, 1600));
    expect(log.rows.filter((r) => r.role === 'shadow' && r.status === 'ok')).toHaveLength(4);
    expect(log.rows.filter((r) => r.role === undefined && r.status === 'ok')).toHaveLength(10);
  });

  it('a dying shadow fails only its copies: the caller gets the champion answer, the failure is logged as the shadow row', async () => {
    const { gw, infer, plugin, log } = gateway(route({ shadows: [variant('shadow', 3)] }));
    plugin.behaviour.set('m/v3', { fail: 'plugin process exited' });
    for (let i = 0; i < 5; i++) {
      const answer = await infer(caller('u1'), i);
      expect(answer.receipt.model_version).toBe('1');
    }
    await until(() => gw.shadowStats.failed >= 5 && log.rows.filter((r) => r.role === 'shadow').length >= 5, 'five failed copies');
    expect(gw.shadowStats.failed).toBe(5);
    const failed = log.rows.filter((r) => r.role === 'shadow');
    expect(failed).toHaveLength(5);
    expect(failed.every((r) => r.status === 'error' && r.outputs === null && /exited/.test(r.errorMessage ?? ''))).toBe(true);
    expect(log.rows.filter((r) => r.role === undefined).every((r) => r.status === 'ok')).toBe(true);
  });

  it('shadow copies gather into one plugin call, each row logged with its own outputs and the live prediction it copies', async () => {
    const { infer, plugin, log } = gateway(route({ shadows: [variant('shadow', 3)] }));
    const answers = await Promise.all([1, 2, 3, 4, 5].map((x) => infer(caller('u'), x)));
    await until(() => log.rows.filter((r) => r.role === 'shadow').length >= 5, 'five shadow rows');
    expect(plugin.calls.filter((k) => k === 'm/v3')).toHaveLength(1);
    const shadows = log.rows.filter((r) => r.role === 'shadow');
    expect(shadows).toHaveLength(5);
    for (const [i, a] of answers.entries()) {
      const copy = shadows.find((r) => r.shadowOf === a.predictionId)!;
      expect(copy.outputs).toEqual([{ name: 'y', datatype: 'FP32', shape: [1], data: [(i + 1) * 3] }]);
      expect(copy.inputRows).toBe(1);
    }
  });

  it('a shadow batch yields to live traffic: it runs once no live request is at the plugin (or after 50 ms more at the latest)', async () => {
    const { infer, plugin } = gateway(route({ shadows: [variant('shadow', 3)] }));
    plugin.behaviour.set('m/v1', { delayMs: 300 });
    const long = infer(caller('u1'), 1);
    await new Promise((r) => setTimeout(r, 5));
    plugin.behaviour.set('m/v1', {});
    await infer(caller('u2'), 2);
    // The copy's window (20 ms) has passed, but a live request is still at the plugin: the batch waits.
    await new Promise((r) => setTimeout(r, 40));
    expect(plugin.calls).toEqual(['m/v1', 'm/v1']);
    // Under unbroken live traffic it runs anyway, 50 ms after its window.
    await new Promise((r) => setTimeout(r, 80));
    expect(plugin.calls).toEqual(['m/v1', 'm/v1', 'm/v3']);
    await long;
  });

  it('warms a model about to take live traffic with the deployment’s last live request; best effort', async () => {
    const { gw, infer, plugin } = gateway(route());
    await gw.warm(route().deploymentId, { pluginName: 'onnx', modelKey: 'm/v3' });
    expect(plugin.calls).toEqual([]); // nothing answered yet: nothing to warm with
    await infer(caller('u'), 7);
    await gw.warm(route().deploymentId, { pluginName: 'onnx', modelKey: 'm/v3' });
    expect(plugin.calls).toEqual(['m/v1', 'm/v3']);
    plugin.behaviour.set('m/v4', { fail: 'no such model' });
    await expect(gw.warm(route().deploymentId, { pluginName: 'onnx', modelKey: 'm/v4' })).resolves.toBeUndefined();
    plugin.behaviour.set('m/v5', { delayMs: 500 });
    const started = performance.now();
    await gw.warm(route().deploymentId, { pluginName: 'onnx', modelKey: 'm/v5' }, 50);
    expect(performance.now() - started).toBeLessThan(400);
  });

  it('does not copy requests the champion refused', async () => {
    const { infer, plugin, log } = gateway(route({ shadows: [variant('shadow', 3)] }));
    plugin.behaviour.set('m/v1', { fail: 'champion down' });
    await expect(infer()).rejects.toMatchObject({ httpStatus: expect.any(Number) });
    await settle();
    expect(log.rows.filter((r) => r.role === 'shadow')).toHaveLength(0);
    expect(plugin.calls).toEqual(['m/v1']);
  });
});
