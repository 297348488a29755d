import { asSubject } from '../../domain/ability';
import { createPolicyAbility } from './policy-ability';
import { PolicyError, PolicyErrorCode } from './policy.errors';
import { byPrecedence, resolveConditions, scopeToProject, toRawRule, validateRule, type PolicyRule, type PolicyRuleInput } from './policy-rules';

const P = '11111111-1111-4111-8111-111111111111';
const Q = '22222222-2222-4222-8222-222222222222';
const ME = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const base: PolicyRuleInput = { role: 'data-scientist', effect: 'can', actions: ['create'], subject: 'Deployment' };

function problems(input: Partial<PolicyRuleInput> & Record<string, unknown>): string[] {
  try {
    validateRule({ ...base, ...input } as PolicyRuleInput);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    expect(err.code).toBe(PolicyErrorCode.INVALID_POLICY_RULE);
    expect(err.kind).toBe('BAD_USER_INPUT');
    return err.details['problems'] as string[];
  }
  throw new Error('expected INVALID_POLICY_RULE, nothing was thrown');
}

describe('validateRule', () => {
  it('accepts and normalises a rule', () => {
    expect(
      validateRule({ ...base, actions: ['create', 'update', 'create'], conditions: { production: false }, reason: '  no prod  ', fields: ['name', 'name'] }),
    ).toEqual({
      role: 'data-scientist',
      projectId: null,
      effect: 'can',
      actions: ['create', 'update'],
      subject: 'Deployment',
      fields: ['name'],
      conditions: { production: false },
      reason: 'no prod',
      priority: 0,
    });
    expect(validateRule({ ...base, conditions: {} }).conditions).toBeNull();
  });

  it('names unknown roles, effects, actions and subjects and lists what is allowed', () => {
    expect(problems({ role: 'owner', effect: 'may', actions: ['deploy', 'read'], subject: 'Cluster' })).toEqual([
      'role: "owner" is not a project role; roles: admin, ml-engineer, data-scientist, viewer',
      'effect: "may" is not one of can, cannot',
      'actions: "deploy" is not an action; actions: manage, read, create, update, delete, predict, register',
      'subject: "Cluster" is not a subject rules can govern; subjects: Project, Membership, Model, ModelVersion, ModelAlias, Upload, Deployment, Prediction',
    ]);
    expect(problems({ actions: [] })).toEqual(['actions: list at least one of manage, read, create, update, delete, predict, register']);
    expect(problems({ subject: 'User' })[0]).toMatch(/^subject: "User" is not a subject rules can govern/);
  });

  it('names unknown fields, in `fields` and in conditions', () => {
    expect(problems({ subject: 'Prediction', fields: ['inputs', 'secret'] })).toEqual([
      expect.stringMatching(/^fields: "secret" is not a field of Prediction; fields: id, projectId, .*inputs, outputs, parameters$/),
    ]);
    expect(problems({ conditions: { owner: ME } })).toEqual([
      expect.stringMatching(/^conditions\.owner: unknown field "owner"; known fields of Deployment: id, projectId, name, .*runtimeConfig\.<key>, .*production/),
    ]);
    expect(problems({ subject: 'Prediction', conditions: { inputs: null } })).toEqual([
      expect.stringContaining('"inputs" of Prediction cannot be tested in conditions (it can only be hidden with "fields")'),
    ]);
  });

  it('names unsupported operators and lists the supported ones', () => {
    expect(problems({ conditions: { name: { $regex: '^prod' } } })).toEqual([
      'conditions.name.$regex: the operator "$regex" is not supported; supported operators on a field: $eq, $ne, $in, $nin, $gt, $gte, $lt, $lte, $not',
    ]);
    expect(problems({ conditions: { $where: 'x' } })[0]).toContain('"$where" is not supported at the top of a condition; allowed there: $and, $or, $nor');
    expect(problems({ conditions: { production: { $gt: false } } })).toEqual([
      'conditions.production.$gt: "$gt" compares integer and text fields only; "production" is boolean (use $eq, $ne, $in or $nin)',
    ]);
    expect(problems({ conditions: { $or: [] } })).toEqual(['conditions.$or: "$or" needs a non-empty list of conditions']);
    expect(problems({ conditions: { name: { $not: 'x' } } })[0]).toContain('"$not" needs an object of operators');
    expect(problems({ conditions: { name: { value: 'x' } } })[0]).toContain('an object value must hold only operators');
    expect(problems({ conditions: { name: ['a', 'b'] } })[0]).toContain('to match any of several values write { "$in": [...] }');
  });

  it('checks values against the field types', () => {
    expect(problems({ conditions: { production: 'no', revision: 1.5, projectId: 'P-1', name: 3 } })).toEqual([
      'conditions.production: "no" is not true or false',
      'conditions.revision: 1.5 is not an integer',
      expect.stringContaining('conditions.projectId: "P-1" is not a UUID'),
      'conditions.name: 3 is not text (expected a string)',
    ]);
    expect(problems({ conditions: { projectId: ME.toUpperCase() } })).toEqual([`conditions.projectId: write the UUID "${ME.toUpperCase()}" in lower case`]);
    expect(problems({ conditions: { revision: { $lt: null } } })).toEqual(['conditions.revision.$lt: "$lt" cannot compare with null']);
    expect(problems({ conditions: { 'runtimeConfig.threads': { $gt: 2 } } })[0]).toContain('"runtimeConfig.threads" is a value inside a JSON field');
  });

  it('rejects malformed and unknown placeholders, and placeholders of the wrong type or place', () => {
    expect(problems({ conditions: { createdBy: 'user-${caller.userId}' } })[0]).toContain('is a malformed placeholder: a placeholder must be the whole value');
    expect(problems({ conditions: { createdBy: '${caller.email}' } })).toEqual([
      'conditions.createdBy: "${caller.email}" is an unknown placeholder; known placeholders: "${caller.userId}", "${caller.userName}", "${caller.projectIds}", "${project.id}"',
    ]);
    expect(problems({ conditions: { createdBy: '${caller.userName}' } })[0]).toContain("is the caller's user name (text) and cannot be compared with a uuid field");
    expect(problems({ conditions: { revision: { $gt: '${caller.userId}' } } })[0]).toContain('cannot be compared with a integer field');
    expect(problems({ conditions: { projectId: { $eq: '${caller.projectIds}' } } })[0]).toContain('is a list of values: use $in');
    expect(problems({ conditions: { projectId: { $in: ['${caller.projectIds}'] } } })[0]).toContain('is a list of values: not in a list');
  });

  it('checks projectId, reason and priority', () => {
    expect(problems({ projectId: 'p1', reason: 'x'.repeat(501), priority: 1.5 })).toEqual([
      'projectId: "p1" is not a lower-case project UUID (or null for the platform-wide default)',
      'reason: 501 characters; at most 500',
      'priority: 1.5 is not an integer from -1000 to 1000',
    ]);
  });

  it('bounds the size and depth of conditions', () => {
    expect(problems({ conditions: { name: { $in: Array.from({ length: 400 }, (_, i) => `name-${i}`) } } })[0]).toMatch(/^conditions: \d+ bytes of JSON; at most 4096$/);
    let deep: Record<string, unknown> = { production: false };
    for (let i = 0; i < 10; i++) deep = { $or: [deep] };
    expect(problems({ conditions: deep })[0]).toContain('conditions nest deeper than 8 levels');
  });
});

describe('from a stored rule to a CASL rule', () => {
  const values = { userId: ME, userName: 'me', projectIds: [P, Q], projectId: P };

  it('resolves placeholders; a list placeholder as a value means "any of"', () => {
    expect(
      resolveConditions(
        {
          createdBy: '${caller.userId}',
          name: { $ne: '${caller.userName}' },
          projectId: '${caller.projectIds}',
          modelId: { $nin: '${caller.projectIds}', $not: { $in: ['${project.id}', Q] } },
          $or: [{ state: '${caller.userName}' }],
        },
        values,
      ),
    ).toEqual({
      createdBy: ME,
      name: { $ne: 'me' },
      projectId: { $in: [P, Q] },
      modelId: { $nin: [P, Q], $not: { $in: [P, Q] } },
      $or: [{ state: 'me' }],
    });
  });

  it('scopes to the project by the subject’s project attribute, keeping a condition on it', () => {
    expect(scopeToProject('Deployment', P, null)).toEqual({ projectId: P });
    expect(scopeToProject('Project', P, null)).toEqual({ id: P });
    expect(scopeToProject('Deployment', P, { production: false })).toEqual({ projectId: P, production: false });
    expect(scopeToProject('Deployment', P, { projectId: Q })).toEqual({ $and: [{ projectId: P }, { projectId: Q }] });
  });

  it('builds the production example: data scientists create deployments only in their project and not production ones', () => {
    const rule = validateRule({ ...base, actions: ['create', 'update'], conditions: { production: false } });
    const ability = createPolicyAbility([toRawRule(rule, P, values)]);
    expect(ability.can('create', asSubject('Deployment', { projectId: P, production: false }))).toBe(true);
    expect(ability.can('update', asSubject('Deployment', { projectId: P, production: false }))).toBe(true);
    expect(ability.can('create', asSubject('Deployment', { projectId: P, production: true }))).toBe(false);
    expect(ability.can('create', asSubject('Deployment', { projectId: Q, production: false }))).toBe(false);
    expect(ability.can('delete', asSubject('Deployment', { projectId: P, production: false }))).toBe(false);
  });

  it('keeps fields and the reason; cannot rules are inverted', () => {
    const rule = validateRule({ role: 'viewer', effect: 'cannot', actions: ['read'], subject: 'Prediction', fields: ['inputs', 'outputs'], reason: 'payloads are private' });
    expect(toRawRule(rule, P, values)).toEqual({
      action: ['read'],
      subject: 'Prediction',
      conditions: { projectId: P },
      inverted: true,
      fields: ['inputs', 'outputs'],
      reason: 'payloads are private',
    });
  });
});

describe('byPrecedence', () => {
  const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);
  const rule = (id: string, over: Partial<PolicyRule>): PolicyRule => ({
    id,
    role: 'viewer',
    projectId: null,
    effect: 'can',
    actions: ['read'],
    subject: 'Model',
    fields: null,
    conditions: null,
    reason: '',
    priority: 0,
    createdBy: null,
    createdAt: at(0),
    updatedAt: at(0),
    ...over,
  });

  it('orders defaults before overrides, then by priority, cannot after can at a tie, then by age and id', () => {
    const rules = [
      rule('override-low', { projectId: P, priority: -5 }),
      rule('default-high', { priority: 10 }),
      rule('default-cannot', { effect: 'cannot' }),
      rule('default-can-new', { createdAt: at(5) }),
      rule('default-can-b', {}),
      rule('default-can-a', {}),
    ];
    expect(rules.sort(byPrecedence).map((r) => r.id)).toEqual(['default-can-a', 'default-can-b', 'default-can-new', 'default-cannot', 'default-high', 'override-low']);
  });
});
