import { execFileSync, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as grpc from '@grpc/grpc-js';
import { Client } from 'pg';
import { inferenceProto, type ModelInferRequest } from '@modelport/proto';
import { fromJson } from '@modelport/plugin-sdk';
import { describeOutputMismatch, loadExpectedCases, readExpectedFile, sampleModelPath } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { artifactKey } from '@modelport/storage';
import { freePort } from '@modelport/database';
import { createMember, createModel, createProject, sha256, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const bytesOf = (name: string) => readFileSync(sampleModelPath(name));

interface V2Answer {
  status: number;
  body: { error?: string; outputs?: { name: string; datatype: string; shape: number[]; data: unknown[] }[]; parameters?: Record<string, string>; id?: string };
}

async function infer(t: TestServer, deployment: string, body: unknown, token = t.adminToken, raw?: string): Promise<V2Answer> {
  const res = await fetch(`${t.url}/v2/models/${deployment}/infer`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: raw ?? JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as V2Answer['body'] };
}

const row3 = (data = [0.5, -1.25, 2]) => ({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data }] });

function grpcClient(address: string) {
  const Service = inferenceProto().inference.GRPCInferenceService;
  const client = new Service(address, grpc.credentials.createInsecure(), { 'grpc.max_send_message_length': 64 * 1024 * 1024 });
  return {
    infer: (request: ModelInferRequest, token: string) =>
      new Promise<any>((resolve, reject) => {
        const md = new grpc.Metadata();
        md.set('authorization', `Bearer ${token}`);
        client.ModelInfer(request, md, (err, res) => (err ? reject(err) : resolve(res)));
      }),
    close: () => client.close(),
  };
}

async function deploy(t: TestServer, input: Record<string, unknown>) {
  const res = await t.gql<{ createDeployment: { id: string; state: string; failure: string | null; plugin: string | null } }>(
    `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id state failure plugin } }`,
    { i: input },
  );
  return res;
}

async function predictionRows(t: TestServer, deploymentId: string): Promise<{ ok: number; error: number }> {
  await t.server.app.get(ServingRuntime).writer.flush();
  const rows = await t.db.dataSource.query(`SELECT status, count(*)::int AS n FROM predictions WHERE deployment_id = $1 GROUP BY status`, [deploymentId]);
  const count = (s: string) => rows.find((r: { status: string }) => r.status === s)?.n ?? 0;
  return { ok: count('ok'), error: count('error') };
}

/** Sends requests from `workers` loops until stop() is called; counts outcomes by status. */
function load(t: TestServer, deployment: string, workers = 6) {
  const outcomes: { status: number; ms: number; error?: string; outputs?: string[] }[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    let i = 0;
    while (running) {
      const started = performance.now();
      const answer = await infer(t, deployment, { id: `w${w}-${i++}`, ...row3([w, i % 7, 1]) }).catch((err: Error) => ({ status: 0, body: { error: err.message } }) as V2Answer);
      outcomes.push({ status: answer.status, ms: performance.now() - started, error: answer.body.error, outputs: answer.body.outputs?.map((o) => o.name) });
    }
  });
  return {
    outcomes,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return outcomes;
    },
  };
}

describe('serving: deployments, the V2 gateway and the prediction log, with the real ONNX plugin', () => {
  let t: TestServer;
  let projectId: string;
  let modelId: string;
  let scorer: string;
  /** Instants while version 1, then version 2, served the first "scorer" deployment. */
  const servedAt: { v1?: Date; v2?: Date; beforeCreate?: Date } = {};

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    t = await startTestServer({ env: { MODELPORT_PLUGINS: 'builtin', MODELPORT_MAX_INFER_BYTES: String(1024 * 1024), MODELPORT_DRAIN_TIMEOUT_MS: '5000' } });
    projectId = await createProject(t, 'serving');
    modelId = await createModel(t, projectId, 'scorer');
    for (const name of ['binary-logistic-regression', 'tree-ensemble-regressor', 'iris-classifier']) {
      expect((await uploadAndRegister(t, projectId, modelId, bytesOf(name))).errors).toBeUndefined();
    }
    servedAt.beforeCreate = new Date();
    await new Promise((r) => setTimeout(r, 5));
    const created = await deploy(t, { projectId, name: 'scorer', modelId, version: 1 });
    expect(created.errors).toBeUndefined();
    expect(created.data!.createDeployment).toMatchObject({ state: 'READY', plugin: 'runtime-onnx' });
    scorer = created.data!.createDeployment.id;
  }, 120_000);

  afterAll(() => t?.close(), 60_000);

  it('answers the V2 health, server and model metadata endpoints', async () => {
    const get = async (path: string) => {
      const res = await fetch(`${t.url}${path}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
      return { status: res.status, body: await res.json() };
    };
    expect(await get('/v2/health/live')).toEqual({ status: 200, body: { live: true } });
    expect(await get('/v2/health/ready')).toEqual({ status: 200, body: { ready: true } });
    expect(await get('/v2')).toEqual({ status: 200, body: { name: 'modelport', version: expect.any(String), extensions: [] } });
    const metadata = {
      name: 'scorer',
      versions: ['1'],
      platform: 'onnx',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [
        { name: 'label', datatype: 'INT64', shape: [-1] },
        { name: 'probabilities', datatype: 'FP32', shape: [-1, 2] },
      ],
    };
    expect(await get('/v2/models/scorer')).toEqual({ status: 200, body: metadata });
    expect(await get('/v2/models/scorer/versions/1')).toEqual({ status: 200, body: metadata });
    expect((await get('/v2/models/scorer/versions/2')).status).toBe(404);
    expect(await get('/v2/models/scorer/ready')).toEqual({ status: 200, body: { name: 'scorer', ready: true, state: 'READY' } });
  });

  it('answers with the outputs NumPy computed for the logistic regression', async () => {
    for (const c of readExpectedFile('binary-logistic-regression').cases) {
      const answer = await infer(t, 'scorer', { inputs: c.inputs });
      expect(answer.status).toBe(200);
      const expected = loadExpectedCases('binary-logistic-regression').find((e) => e.name === c.name)!;
      for (const want of expected.outputs) expect(describeOutputMismatch(fromJson(answer.body.outputs!.find((o) => o.name === want.name)), want)).toBeUndefined();
    }
  });

  describe('bad input is refused before the plugin, in the V2 form, naming what was wrong', () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['wrong tensor name', { inputs: [{ name: 'petals', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, 400, /petals.*features|features.*petals/],
      ['wrong datatype', { inputs: [{ name: 'features', datatype: 'INT32', shape: [1, 3], data: [1, 2, 3] }] }, 400, /features.*FP32|FP32.*features/],
      ['wrong shape', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }, 400, /features/],
      ['data not matching the shape', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2, 3], data: [1, 2, 3] }] }, 400, /features/],
      ['a 0 dimension', { inputs: [{ name: 'features', datatype: 'FP32', shape: [0, 3], data: [] }] }, 400, /features/],
      ['a -1 dimension', { inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 3], data: [1, 2, 3] }] }, 400, /-1/],
      ['a 2^31 dimension', { inputs: [{ name: 'features', datatype: 'FP32', shape: [2 ** 31, 3], data: [1, 2, 3] }] }, 400, /features/],
      ['an unknown datatype', { inputs: [{ name: 'features', datatype: 'FLOAT', shape: [1, 3], data: [1, 2, 3] }] }, 400, /FLOAT/],
      ['no inputs', { inputs: [] }, 400, /inputs/],
      ['10,000 requested outputs', { ...row3(), outputs: Array.from({ length: 10_000 }, (_, i) => ({ name: `o${i}` })) }, 400, /10000 outputs/],
      ['an unknown requested output', { ...row3(), outputs: [{ name: 'nope' }] }, 400, /nope/],
    ];
    it.each(cases)('%s', async (_label, body, status, message) => {
      const before = await predictionRows(t, scorer);
      const answer = await infer(t, 'scorer', body);
      expect(answer.status).toBe(status);
      expect(Object.keys(answer.body)).toEqual(['error']);
      expect(answer.body.error).toMatch(message);
      // Refused requests on a known deployment are logged as failed predictions.
      expect(await predictionRows(t, scorer)).toEqual({ ok: before.ok, error: before.error + 1 });
    });

    it('an unknown deployment → 404', async () => {
      const answer = await infer(t, 'no-such-deployment', row3());
      expect(answer).toEqual({ status: 404, body: { error: expect.stringContaining('no-such-deployment') } });
    });

    it('a body over the limit → 413', async () => {
      const data = Array.from({ length: 300_000 }, () => 1.5);
      const answer = await infer(t, 'scorer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [data.length / 3, 3], data }] });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatch(/larger than the limit of 1048576 bytes/);
    });

    it('JSON nested 10,000 levels → 400, and the server keeps serving', async () => {
      const raw = `{"inputs":[{"name":"features","datatype":"FP32","shape":[1,3],"data":${'['.repeat(10_000)}1${']'.repeat(10_000)}}]}`;
      const answer = await infer(t, 'scorer', null, t.adminToken, raw);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/features/);
      expect((await infer(t, 'scorer', row3())).status).toBe(200);
    });

    it('malformed JSON → 400 in the V2 form', async () => {
      const answer = await infer(t, 'scorer', null, t.adminToken, '{"inputs": [');
      expect(answer.status).toBe(400);
      expect(answer.body.error).toMatch(/not valid JSON/);
    });

    it('no token → 401; a member without predict → 403', async () => {
      const res = await fetch(`${t.url}/v2/models/scorer/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(row3()) });
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: string }).error).toMatch(/Authorization: Bearer/);
      const viewer = await createMember(t, projectId, 'only-a-viewer', 'VIEWER');
      const refused = await infer(t, 'scorer', row3(), viewer.token);
      expect(refused).toEqual({ status: 403, body: { error: expect.stringMatching(/not predict/) } });
      const scientist = await createMember(t, projectId, 'a-scientist', 'DATA_SCIENTIST');
      expect((await infer(t, 'scorer', row3(), scientist.token)).status).toBe(200);
    });

    it('a tensor over the element limit → 413, before its data is looked at', async () => {
      const answer = await infer(t, 'scorer', { inputs: [{ name: 'features', datatype: 'FP32', shape: [10_000_000, 3], data: [1, 2, 3] }] });
      expect(answer.status).toBe(413);
      expect(answer.body.error).toMatch(/features/);
    });

    it('over gRPC: wrong byte length, mixed typed and raw contents, wrong name → INVALID_ARGUMENT; a message over the limit → RESOURCE_EXHAUSTED', async () => {
      const client = grpcClient(t.server.grpcAddress!);
      try {
        const base = { model_name: 'scorer', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3] }] };
        await expect(client.infer({ ...base, raw_input_contents: [Buffer.alloc(11)] }, t.adminToken)).rejects.toMatchObject({
          code: grpc.status.INVALID_ARGUMENT,
          details: expect.stringMatching(/features.*12.*11|features.*11.*12/),
        });
        await expect(
          client.infer(
            { model_name: 'scorer', inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }], raw_input_contents: [Buffer.alloc(12)] },
            t.adminToken,
          ),
        ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT });
        await expect(
          client.infer({ model_name: 'scorer', inputs: [{ name: 'petals', datatype: 'FP32', shape: [1, 3], contents: { fp32_contents: [1, 2, 3] } }] }, t.adminToken),
        ).rejects.toMatchObject({ code: grpc.status.INVALID_ARGUMENT, details: expect.stringContaining('petals') });
        await expect(client.infer({ ...base, raw_input_contents: [Buffer.alloc(2 * 1024 * 1024)] }, t.adminToken)).rejects.toMatchObject({
          code: grpc.status.RESOURCE_EXHAUSTED,
        });
        await expect(client.infer({ ...base, model_name: 'nowhere', raw_input_contents: [Buffer.alloc(12)] }, t.adminToken)).rejects.toMatchObject({
          code: grpc.status.NOT_FOUND,
        });
        const ok = await client.infer({ ...base, id: 'grpc-ok', raw_input_contents: [Buffer.from(Float32Array.of(0.5, -1.25, 2).buffer)] }, t.adminToken);
        expect(ok.id).toBe('grpc-ok');
      } finally {
        client.close();
      }
    });
  });

  it('replaces the model version under load with zero failed requests, then unloads the old one', async () => {
    servedAt.v1 = new Date();
    const traffic = load(t, 'scorer');
    await new Promise((r) => setTimeout(r, 500));
    const replaced = await t.gql<{ replaceDeploymentModelVersion: { state: string; revision: number; rolloutError: string | null } }>(
      `mutation($d: ID!) { replaceDeploymentModelVersion(input: { deploymentId: $d, version: 2 }) { state revision rolloutError } }`,
      { d: scorer },
    );
    await new Promise((r) => setTimeout(r, 500));
    const outcomes = await traffic.stop();
    expect(replaced.errors).toBeUndefined();
    expect(replaced.data!.replaceDeploymentModelVersion).toEqual({ state: 'READY', revision: 2, rolloutError: null });
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    // Both versions answered: the logistic regression before the switch, the tree regressor after.
    expect(outcomes.some((o) => o.outputs?.includes('probabilities'))).toBe(true);
    expect(outcomes.at(-1)!.outputs).toEqual(['prediction']);
    const { plugins } = await t.ok<{ plugins: { loadedModels: string[] }[] }>(`{ plugins { loadedModels } }`);
    expect(plugins[0]!.loadedModels).toEqual([expect.stringMatching(/^scorer\/v2\//)]);
    servedAt.v2 = new Date();
  }, 60_000);

  it('refuses an artifact whose bytes changed in the store: a replacement keeps the old version serving; a new deployment is FAILED with the reason', async () => {
    const v3 = await t.ok<{ model: { version: { artifact: { sha256: string } } } }>(`query($m: ID) { model(id: $m) { version(version: 3) { artifact { sha256 } } } }`, { m: modelId });
    const file = fileURLToPath(await t.server.runtime.store.readUrl(artifactKey(v3.model.version.artifact.sha256), 60));
    const original = readFileSync(file);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 1] ^= 0xff;
    writeFileSync(file, tampered);

    const traffic = load(t, 'scorer', 3);
    const replaced = await t.gql(`mutation($d: ID!) { replaceDeploymentModelVersion(input: { deploymentId: $d, version: 3 }) { id } }`, { d: scorer });
    const outcomes = await traffic.stop();
    expect(replaced.errors?.[0]?.extensions).toMatchObject({ code: 'UNAVAILABLE', reason: 'ROLLOUT_FAILED' });
    expect(replaced.errors?.[0]?.message).toMatch(/keeps serving its current version.*sha256/s);
    expect(outcomes.filter((o) => o.status !== 200)).toEqual([]);
    const { deployment } = await t.ok<{ deployment: { state: string; rolloutError: string; events: { kind: string }[] } }>(
      `query($d: ID) { deployment(id: $d) { state rolloutError events { kind } } }`,
      { d: scorer },
    );
    expect(deployment.state).toBe('READY');
    expect(deployment.rolloutError).toContain(sha256(tampered));
    expect(deployment.events.map((e) => e.kind)).toEqual(['created', 'ready', 'version-replaced', 'replace-failed']);

    const failed = await deploy(t, { projectId, name: 'tampered', modelId, version: 3 });
    expect(failed.data!.createDeployment).toMatchObject({ state: 'FAILED', failure: expect.stringContaining(sha256(tampered)), plugin: null });
    const answer = await infer(t, 'tampered', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatch(/failed to load/);
    // Repaired in the store: the next plugin restart brings the FAILED deployment up (see the kill -9 test).
    writeFileSync(file, original);
  }, 60_000);

  it('joins concurrent requests into batches and gives each request exactly its own rows', async () => {
    expect((await uploadAndRegister(t, projectId, await createModel(t, projectId, 'mlp'), bytesOf('mlp-classifier'))).errors).toBeUndefined();
    const { models } = await t.ok<{ models: { nodes: { id: string; name: string }[] } }>(`{ models(first: 10) { nodes { id name } } }`);
    const mlp = models.nodes.find((m) => m.name === 'mlp')!;
    const created = await deploy(t, { projectId, name: 'mlp-batched', modelId: mlp.id, version: 1, maxBatchSize: 8, maxBatchDelayMs: 50 });
    expect(created.data!.createDeployment.state).toBe('READY');
    const expected = loadExpectedCases('mlp-classifier');
    const rows = expected.flatMap((c) => {
      const features = c.inputs[0]!;
      const n = features.shape[0]!;
      return Array.from({ length: n }, (_, r) => ({ c, r, data: Array.from((features.data as Float32Array).slice(r * 6, r * 6 + 6)) }));
    });
    const before = t.server.app.get(ServingRuntime).batcher.stats();
    const answers = await Promise.all(rows.map((x) => infer(t, 'mlp-batched', { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 6], data: x.data }] })));
    const after = t.server.app.get(ServingRuntime).batcher.stats();
    expect(after.batches).toBeGreaterThan(before.batches);
    rows.forEach((x, i) => {
      expect(answers[i]!.status).toBe(200);
      const label = answers[i]!.body.outputs!.find((o) => o.name === 'label')!;
      const wantLabel = expected.find((e) => e === x.c)!.outputs.find((o) => o.name === 'label')!.data as BigInt64Array;
      expect(label.shape).toEqual([1]);
      expect(label.data).toEqual([Number(wantLabel[x.r])]);
    });
  }, 60_000);

  it('a plugin killed with -9 under load: requests in flight fail fast with 503, the host restarts it and reloads the model, every completed request is logged', async () => {
    const before = await predictionRows(t, scorer);
    const { plugins } = await t.ok<{ plugins: { pid: number; restarts: number }[] }>(`{ plugins { pid restarts } }`);
    const traffic = load(t, 'scorer', 6);
    await new Promise((r) => setTimeout(r, 400));
    process.kill(plugins[0]!.pid, 'SIGKILL');
    const deadline = Date.now() + 30_000;
    let recovered = false;
    while (Date.now() < deadline && !recovered) {
      await new Promise((r) => setTimeout(r, 200));
      const recent = traffic.outcomes.slice(-6);
      recovered = traffic.outcomes.some((o) => o.status !== 200) && recent.length === 6 && recent.every((o) => o.status === 200);
    }
    await new Promise((r) => setTimeout(r, 300));
    const outcomes = await traffic.stop();
    expect(recovered).toBe(true);
    const failures = outcomes.filter((o) => o.status !== 200);
    expect(failures.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.status).toBe(503);
      expect(f.ms).toBeLessThan(2000);
    }
    const { plugins: after } = await t.ok<{ plugins: { pid: number; restarts: number; health: string; loadedModels: string[] }[] }>(`{ plugins { pid restarts health loadedModels } }`);
    expect(after[0]).toMatchObject({ restarts: plugins[0]!.restarts + 1, health: 'SERVING' });
    expect(after[0]!.pid).not.toBe(plugins[0]!.pid);
    expect(after[0]!.loadedModels).toEqual(expect.arrayContaining([expect.stringMatching(/^scorer\/v2\//)]));
    // The restart also retried the deployment that FAILED on a tampered artifact, repaired since.
    let tampered = '';
    for (let i = 0; i < 50 && tampered !== 'READY'; i++) {
      tampered = (await t.ok<{ deployment: { state: string } }>(`{ deployment(name: "tampered") { state } }`)).deployment.state;
      if (tampered !== 'READY') await new Promise((r) => setTimeout(r, 100));
    }
    expect(tampered).toBe('READY');
    const logged = await predictionRows(t, scorer);
    expect({ ok: logged.ok - before.ok, error: logged.error - before.error }).toEqual({
      ok: outcomes.filter((o) => o.status === 200).length,
      error: failures.length,
    });
  }, 90_000);

  it('when the prediction log cannot keep up, answers 503 with a clear message instead of losing rows, and recovers', async () => {
    const small = await startTestServer({ env: { MODELPORT_PLUGINS: 'builtin', MODELPORT_PREDICTION_LOG_BUFFER: '4', MODELPORT_PREDICTION_LOG_BATCH: '2', MODELPORT_PREDICTION_LOG_FLUSH_MS: '5' } });
    const blocker = new Client({ connectionString: small.db.url });
    try {
      const p = await createProject(small, 'log-full');
      const m = await createModel(small, p, 'lr');
      expect((await uploadAndRegister(small, p, m, bytesOf('binary-logistic-regression'))).errors).toBeUndefined();
      const created = await deploy(small, { projectId: p, name: 'lr', modelId: m, version: 1 });
      const id = created.data!.createDeployment.id;
      await blocker.connect();
      await blocker.query('BEGIN');
      await blocker.query('LOCK TABLE predictions IN ACCESS EXCLUSIVE MODE');
      const answers: V2Answer[] = [];
      for (let i = 0; i < 12; i++) answers.push(await infer(small, 'lr', row3()));
      const shed = answers.filter((a) => a.status === 503);
      expect(shed.length).toBeGreaterThan(0);
      expect(shed[0]!.body.error).toMatch(/prediction log is full/);
      await blocker.query('COMMIT');
      const served = answers.filter((a) => a.status === 200).length;
      expect(served).toBeGreaterThan(0);
      let rows = { ok: 0, error: 0 };
      for (let i = 0; i < 50 && rows.ok < served; i++) {
        rows = await predictionRows(small, id);
        if (rows.ok < served) await new Promise((r) => setTimeout(r, 100));
      }
      expect(rows).toEqual({ ok: served, error: 0 });
      expect((await infer(small, 'lr', row3())).status).toBe(200);
    } finally {
      await blocker.end().catch(() => undefined);
      await small.close();
    }
  }, 90_000);

  it('keeps no payload when the deployment says none, and the receipt still', async () => {
    const created = await deploy(t, { projectId, name: 'quiet', modelId, version: 1, payloadLogging: 'NONE' });
    expect(created.data!.createDeployment.state).toBe('READY');
    const answer = await infer(t, 'quiet', { id: 'quiet-1', ...row3() });
    expect(answer.status).toBe(200);
    await t.server.app.get(ServingRuntime).writer.flush();
    const { prediction } = await t.ok<{ prediction: Record<string, unknown> }>(
      `query($id: ID!) { prediction(id: $id) { requestId status payloadStored inputsJson outputsJson modelVersion deploymentName } }`,
      { id: answer.body.parameters!['prediction_id'] },
    );
    expect(prediction).toEqual({ requestId: 'quiet-1', status: 'ok', payloadStored: false, inputsJson: null, outputsJson: null, modelVersion: 1, deploymentName: 'quiet' });
  });

  it('accepts a remote plugin that registers with an admin token, lists it, and refuses a member’s token', async () => {
    const remote = async (token: string) => {
      const port = await freePort();
      return spawn(process.execPath, [join(root, 'dist/libs/plugin-sdk/src/testing/example-plugin.js')], {
        env: {
          PATH: process.env['PATH'],
          MODELPORT_PLUGIN_LISTEN: `127.0.0.1:${port}`,
          MODELPORT_REGISTRY_ADDRESS: t.server.grpcAddress!,
          MODELPORT_REGISTRATION_TOKEN: token,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    };
    const member = await createMember(t, projectId, 'not-an-admin', 'ML_ENGINEER');
    const refused = await remote(member.token);
    let refusedLog = '';
    refused.stderr!.on('data', (d: Buffer) => (refusedLog += d.toString()));
    const plugin = await remote(t.adminToken);
    try {
      type Listed = { name: string; kind: string; health: string; formats: { name: string }[] };
      let listed: Listed | undefined;
      for (let i = 0; i < 100 && !listed; i++) {
        const { plugins } = await t.ok<{ plugins: Listed[] }>(`{ plugins { name kind health formats { name } } }`);
        listed = plugins.find((p) => p.kind === 'remote' && p.health === 'SERVING');
        if (!listed) await new Promise((r) => setTimeout(r, 100));
      }
      expect(listed).toMatchObject({ kind: 'remote', health: 'SERVING', formats: [{ name: 'linear-json' }] });
      // The refused plugin logs its refusal when its registration call returns: give it the time a loaded machine needs.
      for (let i = 0; i < 100 && !refusedLog.includes('only platform admins may'); i++) await new Promise((r) => setTimeout(r, 100));
      expect(refusedLog).toContain('only platform admins may');
      const { plugins } = await t.ok<{ plugins: { kind: string }[] }>(`{ plugins { kind } }`);
      expect(plugins.filter((p) => p.kind === 'remote')).toHaveLength(1);
    } finally {
      for (const child of [plugin, refused]) {
        if (child.exitCode === null) {
          const exited = new Promise((r) => child.once('exit', r));
          child.kill('SIGTERM');
          await exited;
        }
      }
    }
  }, 60_000);

  it('deletes a deployment: its name answers 404, its model is unloaded, its predictions stay', async () => {
    const rows = await predictionRows(t, scorer);
    const deleted = await t.ok<{ deleteDeployment: { id: string } }>(`mutation($d: ID!) { deleteDeployment(id: $d) { id } }`, { d: scorer });
    expect(deleted.deleteDeployment.id).toBe(scorer);
    expect((await infer(t, 'scorer', row3())).status).toBe(404);
    const { plugins } = await t.ok<{ plugins: { loadedModels: string[] }[] }>(`{ plugins { loadedModels } }`);
    expect(plugins[0]!.loadedModels.filter((k) => k.startsWith('scorer/'))).toEqual([]);
    expect(await predictionRows(t, scorer)).toEqual(rows);
    // The name is free again.
    expect((await deploy(t, { projectId, name: 'scorer', modelId, version: 1 })).data!.createDeployment.state).toBe('READY');

    // What served at a past time: the first (now deleted) deployment of the name, and its version then.
    const versions = await t.ok<{ model: { v1: { id: string }; v2: { id: string } } }>(`query($m: ID) { model(id: $m) { v1: version(version: 1) { id } v2: version(version: 2) { id } } }`, { m: modelId });
    const then = async (at: Date) =>
      t.gql<{ deployment: { id: string; servedVersionId: string | null; asOf: string } }>(`query($at: DateTime) { deployment(name: "scorer", asOf: $at) { id servedVersionId asOf } }`, { at: at.toISOString() });
    expect((await then(servedAt.v1!)).data!.deployment).toEqual({ id: scorer, servedVersionId: versions.model.v1.id, asOf: servedAt.v1!.toISOString() });
    expect((await then(servedAt.v2!)).data!.deployment).toMatchObject({ id: scorer, servedVersionId: versions.model.v2.id });
    expect((await then(new Date())).data!.deployment.id).not.toBe(scorer);
    expect((await then(servedAt.beforeCreate!)).errors?.[0]?.extensions?.reason).toBe('DEPLOYMENT_NOT_FOUND');
  }, 60_000);
});
