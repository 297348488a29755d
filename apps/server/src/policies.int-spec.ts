import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { linearRegressionModel } from '@modelport/sample-models';
import { createMember, createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startServerProcess } from './testing/server-process';
import { startTestServer, type GraphqlResponse, type TestServer } from './testing/test-server';

/**
 * Policies as data, enforced everywhere: rules edited through GraphQL change what callers may do on
 * their next request (GraphQL and the V2 gateway), list queries filter in SQL, field rules hide
 * prediction payloads, token scopes cut a token down, and the edit surface itself is guarded.
 */
const root = resolve(__dirname, '..', '..', '..');
const SAMPLE = Buffer.from(linearRegressionModel());
const row4 = { inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 4], data: [0.5, -1.25, 2, 1] }] };

const CREATE_RULE = `mutation($input: PolicyRuleInput!) { createPolicyRule(input: $input) { rule { id role projectId effect actions subject fields conditionsJson } changeRequest { id } } }`;
const DELETE_RULE = `mutation($id: ID!) { deletePolicyRule(id: $id) { deleted } }`;
const CREATE_DEPLOYMENT = `mutation($p: ID!, $m: ID!, $n: String!, $prod: Boolean) {
  createDeployment(input: { projectId: $p, name: $n, modelId: $m, version: 1, production: $prod, payloadLogging: FULL }) { id state production }
}`;
const DEPLOYMENTS = `query($p: ID) { deployments(projectId: $p, first: 50) { nodes { id name production } } }`;

interface Member {
  userId: string;
  token: string;
}

function expectError(res: GraphqlResponse, code: string, reason?: string): { message: string; extensions?: Record<string, unknown> } {
  expect(res.errors?.[0]?.extensions).toMatchObject(reason ? { code, reason } : { code });
  return res.errors![0]!;
}

async function infer(t: TestServer, deployment: string, token: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${t.url}/v2/models/${deployment}/infer`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(row4),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

describe('policies as data, enforced on every path', () => {
  let t: TestServer;
  let projectId: string;
  let otherProjectId: string;
  let modelId: string;
  const m: Record<'owner' | 'engineer' | 'scientist' | 'viewer' | 'outsider', Member> = {} as never;

  async function createRule(input: Record<string, unknown>, token = t.adminToken): Promise<string> {
    const res = await t.ok<{ createPolicyRule: { rule: { id: string } } }>(CREATE_RULE, { input }, token);
    return res.createPolicyRule.rule.id;
  }

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    const plugins = [{ name: 'echo', command: process.execPath, args: [join(root, 'dist/libs/serving/src/plugins/testing/fake-plugin.js')], env: { FAKE_PLUGIN_FORMAT: 'onnx' } }];
    t = await startTestServer({ env: { MODELPORT_PLUGINS: JSON.stringify(plugins) } });
    projectId = await createProject(t, 'fraud');
    otherProjectId = await createProject(t, 'churn');
    m.owner = await createMember(t, projectId, 'fraud-owner', 'ADMIN');
    m.engineer = await createMember(t, projectId, 'fraud-engineer', 'ML_ENGINEER');
    m.scientist = await createMember(t, projectId, 'fraud-scientist', 'DATA_SCIENTIST');
    m.viewer = await createMember(t, projectId, 'fraud-viewer', 'VIEWER');
    m.outsider = await createMember(t, otherProjectId, 'churn-engineer', 'ML_ENGINEER');
    modelId = await createModel(t, projectId, 'scorer');
    expect((await uploadAndRegister(t, projectId, modelId, SAMPLE)).errors).toBeUndefined();
  }, 120_000);

  afterAll(() => t?.close());

  it('a conditional rule takes effect on the next request: data scientists deploy only non-production, until the rule goes', async () => {
    const denied = await t.gql(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'ds-try', prod: false }, m.scientist.token);
    expectError(denied, 'FORBIDDEN');

    const ruleId = await createRule({
      role: 'DATA_SCIENTIST',
      effect: 'can',
      actions: ['create', 'update'],
      subject: 'Deployment',
      conditionsJson: JSON.stringify({ production: false, createdBy: '${caller.userId}' }),
      reason: 'Data scientists may deploy, but not to production',
    });
    const staging = await t.ok<{ createDeployment: { state: string; production: boolean } }>(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'ds-staging', prod: false }, m.scientist.token);
    expect(staging.createDeployment).toEqual({ state: 'READY', production: false, id: expect.any(String) });
    const production = await t.gql(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'ds-prod', prod: true }, m.scientist.token);
    expect(expectError(production, 'FORBIDDEN').message).toMatch(/create Deployment in project/);
    // The same rule does not reach into a project the scientist is not a member of.
    const elsewhere = await t.gql(CREATE_DEPLOYMENT, { p: otherProjectId, m: modelId, n: 'ds-other', prod: false }, m.scientist.token);
    expect(elsewhere.errors).toBeDefined();

    expect((await t.ok<{ deletePolicyRule: { deleted: boolean } }>(DELETE_RULE, { id: ruleId })).deletePolicyRule.deleted).toBe(true);
    expectError(await t.gql(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'ds-again', prod: false }, m.scientist.token), 'FORBIDDEN');
  });

  it('filters lists in SQL and checks single reads with the same rules; a project override stays in its project', async () => {
    await t.ok(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'fraud-live', prod: true });
    await t.ok(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'fraud-canary', prod: false });
    const names = async (token: string) =>
      (await t.ok<{ deployments: { nodes: { name: string }[] } }>(DEPLOYMENTS, { p: projectId }, token)).deployments.nodes.map((d) => d.name).sort();
    expect(await names(m.viewer.token)).toEqual(expect.arrayContaining(['fraud-canary', 'fraud-live']));

    const hide = await createRule({
      role: 'VIEWER',
      projectId,
      effect: 'cannot',
      actions: ['read'],
      subject: 'Deployment',
      conditionsJson: JSON.stringify({ production: true }),
      reason: 'Viewers of fraud do not see production deployments',
    });
    const seen = await names(m.viewer.token);
    expect(seen).toContain('fraud-canary');
    expect(seen).not.toContain('fraud-live');
    const live = await t.ok<{ deployments: { nodes: { id: string; name: string }[] } }>(DEPLOYMENTS, { p: projectId });
    const liveId = live.deployments.nodes.find((d) => d.name === 'fraud-live')!.id;
    expectError(await t.gql(`query($id: ID!) { deployment(id: $id) { name } }`, { id: liveId }, m.viewer.token), 'NOT_FOUND');
    // Engineers are another role: unaffected.
    expect(await names(m.engineer.token)).toContain('fraud-live');
    await t.ok(DELETE_RULE, { id: hide });
    expect(await names(m.viewer.token)).toContain('fraud-live');
  });

  it('a policy change made on one server applies on the next request of another replica', async () => {
    const replica = await startServerProcess({ MODELPORT_PLUGINS: 'none' }, { database: t.db });
    try {
      const MODELS = `query($p: ID) { models(first: 10, filter: { projectId: $p }) { nodes { name } } }`;
      const seen = async () => (await replica.ok<{ models: { nodes: { name: string }[] } }>(MODELS, { p: projectId }, m.scientist.token)).models.nodes.map((n) => n.name);
      expect(await seen()).toEqual(['scorer']);
      const hide = await createRule({ role: 'DATA_SCIENTIST', projectId, effect: 'cannot', actions: ['read'], subject: 'Model', conditionsJson: '{"name": "scorer"}' });
      expect(await seen()).toEqual([]);
      await t.ok(DELETE_RULE, { id: hide });
      expect(await seen()).toEqual(['scorer']);
    } finally {
      await replica.close();
    }
  }, 90_000);

  it('the V2 gateway applies a policy change on the next prediction', async () => {
    expect((await infer(t, 'fraud-canary', m.scientist.token)).status).toBe(200);
    const block = await createRule({
      role: 'DATA_SCIENTIST',
      projectId,
      effect: 'cannot',
      actions: ['predict'],
      subject: 'Deployment',
      conditionsJson: JSON.stringify({ name: 'fraud-canary' }),
      reason: 'canary is for engineers',
    });
    const refused = await infer(t, 'fraud-canary', m.scientist.token);
    expect(refused.status).toBe(403);
    expect(String(refused.body['error'])).toMatch(/not predict/);
    expect((await infer(t, 'fraud-canary', m.engineer.token)).status).toBe(200);
    await t.ok(DELETE_RULE, { id: block });
    expect((await infer(t, 'fraud-canary', m.scientist.token)).status).toBe(200);
  });

  it('field rules hide prediction payloads from viewers, who still see the predictions', async () => {
    const answer = await infer(t, 'fraud-canary', m.engineer.token);
    const id = String((answer.body['parameters'] as Record<string, unknown>)['prediction_id']);
    const Q = `query($id: ID!) { prediction(id: $id) { id status payloadStored payloadHidden inputsJson outputsJson } }`;
    // The log is written in batches: wait until the row is there.
    for (let i = 0; i < 100 && (await t.gql(Q, { id })).errors; i++) await new Promise((r) => setTimeout(r, 50));
    const asViewer = await t.ok<{ prediction: Record<string, unknown> }>(Q, { id }, m.viewer.token);
    expect(asViewer.prediction).toMatchObject({ id, status: 'ok', payloadStored: true, payloadHidden: true, inputsJson: null, outputsJson: null });
    const asScientist = await t.ok<{ prediction: Record<string, unknown> }>(Q, { id }, m.scientist.token);
    expect(asScientist.prediction).toMatchObject({ payloadHidden: false, inputsJson: expect.stringContaining('features') });
    const dep = (await t.ok<{ deployments: { nodes: { id: string; name: string }[] } }>(DEPLOYMENTS, { p: projectId })).deployments.nodes.find((d) => d.name === 'fraud-canary')!;
    const list = await t.ok<{ predictions: { nodes: { id: string; payloadHidden: boolean; inputsJson: string | null }[] } }>(
      `query($d: ID!) { predictions(deploymentId: $d, first: 5) { nodes { id payloadHidden inputsJson } } }`,
      { d: dep.id },
      m.viewer.token,
    );
    expect(list.predictions.nodes.length).toBeGreaterThan(0);
    expect(list.predictions.nodes.every((p) => p.payloadHidden && p.inputsJson === null)).toBe(true);
    expect((await t.gql(Q, { id }, m.outsider.token)).errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('guards the rules themselves: only platform admins grant, project admins may only tighten their own project', async () => {
    const grant = { role: 'DATA_SCIENTIST', projectId, effect: 'can', actions: ['delete'], subject: 'Model' };
    expect(expectError(await t.gql(CREATE_RULE, { input: grant }, m.scientist.token), 'FORBIDDEN', 'POLICY_FORBIDDEN').message).toMatch(/Only admins of project/);
    expect(expectError(await t.gql(CREATE_RULE, { input: grant }, m.owner.token), 'FORBIDDEN', 'POLICY_FORBIDDEN').message).toMatch(/need a platform admin/);
    const platformWide = { role: 'VIEWER', effect: 'cannot', actions: ['read'], subject: 'Model' };
    expectError(await t.gql(CREATE_RULE, { input: platformWide }, m.owner.token), 'FORBIDDEN', 'POLICY_FORBIDDEN');
    const inOther = { ...grant, projectId: otherProjectId, effect: 'cannot' };
    expectError(await t.gql(CREATE_RULE, { input: inOther }, m.owner.token), 'FORBIDDEN', 'POLICY_FORBIDDEN');
    const tighten = await t.ok<{ createPolicyRule: { rule: { id: string; effect: string } } }>(CREATE_RULE, { input: { ...grant, effect: 'cannot' } }, m.owner.token);
    expect(tighten.createPolicyRule.rule.effect).toBe('cannot');
    await t.ok(DELETE_RULE, { id: tighten.createPolicyRule.rule.id }, m.owner.token);
    // Every edit and every refusal is in the audit trail.
    const audit = await t.db.dataSource.query(`SELECT action, outcome FROM audit_events WHERE action IN ('createPolicyRule', 'deletePolicyRule') ORDER BY seq`);
    expect(audit.map((a: { outcome: string }) => a.outcome)).toEqual(expect.arrayContaining(['ok', 'denied']));
    // The applied edits carry the rule before and after.
    const id = tighten.createPolicyRule.rule.id;
    const changes = await t.db.dataSource.query(`SELECT action, actor_id, project_id, before, after FROM audit_events WHERE resource_type = 'PolicyRule' AND resource_id = $1 ORDER BY seq`, [id]);
    expect(changes).toEqual([
      { action: 'policyRule.created', actor_id: m.owner.userId, project_id: projectId, before: null, after: expect.objectContaining({ id, effect: 'cannot', subject: 'Model' }) },
      { action: 'policyRule.deleted', actor_id: m.owner.userId, project_id: projectId, before: expect.objectContaining({ id, effect: 'cannot' }), after: null },
    ]);
  });

  it('puts rule edits behind approval when a policy.edit approval policy covers the project, stale when the rule changed meanwhile', async () => {
    const second = await createMember(t, projectId, 'fraud-owner-two', 'ADMIN');
    const policy = await t.ok<{ createApprovalPolicy: { policy: { id: string } } }>(
      `mutation($p: ID) { createApprovalPolicy(input: { projectId: $p, actions: [POLICY_EDIT], requiredApprovals: 1, reviewerRole: "admin" }) { policy { id } } }`,
      { p: projectId },
      m.owner.token,
    );
    const REVIEW = `mutation($r: ID!) { reviewChangeRequest(input: { requestId: $r, decision: APPROVE }) { status } }`;
    const STATUS = `query($id: ID!) { changeRequest(id: $id) { status failure } }`;
    const settle = async (id: string, want: string) => {
      let got = { status: '', failure: null as string | null };
      for (let i = 0; i < 100 && got.status !== want; i++) {
        got = (await t.ok<{ changeRequest: typeof got }>(STATUS, { id })).changeRequest;
        if (got.status !== want) await new Promise((r) => setTimeout(r, 50));
      }
      return got;
    };
    const rulesNow = async () => Number((await t.db.dataSource.query('SELECT count(*)::int AS n FROM policy_rules WHERE project_id = $1', [projectId]))[0].n);
    const before = await rulesNow();

    const asked = await t.ok<{ createPolicyRule: { rule: unknown; changeRequest: { id: string } } }>(
      CREATE_RULE,
      { input: { role: 'VIEWER', projectId, effect: 'cannot', actions: ['read'], subject: 'Model', reason: 'hide models from viewers' } },
      m.owner.token,
    );
    expect(asked.createPolicyRule.rule).toBeNull();
    expect(await rulesNow()).toBe(before);
    expectError(await t.gql(REVIEW, { r: asked.createPolicyRule.changeRequest.id }, m.owner.token), 'FORBIDDEN');
    await t.ok(REVIEW, { r: asked.createPolicyRule.changeRequest.id }, second.token);
    const applied = await settle(asked.createPolicyRule.changeRequest.id, 'APPLIED');
    expect(applied.status).toBe('APPLIED');
    const [{ result }] = await t.db.dataSource.query('SELECT result FROM change_requests WHERE id = $1', [asked.createPolicyRule.changeRequest.id]);
    const ruleId = (result as { ruleId: string }).ruleId;
    expect(await rulesNow()).toBe(before + 1);

    // Platform admins are covered too: their edit of the project's rule waits for review.
    const adminEdit = await t.ok<{ updatePolicyRule: { rule: unknown; changeRequest: { id: string } } }>(
      `mutation($id: ID!) { updatePolicyRule(id: $id, patch: { reason: "changed by a platform admin" }) { rule { id } changeRequest { id } } }`,
      { id: ruleId },
    );
    expect(adminEdit.updatePolicyRule).toEqual({ rule: null, changeRequest: { id: expect.any(String) } });

    // A removal asked for, then the rule changes (an edit by hand in the database): the removal is stale.
    const removal = await t.ok<{ deletePolicyRule: { changeRequest: { id: string } } }>(DELETE_RULE.replace('{ deleted }', '{ deleted changeRequest { id } }'), { id: ruleId }, m.owner.token);
    await t.db.dataSource.query(`UPDATE policy_rules SET reason = 'changed meanwhile', updated_at = now() + interval '1 second' WHERE id = $1`, [ruleId]);
    await t.ok(REVIEW, { r: removal.deletePolicyRule.changeRequest.id }, second.token);
    const stale = await settle(removal.deletePolicyRule.changeRequest.id, 'STALE');
    expect(stale).toMatchObject({ status: 'STALE', failure: expect.stringMatching(/changed after the request was made/) });
    expect(await rulesNow()).toBe(before + 1);

    // Removing the approval policy is itself a policy edit it covers.
    const unguard = await t.ok<{ deleteApprovalPolicy: { deleted: boolean; changeRequest: { id: string } } }>(
      `mutation($id: ID!) { deleteApprovalPolicy(id: $id) { deleted changeRequest { id } } }`,
      { id: policy.createApprovalPolicy.policy.id },
    );
    expect(unguard.deleteApprovalPolicy.deleted).toBe(false);
    await t.ok(REVIEW, { r: unguard.deleteApprovalPolicy.changeRequest.id }, second.token);
    expect((await settle(unguard.deleteApprovalPolicy.changeRequest.id, 'APPLIED')).status).toBe('APPLIED');
    await t.ok(DELETE_RULE, { id: ruleId });
    expect(await rulesNow()).toBe(before);
  });

  it('refuses invalid rules with a message naming the problem, storing nothing', async () => {
    const before = Number((await t.db.dataSource.query('SELECT count(*)::int AS n FROM policy_rules'))[0].n);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ role: 'VIEWER', effect: 'can', actions: ['approve'], subject: 'Model' }, /approve/],
      [{ role: 'VIEWER', effect: 'can', actions: ['read'], subject: 'Spaceship' }, /Spaceship/],
      [{ role: 'VIEWER', effect: 'can', actions: ['read'], subject: 'Model', fields: ['password'] }, /password/],
      [{ role: 'VIEWER', effect: 'maybe', actions: ['read'], subject: 'Model' }, /maybe/],
      [{ role: 'VIEWER', effect: 'can', actions: ['read'], subject: 'Model', conditionsJson: '{"name": {"$regex": "a"}}' }, /\$regex/],
      [{ role: 'VIEWER', effect: 'can', actions: ['read'], subject: 'Model', conditionsJson: '{not json' }, /not valid JSON/],
    ];
    for (const [input, why] of cases) {
      const res = await t.gql(CREATE_RULE, { input });
      expect(expectError(res, 'BAD_USER_INPUT', 'INVALID_POLICY_RULE').message).toMatch(why);
    }
    expect(Number((await t.db.dataSource.query('SELECT count(*)::int AS n FROM policy_rules'))[0].n)).toBe(before);
  });

  it('myPermissions gives a client its rules; explainAccess names the deciding rule, for platform admins only', async () => {
    const mine = await t.ok<{ myPermissions: { isPlatformAdmin: boolean; scopes: string[]; projects: { projectId: string; role: string }[]; rules: { effect: string; actions: string[]; subjects: string[]; conditionsJson: string | null; fields: string[] | null }[] } }>(
      `{ myPermissions { isPlatformAdmin scopes projects { projectId role } policyVersion rules { effect actions subjects conditionsJson fields } } }`,
      {},
      m.viewer.token,
    );
    expect(mine.myPermissions.isPlatformAdmin).toBe(false);
    expect(mine.myPermissions.scopes).toEqual(['admin']);
    expect(mine.myPermissions.projects).toEqual([{ projectId, role: 'VIEWER' }]);
    expect(mine.myPermissions.rules).toContainEqual({ effect: 'can', actions: ['read'], subjects: ['Deployment'], conditionsJson: JSON.stringify({ projectId }), fields: null });
    expect(mine.myPermissions.rules).toContainEqual(expect.objectContaining({ effect: 'cannot', subjects: ['Prediction'], fields: ['inputs', 'outputs', 'parameters'] }));

    const ruleId = await createRule({ role: 'ML_ENGINEER', projectId, effect: 'cannot', actions: ['delete'], subject: 'Deployment', conditionsJson: '{"production": true}', reason: 'no deleting live models' });
    const EXPLAIN = `query($u: ID!, $a: String!, $s: String!, $r: ID, $p: ID, $f: String) {
      explainAccess(userId: $u, action: $a, subject: $s, resourceId: $r, projectId: $p, field: $f) { allowed message decidedBy { kind effect ruleId role projectId appliedIn reason } }
    }`;
    const live = (await t.ok<{ deployments: { nodes: { id: string; name: string }[] } }>(DEPLOYMENTS, { p: projectId })).deployments.nodes.find((d) => d.name === 'fraud-live')!;
    const denied = await t.ok<{ explainAccess: { allowed: boolean; message: string; decidedBy: Record<string, unknown> } }>(EXPLAIN, { u: m.engineer.userId, a: 'delete', s: 'Deployment', r: live.id });
    expect(denied.explainAccess).toMatchObject({ allowed: false, decidedBy: { kind: 'policy', effect: 'cannot', ruleId, role: 'ML_ENGINEER', projectId, appliedIn: projectId, reason: 'no deleting live models' } });
    expect(denied.explainAccess.message).toContain(ruleId);
    const allowed = await t.ok<{ explainAccess: { allowed: boolean; decidedBy: Record<string, unknown> } }>(EXPLAIN, { u: m.engineer.userId, a: 'read', s: 'Deployment', r: live.id });
    expect(allowed.explainAccess).toMatchObject({ allowed: true, decidedBy: { kind: 'policy', effect: 'can', role: 'ML_ENGINEER', projectId: null } });
    const outsider = await t.ok<{ explainAccess: { allowed: boolean; decidedBy: unknown } }>(EXPLAIN, { u: m.outsider.userId, a: 'read', s: 'Deployment', r: live.id });
    expect(outsider.explainAccess).toMatchObject({ allowed: false, decidedBy: null });
    const field = await t.ok<{ explainAccess: { allowed: boolean; decidedBy: { reason: string } } }>(EXPLAIN, { u: m.viewer.userId, a: 'read', s: 'Prediction', p: projectId, f: 'inputs' });
    expect(field.explainAccess).toMatchObject({ allowed: false, decidedBy: { reason: 'Viewers do not see prediction payloads.' } });

    expectError(await t.gql(EXPLAIN, { u: m.viewer.userId, a: 'read', s: 'Deployment' }, m.owner.token), 'FORBIDDEN');
    expect(expectError(await t.gql(EXPLAIN, { u: m.viewer.userId, a: 'fly', s: 'Deployment' }), 'BAD_USER_INPUT').message).toMatch(/Unknown action "fly"/);
    expect(expectError(await t.gql(EXPLAIN, { u: m.viewer.userId, a: 'read', s: 'Deployment', r: '00000000-0000-4000-8000-000000000000' }), 'NOT_FOUND').message).toMatch(/No Deployment/);
    await t.ok(DELETE_RULE, { id: ruleId });
  });

  describe('API token scopes', () => {
    async function token(member: Member, scopes: string[] | null): Promise<string> {
      const res = await t.ok<{ createApiToken: { token: string; apiToken: { scopes: string[] } } }>(
        `mutation($s: [String!]) { createApiToken(input: { name: "scoped", scopes: $s }) { token apiToken { scopes } } }`,
        { s: scopes },
        member.token,
      );
      expect(res.createApiToken.apiToken.scopes).toEqual(scopes ?? ['admin']);
      return res.createApiToken.token;
    }

    it('never lets a token do more than its scopes, nor more than its user', async () => {
      const read = await token(m.engineer, ['read']);
      expect((await t.ok<{ models: { nodes: unknown[] } }>(`{ models(first: 5) { nodes { id } } }`, {}, read)).models.nodes).toHaveLength(1);
      expectError(await t.gql(`mutation($p: ID!) { createModel(input: { projectId: $p, name: "nope" }) { id } }`, { p: projectId }, read), 'FORBIDDEN');
      expect((await infer(t, 'fraud-canary', read)).status).toBe(403);
      // A limited token cannot mint a broader one.
      expectError(await t.gql(`mutation { createApiToken(input: { name: "escalate", scopes: ["admin"] }) { token } }`, {}, read), 'FORBIDDEN');

      const predict = await token(m.engineer, ['predict']);
      expect((await infer(t, 'fraud-canary', predict)).status).toBe(200);
      expectError(await t.gql(`{ models(first: 5) { nodes { id } } }`, {}, predict), 'FORBIDDEN');

      // Scopes never add to the user's roles: a viewer's deploy token still cannot deploy.
      const viewerDeploy = await token(m.viewer, ['deploy']);
      expectError(await t.gql(CREATE_DEPLOYMENT, { p: projectId, m: modelId, n: 'viewer-deploy', prod: false }, viewerDeploy), 'FORBIDDEN');
    });

    it('the V2 gateway refuses a revoked token, a removed member and an expired token on the next request, despite its cache', async () => {
      const revocable = await token(m.engineer, ['predict']);
      expect((await infer(t, 'fraud-canary', revocable)).status).toBe(200);
      const { apiTokens } = await t.ok<{ apiTokens: { id: string; name: string; revokedAt: string | null }[] }>(`{ apiTokens { id name revokedAt } }`, {}, m.engineer.token);
      const record = apiTokens.find((a) => a.name === 'scoped' && a.revokedAt === null)!;
      await t.ok(`mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }`, { id: record.id }, m.engineer.token);
      const revoked = await infer(t, 'fraud-canary', revocable);
      expect(revoked.status).toBe(401);
      expect(String(revoked.body['error'])).toMatch(/was revoked at/);

      const leaving = await createMember(t, projectId, 'fraud-leaver', 'DATA_SCIENTIST');
      expect((await infer(t, 'fraud-canary', leaving.token)).status).toBe(200);
      await t.ok(`mutation($p: ID!, $u: ID!) { removeProjectMember(input: { projectId: $p, userId: $u }) }`, { p: projectId, u: leaving.userId });
      expect((await infer(t, 'fraud-canary', leaving.token)).status).toBe(404);

      const soon = new Date(Date.now() + 1500).toISOString();
      const shortLived = await t.ok<{ createApiToken: { token: string } }>(
        `mutation($at: DateTime) { createApiToken(input: { name: "short", expiresAt: $at }) { token } }`,
        { at: soon },
        m.engineer.token,
      );
      expect((await infer(t, 'fraud-canary', shortLived.createApiToken.token)).status).toBe(200);
      await new Promise((r) => setTimeout(r, Date.parse(soon) - Date.now() + 100));
      const expired = await infer(t, 'fraud-canary', shortLived.createApiToken.token);
      expect(expired.status).toBe(401);
      expect(String(expired.body['error'])).toMatch(/expired at/);
    });

    it('refuses a sign-in JWT when no identity provider is configured, saying to use an API token', async () => {
      const jwtLike = ['eyJhbGciOiJFZERTQSJ9', 'eyJzdWIiOiJ4In0', 'c2lnbmF0dXJl'].join('.');
      const res = await t.gql(`{ me { id } }`, {}, jwtLike);
      expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'TOKEN_INVALID', check: 'not_configured' });
      expect(res.errors?.[0]?.message).toMatch(/MODELPORT_OIDC_ISSUER is unset/);
    });

    it('refuses unknown scopes, listing the known ones', async () => {
      const res = await t.gql(`mutation { createApiToken(input: { name: "bad", scopes: ["read", "superuser"] }) { token } }`, {}, m.engineer.token);
      expect(res.errors?.[0]?.message).toMatch(/Unknown token scope "superuser"; the known scopes are admin, read, predict, deploy, registry:write/);
      const empty = await t.gql(`mutation { createApiToken(input: { name: "none", scopes: [] }) { token } }`, {}, m.engineer.token);
      expect(empty.errors?.[0]?.message).toMatch(/at least one scope/);
    });
  });
});
