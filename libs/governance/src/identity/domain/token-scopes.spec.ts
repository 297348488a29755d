import { createMongoAbility } from '@casl/ability';
import { asSubject, defineAbilityFor, type Action, type AppAbility, type SubjectType } from '../../domain/ability';
import { GovernanceError, GovernanceErrorCode } from '../../domain/governance.errors';
import type { Principal } from '../../domain/principal';
import { PROJECT_ROLES, type ProjectRole } from '../../domain/roles';
import { DEFAULT_TOKEN_SCOPES, scopeRules, TOKEN_SCOPES, validateScopes, type TokenScope } from './token-scopes';

/** A caller's ability cut down to its token's scopes, as PolicyService builds it (rule by rule, with scopeRules). */
function abilityWithScopes(principal: Principal, scopes: readonly TokenScope[] | null): AppAbility {
  const ability = defineAbilityFor(principal);
  return scopes ? createMongoAbility<AppAbility>(scopeRules(scopes)(ability.rules)) : ability;
}

const OWN = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const SOMEONE = 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb';

type Concrete = Exclude<SubjectType, 'all'>;
const ACTIONS: readonly Action[] = ['manage', 'read', 'create', 'update', 'delete', 'predict', 'register'];
const SUBJECTS: readonly Concrete[] = ['Project', 'Membership', 'User', 'ApiToken', 'Model', 'ModelVersion', 'ModelAlias', 'Upload', 'Deployment', 'Prediction', 'Plugin'];

/**
 * What each scope lets through, written out by hand from the product rules (not derived from
 * TOKEN_SCOPE_GRANTS), so a change to the table must change this too.
 */
const SCOPE_ALLOWS: Record<TokenScope, (action: Action, subject: Concrete) => boolean> = {
  admin: () => true,
  read: (action) => action === 'read',
  predict: (action, subject) => subject === 'Deployment' && (action === 'predict' || action === 'read'),
  deploy: (action, subject) => action === 'read' || (subject === 'Deployment' && ['create', 'update', 'delete'].includes(action)),
  'registry:write': (action, subject) =>
    action === 'read' ||
    (['Model', 'ModelVersion', 'ModelAlias'].includes(subject) && ['create', 'update', 'delete'].includes(action)) ||
    (subject === 'Upload' && action === 'create'),
};

function principal(memberships: [string, ProjectRole][], isPlatformAdmin = false): Principal {
  return { userId: ME, userName: 'me', isPlatformAdmin, tokenId: 'token-1', memberships: new Map(memberships) };
}

const PRINCIPALS: { who: string; principal: Principal }[] = [
  ...PROJECT_ROLES.map((role) => ({ who: `${role} of a project`, principal: principal([[OWN, role]]) })),
  { who: 'a user without projects', principal: principal([]) },
  { who: 'a platform admin', principal: principal([], true) },
];

/** The objects each subject is checked on: mine and someone else's, in my project and another. */
function objectsOf(subject: Concrete): Record<string, unknown>[] {
  switch (subject) {
    case 'Project':
      return [{ id: OWN }, { id: OTHER }];
    case 'User':
      return [{ id: ME }, { id: SOMEONE }];
    case 'ApiToken':
      return [{ userId: ME }, { userId: SOMEONE }];
    case 'Plugin':
      return [{ id: 'onnx' }];
    default:
      return [{ projectId: OWN }, { projectId: OTHER }];
  }
}

/** Every check, object-level and type-level, where the combined ability and role AND scope disagree. */
function disagreements(role: AppAbility, combined: AppAbility, allows: (action: Action, subject: Concrete) => boolean): string[] {
  const out: string[] = [];
  for (const subject of SUBJECTS) {
    for (const action of ACTIONS) {
      const expectedType = role.can(action, subject) && allows(action, subject);
      if (combined.can(action, subject) !== expectedType) out.push(`${action} ${subject} (type-level): expected ${expectedType}`);
      for (const object of objectsOf(subject)) {
        const expected = role.can(action, asSubject(subject, object)) && allows(action, subject);
        if (combined.can(action, asSubject(subject, object)) !== expected) out.push(`${action} ${subject} ${JSON.stringify(object)}: expected ${expected}`);
      }
    }
  }
  return out;
}

describe('scoped abilities', () => {
  const single = TOKEN_SCOPES.flatMap((scope) => PRINCIPALS.map(({ who, principal: p }) => ({ scope, who, p })));

  it.each(single)('$scope token of $who: every action × subject is allowed iff the role AND the scope allow it', ({ scope, p }) => {
    const role = defineAbilityFor(p);
    const combined = abilityWithScopes(p, [scope]);
    expect(disagreements(role, combined, SCOPE_ALLOWS[scope])).toEqual([]);
  });

  it('several scopes allow what any one of them allows (every combination)', () => {
    const subsets = Array.from({ length: 2 ** TOKEN_SCOPES.length - 1 }, (_, i) => TOKEN_SCOPES.filter((_, bit) => ((i + 1) >> bit) & 1));
    expect(subsets).toHaveLength(31);
    for (const scopes of subsets) {
      for (const { principal: p } of PRINCIPALS) {
        const allows = (action: Action, subject: Concrete) => scopes.some((s) => SCOPE_ALLOWS[s](action, subject));
        expect([scopes.join('+'), ...disagreements(defineAbilityFor(p), abilityWithScopes(p, scopes), allows)]).toEqual([scopes.join('+')]);
      }
    }
  });

  it('a predict token of a project admin predicts and reads deployments, and nothing else', () => {
    const combined = abilityWithScopes(principal([[OWN, 'admin']]), ['predict']);
    expect(combined.can('predict', asSubject('Deployment', { projectId: OWN }))).toBe(true);
    expect(combined.can('read', asSubject('Deployment', { projectId: OWN }))).toBe(true);
    expect(combined.can('predict', asSubject('Deployment', { projectId: OTHER }))).toBe(false);
    expect(combined.can('create', asSubject('Model', { projectId: OWN }))).toBe(false);
    expect(combined.can('read', asSubject('Model', { projectId: OWN }))).toBe(false);
    for (const action of ['create', 'update', 'delete', 'manage'] as const) {
      expect(combined.can(action, asSubject('Membership', { projectId: OWN }))).toBe(false);
    }
    expect(combined.can('update', asSubject('Project', { id: OWN }))).toBe(false);
    expect(combined.can('create', asSubject('ApiToken', { userId: ME }))).toBe(false);
    // Without the scope the same user may do all of it.
    const unscoped = defineAbilityFor(principal([[OWN, 'admin']]));
    expect(unscoped.can('create', asSubject('Model', { projectId: OWN }))).toBe(true);
    expect(unscoped.can('update', asSubject('Membership', { projectId: OWN }))).toBe(true);
  });

  it('only admin tokens may create or revoke tokens, so a scoped token cannot mint a broader one', () => {
    const p = principal([[OWN, 'admin']]);
    for (const scope of TOKEN_SCOPES) {
      const ability = abilityWithScopes(p, [scope]);
      expect([scope, ability.can('create', asSubject('ApiToken', { userId: ME })), ability.can('update', asSubject('ApiToken', { userId: ME }))]).toEqual([
        scope,
        scope === 'admin',
        scope === 'admin',
      ]);
    }
  });

  it('never grants beyond the role: a deploy token of a viewer still cannot deploy', () => {
    const ability = abilityWithScopes(principal([[OWN, 'viewer']]), ['deploy']);
    expect(ability.can('create', asSubject('Deployment', { projectId: OWN }))).toBe(false);
    expect(ability.can('read', asSubject('Deployment', { projectId: OWN }))).toBe(true);
  });

  it('no scopes (JWT sign-in, tokens from before scopes) and admin leave the ability as it is', () => {
    const p = principal([[OWN, 'ml-engineer']]);
    expect(abilityWithScopes(p, null).rules).toEqual(defineAbilityFor(p).rules);
    expect(abilityWithScopes(p, ['admin']).rules).toEqual(defineAbilityFor(p).rules);
    expect(abilityWithScopes(p, ['admin', 'predict']).rules).toEqual(defineAbilityFor(p).rules);
  });
});

describe('scopeRules on other rule sources (policies as data)', () => {
  const rules = [
    { action: 'manage', subject: 'Deployment', conditions: { projectId: OWN } },
    { action: 'delete', subject: 'Deployment', conditions: { production: true }, inverted: true, reason: 'production is frozen' },
    { action: ['read', 'update'], subject: ['Model', 'ModelAlias'], conditions: { projectId: OWN }, fields: ['description'] },
  ];
  const build = (scopes: TokenScope[]) => createMongoAbility<AppAbility>(scopeRules(scopes)(rules) as AppAbility['rules']);

  it('keeps cannot rules, conditions and fields', () => {
    const ability = build(['deploy']);
    expect(ability.can('delete', asSubject('Deployment', { projectId: OWN, production: false }))).toBe(true);
    expect(ability.can('delete', asSubject('Deployment', { projectId: OWN, production: true }))).toBe(false);
    expect(ability.relevantRuleFor('delete', asSubject('Deployment', { projectId: OWN, production: true }))?.reason).toBe('production is frozen');
    expect(ability.can('delete', asSubject('Deployment', { projectId: OTHER, production: false }))).toBe(false);
    expect(ability.can('read', asSubject('Model', { projectId: OWN }), 'description')).toBe(true);
    expect(ability.can('read', asSubject('Model', { projectId: OWN }), 'name')).toBe(false);
    expect(ability.can('update', asSubject('Model', { projectId: OWN }), 'description')).toBe(false);
  });

  it('cuts a manage rule down to the scope’s actions, so a manage check fails unless the scope is admin', () => {
    expect(build(['predict']).can('manage', asSubject('Deployment', { projectId: OWN }))).toBe(false);
    expect(build(['predict']).can('predict', asSubject('Deployment', { projectId: OWN }))).toBe(true);
    expect(build(['admin']).can('manage', asSubject('Deployment', { projectId: OWN }))).toBe(true);
  });

  it('does not change its input and is idempotent', () => {
    const before = JSON.stringify(rules);
    const once = scopeRules(['registry:write'])(rules);
    expect(JSON.stringify(rules)).toBe(before);
    expect(scopeRules(['registry:write'])(once)).toEqual(once);
  });
});

describe('validateScopes', () => {
  it('returns known scopes once each, in a stable order', () => {
    expect(validateScopes(['registry:write', 'predict', 'predict'])).toEqual(['predict', 'registry:write']);
    expect(validateScopes([...DEFAULT_TOKEN_SCOPES])).toEqual(['admin']);
  });

  it('refuses an unknown scope, listing the known ones', () => {
    let error: unknown;
    try {
      validateScopes(['predict', 'Registry:Write', 'write']);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(GovernanceError);
    const e = error as GovernanceError;
    expect(e.kind).toBe('BAD_USER_INPUT');
    expect(e.code).toBe(GovernanceErrorCode.INVALID_ROLE);
    expect(e.message).toBe('Unknown token scopes "Registry:Write", "write"; the known scopes are admin, read, predict, deploy, registry:write.');
    expect(e.details).toEqual({ field: 'scopes', unknown: ['Registry:Write', 'write'], known: [...TOKEN_SCOPES] });
  });

  it('refuses an empty list and non-strings', () => {
    expect(() => validateScopes([])).toThrow('A token needs at least one scope; use one or more of admin, read, predict, deploy, registry:write.');
    expect(() => validateScopes([42])).toThrow(/^Unknown token scope 42; /);
  });
});
