import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fromJson, type Tensor } from '@modelport/plugin-sdk';
import { describeOutputMismatch, loadExpectedCases, readExpectedFile, sampleModelPath } from '@modelport/sample-models';
import { createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startServerProcess, type ServerProcess } from './testing/server-process';

const root = resolve(__dirname, '..', '..', '..');

/**
 * A V2 gRPC client made the way any KServe/Triton user makes one: from the
 * .proto file with the generic gRPC libraries, not from Modelport's SDK.
 */
function v2Client(address: string) {
  const definition = protoLoader.loadSync(join(root, 'proto/inference/grpc_predict_v2.proto'), { keepCase: true, longs: String, enums: String, defaults: true });
  const pkg = grpc.loadPackageDefinition(definition) as unknown as { inference: { GRPCInferenceService: new (a: string, c: grpc.ChannelCredentials) => grpc.Client } };
  const client = new pkg.inference.GRPCInferenceService(address, grpc.credentials.createInsecure()) as grpc.Client & Record<string, (request: unknown, md: grpc.Metadata, cb: (err: grpc.ServiceError | null, res: never) => void) => void>;
  const call = <T>(method: string, request: unknown, token: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const md = new grpc.Metadata();
      md.set('authorization', `Bearer ${token}`);
      client[method]!(request, md, (err: grpc.ServiceError | null, res: T) => (err ? reject(err) : resolve(res)));
    });
  return { call, close: () => client.close() };
}

function expectOutputsMatch(actual: readonly Tensor[], model: string, caseName: string): void {
  const expected = loadExpectedCases(model).find((c) => c.name === caseName)!;
  expect(actual.map((o) => o.name).sort()).toEqual(expected.outputs.map((o) => o.name).sort());
  for (const want of expected.outputs) {
    const got = actual.find((o) => o.name === want.name)!;
    expect(describeOutputMismatch(got, want)).toBeUndefined();
  }
}

describe('serving end to end: the built server and the ONNX plugin as separate processes', () => {
  let s: ServerProcess;
  let deploymentId: string;
  const requests = { ok: 0, failed: 0 };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    s = await startServerProcess({ MODELPORT_PLUGINS: 'builtin' });
  }, 120_000);

  afterAll(async () => {
    if (s) expect(await s.close()).toBe(0);
  }, 60_000);

  it('lists the built-in ONNX plugin, serving, with its format', async () => {
    const { plugins } = await s.ok<{ plugins: { name: string; kind: string; health: string; formats: { name: string; priority: number }[]; version: string; pid: number }[] }>(
      `{ plugins { name kind health version pid formats { name priority } } }`,
    );
    expect(plugins).toEqual([expect.objectContaining({ name: 'runtime-onnx', kind: 'local', health: 'SERVING', formats: [{ name: 'onnx', priority: 100 }] })]);
    expect(plugins[0]!.pid).not.toBe(s.child.pid);
  });

  it('registers and deploys a model in one step, READY on the plugin', async () => {
    const projectId = await createProject(s, 'serving-e2e');
    const modelId = await createModel(s, projectId, 'iris');
    const registered = await uploadAndRegister(s, projectId, modelId, readFileSync(sampleModelPath('iris-classifier')));
    expect(registered.errors).toBeUndefined();
    const { createDeployment } = await s.ok<{ createDeployment: { id: string; state: string; plugin: string; inferPath: string; failure: string | null } }>(
      `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id state plugin inferPath failure } }`,
      { i: { projectId, name: 'iris-e2e', modelId, version: 1 } },
    );
    expect(createDeployment).toEqual({ id: expect.any(String), state: 'READY', plugin: 'runtime-onnx', inferPath: '/v2/models/iris-e2e/infer', failure: null });
    deploymentId = createDeployment.id;
    const { plugins } = await s.ok<{ plugins: { loadedModels: string[] }[] }>(`{ plugins { loadedModels } }`);
    expect(plugins[0]!.loadedModels).toEqual([expect.stringMatching(/^iris-e2e\/v1\//)]);
  }, 60_000);

  it('predicts over V2 REST with the outputs computed independently by NumPy, and a receipt', async () => {
    for (const c of readExpectedFile('iris-classifier').cases) {
      const res = await fetch(`${s.url}/v2/models/iris-e2e/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${s.adminToken}` },
        body: JSON.stringify({ id: `rest-${c.name}`, inputs: c.inputs }),
      });
      const body = (await res.json()) as { id: string; model_name: string; model_version: string; parameters: Record<string, string>; outputs: unknown[] };
      expect(res.status).toBe(200);
      requests.ok++;
      expect(body).toMatchObject({ id: `rest-${c.name}`, model_name: 'iris-e2e', model_version: '1' });
      expect(body.parameters).toEqual({
        prediction_id: expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/),
        deployment: 'iris-e2e',
        model_version: '1',
        artifact_sha256: readExpectedFile('iris-classifier').onnx_sha256,
      });
      expectOutputsMatch(body.outputs.map((o) => fromJson(o)), 'iris-classifier', c.name);
    }
  });

  it('predicts over V2 gRPC from a client generated from the proto, with raw and typed contents', async () => {
    const client = v2Client(s.grpcAddress);
    try {
      const ready = await client.call<{ ready: boolean }>('ModelReady', { name: 'iris-e2e' }, s.adminToken);
      expect(ready.ready).toBe(true);
      for (const c of readExpectedFile('iris-classifier').cases) {
        const features = c.inputs[0]!;
        const raw = Buffer.from(Float32Array.from(features.data as number[]).buffer);
        for (const request of [
          { model_name: 'iris-e2e', id: `grpc-raw-${c.name}`, inputs: [{ name: 'features', datatype: 'FP32', shape: features.shape }], raw_input_contents: [raw] },
          { model_name: 'iris-e2e', id: `grpc-typed-${c.name}`, inputs: [{ name: 'features', datatype: 'FP32', shape: features.shape, contents: { fp32_contents: features.data } }] },
        ]) {
          const res = await client.call<any>('ModelInfer', request, s.adminToken);
          requests.ok++;
          expect(res.id).toBe(request.id);
          expect(res.parameters.deployment.string_param).toBe('iris-e2e');
          expect(res.parameters.prediction_id.string_param).toMatch(/^[0-9a-f-]{36}$/);
          const outputs: Tensor[] = res.outputs.map((o: any, i: number) => {
            const shape = o.shape.map(Number);
            if (res.raw_output_contents.length) {
              const bytes: Buffer = res.raw_output_contents[i];
              const data = o.datatype === 'INT64' ? new BigInt64Array(Uint8Array.from(bytes).buffer) : new Float32Array(Uint8Array.from(bytes).buffer);
              return { name: o.name, datatype: o.datatype, shape, data };
            }
            const data = o.datatype === 'INT64' ? BigInt64Array.from(o.contents.int64_contents.map(BigInt)) : Float32Array.from(o.contents.fp32_contents);
            return { name: o.name, datatype: o.datatype, shape, data };
          });
          expect(res.raw_output_contents.length > 0).toBe(request.raw_input_contents !== undefined);
          expectOutputsMatch(outputs, 'iris-classifier', c.name);
        }
      }
      await expect(client.call('ModelInfer', { model_name: 'iris-e2e', inputs: [{ name: 'petals', datatype: 'FP32', shape: [1, 4], contents: { fp32_contents: [1, 2, 3, 4] } }] }, s.adminToken)).rejects.toMatchObject({
        code: grpc.status.INVALID_ARGUMENT,
        details: expect.stringContaining('petals'),
      });
      requests.failed++;
    } finally {
      client.close();
    }
  });

  it('finds every prediction in the log, with its receipt and payload', async () => {
    const wanted = requests.ok + requests.failed;
    let page: { nodes: { id: string; status: string; requestId: string | null; modelVersion: number; artifactSha256: string; pluginId: string; inputsJson: string | null }[] } = { nodes: [] };
    for (let i = 0; i < 50 && page.nodes.length < wanted; i++) {
      ({ predictions: page } = await s.ok<{ predictions: typeof page }>(
        `query($d: ID!) { predictions(deploymentId: $d, first: 100) { nodes { id status requestId modelVersion artifactSha256 pluginId inputsJson } } }`,
        { d: deploymentId },
      ));
      if (page.nodes.length < wanted) await new Promise((r) => setTimeout(r, 100));
    }
    expect(page.nodes).toHaveLength(wanted);
    expect(page.nodes.filter((n) => n.status === 'error')).toHaveLength(requests.failed);
    const one = page.nodes.find((n) => n.requestId === 'rest-one setosa')!;
    expect(one).toMatchObject({ status: 'ok', modelVersion: 1, artifactSha256: readExpectedFile('iris-classifier').onnx_sha256, pluginId: 'runtime-onnx' });
    const { prediction } = await s.ok<{ prediction: { id: string; inputsJson: string; outputsJson: string } }>(`query($id: ID!) { prediction(id: $id) { id inputsJson outputsJson } }`, { id: one.id });
    expect(JSON.parse(prediction.inputsJson)).toEqual([{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [expect.closeTo(5.1, 5), expect.closeTo(3.5, 5), expect.closeTo(1.4, 5), expect.closeTo(0.2, 5)] }]);
    expect(JSON.parse(prediction.outputsJson)).toEqual(expect.arrayContaining([expect.objectContaining({ name: 'label', data: [0] })]));
  });
});
