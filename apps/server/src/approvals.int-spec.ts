import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { linearRegressionModel } from '@modelport/sample-models';
import { ServingRuntime } from '@modelport/serving';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const root = resolve(__dirname, '..', '..', '..');
const SAMPLE = Buffer.from(linearRegressionModel());

const REPLACE = `mutation($d: ID!, $v: Int!) {
  replaceDeploymentModelVersion(input: { deploymentId: $d, version: $v }) { revision modelVersionId changeRequest { id status requiredApprovals approvalCount summary } }
}`;
const REVIEW = `mutation($r: ID!, $d: ReviewDecision!, $c: String) { reviewChangeRequest(input: { requestId: $r, decision: $d, comment: $c }) { id status approvalCount } }`;
const REQUEST = `query($id: ID!) { changeRequest(id: $id) { status failure approvalCount reviews { reviewerId decision comment } events { kind toStatus actorId } } }`;

interface Member {
  userId: string;
  token: string;
}

describe('approval workflows on production deployments', () => {
  let t: TestServer;
  let projectId: string;
  let modelId: string;
  const m: Record<'admin' | 'author' | 'reviewer1' | 'reviewer2' | 'scientist', Member> = {} as never;

  async function waitForStatus(id: string, want: string): Promise<{ status: string; failure: string | null }> {
    let got = { status: '', failure: null as string | null };
    for (let i = 0; i < 100 && got.status !== want; i++) {
      got = (await t.ok<{ changeRequest: typeof got }>(REQUEST, { id })).changeRequest;
      if (got.status !== want) await new Promise((r) => setTimeout(r, 50));
    }
    return got;
  }

  async function deployment(name: string, production: boolean): Promise<string> {
    const res = await t.ok<{ createDeployment: { id: string; state: string } }>(
      `mutation($p: ID!, $m: ID!, $n: String!, $prod: Boolean) { createDeployment(input: { projectId: $p, name: $n, modelId: $m, version: 1, production: $prod }) { id state } }`,
      { p: projectId, m: modelId, n: name, prod: production },
      m.author.token,
    );
    expect(res.createDeployment.state).toBe('READY');
    return res.createDeployment.id;
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    const plugins = [{ name: 'echo', command: process.execPath, args: [join(root, 'dist/libs/serving/src/plugins/testing/fake-plugin.js')], env: { FAKE_PLUGIN_FORMAT: 'onnx' } }];
    t = await startTestServer({ env: { MODELPORT_PLUGINS: JSON.stringify(plugins) } });
    projectId = await createProject(t, 'approvals');
    m.admin = await createMember(t, projectId, 'project-admin', 'ADMIN');
    m.author = await createMember(t, projectId, 'author-engineer', 'ML_ENGINEER');
    m.reviewer1 = await createMember(t, projectId, 'reviewer-one', 'ML_ENGINEER');
    m.reviewer2 = await createMember(t, projectId, 'reviewer-two', 'ADMIN');
    m.scientist = await createMember(t, projectId, 'a-scientist', 'DATA_SCIENTIST');
    modelId = await createModel(t, projectId, 'scorer');
    for (let i = 0; i < 3; i++) expect((await uploadAndRegister(t, projectId, modelId, SAMPLE)).errors).toBeUndefined();
    const policy = await t.ok<{ createApprovalPolicy: { policy: { id: string; requiredApprovals: number } } }>(
      `mutation($p: ID) { createApprovalPolicy(input: { projectId: $p, actions: [DEPLOYMENT_REPLACE_VERSION, DEPLOYMENT_DELETE], requiredApprovals: 2, reviewerRole: "ml-engineer" }) { policy { id requiredApprovals } } }`,
      { p: projectId },
      m.admin.token,
    );
    expect(policy.createApprovalPolicy.policy.requiredApprovals).toBe(2);
  }, 120_000);

  afterAll(() => t?.close());

  it('a replacement on a production deployment becomes a change request, applied after two other reviewers approve', async () => {
    const id = await deployment('prod-scorer', true);
    const asked = await t.ok<{ replaceDeploymentModelVersion: { revision: number; changeRequest: { id: string; status: string; requiredApprovals: number; approvalCount: number; summary: string } } }>(
      REPLACE,
      { d: id, v: 2 },
      m.author.token,
    );
    const request = asked.replaceDeploymentModelVersion.changeRequest;
    expect(asked.replaceDeploymentModelVersion.revision).toBe(1);
    expect(request).toMatchObject({ status: 'PENDING', requiredApprovals: 2, approvalCount: 0, summary: expect.stringContaining('version 2') });

    const own = await t.gql(REVIEW, { r: request.id, d: 'APPROVE' }, m.author.token);
    expect(own.errors?.[0]?.message).toMatch(/You wrote this change request, so you cannot review it/);
    const scientist = await t.gql(REVIEW, { r: request.id, d: 'APPROVE' }, m.scientist.token);
    expect(scientist.errors?.[0]?.extensions?.code).toMatch(/FORBIDDEN|NOT_FOUND/);

    const { changeRequestBacklog } = await t.ok<{ changeRequestBacklog: { nodes: { id: string }[] } }>(
      `query($p: [ID!]) { changeRequestBacklog(projectIds: $p, first: 10) { nodes { id } } }`,
      { p: [projectId] },
      m.reviewer1.token,
    );
    expect(changeRequestBacklog.nodes.map((n) => n.id)).toEqual([request.id]);

    expect((await t.ok<{ reviewChangeRequest: { status: string; approvalCount: number } }>(REVIEW, { r: request.id, d: 'APPROVE', c: 'looks right' }, m.reviewer1.token)).reviewChangeRequest).toMatchObject({
      status: 'PENDING',
      approvalCount: 1,
    });
    const again = await t.gql(REVIEW, { r: request.id, d: 'APPROVE' }, m.reviewer1.token);
    expect(again.errors?.[0]?.extensions?.code).toBe('CONFLICT');
    await t.ok(REVIEW, { r: request.id, d: 'APPROVE', c: 'ship it' }, m.reviewer2.token);

    expect(await waitForStatus(request.id, 'APPLIED')).toMatchObject({ status: 'APPLIED', failure: null });
    const { deployment: after } = await t.ok<{ deployment: { revision: number; events: { kind: string; actorId: string }[] } }>(
      `query($id: ID) { deployment(id: $id) { revision events { kind actorId } } }`,
      { id },
    );
    expect(after.revision).toBe(2);
    // Applied as the author, with the author's permissions.
    expect(after.events.at(-1)).toEqual({ kind: 'version-replaced', actorId: m.author.userId });
    const full = await t.ok<{ changeRequest: { reviews: { reviewerId: string }[]; events: { kind: string }[] } }>(REQUEST, { id: request.id });
    expect(full.changeRequest.reviews.map((r) => r.reviewerId).sort()).toEqual([m.reviewer1.userId, m.reviewer2.userId].sort());
    expect(full.changeRequest.events.map((e) => e.kind)).toEqual(['created', 'review-approved', 'approved', 'applied']);

    // Traceable: a prediction names the change request and the approvers behind the version that made it.
    const predicted = await fetch(`${t.url}/v2/models/prod-scorer/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${m.author.token}` },
      body: JSON.stringify({ inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] }),
    });
    expect(predicted.status).toBe(200);
    const predictionId = ((await predicted.json()) as { parameters: { prediction_id: string } }).parameters.prediction_id;
    await t.server.app.get(ServingRuntime).writer.flush();
    const approvers = [m.reviewer1.userId, m.reviewer2.userId];
    const { prediction } = await t.ok<{ prediction: { modelVersion: number; approval: { changeRequestId: string; authorId: string; approverIds: string[] } } }>(
      `query($id: ID!) { prediction(id: $id) { modelVersion approval { changeRequestId authorId approverIds } } }`,
      { id: predictionId },
    );
    expect(prediction).toEqual({ modelVersion: 2, approval: { changeRequestId: request.id, authorId: m.author.userId, approverIds: approvers } });
    const { deployment: asOf } = await t.ok<{ deployment: { servedByChangeRequestId: string; servedApproval: { approverIds: string[] } } }>(
      `query($at: DateTime) { deployment(name: "prod-scorer", asOf: $at) { servedByChangeRequestId servedApproval { approverIds } } }`,
      { at: new Date().toISOString() },
    );
    expect(asOf).toEqual({ servedByChangeRequestId: request.id, servedApproval: { approverIds: approvers } });
  }, 60_000);

  it('a request whose deployment changed meanwhile is rejected as stale, and nothing is applied', async () => {
    const id = await deployment('stale-scorer', true);
    const first = (await t.ok<any>(REPLACE, { d: id, v: 2 }, m.author.token)).replaceDeploymentModelVersion.changeRequest.id as string;
    const second = (await t.ok<any>(REPLACE, { d: id, v: 3 }, m.author.token)).replaceDeploymentModelVersion.changeRequest.id as string;
    for (const reviewer of [m.reviewer1, m.reviewer2]) await t.ok(REVIEW, { r: second, d: 'APPROVE' }, reviewer.token);
    expect((await waitForStatus(second, 'APPLIED')).status).toBe('APPLIED');
    for (const reviewer of [m.reviewer1, m.reviewer2]) await t.ok(REVIEW, { r: first, d: 'APPROVE' }, reviewer.token);
    const stale = await waitForStatus(first, 'STALE');
    expect(stale).toMatchObject({ status: 'STALE', failure: expect.stringMatching(/revision 1 then, 2 now/) });
    const { model } = await t.ok<{ model: { version: { id: string } } }>(`query($m: ID) { model(id: $m) { version(version: 3) { id } } }`, { m: modelId });
    const { deployment: now } = await t.ok<{ deployment: { revision: number; modelVersionId: string } }>(`query($id: ID) { deployment(id: $id) { revision modelVersionId } }`, { id });
    expect(now).toEqual({ revision: 2, modelVersionId: model.version.id });
  }, 60_000);

  it('a rejection ends the request; deleting a production deployment needs approval too; other deployments change at once', async () => {
    const id = await deployment('kept-scorer', true);
    const asked = await t.ok<any>(`mutation($d: ID!) { deleteDeployment(id: $d) { id changeRequest { id status } } }`, { d: id }, m.author.token);
    const requestId = asked.deleteDeployment.changeRequest.id as string;
    const noComment = await t.gql(REVIEW, { r: requestId, d: 'REJECT' }, m.reviewer1.token);
    expect(noComment.errors?.[0]?.message).toMatch(/comment/i);
    expect((await t.ok<any>(REVIEW, { r: requestId, d: 'REJECT', c: 'still serving traffic' }, m.reviewer1.token)).reviewChangeRequest.status).toBe('REJECTED');
    expect((await t.ok<any>(`query($id: ID) { deployment(id: $id) { state } }`, { id })).deployment.state).toBe('READY');

    const free = await deployment('staging-scorer', false);
    const direct = await t.ok<any>(REPLACE, { d: free, v: 2 }, m.author.token);
    expect(direct.replaceDeploymentModelVersion).toMatchObject({ revision: 2, changeRequest: null });
  }, 60_000);
  it('a new production deployment waits AWAITING_APPROVAL, unloaded, and comes up once approved; a rejected one leaves nothing behind', async () => {
    const policy = await t.ok<{ createApprovalPolicy: { policy: { id: string } } }>(
      `mutation($p: ID) { createApprovalPolicy(input: { projectId: $p, actions: [DEPLOYMENT_CREATE], requiredApprovals: 2, reviewerRole: "ml-engineer" }) { policy { id } } }`,
      { p: projectId },
      m.admin.token,
    );
    const CREATE = `mutation($p: ID!, $m: ID!, $n: String!, $prod: Boolean) {
      createDeployment(input: { projectId: $p, name: $n, modelId: $m, version: 1, production: $prod }) { id state changeRequest { id status summary } }
    }`;
    const asked = await t.ok<{ createDeployment: { id: string; state: string; changeRequest: { id: string; status: string; summary: string } } }>(
      CREATE,
      { p: projectId, m: modelId, n: 'prod-new', prod: true },
      m.author.token,
    );
    expect(asked.createDeployment).toMatchObject({ state: 'AWAITING_APPROVAL', changeRequest: { status: 'PENDING', summary: expect.stringContaining('prod-new') } });
    const infer = await fetch(`${t.url}/v2/models/prod-new/ready`, { headers: { authorization: `Bearer ${m.author.token}` } });
    expect(infer.status).not.toBe(200);
    // Not production: not held.
    const staging = await t.ok<{ createDeployment: { state: string; changeRequest: null } }>(CREATE, { p: projectId, m: modelId, n: 'staging-new', prod: false }, m.author.token);
    expect(staging.createDeployment).toMatchObject({ state: 'READY', changeRequest: null });

    const requestId = asked.createDeployment.changeRequest.id;
    for (const reviewer of [m.reviewer1, m.reviewer2]) await t.ok(REVIEW, { r: requestId, d: 'APPROVE' }, reviewer.token);
    expect((await waitForStatus(requestId, 'APPLIED')).status).toBe('APPLIED');
    const up = await t.ok<{ deployment: { state: string; events: { kind: string }[] } }>(`query($id: ID) { deployment(id: $id) { state events { kind } } }`, { id: asked.createDeployment.id });
    expect(up.deployment.state).toBe('READY');
    expect(up.deployment.events.map((e) => e.kind)).toEqual(['created', 'awaiting-approval', 'approved', 'ready']);
    const traced = await t.ok<{ deployment: { servedByChangeRequestId: string } }>(`query { deployment(name: "prod-new", asOf: "2099-01-01T00:00:00.000Z") { servedByChangeRequestId } }`);
    expect(traced.deployment.servedByChangeRequestId).toBe(requestId);

    const refused = await t.ok<{ createDeployment: { id: string; changeRequest: { id: string } } }>(CREATE, { p: projectId, m: modelId, n: 'prod-refused', prod: true }, m.author.token);
    await t.ok(REVIEW, { r: refused.createDeployment.changeRequest.id, d: 'REJECT', c: 'not this quarter' }, m.reviewer1.token);
    const gone = await t.gql(`query($id: ID) { deployment(id: $id) { state } }`, { id: refused.createDeployment.id });
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const events = await t.db.dataSource.query(`SELECT kind, detail FROM deployment_events WHERE deployment_id = $1 ORDER BY at, id`, [refused.createDeployment.id]);
    expect(events.map((e: { kind: string }) => e.kind)).toEqual(['created', 'awaiting-approval', 'not-approved']);
    // The name is free again.
    expect((await t.ok<{ createDeployment: { state: string } }>(CREATE, { p: projectId, m: modelId, n: 'prod-refused', prod: false }, m.author.token)).createDeployment.state).toBe('READY');

    await t.ok(`mutation($id: ID!) { deleteApprovalPolicy(id: $id) { deleted } }`, { id: policy.createApprovalPolicy.policy.id }, m.admin.token);
  }, 60_000);
});
