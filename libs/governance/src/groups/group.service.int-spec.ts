import { silentLogger } from '@modelport/observability';
import { createTestDatabase, type TestDatabase, caught } from '@modelport/testing';
import { approvalEntities, approvalMigrations, ApprovalAction, ApprovalErrorCode, ApprovalService, type GateInput } from '../approvals';
import type { Caller } from '../domain/identity.service';
import type { ProjectRole } from '../domain/roles';
import { governanceEntities, governanceMigrations, MembershipEntity, ProjectEntity, UserEntity } from '../persistence';
import { effectiveMemberships } from './domain/effective-memberships';
import { GroupErrorCode } from './domain/group.errors';
import { groupIdsByNames, groupNamesOfUser, groupProjectRoles, SqlGroupDirectory } from './domain/group-queries';
import { GroupService } from './domain/group.service';
import { groupEntities, groupMigrations, GroupEntity } from './persistence';
import { callerFromDatabase } from '../domain/caller.fixture';

const MISSING = '00000000-0000-4000-8000-000000000000';

describe('GroupService against PostgreSQL', () => {
  let db: TestDatabase;
  let groups: GroupService;

  // Platform admin; in project P: owner (admin), author, r1, r2 (ml-engineers), viewer; in Q: outsider (admin). u1, u2: no project.
  const ids = { admin: '', owner: '', author: '', r1: '', r2: '', viewer: '', outsider: '', u1: '', u2: '', P: '', Q: '' };
  type Who = Exclude<keyof typeof ids, 'P' | 'Q'>;
  const callers = {} as Record<Who, Caller>;

  const callerOf = (userId: string): Promise<Caller> => callerFromDatabase(db.dataSource, userId);

  async function user(name: string, isPlatformAdmin = false): Promise<string> {
    return (await db.dataSource.getRepository(UserEntity).save({ name, nameKey: name.toLowerCase(), displayName: null, isPlatformAdmin })).id;
  }

  async function project(name: string, createdBy: string): Promise<string> {
    return (await db.dataSource.getRepository(ProjectEntity).save({ name, nameKey: name.toLowerCase(), description: '', createdBy })).id;
  }

  async function group(name: string, members: string[] = []): Promise<GroupEntity> {
    const created = await groups.createGroup(callers.admin, { name });
    for (const m of members) await groups.addMember(callers.admin, created.id, m);
    return created;
  }

  const count = async (table: string, where = 'true', params: unknown[] = []): Promise<number> =>
    Number(((await db.dataSource.query(`SELECT count(*)::int AS n FROM ${table} WHERE ${where}`, params)) as { n: number }[])[0]!.n);

  beforeAll(async () => {
    db = await createTestDatabase({
      entities: [...governanceEntities, ...groupEntities, ...approvalEntities],
      migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations],
    });
    for (const key of ['admin', 'owner', 'author', 'r1', 'r2', 'viewer', 'outsider', 'u1', 'u2'] as const) ids[key] = await user(key, key === 'admin');
    ids.P = await project('fraud', ids.owner);
    ids.Q = await project('churn', ids.outsider);
    const members: [string, string, ProjectRole][] = [
      [ids.P, ids.owner, 'admin'],
      [ids.P, ids.author, 'ml-engineer'],
      [ids.P, ids.r1, 'ml-engineer'],
      [ids.P, ids.r2, 'ml-engineer'],
      [ids.P, ids.viewer, 'viewer'],
      [ids.Q, ids.outsider, 'admin'],
    ];
    await db.dataSource.getRepository(MembershipEntity).save(members.map(([projectId, userId, role]) => ({ projectId, userId, role })));
    for (const key of ['admin', 'owner', 'author', 'r1', 'r2', 'viewer', 'outsider', 'u1', 'u2'] as const) callers[key] = await callerOf(ids[key]);
    groups = new GroupService(db.dataSource, { maxPageSize: 5 });
  });

  afterEach(async () => {
    await db.dataSource.query('DELETE FROM change_requests');
    await db.dataSource.query('DELETE FROM approval_policies');
    await db.dataSource.query('DELETE FROM groups');
  });

  afterAll(async () => {
    await db?.drop();
  });

  describe('groups', () => {
    it('are created by platform admins only, with names unique ignoring case and Unicode form', async () => {
      const refused = await caught(groups.createGroup(callers.owner, { name: 'sre' }));
      expect(refused.code).toBe(GroupErrorCode.FORBIDDEN);
      expect(refused.kind).toBe('FORBIDDEN');
      expect(refused.message).toBe('Only platform admins may create groups; ask a platform admin to do it.');
      expect(await count('groups')).toBe(0);

      const sre = await groups.createGroup(callers.admin, { name: 'SRE', description: '  on call  ' });
      expect(sre).toMatchObject({ name: 'SRE', nameKey: 'sre', description: 'on call', createdBy: ids.admin });
      expect(sre.createdAt).toBeInstanceOf(Date);

      for (const name of ['sre', 'ＳＲＥ']) {
        const taken = await caught(groups.createGroup(callers.admin, { name }));
        expect(taken.code).toBe(GroupErrorCode.GROUP_NAME_TAKEN);
        expect(taken.kind).toBe('CONFLICT');
        expect(taken.message).toBe(`A group named "${name}" (or one that differs only in case or Unicode form) already exists; choose another name or use that group.`);
      }
      const badName = await caught(groups.createGroup(callers.admin, { name: ' sre' }));
      expect(badName).toMatchObject({ code: 'INVALID_NAME', kind: 'BAD_USER_INPUT' });
      expect(badName.message).toMatch(/^Invalid group name: it starts or ends with whitespace/);
      expect((await caught(groups.createGroup(callers.admin, { name: 'x', description: 'd'.repeat(1001) }))).details).toEqual({ field: 'description' });
      expect(await count('groups')).toBe(1);
    });

    it('are read by any authenticated user, by id or name, and listed by name in pages', async () => {
      const made = [];
      for (const name of ['delta', 'Alpha', 'charlie', 'bravo']) made.push(await group(name));
      const first = await groups.listGroups(callers.u1, { first: 3 });
      expect(first.items.map((g) => g.name)).toEqual(['Alpha', 'bravo', 'charlie']);
      expect(first.hasNextPage).toBe(true);
      const second = await groups.listGroups(callers.u1, { first: 3, after: first.endCursor });
      expect(second.items.map((g) => g.name)).toEqual(['delta']);
      expect(second.hasNextPage).toBe(false);

      expect((await groups.getGroup(callers.u1, made[0]!.id)).name).toBe('delta');
      expect((await groups.getGroupByName(callers.u1, 'ALPHA')).id).toBe(made[1]!.id);

      const unknown = await caught(groups.getGroup(callers.u1, MISSING));
      expect(unknown).toMatchObject({ code: GroupErrorCode.GROUP_NOT_FOUND, kind: 'NOT_FOUND' });
      expect(unknown.message).toBe(`No group with id ${MISSING} exists; list groups to find its id.`);
      const notAnId = await caught(groups.getGroup(callers.u1, 'alpha'));
      expect(notAnId).toMatchObject({ code: GroupErrorCode.INVALID_ARGUMENT, kind: 'BAD_USER_INPUT', details: { field: 'id' } });
      expect(notAnId.message).toBe('"alpha" is not a group id (a UUID); pass the id field of the group.');
      expect((await caught(groups.getGroupByName(callers.u1, 'echo'))).message).toBe('No group named "echo" exists.');
      expect((await caught(groups.listGroups(callers.u1, { first: 6 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
      expect((await caught(groups.listGroups(callers.u1, { after: 'forged' }))).code).toBe('INVALID_CURSOR');
    });

    it('are deleted by platform admins only, with their members and project roles', async () => {
      const sre = await group('sre', [ids.u1, ids.u2]);
      await groups.setProjectRole(callers.owner, ids.P, sre.id, 'viewer');
      expect((await caught(groups.deleteGroup(callers.owner, sre.id))).code).toBe(GroupErrorCode.FORBIDDEN);
      expect(await groups.deleteGroup(callers.admin, sre.id)).toBe(true);
      expect(await count('groups')).toBe(0);
      expect(await count('group_members')).toBe(0);
      expect(await count('project_group_roles')).toBe(0);
      expect((await caught(groups.deleteGroup(callers.admin, sre.id))).code).toBe(GroupErrorCode.GROUP_NOT_FOUND);
      // Users themselves are untouched.
      expect(await count('users', 'id = ANY($1)', [[ids.u1, ids.u2]])).toBe(2);
    });

    it('lose members, project roles and their creator when those are deleted', async () => {
      const temp = await user('temp');
      const creator = await user('creator', true);
      const tempProject = await project('temp-project', ids.owner);
      const made = await groups.createGroup(await callerOf(creator), { name: 'ops' });
      await groups.addMember(callers.admin, made.id, temp);
      await groups.addMember(callers.admin, made.id, ids.u1);
      await groups.setProjectRole(callers.admin, tempProject, made.id, 'admin');
      await groups.setProjectRole(callers.admin, ids.P, made.id, 'viewer');

      await db.dataSource.getRepository(UserEntity).delete({ id: temp });
      await db.dataSource.getRepository(ProjectEntity).delete({ id: tempProject });
      await db.dataSource.getRepository(UserEntity).delete({ id: creator });

      expect((await groups.listMembers(callers.u1, made.id)).items.map((m) => m.userId)).toEqual([ids.u1]);
      expect((await groups.listGroupProjectRoles(callers.admin, made.id)).map((r) => r.projectId)).toEqual([ids.P]);
      expect((await groups.getGroup(callers.u1, made.id)).createdBy).toBeNull();
    });
  });

  describe('members', () => {
    it('are managed by platform admins only; adding twice keeps one membership', async () => {
      const sre = await group('sre');
      expect((await caught(groups.addMember(callers.owner, sre.id, ids.u1))).message).toBe('Only platform admins may change the members of groups; ask a platform admin to do it.');

      const added = await groups.addMember(callers.admin, sre.id, ids.u1);
      expect(added).toMatchObject({ groupId: sre.id, userId: ids.u1, userName: 'u1', displayName: null });
      expect(added.addedAt).toBeInstanceOf(Date);
      expect((await groups.addMember(callers.admin, sre.id, ids.u1)).addedAt).toEqual(added.addedAt);
      expect(await count('group_members')).toBe(1);

      expect((await caught(groups.removeMember(callers.u1, sre.id, ids.u1))).code).toBe(GroupErrorCode.FORBIDDEN);
      expect(await groups.removeMember(callers.admin, sre.id, ids.u1)).toBe(true);
      expect(await groups.removeMember(callers.admin, sre.id, ids.u1)).toBe(false);
    });

    it('refuse unknown and malformed ids with errors naming what is wrong', async () => {
      const sre = await group('sre');
      const noUser = await caught(groups.addMember(callers.admin, sre.id, MISSING));
      expect(noUser).toMatchObject({ code: GroupErrorCode.USER_NOT_FOUND, kind: 'NOT_FOUND', message: `No user with id ${MISSING} exists.` });
      expect(await caught(groups.addMember(callers.admin, sre.id, 'u1'))).toMatchObject({ code: GroupErrorCode.INVALID_ARGUMENT, details: { field: 'userId' } });
      expect((await caught(groups.addMember(callers.admin, MISSING, ids.u1))).code).toBe(GroupErrorCode.GROUP_NOT_FOUND);
      expect(await caught(groups.addMember(callers.admin, 'sre', ids.u1))).toMatchObject({ code: GroupErrorCode.INVALID_ARGUMENT, details: { field: 'groupId' } });
      expect((await caught(groups.listMembers(callers.u1, MISSING))).code).toBe(GroupErrorCode.GROUP_NOT_FOUND);
      expect(await count('group_members')).toBe(0);
    });

    it('are listed by user name in pages, to anyone; a user’s groups too', async () => {
      const sre = await group('sre', [ids.viewer, ids.author, ids.r2, ids.r1]);
      const ops = await group('ops', [ids.r1]);
      const first = await groups.listMembers(callers.u2, sre.id, { first: 3 });
      expect(first.items.map((m) => m.userName)).toEqual(['author', 'r1', 'r2']);
      expect(first.hasNextPage).toBe(true);
      const rest = await groups.listMembers(callers.u2, sre.id, { first: 3, after: first.endCursor });
      expect(rest.items.map((m) => m.userName)).toEqual(['viewer']);
      expect(rest.hasNextPage).toBe(false);

      expect((await groups.groupsOfUser(callers.u2, ids.r1)).map((g) => g.id)).toEqual([ops.id, sre.id]);
      expect(await groups.groupsOfUser(callers.u2, ids.u2)).toEqual([]);
      expect((await caught(groups.groupsOfUser(callers.u2, MISSING))).code).toBe(GroupErrorCode.USER_NOT_FOUND);
    });
  });

  describe('project roles', () => {
    it('are given by admins of the project (or platform admins), only in that project', async () => {
      const sre = await group('sre');
      const given = await groups.setProjectRole(callers.owner, ids.P, sre.id, 'ml-engineer');
      expect(given).toMatchObject({ projectId: ids.P, groupId: sre.id, groupName: 'sre', role: 'ml-engineer' });
      // Setting it again changes the role; there is still one row.
      expect((await groups.setProjectRole(callers.owner, ids.P, sre.id, 'viewer')).role).toBe('viewer');
      expect(await count('project_group_roles')).toBe(1);

      const notAdmin = await caught(groups.setProjectRole(callers.r1, ids.P, sre.id, 'admin'));
      expect(notAdmin).toMatchObject({ code: GroupErrorCode.FORBIDDEN, kind: 'FORBIDDEN' });
      expect(notAdmin.message).toBe('Only admins of project "fraud" (or platform admins) may give groups roles in it; your role there is ml-engineer.');
      // An admin of another project does not learn the project exists.
      const elsewhere = await caught(groups.setProjectRole(callers.outsider, ids.P, sre.id, 'admin'));
      expect(elsewhere).toMatchObject({ code: GroupErrorCode.PROJECT_NOT_FOUND, kind: 'NOT_FOUND' });
      expect((await caught(groups.setProjectRole(callers.owner, ids.Q, sre.id, 'viewer'))).code).toBe(GroupErrorCode.PROJECT_NOT_FOUND);
      expect((await groups.setProjectRole(callers.outsider, ids.Q, sre.id, 'data-scientist')).role).toBe('data-scientist');
      expect((await groups.setProjectRole(callers.admin, ids.Q, sre.id, 'admin')).role).toBe('admin');
      expect((await groups.listProjectGroups(callers.owner, ids.P)).map((r) => r.role)).toEqual(['viewer']);
    });

    it('refuse bad roles, unknown groups and unknown projects without storing anything', async () => {
      const sre = await group('sre');
      const role = await caught(groups.setProjectRole(callers.owner, ids.P, sre.id, 'owner'));
      expect(role).toMatchObject({ code: GroupErrorCode.INVALID_ROLE, kind: 'BAD_USER_INPUT' });
      expect(role.message).toBe('Unknown role "owner"; use one of admin, ml-engineer, data-scientist, viewer.');
      expect((await caught(groups.setProjectRole(callers.owner, ids.P, MISSING, 'viewer'))).code).toBe(GroupErrorCode.GROUP_NOT_FOUND);
      expect((await caught(groups.setProjectRole(callers.admin, MISSING, sre.id, 'viewer'))).code).toBe(GroupErrorCode.PROJECT_NOT_FOUND);
      expect(await caught(groups.setProjectRole(callers.admin, 'fraud', sre.id, 'viewer'))).toMatchObject({ code: GroupErrorCode.INVALID_ARGUMENT, details: { field: 'projectId' } });
      expect(await count('project_group_roles')).toBe(0);
    });

    it('are removed by admins of the project; listed to those who may read it', async () => {
      const sre = await group('sre');
      const ops = await group('ops');
      await groups.setProjectRole(callers.owner, ids.P, sre.id, 'viewer');
      await groups.setProjectRole(callers.owner, ids.P, ops.id, 'admin');
      await groups.setProjectRole(callers.outsider, ids.Q, sre.id, 'viewer');

      expect((await groups.listProjectGroups(callers.viewer, ids.P)).map((r) => [r.groupName, r.role])).toEqual([
        ['ops', 'admin'],
        ['sre', 'viewer'],
      ]);
      expect((await caught(groups.listProjectGroups(callers.u1, ids.P))).code).toBe(GroupErrorCode.PROJECT_NOT_FOUND);
      // A group's roles are shown only in the projects the caller may read.
      expect((await groups.listGroupProjectRoles(callers.owner, sre.id)).map((r) => r.projectId)).toEqual([ids.P]);
      expect((await groups.listGroupProjectRoles(callers.admin, sre.id)).map((r) => r.projectId).sort()).toEqual([ids.P, ids.Q].sort());
      expect(await groups.listGroupProjectRoles(callers.u1, sre.id)).toEqual([]);

      expect((await caught(groups.removeProjectRole(callers.r1, ids.P, sre.id))).code).toBe(GroupErrorCode.FORBIDDEN);
      expect((await caught(groups.removeProjectRole(callers.outsider, ids.P, sre.id))).code).toBe(GroupErrorCode.PROJECT_NOT_FOUND);
      expect(await groups.removeProjectRole(callers.owner, ids.P, sre.id)).toBe(true);
      expect(await groups.removeProjectRole(callers.owner, ids.P, sre.id)).toBe(false);
      expect((await groups.listProjectGroups(callers.owner, ids.P)).map((r) => r.groupName)).toEqual(['ops']);
    });
  });

  describe('principal resolution helpers', () => {
    it('groupProjectRoles and effectiveMemberships give a user the highest role of its groups and direct memberships', async () => {
      const a = await group('a-team', [ids.r1, ids.u1]);
      const b = await group('b-team', [ids.r1]);
      await group('c-team', [ids.u1]); // holds no role anywhere
      await groups.setProjectRole(callers.admin, ids.P, a.id, 'viewer');
      await groups.setProjectRole(callers.admin, ids.Q, a.id, 'data-scientist');
      await groups.setProjectRole(callers.admin, ids.P, b.id, 'admin');

      const grants = await groupProjectRoles(db.dataSource, ids.r1);
      expect(grants).toHaveLength(3);
      expect(grants).toEqual(
        expect.arrayContaining([
          { projectId: ids.P, role: 'viewer', groupId: a.id, groupName: 'a-team' },
          { projectId: ids.Q, role: 'data-scientist', groupId: a.id, groupName: 'a-team' },
          { projectId: ids.P, role: 'admin', groupId: b.id, groupName: 'b-team' },
        ]),
      );
      // r1 is a direct ml-engineer in P; b-team makes it admin there, a-team gives it Q.
      expect(effectiveMemberships(callers.r1.principal.memberships, grants)).toEqual(
        new Map<string, ProjectRole>([
          [ids.P, 'admin'],
          [ids.Q, 'data-scientist'],
        ]),
      );
      // Inside a transaction too, and nothing for users without groups or ids that are not UUIDs.
      const inTransaction = await db.dataSource.transaction((tx) => groupProjectRoles(tx, ids.u1));
      expect(inTransaction).toHaveLength(2);
      expect(inTransaction).toEqual(
        expect.arrayContaining([
          { projectId: ids.Q, role: 'data-scientist', groupId: a.id, groupName: 'a-team' },
          { projectId: ids.P, role: 'viewer', groupId: a.id, groupName: 'a-team' },
        ]),
      );
      expect(await groupProjectRoles(db.dataSource, ids.u2)).toEqual([]);
      expect(await groupProjectRoles(db.dataSource, 'r1')).toEqual([]);
      // Leaving a group takes its roles away.
      await groups.removeMember(callers.admin, b.id, ids.r1);
      expect(effectiveMemberships(callers.r1.principal.memberships, await groupProjectRoles(db.dataSource, ids.r1)).get(ids.P)).toBe('ml-engineer');

      expect(await groupNamesOfUser(db.dataSource, ids.u1)).toEqual(['a-team', 'c-team']);
      expect(await groupNamesOfUser(db.dataSource, ids.u2)).toEqual([]);
    });

    it('groupIdsByNames maps claim names to groups by name key', async () => {
      const sre = await group('SRE');
      const ops = await group('ops');
      const found = await groupIdsByNames(db.dataSource, ['sre', 'SRE', 'Ops', 'unknown', '', 42]);
      expect(found).toEqual(
        new Map([
          ['sre', sre.id],
          ['SRE', sre.id],
          ['Ops', ops.id],
        ]),
      );
      expect(await groupIdsByNames(db.dataSource, [])).toEqual(new Map());
      const tooMany = await caught(groupIdsByNames(db.dataSource, Array.from({ length: 1001 }, (_, i) => `g${i}`)));
      expect(tooMany).toMatchObject({ code: GroupErrorCode.INVALID_ARGUMENT, details: { field: 'names' } });
    });

    it('SqlGroupDirectory gives the grants of stored memberships and of claimed group names, in one answer', async () => {
      const a = await group('a-team', [ids.u1]);
      const sso = await group('SSO-Readers');
      await group('unused');
      await groups.setProjectRole(callers.admin, ids.P, a.id, 'viewer');
      await groups.setProjectRole(callers.admin, ids.Q, sso.id, 'data-scientist');
      const directory = new SqlGroupDirectory(db.dataSource);

      expect(await directory.grantsFor(ids.u1, [])).toEqual({ grants: [{ projectId: ids.P, role: 'viewer', groupId: a.id, groupName: 'a-team' }], groups: ['a-team'] });
      const claimed = await directory.grantsFor(ids.u1, ['sso-readers', 'not-a-group', 7]);
      expect(claimed.groups).toEqual(['a-team', 'SSO-Readers']);
      expect(claimed.grants).toEqual([
        { projectId: ids.P, role: 'viewer', groupId: a.id, groupName: 'a-team' },
        { projectId: ids.Q, role: 'data-scientist', groupId: sso.id, groupName: 'SSO-Readers' },
      ]);
      // A claimed group without roles is still one of the user's groups; a user without any gets nothing.
      expect(await directory.grantsFor(ids.u2, ['UNUSED'])).toEqual({ grants: [], groups: ['unused'] });
      expect(await directory.grantsFor(ids.u2, [])).toEqual({ grants: [], groups: [] });
      expect(await directory.grantsFor('not-a-uuid', ['a-team'])).toEqual({ grants: [{ projectId: ids.P, role: 'viewer', groupId: a.id, groupName: 'a-team' }], groups: ['a-team'] });
    });
  });

  describe('reviewer groups of approval policies', () => {
    let approvals: ApprovalService;
    const replace = (): GateInput => ({
      action: ApprovalAction.DEPLOYMENT_REPLACE_VERSION,
      projectId: ids.P,
      production: true,
      targetType: 'Deployment',
      targetId: 'fraud-scorer',
      payload: { version: 4 },
      summary: 'Serve version 4 of fraud-scorer',
    });
    async function pending() {
      const gated = await approvals.gate(callers.author, replace());
      if (!gated.required) throw new Error('expected the gate to require approval');
      return gated.request;
    }

    beforeEach(() => {
      approvals = new ApprovalService(db.dataSource, { enqueue: async () => 'job' }, { maxPageSize: 10, logger: silentLogger() });
    });

    it('only members of the group review, with the role; the author never does', async () => {
      const reviewers = await group('prod-approvers', [ids.r2, ids.author, ids.viewer]);
      const { policy } = await approvals.createPolicy(callers.admin, { actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'ml-engineer', reviewerGroupId: reviewers.id });
      expect(policy).toMatchObject({ reviewerGroupId: reviewers.id });

      const request = await pending();
      expect(request).toMatchObject({ reviewerRole: 'ml-engineer', reviewerGroupId: reviewers.id, reviewerGroupName: 'prod-approvers' });

      const outsider = await caught(approvals.review(callers.r1, { requestId: request.id, decision: 'APPROVE' }));
      expect(outsider).toMatchObject({ code: ApprovalErrorCode.REVIEWER_GROUP_REQUIRED, kind: 'FORBIDDEN' });
      expect(outsider.message).toBe(
        'Reviewing this change request needs membership of group "prod-approvers", and you are not a member. Ask a member of that group to review it, or a platform admin to add you to the group.',
      );
      // Platform admins need the group too; the role is still needed (viewer is in the group).
      expect((await caught(approvals.review(callers.admin, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.REVIEWER_GROUP_REQUIRED);
      expect((await caught(approvals.review(callers.viewer, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.REVIEWER_ROLE_REQUIRED);
      expect((await caught(approvals.review(callers.author, { requestId: request.id, decision: 'APPROVE' }))).code).toBe(ApprovalErrorCode.SELF_REVIEW);
      expect(await approvals.reviews(callers.author, request.id)).toEqual([]);

      expect(await approvals.review(callers.r2, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED', approvalCount: 1 });
    });

    it('checks membership when reviewing, not when the request was made', async () => {
      const reviewers = await group('prod-approvers', [ids.r2]);
      await approvals.createPolicy(callers.admin, { actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'ml-engineer', reviewerGroupId: reviewers.id });
      const request = await pending();
      await groups.removeMember(callers.admin, reviewers.id, ids.r2);
      await groups.addMember(callers.admin, reviewers.id, ids.r1);
      expect((await caught(approvals.review(callers.r2, { requestId: request.id, decision: 'REJECT', comment: 'no' }))).code).toBe(ApprovalErrorCode.REVIEWER_GROUP_REQUIRED);
      expect(await approvals.review(callers.r1, { requestId: request.id, decision: 'APPROVE' })).toMatchObject({ status: 'APPROVED' });
    });

    it('a group named by a policy or a pending request cannot be deleted; decided requests keep its name', async () => {
      const reviewers = await group('prod-approvers', [ids.r2]);
      const { policy } = await approvals.createPolicy(callers.admin, { actions: ['deployment.replace-version'], requiredApprovals: 1, reviewerRole: 'ml-engineer', reviewerGroupId: reviewers.id });
      const request = await pending();

      const byPolicy = await caught(groups.deleteGroup(callers.admin, reviewers.id));
      expect(byPolicy).toMatchObject({ code: GroupErrorCode.GROUP_IN_USE, kind: 'CONFLICT' });
      expect(byPolicy.message).toBe(
        'Group "prod-approvers" cannot be deleted: it is the reviewer group of one or more approval policies; delete those policies (or create them again without the group) first.',
      );
      await approvals.deletePolicy(callers.admin, policy!.id);
      const byRequest = await caught(groups.deleteGroup(callers.admin, reviewers.id));
      expect(byRequest.code).toBe(GroupErrorCode.GROUP_IN_USE);
      expect(byRequest.message).toMatch(/^Group "prod-approvers" cannot be deleted: it must review one or more pending change requests; .*cancel them, then try again\.$/);
      expect(await count('group_members', 'group_id = $1', [reviewers.id])).toBe(1);

      await approvals.cancel(callers.author, request.id);
      expect(await groups.deleteGroup(callers.admin, reviewers.id)).toBe(true);
      expect(await approvals.get(callers.author, request.id)).toMatchObject({ status: 'CANCELLED', reviewerGroupId: null, reviewerGroupName: 'prod-approvers' });
    });
  });
});
