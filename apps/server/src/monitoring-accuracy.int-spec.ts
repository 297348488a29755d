import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { binaryLogisticRegressionModel } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const MODEL = Buffer.from(binaryLogisticRegressionModel());
const MAX_BODY_BYTES = 32 * 1024 * 1024;

interface Answer {
  predictionId: string;
  requestId: string;
  labels: number[];
  /** P(class 1) per row. */
  positive: number[];
}

const SETTINGS = `mutation($i: DeploymentMonitoringSettingsInput!) {
  setDeploymentMonitoringSettings(input: $i) { deploymentId projectId task labelOutput probabilityOutput positiveClass classes updatedBy }
}`;
const SUBMIT = `mutation($d: ID!, $a: [ActualInput!]!) { submitActuals(deploymentId: $d, actuals: $a) { deploymentId projectId accepted duplicates unknown } }`;
const COUNTS = 'predictions failedPredictions predictionsWithActuals actuals scored withoutPayload unscorable';
const WINDOW = `start end counts { ${COUNTS} } unscorable { reason count }
  classification { accuracy precision recall f1 rocAuc logLoss averaging } regression { rmse mae mape r2 }
  timeliness { shareWithActuals medianDelaySeconds p90DelaySeconds }`;
const ACCURACY = `query($d: ID!, $from: DateTime!, $to: DateTime!, $r: AccuracyResolution!) {
  deploymentAccuracy(deploymentId: $d, from: $from, to: $to, resolution: $r) {
    deploymentId projectId resolution unmatchedActuals settings { task positiveClass }
    windows { ${WINDOW} } total { ${WINDOW} }
  }
}`;

/** Binary metrics of the positive class 1, written out independently of the server's code. */
function expectedMetrics(pairs: { actual: number; predicted: number; p: number }[]) {
  const tp = pairs.filter((x) => x.actual === 1 && x.predicted === 1).length;
  const fp = pairs.filter((x) => x.actual === 0 && x.predicted === 1).length;
  const fn = pairs.filter((x) => x.actual === 1 && x.predicted === 0).length;
  const pos = pairs.filter((x) => x.actual === 1);
  const neg = pairs.filter((x) => x.actual === 0);
  let wins = 0;
  for (const a of pos) for (const b of neg) wins += a.p > b.p ? 1 : a.p === b.p ? 0.5 : 0;
  const eps = 1e-15;
  const clip = (p: number) => Math.min(Math.max(p, eps), 1 - eps);
  return {
    accuracy: pairs.filter((x) => x.actual === x.predicted).length / pairs.length,
    precision: tp / (tp + fp),
    recall: tp / (tp + fn),
    f1: (2 * tp) / (2 * tp + fp + fn),
    rocAuc: wins / (pos.length * neg.length),
    logLoss: -pairs.reduce((s, x) => s + (x.actual === 1 ? Math.log(clip(x.p)) : Math.log(1 - clip(x.p))), 0) / pairs.length,
  };
}

describe('actuals and accuracy', () => {
  let t: TestServer;
  let projectId: string;
  let deploymentId: string;
  let quietId: string;
  const users: Record<'engineer' | 'scientist' | 'viewer' | 'outsider', { userId: string; token: string }> = {} as never;
  const answers: Answer[] = [];
  let started: Date;

  async function infer(deployment: string, requestId: string, rows: number[][], token = users.scientist.token): Promise<Answer> {
    const res = await fetch(`${t.url}/v2/models/${deployment}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ id: requestId, inputs: [{ name: 'features', datatype: 'FP32', shape: [rows.length, 3], data: rows.flat() }] }),
    });
    const body = (await res.json()) as { outputs: { name: string; data: number[] }[]; parameters: Record<string, string> };
    expect(res.status).toBe(200);
    const probabilities = body.outputs.find((o) => o.name === 'probabilities')!.data;
    return {
      predictionId: body.parameters['prediction_id']!,
      requestId,
      labels: body.outputs.find((o) => o.name === 'label')!.data.map(Number),
      positive: rows.map((_, r) => probabilities[r * 2 + 1]!),
    };
  }

  const ndjson = (deployment: string, body: string | Buffer, token: string | null = users.scientist.token, type = 'application/x-ndjson') =>
    fetch(`${t.url}/v1/deployments/${deployment}/actuals`, {
      method: 'POST',
      headers: { 'content-type': type, ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body,
    });
  const lines = (...objects: unknown[]) => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';
  /** The actual of request i: the predicted label, flipped for every fourth request. */
  const truth = (a: Answer, row = 0) => (Number(a.requestId.split('-')[1]) % 4 === 3 ? 1 - a.labels[row]! : a.labels[row]!);

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    t = await startTestServer({ env: { MODELPORT_PLUGINS: 'builtin' } });
    projectId = await createProject(t, 'accuracy');
    const elsewhere = await createProject(t, 'accuracy-elsewhere');
    users.engineer = await createMember(t, projectId, 'acc-engineer', 'ML_ENGINEER');
    users.scientist = await createMember(t, projectId, 'acc-scientist', 'DATA_SCIENTIST');
    users.viewer = await createMember(t, projectId, 'acc-viewer', 'VIEWER');
    users.outsider = await createMember(t, elsewhere, 'acc-outsider', 'ADMIN');
    const modelId = await createModel(t, projectId, 'fraud');
    expect((await uploadAndRegister(t, projectId, modelId, MODEL)).errors).toBeUndefined();
    const deploy = async (name: string, payloadLogging: string) =>
      (
        await t.ok<{ createDeployment: { id: string; state: string } }>(
          `mutation($p: ID!, $m: ID!, $n: String!, $l: PayloadLogging!) { createDeployment(input: { projectId: $p, name: $n, modelId: $m, version: 1, payloadLogging: $l }) { id state } }`,
          { p: projectId, m: modelId, n: name, l: payloadLogging },
        )
      ).createDeployment;
    const scorer = await deploy('fraud-scorer', 'FULL');
    expect(scorer.state).toBe('READY');
    deploymentId = scorer.id;
    quietId = (await deploy('fraud-quiet', 'NONE')).id;

    started = new Date();
    for (let i = 0; i < 40; i++) {
      answers.push(await infer('fraud-scorer', `req-${i}`, [[((i % 7) - 3) * 0.8, ((i % 5) - 2) * 0.6, ((i % 3) - 1) * 0.9]]));
    }
    answers.push(await infer('fraud-scorer', 'batch-1', [[1, 1, 1], [-1, -1, -1], [0.5, -0.5, 0.2]]));
    await infer('fraud-quiet', 'quiet-1', [[1, 0, 0]]);
    await t.server.app.get(ServingRuntime).writer.flush();
  }, 180_000);

  afterAll(() => t?.close());

  it('monitoring settings: set by who may update the deployment, checked for consistency', async () => {
    const input = { deploymentId, task: 'CLASSIFICATION', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] };
    for (const who of [users.viewer, users.scientist]) {
      const refused = await t.gql(SETTINGS, { i: input }, who.token);
      expect(refused.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    }
    const stranger = await t.gql(SETTINGS, { i: input }, users.outsider.token);
    expect(stranger.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'DEPLOYMENT_NOT_FOUND' });
    const bad = await t.gql(SETTINGS, { i: { deploymentId, task: 'REGRESSION', labelOutput: 'label', probabilityOutput: 'probabilities' } }, users.engineer.token);
    expect(bad.errors?.[0]).toMatchObject({
      message: 'probabilityOutput applies to classification only; leave it out for a regression.',
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_MONITORING_SETTINGS', field: 'probabilityOutput' },
    });
    const { setDeploymentMonitoringSettings } = await t.ok<{ setDeploymentMonitoringSettings: Record<string, unknown> }>(SETTINGS, { i: input }, users.engineer.token);
    expect(setDeploymentMonitoringSettings).toEqual({ ...input, projectId, task: 'CLASSIFICATION', updatedBy: users.engineer.userId });
    await t.ok(SETTINGS, { i: { ...input, deploymentId: quietId } }, users.engineer.token);
    const read = await t.ok<{ deploymentMonitoringSettings: { labelOutput: string } }>(
      `query($d: ID!) { deploymentMonitoringSettings(deploymentId: $d) { labelOutput } }`,
      { d: deploymentId },
      users.viewer.token,
    );
    expect(read.deploymentMonitoringSettings.labelOutput).toBe('label');
  });

  it('submitActuals: by prediction id, duplicates and unknown ids reported; bad input refused whole', async () => {
    const first = answers.slice(0, 20);
    const res = await t.ok<{ submitActuals: Record<string, unknown> }>(
      SUBMIT,
      {
        d: deploymentId,
        a: [...first.map((a) => ({ associationId: a.predictionId, value: truth(a) })), { associationId: 'late-1', value: 1 }, { associationId: first[0]!.predictionId, value: 0 }],
      },
      users.scientist.token,
    );
    expect(res.submitActuals).toEqual({ deploymentId, projectId, accepted: 20, duplicates: [first[0]!.predictionId], unknown: ['late-1'] });

    const viewer = await t.gql(SUBMIT, { d: deploymentId, a: [{ associationId: 'x', value: 1 }] }, users.viewer.token);
    expect(viewer.errors?.[0]?.extensions).toMatchObject({ code: 'FORBIDDEN' });
    const outsider = await t.gql(SUBMIT, { d: deploymentId, a: [{ associationId: 'x', value: 1 }] }, users.outsider.token);
    expect(outsider.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });

    const batchRow = await t.gql(SUBMIT, { d: deploymentId, a: [{ associationId: 'req-20', value: 1 }, { associationId: 'batch-1', value: 1 }] });
    expect(batchRow.errors?.[0]).toMatchObject({
      message: expect.stringMatching(/^actuals\[1\]: Prediction .* holds a batch of 3 rows: say which one this actual is for with row \(0 to 2\)\.$/),
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_ACTUAL', index: 1 },
    });
    const badValue = await t.gql(SUBMIT, { d: deploymentId, a: [{ associationId: 'req-20', value: { yes: true } }] });
    expect(badValue.errors?.[0]?.message).toMatch(/An actual value is a number .* or a class label/);
    const tooMany = await t.gql(SUBMIT, { d: deploymentId, a: Array.from({ length: 1001 }, (_, i) => ({ associationId: `n${i}`, value: 1 })) });
    expect(tooMany.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', reason: 'TOO_MANY_ACTUALS' });
    // Nothing of the refused calls was stored.
    const [{ n }] = (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM actuals WHERE deployment_id = $1`, [deploymentId])) as { n: number }[];
    expect(n).toBe(21);
  });

  it('NDJSON: streamed by request id; good lines kept, bad ones reported by line number', async () => {
    const rest = answers.slice(20, 40);
    const batch = answers[40]!;
    const body = lines(
      ...rest.slice(0, 10).map((a) => ({ associationId: a.requestId, value: truth(a) })),
      '{"associationId": "req-30", "value": ',
      { associationId: 'nobody', value: 1 },
      { associationId: 'req-0', value: 1 },
      ...rest.slice(10).map((a) => ({ associationId: a.requestId, value: truth(a), actualAt: new Date().toISOString() })),
      { associationId: 'batch-1', value: truth(batch, 0), row: 0 },
      { associationId: 'batch-1', value: truth(batch, 1), row: 1 },
      { associationId: 'batch-1', value: 1, row: 7 },
      { associationId: 'batch-1', value: 1, row: 0, extra: 1 },
    );
    const res = await ndjson(deploymentId, body);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      accepted: 22,
      duplicates: [{ line: 13, associationId: 'req-0' }],
      unknown: [{ line: 12, associationId: 'nobody' }],
      errors: [
        { line: 11, message: expect.stringMatching(/^Not valid JSON/) },
        { line: 26, message: expect.stringMatching(/^row 7 is outside prediction .*, whose batch has 3 rows/) },
        { line: 27, message: expect.stringMatching(/^Unknown field "extra"/) },
      ],
      duplicateCount: 1,
      unknownCount: 1,
      errorCount: 3,
      lines: 27,
    });
  });

  it('NDJSON: refuses callers without predict, other content types, and bodies over the limit after keeping what came before', async () => {
    const one = lines({ associationId: 'quiet-1', value: 1 });
    expect((await ndjson(quietId, one, null)).status).toBe(401);
    const viewer = await ndjson(quietId, one, users.viewer.token);
    expect(viewer.status).toBe(403);
    const json = await ndjson(quietId, JSON.stringify({ associationId: 'quiet-1', value: 1 }), users.scientist.token, 'application/json');
    expect(json.status).toBe(400);
    expect(await json.json()).toEqual({ error: { code: 'UNSUPPORTED_CONTENT_TYPE', message: expect.stringMatching(/Content-Type: application\/x-ndjson/) } });
    const outsider = await ndjson(quietId, one, users.outsider.token);
    expect(outsider.status).toBe(404);

    const head = lines({ associationId: 'quiet-1', value: 1 }, { associationId: 'quiet-2', value: 0 });
    const tooBig = Buffer.concat([Buffer.from(head), Buffer.alloc(MAX_BODY_BYTES, 0x20), Buffer.from(lines({ associationId: 'never-read', value: 1 }))]);
    const res = await ndjson(quietId, tooBig);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      accepted: 1,
      duplicates: [],
      unknown: [{ line: 2, associationId: 'quiet-2' }],
      errors: [],
      duplicateCount: 0,
      unknownCount: 1,
      errorCount: 0,
      lines: 2,
      error: { code: 'ACTUALS_BODY_TOO_LARGE', message: expect.stringMatching(/over 33554432 bytes\. Lines 1 to 2 were processed .* lines from 3 on were not read/), fromLine: 3 },
    });
    const stored = (await t.db.dataSource.query(`SELECT association_id FROM actuals WHERE deployment_id = $1 ORDER BY id`, [quietId])) as { association_id: string }[];
    expect(stored.map((r) => r.association_id)).toEqual(['quiet-1', 'quiet-2']);
  });

  it('deploymentAccuracy: metrics of the scored pairs, counts, timeliness; a late prediction is matched', async () => {
    // The actual sent for "late-1" before any prediction had that id is matched once it has one.
    const late = await infer('fraud-scorer', 'late-1', [[0.3, 0.3, 0.3]]);
    await t.server.app.get(ServingRuntime).writer.flush();
    const from = new Date(started.getTime() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    const res = await t.ok<{ deploymentAccuracy: any }>(ACCURACY, { d: deploymentId, from, to, r: 'HOUR' }, users.viewer.token);
    const acc = res.deploymentAccuracy;
    // "late-1" is matched now; "nobody" (sent as NDJSON) still has no prediction.
    expect(acc).toMatchObject({ deploymentId, projectId, resolution: 'HOUR', unmatchedActuals: 1, settings: { task: 'CLASSIFICATION', positiveClass: '1' } });

    const batch = answers[40]!;
    const pairs = [
      ...answers.slice(0, 40).map((a) => ({ actual: truth(a), predicted: a.labels[0]!, p: a.positive[0]! })),
      { actual: truth(batch, 0), predicted: batch.labels[0]!, p: batch.positive[0]! },
      { actual: truth(batch, 1), predicted: batch.labels[1]!, p: batch.positive[1]! },
      { actual: 1, predicted: late.labels[0]!, p: late.positive[0]! },
    ];
    expect(acc.total.counts).toEqual({ predictions: 42, failedPredictions: 0, predictionsWithActuals: 42, actuals: 43, scored: 43, withoutPayload: 0, unscorable: 0 });
    const expected = expectedMetrics(pairs);
    for (const [key, value] of Object.entries(expected)) expect([key, acc.total.classification[key]]).toEqual([key, expect.closeTo(value, 9)]);
    expect(acc.total.classification.averaging).toBe('binary');
    expect(acc.total.regression).toBeNull();
    expect(acc.total.timeliness.shareWithActuals).toBe(1);
    expect(acc.total.timeliness.medianDelaySeconds).toBeGreaterThanOrEqual(-5);
    expect(acc.total.timeliness.p90DelaySeconds).toBeLessThan(600);
    // The windows add up to the total.
    const sum = (key: string) => acc.windows.reduce((s: number, w: any) => s + w.counts[key], 0);
    expect(COUNTS.split(' ').map(sum)).toEqual(COUNTS.split(' ').map((k) => acc.total.counts[k]));

    // Without stored payloads nothing can be scored, and the answer says so.
    const quiet = (await t.ok<{ deploymentAccuracy: any }>(ACCURACY, { d: quietId, from, to, r: 'DAY' }, users.viewer.token)).deploymentAccuracy;
    expect(quiet.total.counts).toEqual({ predictions: 1, failedPredictions: 0, predictionsWithActuals: 1, actuals: 1, scored: 0, withoutPayload: 1, unscorable: 0 });
    expect(quiet.total.classification).toMatchObject({ accuracy: null, rocAuc: null });
    expect(quiet.unmatchedActuals).toBe(1);

    const unmatched = async (d: string) =>
      (
        await t.ok<{ unmatchedActuals: { nodes: { associationId: string; value: number }[] } }>(
          `query($d: ID!) { unmatchedActuals(deploymentId: $d, first: 10) { nodes { associationId value } pageInfo { hasNextPage } } }`,
          { d },
          users.viewer.token,
        )
      ).unmatchedActuals.nodes;
    expect(await unmatched(quietId)).toEqual([{ associationId: 'quiet-2', value: 0 }]);
    expect(await unmatched(deploymentId)).toEqual([{ associationId: 'nobody', value: 1 }]);

    const wide = await t.gql(ACCURACY, { d: deploymentId, from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z', r: 'HOUR' }, users.viewer.token);
    expect(wide.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_RANGE' }, message: expect.stringMatching(/at most 1000/) });
    const outsider = await t.gql(ACCURACY, { d: deploymentId, from, to, r: 'DAY' }, users.outsider.token);
    expect(outsider.errors?.[0]?.extensions).toMatchObject({ code: 'NOT_FOUND' });
  });
});
