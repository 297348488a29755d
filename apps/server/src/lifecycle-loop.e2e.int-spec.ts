import { execFileSync } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { join, resolve } from 'node:path';
import { BakeWatcher } from '@modelport/lifecycle';
import { HealthRollupWriter, verifyWebhook } from '@modelport/monitoring';
import { binaryLogisticRegressionModel, seededRandom } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, createUpload, putBytes, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const CHAMPION_WEIGHTS = [1.5, -2, 0.75];
const CHAMPION_BIAS = -0.25;
const CHALLENGER_WEIGHTS = [0.4, -2.2, 1.4];
const CHALLENGER_BIAS = 0.9;

/** What a logistic regression answers for one row (the label the ONNX graph's ArgMax gives). */
const labelOf = (w: number[], b: number, x: number[]) => (w.reduce((s, wi, i) => s + wi * x[i]!, b) > 0 ? 1 : 0);

/** A local HTTP receiver that keeps every request (body, headers) and answers 200. */
async function receiver(): Promise<{ url: string; got: { headers: Record<string, string>; body: string }[]; close(): Promise<void>; server: Server }> {
  const got: { headers: Record<string, string>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d)).on('end', () => {
      got.push({ headers: req.headers as Record<string, string>, body });
      res.end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}/hook`, got, server, close: () => new Promise((r) => server.close(() => r())) };
}

async function until<T>(what: string, read: () => Promise<T | null | undefined | false>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('the lifecycle loop, end to end on real services: drift → alert → refresh → shadow → comparison → approved promotion → automatic rollback', () => {
  let t: TestServer;
  let owner: Awaited<ReturnType<typeof receiver>>;
  let retraining: Awaited<ReturnType<typeof receiver>>;
  let projectId: string;
  let modelId: string;
  let deploymentId: string;
  let reviewer: { userId: string; token: string };
  const random = seededRandom(20261127);
  const normal = () => Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());

  const infer = async (x: number[]) => {
    const res = await fetch(`${t.url}/v2/models/loop/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data: x }] }),
    }).catch(() => null);
    if (!res) return { status: 0, version: null, id: null };
    const body = (await res.json()) as { parameters?: Record<string, string> };
    return { status: res.status, version: body.parameters?.['model_version'] ?? null, id: body.parameters?.['prediction_id'] ?? null };
  };
  const flush = async () => {
    await t.server.app.get(ServingRuntime).writer.flush();
    await t.server.app.get(HealthRollupWriter).flush();
  };
  const champion = async () =>
    (await t.ok<{ deployment: { traffic: { members: { version: number; role: string }[] } } }>(`query($id: ID!) { deployment(id: $id) { traffic { members { version role } } } }`, { id: deploymentId }))
      .deployment.traffic.members;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    t = await startTestServer({ storage: 's3', queue: 'redis', env: { MODELPORT_PLUGINS: 'builtin', MODELPORT_DRAIN_TIMEOUT_MS: '2000' } });
    owner = await receiver();
    retraining = await receiver();
    projectId = await createProject(t, 'loop');
    modelId = await createModel(t, projectId, 'churn');
    expect((await uploadAndRegister(t, projectId, modelId, Buffer.from(binaryLogisticRegressionModel(CHAMPION_WEIGHTS, CHAMPION_BIAS)))).errors).toBeUndefined();
    deploymentId = (
      await t.ok<{ createDeployment: { id: string; state: string } }>(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id state } }`, {
        i: { projectId, name: 'loop', modelId, version: 1, production: true },
      })
    ).createDeployment.id;
    reviewer = await createMember(t, projectId, 'reviewer', 'ADMIN');
    await t.ok(`mutation($p: ID) { createApprovalPolicy(input: {projectId: $p, actions: [DEPLOYMENT_REPLACE_VERSION], requiredApprovals: 1, reviewerRole: "admin"}) { policy { id } } }`, { p: projectId });
    await t.ok(`mutation($d: ID!) { setDeploymentMonitoringSettings(input: {deploymentId: $d, task: CLASSIFICATION, labelOutput: "label", positiveClass: "1", classes: ["0", "1"]}) { task } }`, {
      d: deploymentId,
    });
    // The baseline the model was trained on: three standard normal features.
    const csv = ['income,debt,tenure', ...Array.from({ length: 600 }, () => [normal(), normal(), normal()].map((v) => v.toFixed(4)).join(','))].join('\n') + '\n';
    const slot = await createUpload(t, projectId, Buffer.from(csv));
    expect((await putBytes(t, slot, Buffer.from(csv))).ok).toBe(true);
    await t.ok(`mutation($i: CreateReferenceProfileInput!) { createReferenceProfile(input: $i) { id } }`, {
      i: { deploymentId, uploadId: slot.id, format: 'CSV', featureColumns: ['income', 'debt', 'tenure'] },
    });
    await until('the reference profile is READY', async () => {
      const p = await t.ok<{ referenceProfile: { status: string } | null }>(`query($d: ID!) { referenceProfile(deploymentId: $d) { status } }`, { d: deploymentId });
      return p.referenceProfile?.status === 'READY';
    });
  }, 240_000);

  afterAll(async () => {
    await owner?.close();
    await retraining?.close();
    await t?.close();
  }, 60_000);

  it('walks the whole loop and the timeline shows every step', async () => {
    // The owner's on-call webhook hears of drift; the retraining service is called by the refresh policy.
    const channel = await t.ok<{ createNotificationChannel: { channel: { id: string } } }>(
      `mutation($p: ID!, $u: String!) { createNotificationChannel(input: {projectId: $p, name: "oncall", url: $u}) { channel { id } secret } }`,
      { p: projectId, u: owner.url },
    );
    await t.ok(`mutation($d: ID!, $c: [ID!]) { createAlertRule(input: {deploymentId: $d, kind: "DRIFT_STATUS", threshold: 1, windowMinutes: 60, channelIds: $c}) { id } }`, {
      d: deploymentId,
      c: [channel.createNotificationChannel.channel.id],
    });
    const policy = await t.ok<{ setRefreshPolicy: { secret: string } }>(
      `mutation($d: ID!, $u: String!) { setRefreshPolicy(deploymentId: $d, input: {action: "WEBHOOK", webhookUrl: $u, onDriftRed: true, minIntervalMinutes: 60}) { secret } }`,
      { d: deploymentId, u: retraining.url },
    );

    // 1. Drift is induced: the customers the model now sees earn far more, and are newer, than those it learnt from.
    const drifted = await Promise.all(Array.from({ length: 300 }, () => infer([normal() + 3, normal(), normal() - 2])));
    expect(drifted.every((a) => a.status === 200)).toBe(true);
    await flush();
    const from = new Date(Date.now() - 3600_000).toISOString();
    await until('drift is red', async () => {
      const d = await t.ok<{ deploymentDrift: { status: string } }>(`query($d: ID!, $f: DateTime!, $t: DateTime!) { deploymentDrift(deploymentId: $d, from: $f, to: $t) { status } }`, {
        d: deploymentId,
        f: from,
        t: new Date(Date.now() + 60_000).toISOString(),
      });
      return d.deploymentDrift.status === 'red';
    });

    // 2. The alert fires and reaches the owner's webhook; the deployment needs attention.
    await t.ok(`mutation { evaluateAlertsNow }`);
    const fired = await until('the owner webhook got the alert', async () => owner.got.find((g) => JSON.parse(g.body).event === 'alert.fired'));
    expect(JSON.parse(fired.body)).toMatchObject({ alert: { kind: 'DRIFT_STATUS' }, deployment: { id: deploymentId, name: 'loop' } });
    const attention = await t.ok<{ deploymentsNeedingAttention: { deploymentId: string }[] }>(`query($p: ID) { deploymentsNeedingAttention(projectId: $p) { deploymentId } }`, { p: projectId });
    expect(attention.deploymentsNeedingAttention.map((a) => a.deploymentId)).toEqual([deploymentId]);

    // 3. The refresh policy calls the retraining webhook with a signed request.
    await t.ok(`mutation { evaluateRefreshPoliciesNow }`);
    const request = await until('the retraining webhook was called', async () => retraining.got[0]);
    expect(verifyWebhook(policy.setRefreshPolicy.secret, request.headers['x-modelport-signature']!, request.body, Math.floor(Date.now() / 1000))).toBe(true);
    const payload = JSON.parse(request.body) as { runId: string; event: string; reason: { kind: string }; currentVersion: { version: number }; labelledData: { url: string } };
    expect(payload).toMatchObject({ event: 'refresh.requested', reason: { kind: 'DRIFT_RED' }, currentVersion: { version: 1 } });
    expect(payload.labelledData.url).toContain(`/v1/deployments/${deploymentId}/labelled-data`);

    // 4. The retraining service answers with a new version, naming the run: it joins as a shadow challenger.
    const registered = await uploadAndRegister(t, projectId, modelId, Buffer.from(binaryLogisticRegressionModel(CHALLENGER_WEIGHTS, CHALLENGER_BIAS)), { lineage: { refreshRunId: payload.runId } });
    expect(registered.errors).toBeUndefined();
    expect(registered.data!.registerModelVersion.version).toBe(2);
    await until('the new version is a shadow', async () => (await champion()).some((m) => m.version === 2 && m.role === 'SHADOW'));
    const runs = await t.ok<{ refreshRuns: { state: string; newVersionId: string }[] }>(`query($d: ID!) { refreshRuns(deploymentId: $d) { state newVersionId } }`, { d: deploymentId });
    expect(runs.refreshRuns[0]).toEqual({ state: 'COMPLETED', newVersionId: registered.data!.registerModelVersion.id });
    const lineage = await t.ok<{ modelVersion: { lineage: { trigger: string | null; refreshRunId: string | null } } }>(`query($id: ID!) { modelVersion(id: $id) { lineage { trigger refreshRunId } } }`, {
      id: registered.data!.registerModelVersion.id,
    });
    expect(lineage.modelVersion.lineage).toEqual({ refreshRunId: payload.runId, trigger: expect.stringMatching(/drift/i) });

    // 5. On shared traffic, with actuals that follow the world as it now is, the comparison favours the challenger.
    const comparedFrom = new Date(Date.now() - 1000).toISOString();
    const rows = Array.from({ length: 240 }, () => [normal() + 3, normal(), normal() - 2]);
    // Twenty callers at a time: shadow copies beyond the in-flight limit would be skipped, not queued.
    const answers: Awaited<ReturnType<typeof infer>>[] = [];
    for (let i = 0; i < rows.length; i += 20) answers.push(...(await Promise.all(rows.slice(i, i + 20).map((x) => infer(x)))));
    expect(answers.every((a) => a.status === 200 && a.version === '1')).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    await flush();
    const actuals = rows.map((x, i) => ({ associationId: answers[i]!.id, value: labelOf(CHALLENGER_WEIGHTS, CHALLENGER_BIAS, x) }));
    await t.ok(`mutation($d: ID!, $a: [ActualInput!]!) { submitActuals(deploymentId: $d, actuals: $a) { accepted } }`, { d: deploymentId, a: actuals });
    const comparison = await t.ok<{ challengerComparison: { verdict: string; pairs: number; evidence: string[]; classification: { agreementRate: number } | null } }>(
      // Latency is judged too, but a shadow on a busy 2-core test machine is no evidence of it: only accuracy and errors decide here.
      `query($d: ID!, $v: ID!, $f: DateTime!, $t: DateTime!) { challengerComparison(deploymentId: $d, challengerVersionId: $v, from: $f, to: $t, source: SHADOW, thresholds: {maxLatencyRatio: 1000}) { verdict pairs evidence classification { agreementRate } } }`,
      { d: deploymentId, v: registered.data!.registerModelVersion.id, f: comparedFrom, t: new Date(Date.now() + 1000).toISOString() },
    );
    expect(comparison.challengerComparison.pairs).toBe(240);
    expect({ verdict: comparison.challengerComparison.verdict, evidence: comparison.challengerComparison.evidence }).toEqual({ verdict: 'CHALLENGER_BETTER', evidence: expect.any(Array) });
    expect(comparison.challengerComparison.evidence.join('\n')).toMatch(/accuracy on 240 labelled rows: challenger 1 vs champion/);
    expect(comparison.challengerComparison.classification!.agreementRate).toBeLessThan(1);

    // 6. The promotion waits for a reviewer; once approved it applies under load with zero failed requests.
    const requested = await t.ok<{ promoteDeploymentVersion: { changeRequest: { id: string; status: string } | null } }>(
      `mutation($d: ID!) { promoteDeploymentVersion(input: {deploymentId: $d, version: 2, reason: "better on shared traffic and actuals", bake: {minutes: 60, maxErrorRate: 0.1, minRequests: 10}}) { changeRequest { id status } } }`,
      { d: deploymentId },
    );
    expect(requested.promoteDeploymentVersion.changeRequest).toMatchObject({ status: 'PENDING' });
    expect((await champion())[0]).toEqual({ version: 1, role: 'CHAMPION' });
    let running = true;
    const load: { status: number; version: string | null }[] = [];
    const loops = Array.from({ length: 4 }, async () => {
      while (running) load.push(await infer([normal(), normal(), normal()]));
    });
    await t.ok(`mutation($r: ID!) { reviewChangeRequest(input: {requestId: $r, decision: APPROVE, comment: "comparison looks right"}) { status } }`, { r: requested.promoteDeploymentVersion.changeRequest!.id }, reviewer.token);
    await until('the challenger is the champion', async () => (await champion())[0]!.version === 2);
    await new Promise((r) => setTimeout(r, 300));
    running = false;
    await Promise.all(loops);
    expect(load.length).toBeGreaterThan(20);
    expect(load.filter((a) => a.status !== 200)).toEqual([]);
    expect(load.at(-1)!.version).toBe('2');

    // 7. A forced degradation: the new champion's model fails on its plugin; the bake watcher rolls back by itself.
    for (let i = 0; i < 20; i++) expect((await infer([normal(), normal(), normal()])).status).toBe(200);
    const key = (await t.db.dataSource.query(`SELECT model_key FROM deployments WHERE id = $1`, [deploymentId]))[0].model_key;
    await t.server.app.get(ServingRuntime).host.unloadModel('runtime-onnx', key);
    const failing = await Promise.all(Array.from({ length: 20 }, () => infer([normal(), normal(), normal()])));
    expect(failing.every((a) => a.status >= 500)).toBe(true);
    await flush();
    expect((await t.server.app.get(BakeWatcher).check()).rolledBack).toEqual([deploymentId]);
    expect((await champion())[0]).toEqual({ version: 1, role: 'CHAMPION' });
    expect(await infer([0.1, 0.2, 0.3])).toMatchObject({ status: 200, version: '1' });

    // 8. The timeline tells the story, newest first, with actors and reasons.
    const timeline = await t.ok<{ deploymentTimeline: { nodes: { kind: string; category: string; reason: string | null; actor: { name: string } | null }[] } }>(
      `query($d: ID!) { deploymentTimeline(deploymentId: $d, first: 100) { nodes { kind category reason actor { name } } } }`,
      { d: deploymentId },
    );
    const kinds = timeline.deploymentTimeline.nodes.map((n) => n.kind).reverse();
    for (const kind of ['created', 'ready', 'alert-opened', 'refresh-requested', 'refresh-delivered', 'shadow-attached', 'refresh-completed', 'promoted', 'auto-rolled-back']) {
      expect(kinds).toContain(kind);
    }
    // In the order they happened.
    const at = (kind: string) => kinds.indexOf(kind);
    expect(at('alert-opened')).toBeLessThan(at('refresh-requested'));
    expect(at('refresh-requested')).toBeLessThan(at('refresh-completed'));
    expect(at('refresh-completed')).toBeLessThan(at('promoted'));
    expect(at('promoted')).toBeLessThan(at('auto-rolled-back'));
    expect(timeline.deploymentTimeline.nodes.some((n) => n.category === 'APPROVAL' && /approv/i.test(n.kind))).toBe(true);
    expect(timeline.deploymentTimeline.nodes.find((n) => n.kind === 'promoted')).toMatchObject({ reason: 'better on shared traffic and actuals' });
    expect(timeline.deploymentTimeline.nodes.find((n) => n.kind === 'auto-rolled-back')).toMatchObject({ actor: null, reason: expect.stringMatching(/error rate/) });
  });
});
