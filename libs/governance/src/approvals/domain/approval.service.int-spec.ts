import type { ModelportError } from '@modelport/errors';
import { randomUUID } from 'node:crypto';
import { silentLogger } from '@modelport/observability';
import { createJobQueue, type JobOptions, type JobQueue } from '@modelport/queue';
import { createTestDatabase, sleep, type TestDatabase, caught } from '@modelport/testing';
import type { Caller, Clock } from '../../domain/identity.service';
import type { ProjectRole } from '../../domain/roles';
import { groupEntities, groupMigrations } from '../../groups/persistence';
import { governanceEntities, governanceMigrations, MembershipEntity, ProjectEntity, UserEntity } from '../../persistence';
import { approvalEntities, approvalMigrations, ApprovalPolicyEntity } from '../persistence';
import { ApprovalErrorCode } from './approval.errors';
import { registerApprovalJobs } from './approval.jobs';
import type { ApprovalPolicyInput } from './approval.rules';
import { APPLY_CHANGE_REQUEST_JOB, ApprovalService, type ApplyJobQueue, type GateInput } from './approval.service';
import { ApprovalAction, type ActingAs, type ChangeApplier, type ChangeRequestEventNotice, type ChangeRequestView, type PreconditionResult } from './approval.types';
import { callerFromDatabase } from '../../domain/caller.fixture';

const T0 = Date.UTC(2026, 10, 2, 9, 0, 0);
const HOUR = 3600_000;
const DEPLOYMENT = randomUUID();

/** Records every enqueue; the apply job is never run unless a test runs it. */
class RecordingQueue implements ApplyJobQueue {
  readonly enqueued: { name: string; data: unknown; options: JobOptions | undefined }[] = [];
  async enqueue<T>(name: string, data: T, options?: JobOptions): Promise<string> {
    this.enqueued.push({ name, data, options });
    return options?.jobId ?? randomUUID();
  }
}

/** An applier that records what it was asked to do. */
class RecordingApplier implements ChangeApplier {
  readonly checked: ChangeRequestView[] = [];
  readonly applied: { request: ChangeRequestView; actingAs: ActingAs }[] = [];
  constructor(
    private readonly precondition: (request: ChangeRequestView) => PreconditionResult = () => ({ ok: true }),
    private readonly outcome: (request: ChangeRequestView) => Promise<unknown> = async (r) => ({ deploymentId: r.targetId, revision: 4 }),
  ) {}
  checkPrecondition(request: ChangeRequestView): PreconditionResult {
    this.checked.push(request);
    return this.precondition(request);
  }
  async apply(request: ChangeRequestView, actingAs: ActingAs): Promise<unknown> {
    this.applied.push({ request, actingAs });
    return this.outcome(request);
  }
}

describe('ApprovalService against PostgreSQL', () => {
  let db: TestDatabase;
  const clock: Clock & { at: number } = { at: T0, now: () => new Date(clock.at) };
  let queue: RecordingQueue;
  let events: ChangeRequestEventNotice[];
  let service: ApprovalService;

  // Users: two platform admins; in project P an admin (owner), the author and two reviewers
  // (ml-engineers), a viewer; in project Q only the owner and an outsider to P.
  const ids = { admin: '', admin2: '', owner: '', author: '', r1: '', r2: '', viewer: '', outsider: '', P: '', Q: '' };
  const callers = {} as Record<'admin' | 'admin2' | 'owner' | 'author' | 'r1' | 'r2' | 'viewer' | 'outsider', Caller>;

  async function user(name: string, isPlatformAdmin = false): Promise<string> {
    const row = await db.dataSource.getRepository(UserEntity).save({ name, nameKey: name, displayName: null, isPlatformAdmin });
    return row.id;
  }

  const callerOf = (userId: string): Promise<Caller> => callerFromDatabase(db.dataSource, userId);

  function newService(q: ApplyJobQueue = queue): ApprovalService {
    return new ApprovalService(db.dataSource, q, { maxPageSize: 10, logger: silentLogger(), onEvent: (e) => void events.push(e) }, clock);
  }

  async function platformPolicy(input: Partial<ApprovalPolicyInput> = {}): Promise<ApprovalPolicyEntity> {
    const created = await service.createPolicy(callers.admin, {
      projectId: null,
      actions: [ApprovalAction.DEPLOYMENT_CREATE, ApprovalAction.DEPLOYMENT_REPLACE_VERSION, ApprovalAction.DEPLOYMENT_DELETE],
      requiredApprovals: 2,
      reviewerRole: 'ml-engineer',
      expiresAfterHours: 24,
      ...input,
    });
    return created.policy!;
  }

  const replace = (overrides: Partial<GateInput> = {}): GateInput => ({
    action: ApprovalAction.DEPLOYMENT_REPLACE_VERSION,
    projectId: ids.P,
    production: true,
    targetType: 'Deployment',
    targetId: DEPLOYMENT,
    payload: { deploymentId: DEPLOYMENT, version: 4 },
    precondition: { deploymentRevision: 3 },
    summary: 'Serve version 4 of fraud-scorer (now version 3)',
    ...overrides,
  });

  async function pendingRequest(overrides: Partial<GateInput> = {}, by: Caller = callers.author) {
    const gated = await service.gate(by, replace(overrides));
    if (!gated.required) throw new Error('expected the gate to require approval');
    return gated.request;
  }

  async function approvedRequest() {
    await platformPolicy();
    const request = await pendingRequest();
    await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
    return service.review(callers.r2, { requestId: request.id, decision: 'APPROVE', comment: 'looks good' });
  }

  beforeAll(async () => {
    db = await createTestDatabase({
      entities: [...governanceEntities, ...groupEntities, ...approvalEntities],
      migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations],
    });
    for (const [key, admin] of [['admin', true], ['admin2', true], ['owner', false], ['author', false], ['r1', false], ['r2', false], ['viewer', false], ['outsider', false]] as const) {
      ids[key] = await user(key, admin);
    }
    const projects = db.dataSource.getRepository(ProjectEntity);
    ids.P = (await projects.save({ name: 'fraud', nameKey: 'fraud', description: '', createdBy: ids.owner })).id;
    ids.Q = (await projects.save({ name: 'churn', nameKey: 'churn', description: '', createdBy: ids.owner })).id;
    const members: [string, string, ProjectRole][] = [
      [ids.P, ids.owner, 'admin'],
      [ids.P, ids.author, 'ml-engineer'],
      [ids.P, ids.r1, 'ml-engineer'],
      [ids.P, ids.r2, 'ml-engineer'],
      [ids.P, ids.viewer, 'viewer'],
      [ids.Q, ids.owner, 'admin'],
      [ids.Q, ids.outsider, 'ml-engineer'],
    ];
    await db.dataSource.getRepository(MembershipEntity).save(members.map(([projectId, userId, role]) => ({ projectId, userId, role })));
    for (const key of Object.keys(ids) as (keyof typeof ids)[]) {
      if (key !== 'P' && key !== 'Q') callers[key] = await callerOf(ids[key]);
    }
  });

  beforeEach(() => {
    clock.at = T0;
    queue = new RecordingQueue();
    events = [];
    service = newService();
  });

  afterEach(async () => {
    await db.dataSource.query('DELETE FROM change_requests');
    await db.dataSource.query('DELETE FROM approval_policies');
    await db.dataSource.query('DELETE FROM groups');
  });

  /** A group with these members, written directly (GroupService has its own spec). */
  async function group(name: string, members: string[]): Promise<string> {
    const [row] = (await db.dataSource.query('INSERT INTO groups (name, name_key) VALUES ($1, $1) RETURNING id', [name])) as { id: string }[];
    for (const userId of members) await db.dataSource.query('INSERT INTO group_members (group_id, user_id) VALUES ($1, $2)', [row!.id, userId]);
    return row!.id;
  }

  afterAll(async () => {
    await db?.drop();
  });

  // ---- policies -------------------------------------------------------------

  describe('policies', () => {
    it('platform-wide policies are created by platform admins only', async () => {
      const refused = await caught(service.createPolicy(callers.owner, { actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin' }));
      expect(refused.code).toBe(ApprovalErrorCode.POLICY_FORBIDDEN);
      expect(refused.kind).toBe('FORBIDDEN');
      expect(refused.message).toMatch(/Only platform admins/);

      const policy = await platformPolicy({ description: 'two eyes on production' });
      expect(policy).toMatchObject({
        projectId: null,
        actions: ['deployment.create', 'deployment.replace-version', 'deployment.delete'],
        requiredApprovals: 2,
        reviewerRole: 'ml-engineer',
        expiresAfterHours: 24,
        description: 'two eyes on production',
        createdBy: ids.admin,
      });
      // Everyone sees the platform-wide policies; they apply to them.
      expect((await service.listPolicies(callers.viewer)).map((p) => p.id)).toEqual([policy.id]);
      expect((await service.getPolicy(callers.outsider, policy.id)).id).toBe(policy.id);
    });

    it("a project's own policies are created by its admins; others are refused", async () => {
      const input = { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin' };
      expect((await caught(service.createPolicy(callers.author, input))).code).toBe(ApprovalErrorCode.POLICY_FORBIDDEN);
      expect((await caught(service.createPolicy(callers.outsider, input))).code).toBe('PROJECT_NOT_FOUND');

      const { policy, request } = await service.createPolicy(callers.owner, input);
      expect(request).toBeNull();
      expect(policy).toMatchObject({ projectId: ids.P, actions: ['deployment.delete'], createdBy: ids.owner, expiresAfterHours: 72 });
      expect((await service.listPolicies(callers.r1, { projectId: ids.P })).map((p) => p.id)).toEqual([policy!.id]);
      // Someone outside the project sees neither the policy nor, in lists, that it exists.
      expect(await service.listPolicies(callers.outsider)).toEqual([]);
      expect((await caught(service.getPolicy(callers.outsider, policy!.id))).code).toBe(ApprovalErrorCode.POLICY_NOT_FOUND);
    });

    it('refuses invalid input with a message naming the field', async () => {
      const err = await caught(service.createPolicy(callers.admin, { actions: ['deployment.create'], requiredApprovals: 12, reviewerRole: 'admin' }));
      expect(err.code).toBe(ApprovalErrorCode.INVALID_POLICY);
      expect(err.kind).toBe('BAD_USER_INPUT');
      expect(err.message).toBe('requiredApprovals must be a whole number from 1 to 10 (got 12).');
      expect(await db.dataSource.getRepository(ApprovalPolicyEntity).count()).toBe(0);
    });

    it('a project admin may not make a project policy weaker than the platform-wide one; a platform admin may', async () => {
      await platformPolicy({ requiredApprovals: 2, reviewerRole: 'ml-engineer' });
      const weaker = await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'admin' }));
      expect(weaker.code).toBe(ApprovalErrorCode.POLICY_WEAKER_THAN_PLATFORM);
      expect(weaker.message).toMatch(/"deployment\.replace-version".*1 approval\(s\) instead of 2.*at least 2 approval\(s\) from ml-engineer/);
      const lowerRole = await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 3, reviewerRole: 'viewer' }));
      expect(lowerRole.code).toBe(ApprovalErrorCode.POLICY_WEAKER_THAN_PLATFORM);

      expect((await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.replace-version'], requiredApprovals: 2, reviewerRole: 'admin' })).policy).not.toBeNull();
      // An action the platform does not cover may be set freely.
      expect((await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.traffic'], requiredApprovals: 1, reviewerRole: 'viewer' })).policy).not.toBeNull();
      expect((await service.createPolicy(callers.admin, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'viewer' })).policy).not.toBeNull();
    });

    it('policy edits covered by a policy.edit policy become change requests, applied in the author’s name once approved', async () => {
      await service.createPolicy(callers.admin, { actions: ['policy.edit'], requiredApprovals: 1, reviewerRole: 'platform-admin' });
      const created = await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.traffic'], requiredApprovals: 2, reviewerRole: 'admin' });
      expect(created.policy).toBeNull();
      expect(created.request).toMatchObject({ action: 'policy.edit', projectId: ids.P, targetType: 'ApprovalPolicy', status: 'PENDING', reviewerRole: 'platform-admin' });
      expect(created.request!.summary).toMatch(/^Create approval policy: deployment\.traffic need 2 approval\(s\) from admin or above/);
      expect(await service.listPolicies(callers.owner, { projectId: ids.P })).toHaveLength(1); // only the policy.edit one

      expect((await caught(service.review(callers.owner, { requestId: created.request!.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.SELF_REVIEW);
      await service.review(callers.admin, { requestId: created.request!.id, decision: 'APPROVE' });
      const applied = await service.applyApproved(created.request!.id);
      expect(applied).toMatchObject({ status: 'APPLIED', result: { policyId: expect.any(String) } });
      const policy = await service.getPolicy(callers.owner, (applied!.result as { policyId: string }).policyId);
      expect(policy).toMatchObject({ projectId: ids.P, actions: ['deployment.traffic'], requiredApprovals: 2, reviewerRole: 'admin', createdBy: ids.owner });

      // Deleting is gated too, and a policy already gone makes the deletion STALE.
      const deletion = await service.deletePolicy(callers.owner, policy.id);
      expect(deletion).toMatchObject({ deleted: false, request: { status: 'PENDING', targetId: policy.id } });
      await service.review(callers.admin, { requestId: deletion.request!.id, decision: 'APPROVE' });
      await db.dataSource.getRepository(ApprovalPolicyEntity).delete({ id: policy.id });
      expect(await service.applyApproved(deletion.request!.id)).toMatchObject({ status: 'STALE', failure: `Approval policy ${policy.id} was deleted meanwhile.` });
    });
  });

  describe('reviewer groups', () => {
    it('a policy names an existing group by id; anything else is refused with the field named', async () => {
      const sre = await group('sre', [ids.r1]);
      const { policy } = await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'ml-engineer', reviewerGroupId: sre });
      expect(policy).toMatchObject({ reviewerGroupId: sre, reviewerRole: 'ml-engineer' });
      expect((await service.getPolicy(callers.r1, policy!.id)).reviewerGroupId).toBe(sre);

      const unknown = await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: DEPLOYMENT }));
      expect(unknown).toMatchObject({ code: ApprovalErrorCode.INVALID_POLICY, kind: 'BAD_USER_INPUT', details: { field: 'reviewerGroupId' } });
      expect(unknown.message).toBe(`No group with id ${DEPLOYMENT} exists; create the group first, or leave reviewerGroupId empty.`);
      const byName = await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: 'sre' }));
      expect(byName).toMatchObject({ code: ApprovalErrorCode.INVALID_POLICY, details: { field: 'reviewerGroupId' } });
      expect(await db.dataSource.getRepository(ApprovalPolicyEntity).count()).toBe(1);
    });

    it('policies of one scope covering one action may not name different groups; the group applies to all of them', async () => {
      const sre = await group('sre', [ids.r1]);
      const ops = await group('ops', [ids.r2]);
      const first = (await platformPolicy({ actions: ['deployment.replace-version', 'deployment.delete'], requiredApprovals: 1, reviewerGroupId: sre })).id;

      const conflict = await caught(service.createPolicy(callers.admin, { actions: ['deployment.delete', 'deployment.traffic'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: ops }));
      expect(conflict).toMatchObject({ code: ApprovalErrorCode.POLICY_GROUP_CONFLICT, kind: 'CONFLICT' });
      expect(conflict.message).toBe(
        `Approval policy ${first} already covers "deployment.delete" platform-wide with reviewer group "sre"; ` +
          'policies that cover the same action in the same scope must name the same reviewer group (or none). Use group "sre", or delete that policy first.',
      );
      // Another action, the same group, no group, or another scope: all fine.
      await service.createPolicy(callers.admin, { actions: ['deployment.traffic'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: ops });
      await service.createPolicy(callers.admin, { actions: ['deployment.replace-version'], requiredApprovals: 2, reviewerRole: 'ml-engineer', reviewerGroupId: sre });
      await service.createPolicy(callers.admin, { actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'admin' });
      await service.createPolicy(callers.admin, { projectId: ids.Q, actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: ops });

      // The strictest of the three platform-wide replace-version policies, with the group one of them names.
      expect(await service.requirementFor({ action: ApprovalAction.DEPLOYMENT_REPLACE_VERSION, projectId: ids.P, production: true })).toMatchObject({
        requiredApprovals: 2,
        reviewerRole: 'admin',
        reviewerGroupId: sre,
      });
      expect((await service.requirementFor({ action: ApprovalAction.DEPLOYMENT_DELETE, projectId: ids.Q, production: true }))?.reviewerGroupId).toBe(ops);
    });

    it('two conflicting policies created at the same time: one is stored, the other refused', async () => {
      const sre = await group('sre', []);
      const ops = await group('ops', []);
      // Slow inserts down so that, were inserts not serialised, both would pass the check before either commits.
      await db.dataSource.query(`CREATE FUNCTION slow_policy_insert() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.2); RETURN NEW; END $$`);
      await db.dataSource.query('CREATE TRIGGER slow_policy_insert BEFORE INSERT ON approval_policies FOR EACH ROW EXECUTE FUNCTION slow_policy_insert()');
      let results: PromiseSettledResult<unknown>[];
      try {
        results = await Promise.allSettled(
          [sre, ops].map((g) => service.createPolicy(callers.admin, { actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: g })),
        );
      } finally {
        await db.dataSource.query('DROP TRIGGER slow_policy_insert ON approval_policies');
        await db.dataSource.query('DROP FUNCTION slow_policy_insert()');
      }
      const stored = await db.dataSource.getRepository(ApprovalPolicyEntity).find();
      expect(stored).toHaveLength(1);
      expect(new Set(stored.map((p) => p.reviewerGroupId)).size).toBe(1);
      for (const r of results) {
        if (r.status === 'rejected') expect((r.reason as ModelportError).code).toBe(ApprovalErrorCode.POLICY_GROUP_CONFLICT);
      }
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(stored.length);
    });

    it('a project admin may not drop or change the reviewer group of the platform-wide policy', async () => {
      const sre = await group('sre', [ids.r1]);
      const ops = await group('ops', [ids.r2]);
      await platformPolicy({ requiredApprovals: 1, reviewerRole: 'ml-engineer', reviewerGroupId: sre });
      const dropped = await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 2, reviewerRole: 'admin' }));
      expect(dropped.code).toBe(ApprovalErrorCode.POLICY_WEAKER_THAN_PLATFORM);
      expect(dropped.message).toMatch(new RegExp(`reviewers from any group instead of group ${sre}\\. Ask for at least 1 approval\\(s\\) from ml-engineer in group ${sre}`));
      expect((await caught(service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 2, reviewerRole: 'admin', reviewerGroupId: ops }))).code).toBe(
        ApprovalErrorCode.POLICY_WEAKER_THAN_PLATFORM,
      );
      expect((await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.delete'], requiredApprovals: 2, reviewerRole: 'admin', reviewerGroupId: sre })).policy).not.toBeNull();
    });

    it('a request keeps the group it was created with; a policy edit covered by a group policy names it in its summary', async () => {
      const sre = await group('sre', [ids.r1]);
      const ops = await group('ops', [ids.r2]);
      const policy = await platformPolicy({ requiredApprovals: 1, reviewerGroupId: sre });
      const request = await pendingRequest();
      expect(request).toMatchObject({ reviewerGroupId: sre, reviewerGroupName: 'sre' });
      // Replacing the policy by one naming another group does not change the pending request.
      await db.dataSource.getRepository(ApprovalPolicyEntity).delete({ id: policy.id });
      await platformPolicy({ requiredApprovals: 1, reviewerGroupId: ops });
      expect((await caught(service.review(callers.r2, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.REVIEWER_GROUP_REQUIRED);
      expect(await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED', reviewerGroupId: sre });

      await service.createPolicy(callers.admin, { actions: ['policy.edit'], requiredApprovals: 1, reviewerRole: 'platform-admin' });
      const edit = await service.createPolicy(callers.owner, { projectId: ids.P, actions: ['deployment.traffic'], requiredApprovals: 1, reviewerRole: 'admin', reviewerGroupId: ops });
      expect(edit.request!.summary).toMatch(/^Create approval policy: deployment\.traffic need 1 approval\(s\) from admin or above in group "ops"/);
      await service.review(callers.admin, { requestId: edit.request!.id, decision: 'APPROVE' });
      const applied = await service.applyApproved(edit.request!.id);
      expect(applied).toMatchObject({ status: 'APPLIED' });
      expect((await service.getPolicy(callers.owner, (applied!.result as { policyId: string }).policyId)).reviewerGroupId).toBe(ops);
    });
  });

  // ---- the gate -------------------------------------------------------------

  describe('gate', () => {
    it('lets a change through when no policy covers it', async () => {
      expect(await service.gate(callers.author, replace())).toEqual({ required: false });
      await service.createPolicy(callers.admin, { actions: ['deployment.delete'], requiredApprovals: 1, reviewerRole: 'admin' });
      expect(await service.gate(callers.author, replace())).toEqual({ required: false });
      expect(await db.dataSource.query('SELECT id FROM change_requests')).toEqual([]);
    });

    it('covers deployment actions only for production deployments', async () => {
      const policy = await platformPolicy();
      for (const action of [ApprovalAction.DEPLOYMENT_CREATE, ApprovalAction.DEPLOYMENT_REPLACE_VERSION, ApprovalAction.DEPLOYMENT_DELETE]) {
        expect(await service.gate(callers.author, replace({ action, production: false }))).toEqual({ required: false });
        expect(await service.gate(callers.author, replace({ action, production: null }))).toEqual({ required: false });
      }
      expect(await db.dataSource.query('SELECT id FROM change_requests')).toEqual([]);

      const gated = await service.gate(callers.author, replace());
      expect(gated.required).toBe(true);
      const request = gated.required ? gated.request : null;
      expect(request).toMatchObject({
        projectId: ids.P,
        action: 'deployment.replace-version',
        targetType: 'Deployment',
        targetId: DEPLOYMENT,
        payload: { deploymentId: DEPLOYMENT, version: 4 },
        precondition: { deploymentRevision: 3 },
        summary: 'Serve version 4 of fraud-scorer (now version 3)',
        status: 'PENDING',
        authorId: ids.author,
        requiredApprovals: 2,
        reviewerRole: 'ml-engineer',
        reviewerGroupId: null,
        reviewerGroupName: null,
        approvalCount: 0,
        policyIds: [policy.id],
        decidedAt: null,
        appliedAt: null,
        result: null,
        failure: null,
      });
      expect(request!.createdAt.getTime()).toBe(T0);
      expect(request!.expiresAt.getTime()).toBe(T0 + 24 * HOUR);
      expect(await service.get(callers.r1, request!.id)).toEqual(request);
      expect(await service.events(callers.r1, request!.id)).toMatchObject([{ kind: 'created', fromStatus: null, toStatus: 'PENDING', actorId: ids.author }]);
      expect(events).toMatchObject([{ requestId: request!.id, projectId: ids.P, action: 'deployment.replace-version', kind: 'created', actorId: ids.author, toStatus: 'PENDING' }]);
    });

    it("uses the project's own policies over the platform-wide ones", async () => {
      await platformPolicy({ requiredApprovals: 3, reviewerRole: 'admin' });
      const own = (await service.createPolicy(callers.admin, { projectId: ids.P, actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'ml-engineer', expiresAfterHours: 4 })).policy!;
      const inP = await pendingRequest();
      expect(inP).toMatchObject({ requiredApprovals: 1, reviewerRole: 'ml-engineer', policyIds: [own.id] });
      expect(inP.expiresAt.getTime()).toBe(T0 + 4 * HOUR);
      const inQ = await pendingRequest({ projectId: ids.Q }, callers.outsider);
      expect(inQ).toMatchObject({ requiredApprovals: 3, reviewerRole: 'admin' });
      // Deletion is not covered by P's own policy, so the platform-wide one applies in P.
      expect(await pendingRequest({ action: ApprovalAction.DEPLOYMENT_DELETE })).toMatchObject({ requiredApprovals: 3 });
    });

    it('refuses a request it could not apply or show', async () => {
      await platformPolicy();
      expect((await caught(service.gate(callers.author, replace({ projectId: null })))).message).toMatch(/belongs to a project; pass its projectId/);
      expect((await caught(service.gate(callers.author, replace({ summary: '  ' })))).details).toEqual({ field: 'summary' });
      expect((await caught(service.gate(callers.author, replace({ action: 'deployment.scale' as ApprovalAction })))).code).toBe(ApprovalErrorCode.INVALID_ARGUMENT);
      expect((await caught(service.gate(callers.author, replace({ projectId: randomUUID() })))).message).toMatch(/project or the author of this change request does not exist/);
    });
  });

  // ---- reviews --------------------------------------------------------------

  describe('reviews', () => {
    it('the author can never approve their own request', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      for (const decision of ['APPROVE', 'REJECT'] as const) {
        const err = await caught(service.review(callers.author, { requestId: request.id, decision, comment: 'mine' }));
        expect(err.code).toBe(ApprovalErrorCode.SELF_REVIEW);
        expect(err.kind).toBe('FORBIDDEN');
        expect(err.message).toMatch(/You wrote this change request, so you cannot review it/);
      }
      expect(await service.get(callers.author, request.id)).toMatchObject({ status: 'PENDING', approvalCount: 0 });
      expect(await service.reviews(callers.author, request.id)).toEqual([]);
    });

    it('the author can never approve their own request, also as a platform admin', async () => {
      await platformPolicy({ requiredApprovals: 1, reviewerRole: 'platform-admin' });
      const request = await pendingRequest({}, callers.admin);
      const err = await caught(service.review(callers.admin, { requestId: request.id, decision: 'APPROVE' }));
      expect(err.code).toBe(ApprovalErrorCode.SELF_REVIEW);
      expect(await service.get(callers.admin, request.id)).toMatchObject({ status: 'PENDING' });
      expect(queue.enqueued).toEqual([]);
      // Another platform admin can.
      expect(await service.review(callers.admin2, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED' });
    });

    it('two approvals by two reviewers make the request APPROVED and enqueue one apply job', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      clock.at = T0 + 60_000;
      const first = await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
      expect(first).toMatchObject({ status: 'PENDING', approvalCount: 1, decidedAt: null });
      expect(queue.enqueued).toEqual([]);

      clock.at = T0 + 120_000;
      const second = await service.review(callers.r2, { requestId: request.id, decision: 'APPROVE', comment: 'checked the metrics' });
      expect(second).toMatchObject({ status: 'APPROVED', approvalCount: 2 });
      expect(second.decidedAt!.getTime()).toBe(T0 + 120_000);
      expect(queue.enqueued).toEqual([{ name: APPLY_CHANGE_REQUEST_JOB, data: { requestId: request.id }, options: { jobId: request.id, attempts: 3 } }]);

      expect(await service.reviews(callers.viewer, request.id)).toMatchObject([
        { reviewerId: ids.r1, decision: 'APPROVE', comment: '' },
        { reviewerId: ids.r2, decision: 'APPROVE', comment: 'checked the metrics' },
      ]);
      const history = await service.events(callers.viewer, request.id);
      expect(history.map((e) => [e.kind, e.fromStatus, e.toStatus, e.actorId, e.at.getTime()])).toEqual([
        ['created', null, 'PENDING', ids.author, T0],
        ['review-approved', 'PENDING', 'PENDING', ids.r1, T0 + 60_000],
        ['approved', 'PENDING', 'APPROVED', ids.r2, T0 + 120_000],
      ]);
      expect(history[2]!.detail).toBe('approval 2 of 2: checked the metrics');
      expect(events.map((e) => e.kind)).toEqual(['created', 'review-approved', 'approved']);

      // Approving an approved request is refused and enqueues nothing more.
      expect((await caught(service.review(callers.owner, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.NOT_PENDING);
      expect(queue.enqueued).toHaveLength(1);
    });

    it('a reviewer reviews a request once', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
      for (const decision of ['APPROVE', 'REJECT'] as const) {
        const err = await caught(service.review(callers.r1, { requestId: request.id, decision, comment: 'again' }));
        expect(err.code).toBe(ApprovalErrorCode.ALREADY_REVIEWED);
        expect(err.kind).toBe('CONFLICT');
        expect(err.message).toMatch(/You already reviewed this change request \(you approved it at 2026-11-02T09:00:00\.000Z\)/);
      }
      expect(await service.get(callers.r1, request.id)).toMatchObject({ status: 'PENDING', approvalCount: 1 });
    });

    it('one rejection rejects the request', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
      expect((await caught(service.review(callers.r2, { requestId: request.id, decision: 'REJECT' }))).message).toMatch(/rejection needs a comment/);
      const rejected = await service.review(callers.r2, { requestId: request.id, decision: 'REJECT', comment: 'version 4 fails the canary' });
      expect(rejected).toMatchObject({ status: 'REJECTED', approvalCount: 1 });
      expect(rejected.decidedAt).not.toBeNull();
      const late = await caught(service.review(callers.owner, { requestId: request.id, decision: 'APPROVE' }));
      expect(late.code).toBe(ApprovalErrorCode.NOT_PENDING);
      expect(late.message).toBe('This change request is REJECTED, so it can no longer be reviewed; only PENDING requests can.');
      expect(queue.enqueued).toEqual([]);
      expect((await service.events(callers.author, request.id)).at(-1)).toMatchObject({ kind: 'rejected', actorId: ids.r2, detail: 'version 4 fails the canary' });
    });

    it('a reviewer needs the policy’s role in the project, or is a platform admin', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      const viewer = await caught(service.review(callers.viewer, { requestId: request.id, decision: 'APPROVE' }));
      expect(viewer.code).toBe(ApprovalErrorCode.REVIEWER_ROLE_REQUIRED);
      expect(viewer.kind).toBe('FORBIDDEN');
      expect(viewer.message).toBe('Reviewing this change request needs the role ml-engineer or above in its project (or platform admin); your role there is viewer.');
      // Someone outside the project does not learn the request exists.
      expect((await caught(service.review(callers.outsider, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.CHANGE_REQUEST_NOT_FOUND);
      expect(await service.reviews(callers.author, request.id)).toEqual([]);
      // A higher project role and a platform admin may.
      await service.review(callers.owner, { requestId: request.id, decision: 'APPROVE' });
      expect(await service.review(callers.admin, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED' });
    });

    it('a platform-admin policy is reviewed by platform admins only', async () => {
      await platformPolicy({ requiredApprovals: 1, reviewerRole: 'platform-admin' });
      const request = await pendingRequest();
      const err = await caught(service.review(callers.owner, { requestId: request.id, decision: 'APPROVE' }));
      expect(err.code).toBe(ApprovalErrorCode.REVIEWER_ROLE_REQUIRED);
      expect(err.message).toBe('Only platform admins may review this change request.');
      expect(await service.review(callers.admin, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED' });
    });

    it('an expired request cannot be reviewed, and says when it expired', async () => {
      await platformPolicy({ expiresAfterHours: 2 });
      const request = await pendingRequest();
      await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
      clock.at = T0 + 2 * HOUR;
      for (let i = 0; i < 2; i++) {
        const err = await caught(service.review(callers.r2, { requestId: request.id, decision: 'APPROVE' }));
        expect(err.code).toBe(ApprovalErrorCode.REQUEST_EXPIRED);
        expect(err.kind).toBe('CONFLICT');
        expect(err.message).toBe('This change request expired at 2026-11-02T11:00:00.000Z before it had enough approvals; submit the change again.');
      }
      expect(await service.get(callers.author, request.id)).toMatchObject({ status: 'EXPIRED', approvalCount: 1 });
      expect((await service.events(callers.author, request.id)).map((e) => [e.kind, e.actorId])).toEqual([
        ['created', ids.author],
        ['review-approved', ids.r1],
        ['expired', null],
      ]);
      expect(await service.reviews(callers.author, request.id)).toHaveLength(1);
      expect(queue.enqueued).toEqual([]);
    });

    it('the sweep marks requests past their expiry EXPIRED', async () => {
      await platformPolicy({ expiresAfterHours: 1 });
      const early = await pendingRequest();
      clock.at = T0 + 30 * 60_000;
      const later = await pendingRequest();
      clock.at = T0 + HOUR;
      expect(await service.sweep()).toEqual({ expired: 1, requeued: 0 });
      expect((await service.get(callers.author, early.id)).status).toBe('EXPIRED');
      expect((await service.get(callers.author, later.id)).status).toBe('PENDING');
      expect(events.filter((e) => e.kind === 'expired').map((e) => e.requestId)).toEqual([early.id]);
      expect((await service.backlog(callers.r1)).items.map((r) => r.id)).toEqual([later.id]);
      expect(await service.sweep()).toEqual({ expired: 0, requeued: 0 });
    });

    it('the author may cancel a pending request; nobody else may', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      const other = await caught(service.cancel(callers.r1, request.id));
      expect(other.code).toBe(ApprovalErrorCode.NOT_AUTHOR);
      expect(other.message).toMatch(/Only the author of a change request may cancel it/);
      const cancelled = await service.cancel(callers.author, request.id, 'wrong version');
      expect(cancelled).toMatchObject({ status: 'CANCELLED' });
      expect((await service.events(callers.author, request.id)).at(-1)).toMatchObject({ kind: 'cancelled', actorId: ids.author, detail: 'wrong version', toStatus: 'CANCELLED' });
      expect((await caught(service.cancel(callers.author, request.id))).code).toBe(ApprovalErrorCode.NOT_PENDING);
      expect((await caught(service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.NOT_PENDING);
    });
  });

  // ---- applying -------------------------------------------------------------

  describe('applying', () => {
    it('the apply job applies an approved request once, in the author’s name, with its approvers', async () => {
      const jobs: JobQueue = createJobQueue({ redisUrl: null, prefix: 'approvals-test', logger: silentLogger() });
      try {
        service = newService(jobs);
        const applier = new RecordingApplier();
        service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
        registerApprovalJobs(jobs, service);
        await jobs.start();

        const request = (await approvedRequest()).id;
        const job = await jobs.waitFor(request, 10_000);
        expect(job).toMatchObject({ id: request, name: APPLY_CHANGE_REQUEST_JOB, state: 'completed', returnValue: { status: 'APPLIED' } });

        const applied = await service.get(callers.author, request);
        expect(applied).toMatchObject({ status: 'APPLIED', result: { deploymentId: DEPLOYMENT, revision: 4 }, failure: null });
        expect(applied.appliedAt).not.toBeNull();
        expect(applier.checked).toHaveLength(1);
        expect(applier.applied).toHaveLength(1);
        const [{ request: seen, actingAs }] = applier.applied as [(typeof applier.applied)[0]];
        expect(seen).toMatchObject({ id: request, payload: { deploymentId: DEPLOYMENT, version: 4 }, precondition: { deploymentRevision: 3 } });
        expect(actingAs.authorId).toBe(ids.author);
        expect([...actingAs.approverIds].sort()).toEqual([ids.r1, ids.r2].sort());
        expect(actingAs.author.principal).toMatchObject({ userId: ids.author, isPlatformAdmin: false });
        expect(actingAs.author.ability.can('update', 'Deployment')).toBe(true);
        expect((await service.events(callers.author, request)).at(-1)).toMatchObject({ kind: 'applied', fromStatus: 'APPROVED', toStatus: 'APPLIED', actorId: null });

        // Running the job again (a retry, a second worker) applies nothing more.
        expect(await service.applyApproved(request)).toMatchObject({ status: 'APPLIED' });
        expect(await jobs.enqueue(APPLY_CHANGE_REQUEST_JOB, { requestId: request }, { jobId: request })).toBe(request);
        expect(applier.applied).toHaveLength(1);
      } finally {
        await jobs.close();
      }
    });

    it('marks the request STALE with the reason when its precondition no longer holds, and applies nothing', async () => {
      const reason = 'Deployment fraud-scorer is at revision 4, not 3: it changed after the request was made.';
      const applier = new RecordingApplier(() => ({ ok: false, reason }));
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
      const request = await approvedRequest();
      const stale = await service.applyApproved(request.id);
      expect(stale).toMatchObject({ status: 'STALE', failure: reason, appliedAt: null, result: null });
      expect(applier.applied).toEqual([]);
      expect((await service.events(callers.author, request.id)).at(-1)).toMatchObject({ kind: 'stale', fromStatus: 'APPROVED', toStatus: 'STALE', detail: reason });
      expect(await service.applyApproved(request.id)).toMatchObject({ status: 'STALE' });
      expect(applier.checked).toHaveLength(1);
    });

    it('marks the request FAILED with the error when applying throws', async () => {
      const applier = new RecordingApplier(undefined, async () => {
        throw new Error('Version 4 could not be loaded, so the deployment keeps serving its current version: plugin unavailable');
      });
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
      const request = await approvedRequest();
      expect(await service.applyApproved(request.id)).toMatchObject({
        status: 'FAILED',
        failure: 'Version 4 could not be loaded, so the deployment keeps serving its current version: plugin unavailable',
        appliedAt: null,
      });
      expect((await service.events(callers.author, request.id)).at(-1)).toMatchObject({ kind: 'failed', toStatus: 'FAILED' });
      expect(await service.applyApproved(request.id)).toMatchObject({ status: 'FAILED' });
      expect(applier.applied).toHaveLength(1);
    });

    it('marks the request FAILED, saying what to register, when no applier handles its action', async () => {
      const request = await approvedRequest();
      const failed = await service.applyApproved(request.id);
      expect(failed).toMatchObject({ status: 'FAILED' });
      expect(failed!.failure).toMatch(/No applier is registered for "deployment\.replace-version"/);
    });

    it('applies in the name of the caller resolveCaller builds, when one is given', async () => {
      const resolved: [string, string][] = [];
      const author = { ...callers.author, principal: { ...callers.author.principal, tokenId: 'resolved' } };
      service = new ApprovalService(
        db.dataSource,
        queue,
        {
          maxPageSize: 10,
          logger: silentLogger(),
          resolveCaller: async (userId, actingFor) => {
            resolved.push([userId, actingFor]);
            return userId === ids.author ? author : null;
          },
        },
        clock,
      );
      const applier = new RecordingApplier();
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
      const request = await approvedRequest();
      expect(await service.applyApproved(request.id)).toMatchObject({ status: 'APPLIED' });
      expect(resolved).toEqual([[ids.author, `change-request-${request.id}`]]);
      expect(applier.applied[0]!.actingAs.author).toBe(author);

      // A null from resolveCaller means the author is gone: FAILED, nothing applied.
      service = new ApprovalService(db.dataSource, queue, { maxPageSize: 10, logger: silentLogger(), resolveCaller: async () => null }, clock);
      const orphan = new RecordingApplier();
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, orphan);
      const second = await pendingRequest();
      await service.review(callers.r1, { requestId: second.id, decision: 'APPROVE' });
      await service.review(callers.r2, { requestId: second.id, decision: 'APPROVE' });
      expect(await service.applyApproved(second.id)).toMatchObject({ status: 'FAILED', failure: `The author (user ${ids.author}) no longer exists, so the change cannot be applied on their behalf.` });
      expect(orphan.applied).toEqual([]);
    });

    it('applies only APPROVED requests', async () => {
      const applier = new RecordingApplier();
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
      await platformPolicy();
      const pending = await pendingRequest();
      expect(await service.applyApproved(pending.id)).toMatchObject({ status: 'PENDING' });
      expect(await service.applyApproved(randomUUID())).toBeNull();
      expect(await service.applyApproved('not-an-id')).toBeNull();
      expect(applier.checked).toEqual([]);
      expect(() => service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier)).toThrow(/already registered/);
    });

    it('two runs of the apply job at the same time apply once', async () => {
      const applier = new RecordingApplier(undefined, async () => {
        await sleep(150);
        return { ok: true };
      });
      service.registerApplier(ApprovalAction.DEPLOYMENT_REPLACE_VERSION, applier);
      const request = await approvedRequest();
      const [a, b] = await Promise.all([service.applyApproved(request.id), service.applyApproved(request.id)]);
      expect(a!.status).toBe('APPLIED');
      expect(b!.status).toBe('APPLIED');
      expect(applier.applied).toHaveLength(1);
      expect((await service.events(callers.author, request.id)).filter((e) => e.kind === 'applied')).toHaveLength(1);
    });

    it('the sweep enqueues the apply job again for a request approved a while ago', async () => {
      const request = await approvedRequest();
      expect(queue.enqueued).toHaveLength(1);
      clock.at = T0 + 60_000;
      expect(await service.sweep()).toEqual({ expired: 0, requeued: 0 });
      clock.at = T0 + 6 * 60_000;
      expect(await service.sweep()).toEqual({ expired: 0, requeued: 1 });
      expect(queue.enqueued.map((e) => e.options?.jobId)).toEqual([request.id, request.id]);
    });
  });

  // ---- concurrency ----------------------------------------------------------

  describe('concurrent reviews', () => {
    it('two reviewers approving at the same time: both reviews kept, the request APPROVED, one apply job', async () => {
      await platformPolicy();
      const requests = [];
      for (let i = 0; i < 8; i++) requests.push(await pendingRequest());
      for (const request of requests) {
        const results = await Promise.allSettled([
          service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' }),
          service.review(callers.r2, { requestId: request.id, decision: 'APPROVE' }),
        ]);
        expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
        expect(await service.get(callers.author, request.id)).toMatchObject({ status: 'APPROVED', approvalCount: 2 });
        expect(await service.reviews(callers.author, request.id)).toHaveLength(2);
      }
      expect(queue.enqueued.map((e) => e.options?.jobId).sort()).toEqual(requests.map((r) => r.id).sort());
    });

    it('three reviewers racing for two approvals: two reviews count, the third is told the request is decided', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      const results = await Promise.allSettled([callers.r1, callers.r2, callers.owner].map((c) => service.review(c, { requestId: request.id, decision: 'APPROVE' })));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(2);
      const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(refused?.reason).toMatchObject({ code: ApprovalErrorCode.NOT_PENDING });
      expect(await service.reviews(callers.author, request.id)).toHaveLength(2);
      expect(queue.enqueued).toHaveLength(1);
    });

    it('one reviewer approving twice at the same time leaves one review', async () => {
      await platformPolicy();
      const request = await pendingRequest();
      const results = await Promise.allSettled([1, 2].map(() => service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' })));
      expect(results.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
      expect(results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason).toMatchObject({ code: ApprovalErrorCode.ALREADY_REVIEWED });
      expect(await service.get(callers.author, request.id)).toMatchObject({ status: 'PENDING', approvalCount: 1 });
    });
  });

  // ---- queries --------------------------------------------------------------

  describe('queries', () => {
    it('the backlog lists pending requests of the projects one may read, oldest first, in pages', async () => {
      await platformPolicy();
      const inP: string[] = [];
      for (let i = 0; i < 5; i++) {
        clock.at = T0 + i * 60_000;
        inP.push((await pendingRequest()).id);
      }
      clock.at = T0 + 10 * 60_000;
      const inQ = (await pendingRequest({ projectId: ids.Q }, callers.outsider)).id;
      const cancelled = (await pendingRequest()).id;
      await service.cancel(callers.author, cancelled);

      const seen: string[] = [];
      let after: string | null = null;
      const pages: boolean[] = [];
      do {
        const page: Awaited<ReturnType<ApprovalService['backlog']>> = await service.backlog(callers.r1, { first: 2, after });
        seen.push(...page.items.map((r) => r.id));
        pages.push(page.hasNextPage);
        after = page.hasNextPage ? page.endCursor : null;
      } while (after);
      expect(seen).toEqual(inP);
      expect(pages).toEqual([true, true, false]);

      // Projects filter, intersected with what the caller may read.
      expect((await service.backlog(callers.owner, { projectIds: [ids.Q] })).items.map((r) => r.id)).toEqual([inQ]);
      expect((await service.backlog(callers.r1, { projectIds: [ids.Q] })).items).toEqual([]);
      expect((await service.backlog(callers.admin, { first: 10 })).items.map((r) => r.id)).toEqual([...inP, inQ]);

      expect((await caught(service.backlog(callers.r1, { first: 11 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
      expect((await caught(service.backlog(callers.r1, { first: 0 }))).code).toBe('INVALID_PAGE_SIZE');
      expect((await caught(service.backlog(callers.r1, { after: 'garbage' }))).code).toBe('INVALID_CURSOR');
      expect((await caught(service.backlog(callers.r1, { projectIds: ['fraud'] }))).code).toBe(ApprovalErrorCode.INVALID_ARGUMENT);
    });

    it('lists requests in any status, newest first, and shows them only to readers of their project', async () => {
      await platformPolicy();
      const a = await pendingRequest();
      clock.at = T0 + 1000;
      const b = await pendingRequest();
      await service.cancel(callers.author, b.id);
      expect((await service.list(callers.viewer)).items.map((r) => r.id)).toEqual([b.id, a.id]);
      expect((await service.list(callers.viewer, { statuses: ['CANCELLED'] })).items.map((r) => r.id)).toEqual([b.id]);
      expect((await service.list(callers.outsider)).items).toEqual([]);
      expect((await caught(service.list(callers.viewer, { statuses: ['DONE' as 'PENDING'] }))).message).toMatch(/Unknown status "DONE"/);
      const reads = [() => service.get(callers.outsider, a.id), () => service.reviews(callers.outsider, a.id), () => service.events(callers.outsider, a.id), () => service.get(callers.r1, 'nope')];
      for (const read of reads) expect((await caught(read())).code).toBe(ApprovalErrorCode.CHANGE_REQUEST_NOT_FOUND);
    });

    it('hands every committed event to onEvent; a failing listener undoes nothing', async () => {
      service = new ApprovalService(
        db.dataSource,
        queue,
        {
          maxPageSize: 10,
          logger: silentLogger(),
          onEvent: (e) => {
            events.push(e);
            throw new Error('audit sink down');
          },
        },
        clock,
      );
      await platformPolicy();
      const request = await pendingRequest();
      await service.review(callers.r1, { requestId: request.id, decision: 'APPROVE' });
      await service.review(callers.r2, { requestId: request.id, decision: 'APPROVE' });
      const stored = await service.events(callers.author, request.id);
      expect(events.map((e) => [e.eventId, e.kind, e.actorId])).toEqual(stored.map((e) => [e.id, e.kind, e.actorId]));
      expect((await service.get(callers.author, request.id)).status).toBe('APPROVED');
    });
  });
});
