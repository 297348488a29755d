import { DriftService } from '@modelport/monitoring';
import { linearRegressionModel } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createModel, createProject, createUpload, putBytes, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

/** A seeded generator, so the data (and so every test statistic) is the same on every run. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(next() || 1e-12)) * Math.cos(2 * Math.PI * next());
}

interface Row {
  income: number;
  age: number;
  country: string;
  score: number;
}

function rows(n: number, seed: number, shift = { income: 0, country: false }): Row[] {
  const next = random(seed);
  return Array.from({ length: n }, () => {
    const income = 50_000 * (1 + shift.income) + 12_000 * normal(next);
    const age = 40 + 10 * normal(next);
    const u = next();
    const country = shift.country ? (u < 0.6 ? 'FR' : u < 0.8 ? 'DE' : 'NL') : u < 0.6 ? 'DE' : u < 0.8 ? 'FR' : 'NL';
    return { income: Math.round(income), age: Math.round(age * 10) / 10, country, score: Math.round((income / 100_000 + age / 200) * 1e4) / 1e4 };
  });
}

const csv = (data: Row[]) => ['income,age,country,score', ...data.map((r) => `${r.income},${r.age},${r.country},${r.score}`)].join('\n');

describe('drift: reference profiles, pre-aggregated windows and the drift report', () => {
  let t: TestServer;
  let projectId: string;
  let modelId: string;

  const createExternal = async (name: string) =>
    (await t.ok<{ createDeployment: { id: string } }>(
      `mutation($p: ID!, $m: ID!, $n: String!) { createDeployment(input: { projectId: $p, name: $n, modelId: $m, version: 1, kind: EXTERNAL, payloadLogging: FULL }) { id } }`,
      { p: projectId, m: modelId, n: name },
    )).createDeployment.id;

  const reference = async (deploymentId: string, text: string, extra: Record<string, unknown> = {}) => {
    const bytes = Buffer.from(text);
    const slot = await createUpload(t, projectId, bytes);
    expect((await putBytes(t, slot, bytes)).status).toBe(200);
    const created = await t.gql<{ createReferenceProfile: { id: string; status: string } }>(
      `mutation($i: CreateReferenceProfileInput!) { createReferenceProfile(input: $i) { id status } }`,
      { i: { deploymentId, uploadId: slot.id, format: 'CSV', featureColumns: ['income', 'age', 'country'], predictionColumns: ['score'], categoricalColumns: ['country'], ...extra } },
    );
    if (created.errors) return { errors: created.errors, slot };
    let profile = { id: created.data!.createReferenceProfile.id, status: 'PENDING', failure: null as string | null, rowCount: null as number | null };
    for (let i = 0; i < 100 && profile.status === 'PENDING'; i++) {
      await new Promise((r) => setTimeout(r, 50));
      profile = (await t.ok<{ referenceProfile: typeof profile }>(`query($d: ID!, $id: ID) { referenceProfile(deploymentId: $d, id: $id) { id status failure rowCount } }`, { d: deploymentId, id: profile.id })).referenceProfile;
    }
    return { profile, slot };
  };

  const ingest = async (deploymentId: string, data: Row[], timestamp?: string) => {
    const body = data.map((r) => JSON.stringify({ timestamp, features: { income: r.income, age: r.age, country: r.country }, prediction: { score: r.score } })).join('\n');
    const res = await fetch(`${t.url}/v1/deployments/${deploymentId}/predictions`, { method: 'POST', headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'application/x-ndjson' }, body });
    expect(((await res.json()) as { accepted: number }).accepted).toBe(data.length);
    await t.server.app.get(ServingRuntime).writer.flush();
    await t.server.app.get(DriftService).settle();
  };

  const DRIFT = `query($d: ID!, $from: DateTime!, $to: DateTime!) {
    deploymentDrift(deploymentId: $d, from: $from, to: $to) { status rows message testedFeatures driftedFeatures features { feature test method score threshold drifted windowCount } predictions { feature drifted } }
  }`;
  const window = () => ({ from: new Date(Date.now() - 3600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() });

  beforeAll(async () => {
    t = await startTestServer();
    projectId = await createProject(t, 'risk');
    modelId = await createModel(t, projectId, 'risk-scorer');
    expect((await uploadAndRegister(t, projectId, modelId, Buffer.from(linearRegressionModel()))).errors).toBeUndefined();
  }, 60_000);

  afterAll(() => t?.close());

  it('finds no drift on traffic like the reference, and drift on a shifted mean and a categorical shift', async () => {
    const stable = await createExternal('risk-stable');
    const shifted = await createExternal('risk-shifted');
    for (const id of [stable, shifted]) {
      const { profile } = await reference(id, csv(rows(2000, 7)));
      expect(profile).toMatchObject({ status: 'READY', rowCount: 2000, failure: null });
    }
    await ingest(stable, rows(600, 11));
    await ingest(shifted, rows(600, 13, { income: 0.3, country: true }));

    const calm = (await t.ok<{ deploymentDrift: any }>(DRIFT, { d: stable, ...window() })).deploymentDrift;
    expect(calm).toMatchObject({ status: 'green', rows: 600, testedFeatures: 3, driftedFeatures: 0 });
    expect(calm.features.map((f: { feature: string }) => f.feature).sort()).toEqual(['age', 'country', 'income']);
    expect(calm.features.every((f: { windowCount: number }) => f.windowCount === 600)).toBe(true);

    // Late data two days back lands in that day's sketches; a 3-day query reads whole days from the day sketches
    // and the rest from the hour sketches, counting every prediction once.
    await ingest(stable, rows(100, 17), new Date(Date.now() - 2 * 24 * 3600_000).toISOString());
    const threeDays = { from: new Date(Date.now() - 3 * 24 * 3600_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString() };
    const longer = (await t.ok<{ deploymentDrift: any }>(DRIFT, { d: stable, ...threeDays })).deploymentDrift;
    expect(longer).toMatchObject({ rows: 700, status: 'green' });
    expect(longer.features.every((f: { windowCount: number }) => f.windowCount === 700)).toBe(true);
    const spans = await t.db.dataSource.query(`SELECT span, sum(rows)::int AS n FROM drift_window_sketches WHERE deployment_id = $1 AND feature = 'income' GROUP BY span ORDER BY span`, [stable]);
    expect(spans).toEqual([
      { span: 'day', n: 700 },
      { span: 'hour', n: 700 },
    ]);

    const moved = (await t.ok<{ deploymentDrift: any }>(DRIFT, { d: shifted, ...window() })).deploymentDrift;
    const drifted = Object.fromEntries(moved.features.map((f: { feature: string; drifted: boolean }) => [f.feature, f.drifted]));
    expect(drifted).toEqual({ income: true, age: false, country: true });
    expect(moved.predictions).toEqual([{ feature: 'score', drifted: true }]);
    expect(moved.status).toBe('red');

    // The overview shows it, and a DRIFT_STATUS rule fires on it.
    const overview = await t.ok<{ overview: { name: string; drift: { status: string } }[] }>(`{ overview { name drift { status } } }`);
    expect(Object.fromEntries(overview.overview.map((o) => [o.name, o.drift.status]))).toMatchObject({ 'risk-stable': 'green', 'risk-shifted': 'red' });
    await t.ok(`mutation($d: ID!) { createAlertRule(input: { deploymentId: $d, kind: "DRIFT_STATUS", threshold: 2, windowMinutes: 60 }) { id } }`, { d: shifted });
    await t.ok(`mutation { evaluateAlertsNow }`);
    const alerts = await t.ok<{ alerts: { kind: string; openedValue: number }[] }>(`query($d: ID!) { alerts(deploymentId: $d, openOnly: true) { kind openedValue } }`, { d: shifted });
    expect(alerts.alerts).toEqual([{ kind: 'DRIFT_STATUS', openedValue: 2 }]);
  });

  it('fails a reference with wrong columns or non-numeric values, saying which; refuses a used upload; answers without a reference', async () => {
    const id = await createExternal('risk-bad-refs');
    const none = (await t.ok<{ deploymentDrift: { status: string; message: string } }>(DRIFT, { d: id, ...window() })).deploymentDrift;
    expect(none).toMatchObject({ status: 'unknown', message: expect.stringMatching(/No READY reference profile/) });

    const wrong = await reference(id, 'income,years,country,score\n1,2,DE,0.5\n');
    expect(wrong.profile).toMatchObject({ status: 'FAILED', failure: expect.stringMatching(/no column "age"; its columns are "income", "years", "country", "score"/) });
    const text = await reference(id, 'income,age,country,score\n1,2,DE,0.5\nlots,3,FR,0.7\n');
    expect(text.profile).toMatchObject({ status: 'FAILED', failure: expect.stringMatching(/income/) });
    const empty = await reference(id, '\n\n');
    expect(empty.profile).toMatchObject({ status: 'FAILED', failure: expect.stringMatching(/the file is empty/) });
    const constant = await reference(id, 'income,age,country,score\n5,5,DE,1\n5,5,DE,1\n5,5,DE,1\n');
    expect(constant.profile).toMatchObject({ status: 'READY', rowCount: 3 });

    const reused = await t.gql(
      `mutation($i: CreateReferenceProfileInput!) { createReferenceProfile(input: $i) { id } }`,
      { i: { deploymentId: id, uploadId: wrong.slot.id, format: 'CSV', featureColumns: ['income'] } },
    );
    expect(reused.errors?.[0]?.message).toMatch(/not an open upload/);
    const badFormat = await t.gql(`mutation($i: CreateReferenceProfileInput!) { createReferenceProfile(input: $i) { id } }`, {
      i: { deploymentId: id, uploadId: wrong.slot.id, format: 'XLSX', featureColumns: ['income'] },
    });
    expect(badFormat.errors?.[0]?.message).toMatch(/CSV or JSONL/);
  });
});
