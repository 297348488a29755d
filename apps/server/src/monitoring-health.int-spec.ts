import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { HealthRollupWriter, HealthService, LATENCY_RELATIVE_ERROR } from '@modelport/monitoring';
import { linearRegressionModel } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const SAMPLE = Buffer.from(linearRegressionModel());

const FIGURES = 'requests predictions errors4xx errors5xx errorRate errorRate4xx errorRate5xx distinctConsumers latencyMeanMs latencyP50Ms latencyP90Ms latencyP95Ms latencyP99Ms latencyMaxMs';
const HEALTH = `query($d: ID!, $from: DateTime!, $to: DateTime!, $r: HealthResolution!, $v: ID) {
  deploymentHealth(deploymentId: $d, from: $from, to: $to, resolution: $r, modelVersionId: $v) {
    deploymentId modelVersionId from to resolution resolutionSeconds latencyRelativeError
    totals { ${FIGURES} }
    points { start end ${FIGURES} }
  }
}`;

interface Figures {
  requests: number;
  predictions: number;
  errors4xx: number;
  errors5xx: number;
  errorRate: number;
  errorRate4xx: number;
  errorRate5xx: number;
  distinctConsumers: number;
  latencyMeanMs: number | null;
  latencyP50Ms: number | null;
  latencyP90Ms: number | null;
  latencyP95Ms: number | null;
  latencyP99Ms: number | null;
  latencyMaxMs: number | null;
}

interface Health {
  deploymentId: string;
  modelVersionId: string | null;
  from: string;
  to: string;
  resolution: string;
  resolutionSeconds: number;
  latencyRelativeError: number;
  totals: Figures;
  points: (Figures & { start: string; end: string })[];
}

interface Exact {
  requests: number;
  predictions: number;
  errors_4xx: number;
  errors_5xx: number;
  consumers: number;
  mean_us: number | null;
  max_us: number | null;
  q: number[] | null;
}

/** The value of the one Prometheus sample named `name` whose labels include `labels`; null when there is none. */
function sample(metrics: string, name: string, labels: Record<string, string>): number | null {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const found: number[] = [];
  for (const line of metrics.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]!.split(/,(?=[a-zA-Z_]+=")/);
    if (want.every((w) => have.includes(w))) found.push(Number(match[3]));
  }
  if (found.length > 1) throw new Error(`more than one ${name} series matches ${want.join(',')}`);
  return found[0] ?? null;
}

describe('service health per deployment and model version', () => {
  let t: TestServer;
  let projectId: string;
  let deploymentId: string;
  const versionIds: string[] = [];
  const users: Record<'alice' | 'bob' | 'viewer' | 'outsider', { userId: string; token: string }> = {} as never;
  /** What the clients saw, by HTTP status. */
  const answers: Record<number, number> = {};
  let started: Date;

  async function infer(token: string, rows: number, columns = 4): Promise<number> {
    const res = await fetch(`${t.url}/v2/models/health-scorer/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [rows, columns], data: Array.from({ length: rows * columns }, (_, i) => i / 10) }] }),
    });
    await res.arrayBuffer();
    answers[res.status] = (answers[res.status] ?? 0) + 1;
    return res.status;
  }

  /** Sends a mix from both users: batches of 1-3 rows, and every fifth request with a wrong shape (400). */
  async function traffic(n: number): Promise<void> {
    for (let i = 0; i < n; i++) {
      const token = i % 3 === 0 ? users.bob.token : users.alice.token;
      const status = i % 5 === 4 ? await infer(token, 1, 3) : await infer(token, 1 + (i % 3));
      expect([200, 400]).toContain(status);
    }
  }

  async function settle(): Promise<void> {
    await t.server.app.get(ServingRuntime).writer.flush();
    await t.server.app.get(HealthRollupWriter).flush();
  }

  async function exact(from: Date | string, to: Date | string, modelVersionId: string | null = null): Promise<Exact> {
    const [row] = (await t.db.dataSource.query(
      `SELECT count(*)::int AS requests,
              coalesce(sum(coalesce(input_rows, 1)) FILTER (WHERE status = 'ok'), 0)::int AS predictions,
              count(*) FILTER (WHERE status = 'error' AND error_status BETWEEN 400 AND 499)::int AS errors_4xx,
              count(*) FILTER (WHERE status = 'error' AND (error_status IS NULL OR error_status NOT BETWEEN 400 AND 499))::int AS errors_5xx,
              count(DISTINCT consumer_id)::int AS consumers, avg(latency_us)::float8 AS mean_us, max(latency_us) AS max_us,
              percentile_disc(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_us) AS q
       FROM predictions WHERE deployment_id = $1 AND received_at >= $2 AND received_at < $3 AND ($4::uuid IS NULL OR model_version_id = $4)`,
      [deploymentId, from, to, modelVersionId],
    )) as Exact[];
    return row!;
  }

  /** Counts and rates exactly as the log has them; latencies within the documented bound of the exact nearest-rank quantiles. */
  function expectFigures(got: Figures, want: Exact): void {
    expect({
      requests: got.requests,
      predictions: got.predictions,
      errors4xx: got.errors4xx,
      errors5xx: got.errors5xx,
      distinctConsumers: got.distinctConsumers,
      latencyMaxUs: got.latencyMaxMs === null ? null : Math.round(got.latencyMaxMs * 1000),
    }).toEqual({
      requests: want.requests,
      predictions: want.predictions,
      errors4xx: want.errors_4xx,
      errors5xx: want.errors_5xx,
      distinctConsumers: want.consumers,
      latencyMaxUs: want.max_us,
    });
    const rate = (n: number) => (want.requests ? n / want.requests : 0);
    expect(got.errorRate).toBeCloseTo(rate(want.errors_4xx + want.errors_5xx), 12);
    expect(got.errorRate4xx).toBeCloseTo(rate(want.errors_4xx), 12);
    expect(got.errorRate5xx).toBeCloseTo(rate(want.errors_5xx), 12);
    if (want.requests === 0) {
      expect([got.latencyMeanMs, got.latencyP50Ms, got.latencyP99Ms]).toEqual([null, null, null]);
      return;
    }
    expect(got.latencyMeanMs! * 1000).toBeCloseTo(want.mean_us!, 6);
    [got.latencyP50Ms, got.latencyP90Ms, got.latencyP95Ms, got.latencyP99Ms].forEach((ms, i) => {
      const truth = want.q![i]!;
      expect(Math.abs(ms! * 1000 - truth)).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR * truth + 1e-6);
    });
  }

  const health = (vars: Record<string, unknown>, token: string | null = t.adminToken) => t.gql<{ deploymentHealth: Health }>(HEALTH, vars, token);

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    // A plugin that serves "onnx" by echoing its inputs, a millisecond late so that latencies spread over several buckets.
    const plugins = [
      {
        name: 'echo',
        command: process.execPath,
        args: [join(root, 'dist/libs/serving/src/plugins/testing/fake-plugin.js')],
        env: { FAKE_PLUGIN_FORMAT: 'onnx', FAKE_PLUGIN_INFER_DELAY_MS: '1' },
      },
    ];
    t = await startTestServer({ env: { MODELPORT_PLUGINS: JSON.stringify(plugins) } });
    projectId = await createProject(t, 'health');
    const elsewhere = await createProject(t, 'elsewhere');
    users.alice = await createMember(t, projectId, 'health-alice', 'DATA_SCIENTIST');
    users.bob = await createMember(t, projectId, 'health-bob', 'DATA_SCIENTIST');
    users.viewer = await createMember(t, projectId, 'health-viewer', 'VIEWER');
    users.outsider = await createMember(t, elsewhere, 'health-outsider', 'ADMIN');
    const modelId = await createModel(t, projectId, 'health-model');
    for (let i = 0; i < 2; i++) {
      const res = await uploadAndRegister(t, projectId, modelId, SAMPLE);
      expect(res.errors).toBeUndefined();
      versionIds.push(res.data!.registerModelVersion.id);
    }
    const { createDeployment } = await t.ok<{ createDeployment: { id: string; state: string } }>(
      `mutation($p: ID!, $m: ID!) { createDeployment(input: { projectId: $p, name: "health-scorer", modelId: $m, version: 1 }) { id state } }`,
      { p: projectId, m: modelId },
    );
    expect(createDeployment.state).toBe('READY');
    deploymentId = createDeployment.id;

    started = new Date();
    await traffic(45);
    const { replaceDeploymentModelVersion } = await t.ok<{ replaceDeploymentModelVersion: { modelVersionId: string } }>(
      `mutation($d: ID!) { replaceDeploymentModelVersion(input: { deploymentId: $d, version: 2 }) { modelVersionId } }`,
      { d: deploymentId },
    );
    expect(replaceDeploymentModelVersion.modelVersionId).toBe(versionIds[1]);
    await traffic(35);
    // A viewer may read the deployment but not predict with it: a 4xx of a third caller.
    expect(await infer(users.viewer.token, 1)).toBe(403);
    await settle();
  }, 120_000);

  afterAll(() => t?.close());

  it('every logged request is in the rollups once', async () => {
    const [{ n }] = (await t.db.dataSource.query('SELECT count(*)::int AS n FROM predictions WHERE deployment_id = $1', [deploymentId])) as { n: number }[];
    expect(n).toBe(81);
    expect(answers).toEqual({ 200: 64, 400: 16, 403: 1 });
    const [{ requests }] = (await t.db.dataSource.query('SELECT sum(requests)::int AS requests FROM deployment_health_minutes WHERE deployment_id = $1', [deploymentId])) as {
      requests: number;
    }[];
    expect(requests).toBe(81);
    expect(t.server.app.get(HealthRollupWriter).stats()).toMatchObject({ pendingRows: 0, droppedRows: 0 });
  });

  it('deploymentHealth gives per-minute points and totals equal to exact figures from the prediction log', async () => {
    const from = new Date(started.getTime() - 60_000);
    const to = new Date(Date.now() + 60_000);
    const res = await health({ d: deploymentId, from: from.toISOString(), to: to.toISOString(), r: 'MINUTE' }, users.viewer.token);
    expect(res.errors).toBeUndefined();
    const h = res.data!.deploymentHealth;
    expect(h).toMatchObject({ deploymentId, modelVersionId: null, resolution: 'MINUTE', resolutionSeconds: 60, latencyRelativeError: 0.02 });
    expect(new Date(h.from).getTime()).toBe(Math.floor(from.getTime() / 60_000) * 60_000);
    expect(new Date(h.to).getTime()).toBe(Math.ceil(to.getTime() / 60_000) * 60_000);
    expect(h.points.length).toBe((new Date(h.to).getTime() - new Date(h.from).getTime()) / 60_000);
    expect(h.points[0]!.requests).toBe(0);
    for (const point of h.points) expectFigures(point, await exact(point.start, point.end));
    const all = await exact(h.from, h.to);
    expectFigures(h.totals, all);
    expect(h.totals).toMatchObject({ requests: 81, errors4xx: 17, errors5xx: 0, distinctConsumers: 3 });
    expect(h.totals.errorRate).toBeCloseTo(17 / 81, 12);
  });

  it('filters by model version; the versions (and requests that failed before one was chosen) add up to the whole', async () => {
    const from = new Date(started.getTime() - 3600_000).toISOString();
    const to = new Date(Date.now() + 3600_000).toISOString();
    for (const v of versionIds) {
      const h = (await t.ok<{ deploymentHealth: Health }>(HEALTH, { d: deploymentId, from, to, r: 'HOUR', v })).deploymentHealth;
      expect(h.modelVersionId).toBe(v);
      expectFigures(h.totals, await exact(h.from, h.to, v));
      expect(h.totals.requests).toBeGreaterThan(0);
    }
    const byVersion = await Promise.all(versionIds.map(async (v) => (await exact(from, to, v)).requests));
    const [{ early }] = (await t.db.dataSource.query('SELECT count(*)::int AS early FROM predictions WHERE deployment_id = $1 AND model_version_id IS NULL', [deploymentId])) as {
      early: number;
    }[];
    expect(byVersion[0]! + byVersion[1]! + early).toBe(81);
  });

  it('a rebuild of the window from the prediction log gives the same series', async () => {
    const vars = { d: deploymentId, from: new Date(started.getTime() - 60_000).toISOString(), to: new Date(Date.now() + 60_000).toISOString(), r: 'FIVE_MINUTES' };
    const before = (await t.ok<{ deploymentHealth: Health }>(HEALTH, vars)).deploymentHealth;
    const rebuilt = await t.server.app.get(HealthService).backfill(new Date(before.from), new Date(Date.now()), deploymentId);
    expect(rebuilt.requests).toBe(81);
    expect((await t.ok<{ deploymentHealth: Health }>(HEALTH, vars)).deploymentHealth).toEqual(before);
  });

  it('/metrics shows the same figures per deployment name, read from the rollups', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    const all = await exact(new Date(0), new Date(Date.now() + 60_000));
    const labels = { deployment: 'health-scorer' };
    expect(sample(text, 'modelport_deployment_requests_total', labels)).toBe(81);
    expect(sample(text, 'modelport_deployment_predictions_total', labels)).toBe(all.predictions);
    expect(sample(text, 'modelport_deployment_errors_total', { ...labels, class: '4xx' })).toBe(17);
    expect(sample(text, 'modelport_deployment_errors_total', { ...labels, class: '5xx' })).toBe(0);
    expect(sample(text, 'modelport_deployment_consumers', labels)).toBe(3);
    ['0.5', '0.9', '0.95', '0.99'].forEach((quantile, i) => {
      const seconds = sample(text, 'modelport_deployment_latency_seconds', { ...labels, quantile })!;
      const truth = all.q![i]!;
      expect(Math.abs(seconds * 1e6 - truth)).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR * truth + 1e-6);
    });
    expect(text).toMatch(/# TYPE modelport_deployment_requests_total counter/);
    expect(sample(text, 'modelport_health_rollup_rows_total', {})).toBeGreaterThanOrEqual(81);
    expect(sample(text, 'modelport_health_rollup_dropped_rows_total', {})).toBe(0);
  });

  it('refuses a deployment the caller may not read as NOT_FOUND, like one that does not exist', async () => {
    const vars = { from: new Date(Date.now() - 3600_000).toISOString(), to: new Date().toISOString(), r: 'MINUTE' };
    const hidden = await health({ ...vars, d: deploymentId }, users.outsider.token);
    const ghostId = randomUUID();
    const ghost = await health({ ...vars, d: ghostId }, users.outsider.token);
    expect(hidden.data).toBeNull();
    expect(hidden.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    expect(hidden.errors![0]!.message.replace(deploymentId, '<id>')).toBe(ghost.errors![0]!.message.replace(ghostId, '<id>'));
    expect(JSON.stringify(hidden)).not.toContain('health-scorer');
    const anonymous = await health({ ...vars, d: deploymentId }, null);
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses windows it cannot answer, saying why', async () => {
    const at = '2026-11-27T10:00:00.000Z';
    const backwards = await health({ d: deploymentId, from: at, to: at, r: 'MINUTE' });
    expect(backwards.errors?.[0]).toMatchObject({
      message: 'from (2026-11-27T10:00:00.000Z) must be before to (2026-11-27T10:00:00.000Z).',
      extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_HEALTH_QUERY', field: 'from' },
    });
    const tooLong = await health({ d: deploymentId, from: '2026-11-01T00:00:00.000Z', to: at, r: 'MINUTE' });
    expect(tooLong.errors?.[0]?.message).toMatch(/at most 1440 are returned\. Use resolution HOUR or a shorter window\.$/);
    const badVersion = await health({ d: deploymentId, from: '2026-11-26T10:00:00.000Z', to: at, r: 'HOUR', v: 'v2' });
    expect(badVersion.errors?.[0]?.extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'modelVersionId' });
  });
});
