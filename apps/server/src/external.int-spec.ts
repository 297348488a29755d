import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { linearRegressionModel } from '@modelport/sample-models';
import { ModelportMonitor, type MonitorError } from '@modelport/monitoring-client';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');

/** Models served outside Modelport: an EXTERNAL deployment whose predictions arrive through the ingestion API. */
describe('external deployments and prediction ingestion', () => {
  let t: TestServer;
  let projectId: string;
  let deploymentId: string;
  let servedId: string;
  let scientist: { userId: string; token: string };

  const ingest = async (id: string, body: string, token = t.adminToken, type = 'application/x-ndjson') => {
    const res = await fetch(`${t.url}/v1/deployments/${id}/predictions`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': type }, body });
    return { status: res.status, body: (await res.json()) as Record<string, any> };
  };
  const logged = async (id: string) => {
    await t.server.app.get(ServingRuntime).writer.flush();
    return t.db.dataSource.query(`SELECT request_id, protocol, status, error_status, latency_us, consumer_id, inputs, outputs FROM predictions WHERE deployment_id = $1 ORDER BY received_at, id`, [id]);
  };

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    const plugins = [{ name: 'echo', command: process.execPath, args: [join(root, 'dist/libs/serving/src/plugins/testing/fake-plugin.js')], env: { FAKE_PLUGIN_FORMAT: 'onnx' } }];
    t = await startTestServer({ env: { MODELPORT_PLUGINS: JSON.stringify(plugins) } });
    projectId = await createProject(t, 'external-models');
    scientist = await createMember(t, projectId, 'ext-scientist', 'DATA_SCIENTIST');
    const modelId = await createModel(t, projectId, 'credit-scorer');
    expect((await uploadAndRegister(t, projectId, modelId, Buffer.from(linearRegressionModel()))).errors).toBeUndefined();
    const created = await t.ok<{ createDeployment: { id: string; state: string; kind: string; plugin: string; ingestPath: string } }>(
      `mutation($p: ID!, $m: ID!) { createDeployment(input: { projectId: $p, name: "credit-external", modelId: $m, version: 1, kind: EXTERNAL, payloadLogging: FULL }) { id state kind plugin ingestPath } }`,
      { p: projectId, m: modelId },
    );
    deploymentId = created.createDeployment.id;
    expect(created.createDeployment).toMatchObject({ state: 'READY', kind: 'EXTERNAL', plugin: 'external', ingestPath: `/v1/deployments/${deploymentId}/predictions` });
    servedId = (await t.ok<{ createDeployment: { id: string } }>(`mutation($p: ID!, $m: ID!) { createDeployment(input: { projectId: $p, name: "credit-served", modelId: $m, version: 1 }) { id } }`, { p: projectId, m: modelId })).createDeployment.id;
  }, 60_000);

  afterAll(() => t?.close());

  it('keeps the good lines and reports the bad ones by line number', async () => {
    const lines = [
      JSON.stringify({ associationId: 'loan-1', features: { income: 52000, country: 'DE' }, prediction: { score: 0.12 }, latencyMs: 3.5 }),
      '{not json',
      JSON.stringify({ associationId: 'loan-2', features: { income: 'n/a' }, prediction: { score: 0.4 } }),
      '',
      // 1e400 parses as Infinity, which is not a feature value.
      '{"associationId": "loan-3", "features": {"income": 1e400}, "prediction": {"score": 0.9}}',
      JSON.stringify({ associationId: 'loan-4', error: { status: 503, message: 'model timed out' } }),
      JSON.stringify({ associationId: 'loan-5', features: { income: 1 } }),
      JSON.stringify({ associationId: 'loan-6', prediction: { score: 0.3 }, surprise: true }),
      JSON.stringify({ associationId: 'loan-7', prediction: { score: 0.3 }, timestamp: '2999-01-01T00:00:00Z' }),
    ];
    const answer = await ingest(deploymentId, lines.join('\n'));
    expect(answer.status).toBe(200);
    expect(answer.body['accepted']).toBe(3);
    expect(answer.body['predictions'].map((p: { line: number }) => p.line)).toEqual([1, 3, 6]);
    expect(answer.body['rejected']).toEqual([
      { line: 2, error: expect.stringMatching(/not valid JSON/) },
      { line: 5, error: expect.stringMatching(/"features.income" must be a number.*infinities/) },
      { line: 7, error: expect.stringMatching(/needs "outputs" or "prediction"/) },
      { line: 8, error: expect.stringMatching(/unknown field "surprise"/) },
      { line: 9, error: expect.stringMatching(/in the future/) },
    ]);
    const rows = await logged(deploymentId);
    expect(rows.map((r: { request_id: string; status: string; protocol: string }) => [r.request_id, r.status, r.protocol])).toEqual([
      ['loan-1', 'ok', 'ingest'],
      ['loan-2', 'ok', 'ingest'],
      ['loan-4', 'error', 'ingest'],
    ]);
    expect(rows[0]).toMatchObject({
      latency_us: 3500,
      inputs: [
        { name: 'income', datatype: 'FP64', shape: [1], data: [52000] },
        { name: 'country', datatype: 'BYTES', shape: [1], data: ['DE'] },
      ],
      outputs: [{ name: 'score', datatype: 'FP64', shape: [1], data: [0.12] }],
    });
    expect(rows[2]).toMatchObject({ error_status: 503 });
  });

  it('refuses the V2 gateway for an external deployment, ingestion for a served one, and other content types', async () => {
    const infer = await fetch(`${t.url}/v2/models/credit-external/infer`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }),
    });
    expect(infer.status).toBe(409);
    expect(((await infer.json()) as { error: string }).error).toMatch(/is external.*\/predictions/);
    const served = await ingest(servedId, '{}');
    expect(served.status).toBe(400);
    expect(JSON.stringify(served.body)).toMatch(/ingestion is for external deployments/);
    const json = await ingest(deploymentId, '{}', t.adminToken, 'application/json');
    expect(json.status).toBe(400);
  });

  it('refuses callers who may not predict, and hides deployments of other projects', async () => {
    const outsider = await createMember(t, null, 'ext-outsider');
    expect((await ingest(deploymentId, JSON.stringify({ prediction: { score: 1 } }), outsider.token)).status).toBe(403);
    const otherProject = await createProject(t, 'elsewhere');
    const stranger = await createMember(t, otherProject, 'ext-stranger', 'ML_ENGINEER');
    expect((await ingest(deploymentId, JSON.stringify({ prediction: { score: 1 } }), stranger.token)).status).toBe(404);
  });

  it('stops reading at the byte limit, keeping what came before and saying where it stopped', async () => {
    const line = JSON.stringify({ prediction: { score: 0.5 }, parameters: { pad: 'x'.repeat(200_000) } });
    const body = Array.from({ length: 90 }, () => line).join('\n');
    const answer = await ingest(deploymentId, body);
    expect(answer.status).toBe(413);
    expect(answer.body['accepted']).toBeGreaterThan(0);
    expect(answer.body['truncatedAtLine']).toBe(answer.body['accepted'] + 1);
  });

  it('the client library batches and sends predictions; every one reaches the log', async () => {
    const errors: MonitorError[] = [];
    const before = (await logged(deploymentId)).length;
    const monitor = new ModelportMonitor({ url: t.url, token: scientist.token, deploymentId, batchSize: 40, flushIntervalMs: 0, onError: (e) => errors.push(e) });
    for (let i = 0; i < 250; i++) monitor.recordPrediction({ associationId: `client-${i}`, features: { income: i * 100 }, prediction: { score: i / 250 }, latencyMs: 2 });
    monitor.recordPrediction({ associationId: 'client-bad', features: { income: Number.NaN } });
    await monitor.close();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.message).toMatch(/needs "outputs" or "prediction"|must be a number/);
    expect(monitor.stats).toMatchObject({ sent: 250, rejected: 1, dropped: 0 });
    const rows = await logged(deploymentId);
    expect(rows.length - before).toBe(250);
    expect(rows.filter((r: { consumer_id: string }) => r.consumer_id === scientist.userId)).toHaveLength(250);
  });
});
