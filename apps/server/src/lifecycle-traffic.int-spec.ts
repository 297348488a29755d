import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { binaryLogisticRegressionModel, sampleModelPath } from '@modelport/sample-models';
import { BakeWatcher } from '@modelport/lifecycle';
import { HealthRollupWriter } from '@modelport/monitoring';
import { ServingRuntime } from '@modelport/serving';
import { artifactKey } from '@modelport/storage';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const CHAMPION = Buffer.from(binaryLogisticRegressionModel());
const CHALLENGER = Buffer.from(binaryLogisticRegressionModel([1.2, -1.8, 0.9], -0.1));
const THIRD = Buffer.from(binaryLogisticRegressionModel([-1, 1, 0.5], 0.3));
const INCOMPATIBLE = readFileSync(sampleModelPath('linear-regression'));

const TRAFFIC = `deploymentId revision modelVersionId changeRequest { id status }
  traffic { members { version role weight state reason } stickyBy previousVersionId bakeUntil bake { minutes maxErrorRate } }`;

interface Answer {
  status: number;
  version: string | null;
  predictionId: string | null;
}

async function infer(t: TestServer, name: string, data = [0.5, -1.25, 2], token = t.adminToken): Promise<Answer> {
  try {
    const res = await fetch(`${t.url}/v2/models/${name}/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 3], data }] }),
    });
    const body = (await res.json()) as { parameters?: Record<string, string> };
    return { status: res.status, version: body.parameters?.['model_version'] ?? null, predictionId: body.parameters?.['prediction_id'] ?? null };
  } catch {
    return { status: 0, version: null, predictionId: null };
  }
}

/** Requests from `workers` loops until stop(); every answer recorded. */
function load(t: TestServer, name: string, workers = 4) {
  const answers: Answer[] = [];
  let running = true;
  const loops = Array.from({ length: workers }, async (_, w) => {
    for (let i = 0; running; i++) answers.push(await infer(t, name, [w, (i % 7) - 3, 1]));
  });
  return {
    answers,
    stop: async () => {
      running = false;
      await Promise.all(loops);
      return answers;
    },
  };
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('lifecycle: traffic policies, shadows, promotion and rollback on the real ONNX plugin', () => {
  let t: TestServer;
  let projectId: string;
  let modelId: string;
  let deploymentId: string;
  const name = 'churn';

  const setTraffic = (input: Record<string, unknown>) =>
    t.gql<{ setTrafficPolicy: Record<string, any> }>(`mutation($i: SetTrafficPolicyInput!) { setTrafficPolicy(input: $i) { ${TRAFFIC.replace('deploymentId ', 'id ')} } }`, {
      i: { deploymentId, reason: 'test', ...input },
    });
  const promote = (input: Record<string, unknown>) =>
    t.gql<{ promoteDeploymentVersion: Record<string, any> }>(`mutation($i: PromoteDeploymentVersionInput!) { promoteDeploymentVersion(input: $i) { ${TRAFFIC.replace('deploymentId ', 'id ')} } }`, {
      i: { deploymentId, reason: 'the challenger agrees and is more accurate', ...input },
    });
  const rollback = (reason = 'operator rollback') =>
    t.gql<{ rollbackDeployment: Record<string, any> }>(`mutation($i: RollbackDeploymentInput!) { rollbackDeployment(input: $i) { ${TRAFFIC.replace('deploymentId ', 'id ')} } }`, {
      i: { deploymentId, reason },
    });
  const traffic = async () =>
    (await t.ok<{ deployment: Record<string, any> }>(`query($id: ID!) { deployment(id: $id) { ${TRAFFIC.replace('deploymentId ', 'id ')} } }`, { id: deploymentId })).deployment;
  const events = async () =>
    (await t.ok<{ deployment: { events: { kind: string; reason: string | null; detail: string; actorId: string | null }[] } }>(
      `query($id: ID!) { deployment(id: $id) { events { kind reason detail actorId } } }`,
      { id: deploymentId },
    )).deployment.events;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    t = await startTestServer({ env: { MODELPORT_PLUGINS: 'builtin', MODELPORT_DRAIN_TIMEOUT_MS: '5000' } });
    projectId = await createProject(t, 'lifecycle');
    modelId = await createModel(t, projectId, 'churn');
    for (const bytes of [CHAMPION, CHALLENGER, INCOMPATIBLE, THIRD]) expect((await uploadAndRegister(t, projectId, modelId, bytes)).errors).toBeUndefined();
    const created = await t.ok<{ createDeployment: { id: string; state: string } }>(
      `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id state } }`,
      { i: { projectId, name, modelId, version: 1 } },
    );
    expect(created.createDeployment.state).toBe('READY');
    deploymentId = created.createDeployment.id;
  }, 180_000);

  afterAll(() => t?.close(), 60_000);

  describe('bad traffic policies are refused whole, saying what to change', () => {
    it.each([
      ['weights that do not add up to 100', { championWeight: 80, canaries: [{ version: 2, weight: 10 }] }, /add up to 100; they add up to 90/],
      ['a negative weight', { championWeight: 100, canaries: [{ version: 2, weight: -10 }, { version: 4, weight: 10 }] }, /canaries\[0\]\.weight must be a whole number from 0 to 100 \(got -10\)/],
      ['the champion as its own canary', { championWeight: 50, canaries: [{ version: 1, weight: 50 }] }, /appears twice/],
      ['a version that does not exist', { championWeight: 100, shadows: [99] }, /99/],
      ['an empty reason', { championWeight: 100, shadows: [2], reason: ' ' }, /Say why/],
    ])('%s', async (_label, input, message) => {
      const before = await traffic();
      const answer = await setTraffic(input);
      expect(answer.errors?.[0]?.message).toMatch(message);
      expect(await traffic()).toEqual(before);
    });

    it('a challenger whose signature differs from the champion is refused, naming each differing tensor', async () => {
      const answer = await setTraffic({ championWeight: 100, shadows: [3] });
      expect(answer.errors?.[0]?.extensions?.reason).toBe('SIGNATURE_INCOMPATIBLE');
      const message = answer.errors![0]!.message;
      expect(message).toMatch(/Version 3 cannot take the requests of champion version 1/);
      expect(message).toMatch(/input "features" has shape \[-1,4\] instead of \[-1,3\]/);
      expect(message).toMatch(/output "label" is missing/);
      expect(message).toMatch(/output "probabilities" is missing/);
      expect((await traffic()).traffic.members).toHaveLength(1);
    });

    it('promoting a version that is not loaded on the deployment is refused', async () => {
      const answer = await promote({ version: 2 });
      expect(answer.errors?.[0]).toMatchObject({ extensions: { reason: 'VERSION_NOT_READY' }, message: expect.stringMatching(/Version 2 is not loaded on deployment "churn": attach it as a shadow or a canary first/) });
      expect((await traffic()).modelVersionId).toBeDefined();
    });

    it('a rollback with nothing to roll back to is refused', async () => {
      expect((await rollback()).errors?.[0]?.extensions?.reason).toBe('NOTHING_TO_ROLL_BACK');
    });
  });

  it('splits live traffic between the champion and a canary, and names the answering version in every receipt', async () => {
    const set = await setTraffic({ championWeight: 70, canaries: [{ version: 2, weight: 30 }], reason: 'canary the retrained model' });
    expect(set.errors).toBeUndefined();
    expect(set.data!.setTrafficPolicy.traffic.members).toEqual([
      { version: 1, role: 'CHAMPION', weight: 70, state: 'READY', reason: '' },
      { version: 2, role: 'CANARY', weight: 30, state: 'READY', reason: 'canary the retrained model' },
    ]);
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => infer(t, name, [i % 5, 1, -1])));
    expect(answers.every((a) => a.status === 200)).toBe(true);
    const canary = answers.filter((a) => a.version === '2').length;
    expect(canary).toBeGreaterThan(30);
    expect(canary).toBeLessThan(90);
    await t.server.app.get(ServingRuntime).writer.flush();
    const [logged] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE deployment_id = $1 AND role = 'live' AND model_version = 2 AND id = ANY($2::uuid[])`, [
      deploymentId,
      answers.filter((a) => a.version === '2').map((a) => a.predictionId),
    ]);
    expect(logged.n).toBe(canary);
    // The route was rebuilt by the policy change, not by a load: every row still names the plugin that ran it.
    const [unnamed] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE id = ANY($1::uuid[]) AND (plugin_id IS NULL OR plugin_version IS NULL)`, [
      answers.map((a) => a.predictionId),
    ]);
    expect(unnamed.n).toBe(0);
  });

  it('replacing the champion with a version its canary cannot follow is refused, naming the canary and the tensors', async () => {
    const before = await traffic();
    expect(before.traffic.members.map((m: { version: number; role: string }) => [m.version, m.role])).toEqual([
      [1, 'CHAMPION'],
      [2, 'CANARY'],
    ]);
    const answer = await t.gql<{ replaceDeploymentModelVersion: { id: string } }>(
      `mutation($i: ReplaceDeploymentModelVersionInput!) { replaceDeploymentModelVersion(input: $i) { id } }`,
      { i: { deploymentId, version: 3 } },
    );
    expect(answer.errors?.[0]?.extensions?.reason).toBe('SIGNATURE_INCOMPATIBLE');
    const message = answer.errors![0]!.message;
    expect(message).toMatch(/Version 3 cannot become the champion of deployment "churn": its canary version 2 could not take version 3's requests/);
    expect(message).toMatch(/input "features" has shape \[-1,3\] instead of \[-1,4\]/);
    expect(message).toMatch(/Take those versions out of the traffic policy first/);
    expect(await traffic()).toEqual(before);
    expect((await events()).map((e) => e.kind)).not.toContain('replace-failed');
  });

  it('a shadow challenger gets a copy of each live request, logged beside it, and never answers', async () => {
    expect((await setTraffic({ championWeight: 100, canaries: [], shadows: [2], reason: 'shadow the retrained model' })).errors).toBeUndefined();
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => infer(t, name, [i / 10, -1, 0.5])));
    expect(answers.every((a) => a.status === 200 && a.version === '1')).toBe(true);
    await pause(200);
    await t.server.app.get(ServingRuntime).writer.flush();
    const rows: { shadow_of: string; model_version: number; status: string; outputs: unknown }[] = await t.db.dataSource.query(
      `SELECT shadow_of::text, model_version, status, outputs FROM predictions WHERE role = 'shadow' AND shadow_of = ANY($1::uuid[])`,
      [answers.map((a) => a.predictionId)],
    );
    expect(rows).toHaveLength(50);
    expect(rows.every((r) => r.model_version === 2 && r.status === 'ok' && Array.isArray(r.outputs))).toBe(true);
  });

  it('a shadow whose model dies under it fails only its copies', async () => {
    const runtime = t.server.app.get(ServingRuntime);
    const shadowKey = (await t.db.dataSource.query(`SELECT model_key FROM deployment_versions WHERE deployment_id = $1 AND role = 'shadow'`, [deploymentId]))[0].model_key;
    await runtime.host.unloadModel('runtime-onnx', shadowKey);
    const answers = await Promise.all(Array.from({ length: 20 }, () => infer(t, name)));
    expect(answers.every((a) => a.status === 200 && a.version === '1')).toBe(true);
    await pause(200);
    await runtime.writer.flush();
    const [failed] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE role = 'shadow' AND status = 'error' AND shadow_of = ANY($1::uuid[])`, [
      answers.map((a) => a.predictionId),
    ]);
    expect(failed.n).toBe(20);
  });

  it('promotes the shadow under load with zero failed requests, keeps the old champion as standby, and rolls back the same way', async () => {
    // Re-attach: the previous test unloaded the shadow's model behind Modelport's back.
    expect((await setTraffic({ championWeight: 100, shadows: [], reason: 'reset' })).errors).toBeUndefined();
    expect((await setTraffic({ championWeight: 100, shadows: [2], reason: 'shadow again' })).errors).toBeUndefined();
    const running = load(t, name);
    await pause(500);
    const promoted = await promote({ version: 2, bake: { minutes: 30, maxErrorRate: 0.05 } });
    expect(promoted.errors).toBeUndefined();
    await pause(500);
    const afterPromotion = running.answers.length;
    const back = await rollback('the new champion misbehaves');
    expect(back.errors).toBeUndefined();
    await pause(500);
    const answers = await running.stop();
    expect(answers.length).toBeGreaterThan(50);
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    const versions = answers.map((a) => a.version);
    // v1 answered first, then v2 after the promotion, then v1 again after the rollback.
    expect(versions[0]).toBe('1');
    expect(versions.slice(afterPromotion - 20, afterPromotion)).toContain('2');
    expect(versions.at(-1)).toBe('1');

    const p = promoted.data!.promoteDeploymentVersion;
    expect(p.traffic.members).toEqual([
      { version: 2, role: 'CHAMPION', weight: 100, state: 'READY', reason: '' },
      { version: 1, role: 'STANDBY', weight: 0, state: 'READY', reason: expect.stringMatching(/before version 2 was promoted/) },
    ]);
    expect(p.traffic.bake).toEqual({ minutes: 30, maxErrorRate: 0.05 });
    expect(new Date(p.traffic.bakeUntil).getTime()).toBeGreaterThan(Date.now() + 29 * 60_000);
    const r = back.data!.rollbackDeployment;
    expect(r.traffic).toMatchObject({ members: [{ version: 1, role: 'CHAMPION', weight: 100, state: 'READY' }], previousVersionId: null, bakeUntil: null });
    const kinds = (await events()).filter((e) => ['promoted', 'rolled-back'].includes(e.kind));
    expect(kinds.map((e) => [e.kind, e.reason])).toEqual([
      ['promoted', 'the challenger agrees and is more accurate'],
      ['rolled-back', 'the new champion misbehaves'],
    ]);
    // The demoted version is gone from the plugin.
    const loaded = t.server.app.get(ServingRuntime).host.get('runtime-onnx').loadedModels;
    expect(loaded.filter((k) => k.startsWith('churn/v2'))).toEqual([]);
    expect(loaded.filter((k) => k.startsWith('churn/v1'))).toHaveLength(1);
  });

  it('two promotions racing: one wins, the other is refused, and nothing is half-applied', async () => {
    expect((await setTraffic({ championWeight: 100, shadows: [2, 4], reason: 'two challengers' })).errors).toBeUndefined();
    const before = await traffic();
    const [a, b] = await Promise.all([promote({ version: 2 }), promote({ version: 4 })]);
    const won = [a, b].filter((x) => !x.errors);
    const lost = [a, b].filter((x) => x.errors);
    expect(won).toHaveLength(1);
    expect(lost).toHaveLength(1);
    expect(['ROLLOUT_IN_PROGRESS', 'CONCURRENT_CHANGE', 'VERSION_NOT_READY']).toContain(lost[0]!.errors![0]!.extensions?.reason);
    const winner = won[0]!.data!.promoteDeploymentVersion;
    const now = await traffic();
    const champion = now.traffic.members[0];
    expect(champion.role).toBe('CHAMPION');
    expect(now.modelVersionId).toBe(winner.modelVersionId);
    // Exactly one champion and the loser still a shadow; without a bake period the old champion was unloaded, but stays the rollback target.
    expect(now.traffic.members.map((m: { role: string }) => m.role).sort()).toEqual(['CHAMPION', 'SHADOW']);
    expect(now.traffic.previousVersionId).toBe(before.modelVersionId);
    expect((await events()).filter((e) => e.kind === 'promoted')).toHaveLength(2);
    expect((await infer(t, name)).version).toBe(String(champion.version));
  });

  it('a rollback while a promotion is still finishing is refused; once it finished, the rollback goes through', async () => {
    const runtime = t.server.app.get(ServingRuntime);
    // A promotion with a bake leaves a standby; the next promotion's last step is to unload that standby.
    const first = await traffic();
    const shadow = first.traffic.members.find((m: { role: string }) => m.role === 'SHADOW').version;
    expect((await promote({ version: shadow, bake: { minutes: 10, maxErrorRate: 0.1 } })).errors).toBeUndefined();
    const afterFirst = await traffic();
    const free = [1, 2, 4].find((v) => !afterFirst.traffic.members.some((m: { version: number }) => m.version === v))!;
    expect((await setTraffic({ championWeight: 100, shadows: [free], reason: 'the next challenger' })).errors).toBeUndefined();
    const before = await traffic();
    expect(before.traffic.members.map((m: { role: string }) => m.role)).toEqual(['CHAMPION', 'STANDBY', 'SHADOW']);
    // Hold that unload, so the promotion is still running when the rollback arrives.
    const unload = runtime.host.unloadModel.bind(runtime.host);
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    runtime.host.unloadModel = async (plugin: string, key: string) => {
      await held;
      return unload(plugin, key);
    };
    try {
      const promotion = promote({ version: free, bake: { minutes: 10, maxErrorRate: 0.1 } });
      for (let i = 0; i < 500 && !runtime.deployments.rollouts.has(deploymentId); i++) await pause(10);
      const refused = await rollback('too early');
      expect(refused.errors?.[0]).toMatchObject({ extensions: { reason: 'ROLLOUT_IN_PROGRESS' }, message: expect.stringMatching(/in the middle of another change/) });
      release();
      expect((await promotion).errors).toBeUndefined();
    } finally {
      runtime.host.unloadModel = unload;
      release();
    }
    const back = await rollback('now');
    expect(back.errors).toBeUndefined();
    expect(back.data!.rollbackDeployment.traffic.members[0]).toMatchObject({ role: 'CHAMPION', version: before.traffic.members[0].version });
    expect((await infer(t, name)).version).toBe(String(before.traffic.members[0].version));
  });

  it('a shadow that failed to load when the deployment came up is loaded again when its plugin is back', async () => {
    const runtime = t.server.app.get(ServingRuntime);
    const champion = (await traffic()).modelVersionId;
    const { model } = await t.ok<{ model: { versions: { nodes: { id: string; version: number; artifact: { sha256: string } }[] } } }>(
      `query($m: ID) { model(id: $m) { versions(first: 10) { nodes { id version artifact { sha256 } } } } }`,
      { m: modelId },
    );
    const shadow = model.versions.nodes.find((v) => v.id !== champion && v.version !== 3)!;
    expect((await setTraffic({ championWeight: 100, canaries: [], shadows: [shadow.version], reason: 'shadow, then lose it' })).errors).toBeUndefined();
    // The deployment comes up again (as after a restart) while the shadow's artifact is damaged in the store.
    const file = fileURLToPath(await t.server.runtime.store.readUrl(artifactKey(shadow.artifact.sha256), 60));
    const original = readFileSync(file);
    const damaged = Buffer.from(original);
    damaged[damaged.length - 1] ^= 0xff;
    const shadowKey = (await t.db.dataSource.query(`SELECT model_key FROM deployment_versions WHERE deployment_id = $1 AND role = 'shadow'`, [deploymentId]))[0].model_key;
    try {
      writeFileSync(file, damaged);
      await runtime.host.unloadModel('runtime-onnx', shadowKey);
      await runtime.deployments.restoreAll();
      const failed = (await traffic()).traffic.members.find((m: { role: string }) => m.role === 'SHADOW');
      expect(failed).toMatchObject({ version: shadow.version, state: 'FAILED' });
      const alone = await infer(t, name);
      await pause(100);
      await runtime.writer.flush();
      const [none] = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE shadow_of = $1`, [alone.predictionId]);
      expect(none.n).toBe(0);
    } finally {
      writeFileSync(file, original);
    }
    // What a plugin coming back (or registering) triggers: the FAILED shadow loads again and gets its copies.
    await runtime.deployments.retryFailed();
    expect((await traffic()).traffic.members.find((m: { role: string }) => m.role === 'SHADOW')).toMatchObject({ version: shadow.version, state: 'READY' });
    const answer = await infer(t, name);
    expect(answer.status).toBe(200);
    let copies = 0;
    for (let i = 0; i < 50 && copies === 0; i++) {
      await pause(50);
      await runtime.writer.flush();
      copies = (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM predictions WHERE shadow_of = $1 AND status = 'ok'`, [answer.predictionId]))[0].n;
    }
    expect(copies).toBe(1);
  });
});

describe('lifecycle: the bake watcher rolls a degrading champion back by itself; production traffic changes wait for approval', () => {
  let t: TestServer;
  let deploymentId: string;
  let projectId: string;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { MODELPORT_PLUGINS: 'builtin', MODELPORT_DRAIN_TIMEOUT_MS: '2000' } });
    projectId = await createProject(t, 'bake');
    modelId = await createModel(t, projectId, 'bake');
    for (const bytes of [CHAMPION, CHALLENGER]) expect((await uploadAndRegister(t, projectId, modelId, bytes)).errors).toBeUndefined();
    deploymentId = (
      await t.ok<{ createDeployment: { id: string } }>(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id } }`, { i: { projectId, name: 'baked', modelId, version: 1 } })
    ).createDeployment.id;
    await t.ok(`mutation($i: SetTrafficPolicyInput!) { setTrafficPolicy(input: $i) { id } }`, { i: { deploymentId, championWeight: 100, shadows: [2], reason: 'challenger' } });
  }, 180_000);

  afterAll(() => t?.close(), 60_000);

  it('a clean bake leaves the champion alone; once its model fails, the next check rolls back to the standby with the breach as the reason', async () => {
    const runtime = t.server.app.get(ServingRuntime);
    const watcher = t.server.app.get(BakeWatcher);
    await t.ok(`mutation($i: PromoteDeploymentVersionInput!) { promoteDeploymentVersion(input: $i) { id } }`, {
      i: { deploymentId, version: 2, reason: 'better on replay', bake: { minutes: 60, maxErrorRate: 0.1, minRequests: 10 } },
    });
    const flush = async () => {
      await runtime.writer.flush();
      await t.server.app.get(HealthRollupWriter).flush();
    };
    // The previous champion is the standby: replacing the version with it is refused in favour of a rollback.
    const replaced = await t.gql(`mutation($i: ReplaceDeploymentModelVersionInput!) { replaceDeploymentModelVersion(input: $i) { id } }`, { i: { deploymentId, version: 1 } });
    expect(replaced.errors?.[0]?.message).toMatch(/Version 1 is the previous champion, still loaded as the standby; roll back instead/);
    for (let i = 0; i < 20; i++) expect((await infer(t, 'baked')).version).toBe('2');
    await flush();
    expect(await watcher.check()).toEqual({ checked: 1, rolledBack: [], passed: [] });

    // The new champion's model disappears from its plugin: every request now fails with a server error.
    const key = (await t.db.dataSource.query(`SELECT model_key FROM deployments WHERE id = $1`, [deploymentId]))[0].model_key;
    await runtime.host.unloadModel('runtime-onnx', key);
    const failing = await Promise.all(Array.from({ length: 20 }, () => infer(t, 'baked')));
    expect(failing.every((a) => a.status >= 500)).toBe(true);
    await flush();
    const result = await watcher.check();
    expect(result.rolledBack).toEqual([deploymentId]);
    // Served again by the standby, loaded all along: no load was needed.
    expect((await infer(t, 'baked')).status).toBe(200);
    expect((await infer(t, 'baked')).version).toBe('1');
    const events = (await t.ok<{ deployment: { events: { kind: string; reason: string | null; actorId: string | null }[] } }>(`query($id: ID!) { deployment(id: $id) { events { kind reason actorId } } }`, { id: deploymentId }))
      .deployment.events;
    expect(events.at(-1)).toEqual({ kind: 'auto-rolled-back', actorId: null, reason: expect.stringMatching(/^automatic rollback during the bake period: error rate 50\.00% over 40 requests is above the bake limit of 10\.00%$/) });
    const [audit] = await t.db.dataSource.query(`SELECT action, details FROM audit_events WHERE action = 'deployment.auto-rollback' AND resource_id = $1`, [deploymentId]);
    expect(audit.details).toMatchObject({ deployment: 'baked', reason: expect.stringMatching(/error rate/) });
  });

  it('a traffic change of a production deployment waits for a reviewer, then applies as approved', async () => {
    const guarded = (
      await t.ok<{ createDeployment: { id: string } }>(`mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { id } }`, {
        i: { projectId, name: 'guarded', modelId, version: 1, production: true },
      })
    ).createDeployment.id;
    const reviewer = await createMember(t, projectId, 'traffic-reviewer', 'ADMIN');
    await t.ok(`mutation($p: ID) { createApprovalPolicy(input: {projectId: $p, actions: [DEPLOYMENT_TRAFFIC], requiredApprovals: 1, reviewerRole: "admin"}) { policy { id } } }`, { p: projectId });
    const held = await t.ok<{ setTrafficPolicy: { changeRequest: { id: string; status: string } | null; traffic: { members: unknown[] } } }>(
      `mutation($i: SetTrafficPolicyInput!) { setTrafficPolicy(input: $i) { changeRequest { id status } traffic { members { version role } } } }`,
      { i: { deploymentId: guarded, championWeight: 90, canaries: [{ version: 2, weight: 10 }], reason: 'canary 10%' } },
    );
    expect(held.setTrafficPolicy.changeRequest).toMatchObject({ status: 'PENDING' });
    expect(held.setTrafficPolicy.traffic.members).toHaveLength(1);
    await t.ok(`mutation($r: ID!) { reviewChangeRequest(input: {requestId: $r, decision: APPROVE, comment: "ok"}) { status } }`, { r: held.setTrafficPolicy.changeRequest!.id }, reviewer.token);
    const deadline = Date.now() + 20_000;
    let members: { version: number; role: string; weight: number }[] = [];
    while (Date.now() < deadline) {
      members = (await t.ok<{ deployment: { traffic: { members: typeof members } } }>(`query($id: ID!) { deployment(id: $id) { traffic { members { version role weight } } } }`, { id: guarded })).deployment.traffic.members;
      if (members.length === 2) break;
      await pause(100);
    }
    expect(members).toEqual([
      { version: 1, role: 'CHAMPION', weight: 90 },
      { version: 2, role: 'CANARY', weight: 10 },
    ]);
    const [event] = await t.db.dataSource.query(`SELECT reason, change_request_id::text FROM deployment_events WHERE deployment_id = $1 AND kind = 'traffic-changed'`, [guarded]);
    expect(event).toEqual({ reason: 'canary 10%', change_request_id: held.setTrafficPolicy.changeRequest!.id });
  });

  it('a replay scores another version on the stored inputs of live predictions, on a copy loaded for the replay alone', async () => {
    const runtime = t.server.app.get(ServingRuntime);
    await pause(5);
    const from = new Date().toISOString();
    for (let i = 0; i < 30; i++) expect((await infer(t, 'baked', [i / 10, -1, 0.5])).version).toBe('1');
    await runtime.writer.flush();
    await pause(5);
    const to = new Date().toISOString();
    const v2 = (await t.ok<{ model: { version: { id: string } } }>(`query($m: ID!) { model(id: $m) { version(version: 2) { id } } }`, { m: modelId })).model.version.id;
    const run = await t.ok<{ startReplay: { id: string; state: string } }>(`mutation($i: StartReplayInput!) { startReplay(input: $i) { id state } }`, {
      i: { deploymentId, versionId: v2, from, to, maxRows: 1000 },
    });
    let state = run.startReplay.state;
    let progress: { state: string; total: number | null; done: number; failed: number } = { state, total: null, done: 0, failed: 0 };
    for (const deadline = Date.now() + 30_000; !['SUCCEEDED', 'FAILED'].includes(state) && Date.now() < deadline; await pause(100)) {
      progress = (await t.ok<{ replayRun: typeof progress }>(`query($id: ID!) { replayRun(id: $id) { state total done failed } }`, { id: run.startReplay.id })).replayRun;
      state = progress.state;
    }
    expect(progress).toEqual({ state: 'SUCCEEDED', total: 30, done: 30, failed: 0 });
    const compared = await t.ok<{ challengerComparison: { pairs: number; classification: { agreementRate: number } | null } }>(
      `query($d: ID!, $v: ID!, $f: DateTime!, $t: DateTime!) { challengerComparison(deploymentId: $d, challengerVersionId: $v, from: $f, to: $t, source: REPLAY) { pairs classification { agreementRate } } }`,
      { d: deploymentId, v: v2, f: from, t: new Date(Date.now() + 1000).toISOString() },
    );
    expect(compared.challengerComparison.pairs).toBe(30);
    // The copy loaded for the replay is gone again; the champion still serves.
    expect(runtime.host.get('runtime-onnx').loadedModels.filter((k) => k.endsWith('/replay'))).toEqual([]);
    expect((await infer(t, 'baked')).version).toBe('1');
  });
});
