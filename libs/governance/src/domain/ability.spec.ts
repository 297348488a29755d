import { type Action, asSubject, assertCan, defineAbilityFor, projectsWhere, type SubjectType } from './ability';
import { GovernanceError, GovernanceErrorCode } from './governance.errors';
import type { Principal } from './principal';
import { PROJECT_ROLES, type ProjectRole } from './roles';

const OWN = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const SOMEONE = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

function principal(memberships: [string, ProjectRole][], isPlatformAdmin = false): Principal {
  return { userId: ME, userName: 'me', isPlatformAdmin, tokenId: 'token-1', memberships: new Map(memberships) };
}

type ProjectScoped = Exclude<SubjectType, 'all' | 'Project' | 'User' | 'ApiToken' | 'Plugin'>;
const ACTIONS: readonly Action[] = ['read', 'create', 'update', 'delete', 'manage', 'predict', 'register'];
const SCOPED: readonly ProjectScoped[] = ['Model', 'ModelVersion', 'ModelAlias', 'Upload', 'Membership', 'Deployment', 'Prediction'];
const RANK: Record<ProjectRole, number> = { viewer: 0, 'data-scientist': 1, 'ml-engineer': 2, admin: 3 };

/**
 * The lowest role that may do each action on each project-scoped subject
 * (null: no project role may). Written out by hand from the product rules, so
 * a change to the rules must change this table too.
 */
const LOWEST_ROLE: Record<ProjectScoped, Record<Action, ProjectRole | null>> = {
  Model: { manage: null, read: 'viewer', create: 'data-scientist', update: 'data-scientist', delete: 'ml-engineer', predict: null, register: null },
  ModelVersion: { manage: null, read: 'viewer', create: 'data-scientist', update: 'data-scientist', delete: 'ml-engineer', predict: null, register: null },
  ModelAlias: { manage: null, read: 'viewer', create: 'ml-engineer', update: 'ml-engineer', delete: 'ml-engineer', predict: null, register: null },
  Upload: { manage: null, read: 'data-scientist', create: 'data-scientist', update: null, delete: null, predict: null, register: null },
  Membership: { manage: 'admin', read: 'viewer', create: 'admin', update: 'admin', delete: 'admin', predict: 'admin', register: 'admin' },
  Deployment: { manage: null, read: 'viewer', create: 'ml-engineer', update: 'ml-engineer', delete: 'ml-engineer', predict: 'data-scientist', register: null },
  Prediction: { manage: null, read: 'viewer', create: null, update: null, delete: null, predict: null, register: null },
};

const cases = PROJECT_ROLES.flatMap((role) =>
  SCOPED.flatMap((subject) =>
    ACTIONS.map((action) => {
      const lowest = LOWEST_ROLE[subject][action];
      return { role, subject, action, allowed: lowest !== null && RANK[role] >= RANK[lowest] };
    }),
  ),
);

describe('project roles', () => {
  it.each(cases)('$role: $action $subject in own project → $allowed; in another project → false', ({ role, subject, action, allowed }) => {
    const ability = defineAbilityFor(principal([[OWN, role]]));
    expect(ability.can(action, asSubject(subject, { projectId: OWN }))).toBe(allowed);
    expect(ability.can(action, asSubject(subject, { projectId: OTHER }))).toBe(false);
  });

  it('covers every role, and roles are cumulative', () => {
    expect([...PROJECT_ROLES].sort()).toEqual(Object.keys(RANK).sort());
    const allowedBy = (role: ProjectRole) => cases.filter((c) => c.role === role && c.allowed).map((c) => `${c.action} ${c.subject}`);
    const ordered = (Object.keys(RANK) as ProjectRole[]).sort((a, b) => RANK[a] - RANK[b]);
    for (let i = 1; i < ordered.length; i++) {
      const lower = allowedBy(ordered[i - 1]!);
      const higher = allowedBy(ordered[i]!);
      expect(higher).toEqual(expect.arrayContaining(lower));
      expect(higher.length).toBeGreaterThan(lower.length);
    }
  });

  it.each(PROJECT_ROLES.map((role) => ({ role, canUpdate: role === 'admin' })))(
    '$role reads its project (update: $canUpdate), never deletes it, never sees another',
    ({ role, canUpdate }) => {
      const ability = defineAbilityFor(principal([[OWN, role]]));
      expect(ability.can('read', asSubject('Project', { id: OWN }))).toBe(true);
      expect(ability.can('update', asSubject('Project', { id: OWN }))).toBe(canUpdate);
      expect(ability.can('delete', asSubject('Project', { id: OWN }))).toBe(false);
      for (const action of ACTIONS) expect(ability.can(action, asSubject('Project', { id: OTHER }))).toBe(false);
      expect(ability.can('create', 'Project')).toBe(false);
      expect(ability.can('create', 'User')).toBe(false);
    },
  );

  it('keeps each membership to its own project: admin in one, viewer in another', () => {
    const ability = defineAbilityFor(principal([[OWN, 'viewer'], [OTHER, 'admin']]));
    expect(ability.can('create', asSubject('Model', { projectId: OWN }))).toBe(false);
    expect(ability.can('create', asSubject('Membership', { projectId: OWN }))).toBe(false);
    expect(ability.can('update', asSubject('ModelAlias', { projectId: OWN }))).toBe(false);
    expect(ability.can('create', asSubject('Model', { projectId: OTHER }))).toBe(true);
    expect(ability.can('create', asSubject('Membership', { projectId: OTHER }))).toBe(true);
  });

  it('denies an object whose project is missing', () => {
    const ability = defineAbilityFor(principal([[OWN, 'admin']]));
    expect(ability.can('read', asSubject('Model', {}))).toBe(false);
    expect(ability.can('read', asSubject('Model', { projectId: null }))).toBe(false);
    expect(ability.can('read', asSubject('Project', {}))).toBe(false);
  });

  it('answers the type-level question (used by the guard) for any project the caller holds the permission in', () => {
    const viewer = defineAbilityFor(principal([[OWN, 'viewer']]));
    expect(viewer.can('read', 'Model')).toBe(true);
    expect(viewer.can('create', 'Model')).toBe(false);
    expect(viewer.can('update', 'ModelAlias')).toBe(false);
    const scientist = defineAbilityFor(principal([[OWN, 'data-scientist']]));
    expect(scientist.can('create', 'Model')).toBe(true);
    expect(scientist.can('update', 'ModelAlias')).toBe(false);
    const nobody = defineAbilityFor(principal([]));
    for (const subject of SCOPED) for (const action of ACTIONS) expect(nobody.can(action, subject)).toBe(false);
    expect(nobody.can('read', 'Project')).toBe(false);
  });
});

describe('users and API tokens', () => {
  it.each(PROJECT_ROLES)('a %s manages its own tokens and nobody else’s', (role) => {
    const ability = defineAbilityFor(principal([[OWN, role]]));
    for (const action of ACTIONS) {
      expect(ability.can(action, asSubject('ApiToken', { userId: ME }))).toBe(true);
      expect(ability.can(action, asSubject('ApiToken', { userId: SOMEONE }))).toBe(false);
    }
  });

  it('a user without any project still manages its own tokens and reads itself only', () => {
    const ability = defineAbilityFor(principal([]));
    expect(ability.can('create', asSubject('ApiToken', { userId: ME }))).toBe(true);
    expect(ability.can('read', asSubject('User', { id: ME }))).toBe(true);
    expect(ability.can('read', asSubject('User', { id: SOMEONE }))).toBe(false);
    expect(ability.can('update', asSubject('User', { id: ME }))).toBe(false);
    expect(ability.can('create', 'User')).toBe(false);
  });
});

describe('platform admin', () => {
  const ability = defineAbilityFor(principal([], true));

  it.each(SCOPED.flatMap((subject) => ACTIONS.map((action) => ({ subject, action }))))('may $action $subject in any project', ({ subject, action }) => {
    expect(ability.can(action, asSubject(subject, { projectId: OTHER }))).toBe(true);
  });

  it('creates users and projects, reads anyone, manages anyone’s tokens', () => {
    expect(ability.can('create', 'User')).toBe(true);
    expect(ability.can('create', 'Project')).toBe(true);
    expect(ability.can('delete', asSubject('Project', { id: OTHER }))).toBe(true);
    expect(ability.can('read', asSubject('User', { id: SOMEONE }))).toBe(true);
    expect(ability.can('update', asSubject('ApiToken', { userId: SOMEONE }))).toBe(true);
  });

  it('sees every project (projectsWhere is null, not a list)', () => {
    expect(projectsWhere(principal([], true), ability, 'read', 'Model')).toBeNull();
  });
});

describe('projectsWhere', () => {
  it('lists exactly the projects where the caller may act', () => {
    const THIRD = '33333333-3333-4333-8333-333333333333';
    const p = principal([[OWN, 'viewer'], [OTHER, 'data-scientist'], [THIRD, 'ml-engineer']]);
    const ability = defineAbilityFor(p);
    expect(projectsWhere(p, ability, 'read', 'Model')!.sort()).toEqual([OWN, OTHER, THIRD].sort());
    expect(projectsWhere(p, ability, 'create', 'Upload')!.sort()).toEqual([OTHER, THIRD].sort());
    expect(projectsWhere(p, ability, 'update', 'ModelAlias')).toEqual([THIRD]);
    expect(projectsWhere(p, ability, 'create', 'Membership')).toEqual([]);
  });

  it('lists the projects a member may read or update (Project is matched on its id)', () => {
    const p = principal([[OWN, 'viewer'], [OTHER, 'admin']]);
    const ability = defineAbilityFor(p);
    expect(projectsWhere(p, ability, 'read', 'Project')!.sort()).toEqual([OWN, OTHER].sort());
    expect(projectsWhere(p, ability, 'update', 'Project')).toEqual([OTHER]);
  });

  it('is empty for a caller without projects', () => {
    const p = principal([]);
    expect(projectsWhere(p, defineAbilityFor(p), 'read', 'Model')).toEqual([]);
  });
});

describe('assertCan', () => {
  const ability = defineAbilityFor(principal([[OWN, 'viewer']]));

  it('passes when allowed', () => {
    expect(() => assertCan(ability, 'read', 'Model', { projectId: OWN })).not.toThrow();
  });

  it('throws FORBIDDEN naming the action, subject and project, and what to do', () => {
    let error: unknown;
    try {
      assertCan(ability, 'create', 'Model', { projectId: OWN });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GovernanceError);
    const e = error as GovernanceError;
    expect(e.code).toBe(GovernanceErrorCode.FORBIDDEN);
    expect(e.kind).toBe('FORBIDDEN');
    expect(e.message).toBe(`You may not create Model in project ${OWN}. Ask an admin of the project for a role that allows it.`);
    expect(e.details).toEqual({ action: 'create', subject: 'Model' });
  });

  it('checks the exact object, not just the type', () => {
    expect(() => assertCan(ability, 'read', 'Model', { projectId: OTHER })).toThrow(GovernanceError);
    expect(() => assertCan(ability, 'read', 'Model')).not.toThrow();
    expect(() => assertCan(ability, 'create', 'User')).toThrow(/^You may not create User\. /);
  });
});

describe('plugins', () => {
  it('every caller may list plugins; only platform admins may register one', () => {
    for (const role of PROJECT_ROLES) {
      const ability = defineAbilityFor(principal([[OWN, role]]));
      expect(ability.can('read', 'Plugin')).toBe(true);
      expect(ability.can('register', 'Plugin')).toBe(false);
    }
    expect(defineAbilityFor(principal([])).can('read', 'Plugin')).toBe(true);
    expect(defineAbilityFor(principal([], true)).can('register', 'Plugin')).toBe(true);
  });
});
