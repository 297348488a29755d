import { randomUUID } from 'node:crypto';
import { permittedFieldsOf } from '@casl/ability/extra';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { capturingLogger, silentLogger } from '@modelport/observability';
import { createTestDatabase, type TestDatabase, caught } from '@modelport/testing';
import { asSubject, defineAbilityFor, type Action, type SubjectType } from '../../domain/ability';
import type { Principal } from '../../domain/principal';
import { PROJECT_ROLES, type ProjectRole } from '../../domain/roles';
import { governanceMigrations } from '../../persistence';
import { policyEntities } from '../persistence';
import { policyFieldMap } from './policy-catalogue';
import { PolicyErrorCode } from './policy.errors';
import type { PolicyRuleInput } from './policy-rules';
import { PolicyService } from './policy.service';
import { whereFromAbility } from './where-from-ability';

/** A deployments-shaped table, to check list filtering end to end with the catalogue's field map. */
class PolicyDeploymentsTestTable1700000000002 implements MigrationInterface {
  name = 'PolicyDeploymentsTestTable1700000000002';
  async up(q: QueryRunner): Promise<void> {
    await q.query('CREATE TABLE policy_test_deployments (id integer PRIMARY KEY, project_id uuid NOT NULL, production boolean NOT NULL, created_by uuid NOT NULL)');
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE policy_test_deployments');
  }
}

const ACTIONS: readonly Action[] = ['manage', 'read', 'create', 'update', 'delete', 'predict', 'register'];
const SUBJECTS: readonly Exclude<SubjectType, 'all'>[] = [
  'Project',
  'Membership',
  'User',
  'ApiToken',
  'Model',
  'ModelVersion',
  'ModelAlias',
  'Upload',
  'Deployment',
  'Prediction',
  'Plugin',
];

describe('PolicyService against PostgreSQL', () => {
  let db: TestDatabase;
  let service: PolicyService;
  let seedIds: string[];
  const ids = { root: '', alice: '', bob: '', carol: '', P: '', Q: '', R: '' };

  const principal = (userId: string, memberships: [string, ProjectRole][], isPlatformAdmin = false): Principal => ({
    userId,
    userName: `user-${userId.slice(0, 4)}`,
    isPlatformAdmin,
    tokenId: 'token',
    memberships: new Map(memberships),
  });
  const root = () => principal(ids.root, [], true);
  const newService = (onReload?: (version: number) => void) => new PolicyService(db.dataSource, { logger: silentLogger(), onReload });
  const create = (input: PolicyRuleInput, actor = root()) => service.createRule(actor, input);

  async function user(name: string, isPlatformAdmin = false): Promise<string> {
    const rows: { id: string }[] = await db.dataSource.query('INSERT INTO users (name, name_key, is_platform_admin) VALUES ($1, $1, $2) RETURNING id', [name, isPlatformAdmin]);
    return rows[0]!.id;
  }
  async function project(name: string): Promise<string> {
    const rows: { id: string }[] = await db.dataSource.query('INSERT INTO projects (name, name_key, created_by) VALUES ($1, $1, $2) RETURNING id', [name, ids.root]);
    return rows[0]!.id;
  }

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [...policyEntities], migrations: [...governanceMigrations, PolicyDeploymentsTestTable1700000000002] });
    ids.root = await user('root', true);
    ids.alice = await user('alice');
    ids.bob = await user('bob');
    ids.carol = await user('carol');
    ids.P = await project('p');
    ids.Q = await project('q');
    ids.R = await project('r');
    seedIds = (await db.dataSource.query('SELECT id FROM policy_rules')).map((r: { id: string }) => r.id);
  });

  beforeEach(async () => {
    await db.dataSource.query('DELETE FROM policy_rules WHERE NOT (id = ANY($1::uuid[]))', [seedIds]);
    service = newService();
  });

  afterAll(async () => {
    await db?.drop();
  });

  describe('the seeded rules', () => {
    it('are today’s built-in roles as 31 platform-wide can rules, and one field rule hiding payloads from viewers', async () => {
      const rules = await service.listRules();
      expect(rules).toHaveLength(32);
      expect(rules.every((r) => r.projectId === null && r.conditions === null && r.createdBy === null)).toBe(true);
      expect(rules.filter((r) => r.effect === 'can')).toHaveLength(31);
      expect(rules.filter((r) => r.effect === 'cannot')).toEqual([
        expect.objectContaining({ role: 'viewer', actions: ['read'], subject: 'Prediction', fields: ['inputs', 'outputs', 'parameters'] }),
      ]);
      expect(await service.listRules({ role: 'viewer' })).toHaveLength(8);
    });

    const cases = PROJECT_ROLES.map((role) => ({ role }));
    it.each(cases)('give a $role exactly the ability defineAbilityFor gives: every action × subject, own and other project, and type-level', async ({ role }) => {
      const who = principal(ids.alice, [[ids.P, role]]);
      const fromData = await service.abilityFor(who);
      const fromCode = defineAbilityFor(who);
      let compared = 0;
      for (const subjectType of SUBJECTS) {
        for (const action of ACTIONS) {
          for (const projectId of [ids.P, ids.Q]) {
            for (const object of [{ projectId, id: projectId, userId: ids.alice }, { projectId, id: projectId, userId: ids.bob }]) {
              const expected = fromCode.can(action, asSubject(subjectType, object));
              expect([role, action, subjectType, projectId === ids.P ? 'own' : 'other', object.userId === ids.alice ? 'me' : 'someone', fromData.can(action, asSubject(subjectType, object))]).toEqual([
                role,
                action,
                subjectType,
                projectId === ids.P ? 'own' : 'other',
                object.userId === ids.alice ? 'me' : 'someone',
                expected,
              ]);
              compared++;
            }
          }
          expect([action, subjectType, fromData.can(action, subjectType)]).toEqual([action, subjectType, fromCode.can(action, subjectType)]);
        }
      }
      for (const action of ACTIONS) expect(fromData.can(action, 'all')).toBe(fromCode.can(action, 'all'));
      expect(compared).toBe(SUBJECTS.length * ACTIONS.length * 4);
    });

    it('match defineAbilityFor for a caller in several projects, a caller in none, and a platform admin', async () => {
      for (const who of [
        principal(ids.alice, [[ids.P, 'viewer'], [ids.Q, 'admin'], [ids.R, 'data-scientist']]),
        principal(ids.bob, []),
        principal(ids.root, [[ids.P, 'viewer']], true),
      ]) {
        const fromData = await service.abilityFor(who);
        const fromCode = defineAbilityFor(who);
        for (const subjectType of SUBJECTS) {
          for (const action of ACTIONS) {
            for (const projectId of [ids.P, ids.Q, ids.R, randomUUID()]) {
              const object = { projectId, id: projectId, userId: who.userId };
              expect(fromData.can(action, asSubject(subjectType, object))).toBe(fromCode.can(action, asSubject(subjectType, object)));
            }
          }
        }
      }
    });
  });

  it('keeps a project override in its project', async () => {
    await create({ role: 'data-scientist', projectId: ids.P, effect: 'can', actions: ['delete'], subject: 'Model', reason: 'P cleans up its own models' });
    const inBoth = await service.abilityFor(principal(ids.alice, [[ids.P, 'data-scientist'], [ids.Q, 'data-scientist']]));
    expect(inBoth.can('delete', asSubject('Model', { projectId: ids.P }))).toBe(true);
    expect(inBoth.can('delete', asSubject('Model', { projectId: ids.Q }))).toBe(false);
    const onlyQ = await service.abilityFor(principal(ids.bob, [[ids.Q, 'data-scientist']]));
    expect(onlyQ.can('delete', asSubject('Model', { projectId: ids.Q }))).toBe(false);
    expect(onlyQ.can('delete', 'Model')).toBe(false);
    // Another role in P is not affected either: rules are per role, not inherited.
    const viewerInP = await service.abilityFor(principal(ids.carol, [[ids.P, 'viewer']]));
    expect(viewerInP.can('delete', asSubject('Model', { projectId: ids.P }))).toBe(false);
  });

  it('lets a cannot rule win over a can: an override over the defaults, and at equal priority in one layer', async () => {
    await create({ role: 'ml-engineer', projectId: ids.P, effect: 'cannot', actions: ['delete', 'update'], subject: 'Deployment', conditions: { production: true }, reason: 'production changes go through approvals' });
    const engineer = await service.abilityFor(principal(ids.alice, [[ids.P, 'ml-engineer'], [ids.Q, 'ml-engineer']]));
    expect(engineer.can('delete', asSubject('Deployment', { projectId: ids.P, production: false }))).toBe(true);
    expect(engineer.can('delete', asSubject('Deployment', { projectId: ids.P, production: true }))).toBe(false);
    expect(engineer.can('update', asSubject('Deployment', { projectId: ids.P, production: true }))).toBe(false);
    expect(engineer.can('delete', asSubject('Deployment', { projectId: ids.Q, production: true }))).toBe(true);

    await create({ role: 'viewer', effect: 'can', actions: ['create'], subject: 'Upload', priority: 3 });
    await create({ role: 'viewer', effect: 'cannot', actions: ['create'], subject: 'Upload', priority: 3 });
    const viewer = await service.abilityFor(principal(ids.bob, [[ids.P, 'viewer']]));
    expect(viewer.can('create', asSubject('Upload', { projectId: ids.P }))).toBe(false);
    // A higher priority decides over a lower one, whatever the effect.
    await create({ role: 'viewer', effect: 'can', actions: ['create'], subject: 'Upload', priority: 4 });
    expect((await service.abilityFor(principal(ids.bob, [[ids.P, 'viewer']]))).can('create', asSubject('Upload', { projectId: ids.P }))).toBe(true);
  });

  it('enforces the production example in checks and in list queries', async () => {
    // Data scientists may deploy, only in their projects (automatic) and only to deployments not marked production.
    await create({ role: 'data-scientist', effect: 'can', actions: ['create', 'update'], subject: 'Deployment', conditions: { production: false }, reason: 'production is for ML engineers' });
    const scientist = principal(ids.alice, [[ids.P, 'data-scientist'], [ids.Q, 'viewer']]);
    const ability = await service.abilityFor(scientist);
    expect(ability.can('create', asSubject('Deployment', { projectId: ids.P, production: false }))).toBe(true);
    expect(ability.can('create', asSubject('Deployment', { projectId: ids.P, production: true }))).toBe(false);
    expect(ability.can('create', asSubject('Deployment', { projectId: ids.Q, production: false }))).toBe(false);
    expect(ability.can('create', asSubject('Deployment', { projectId: ids.R, production: false }))).toBe(false);
    expect(ability.can('create', 'Deployment')).toBe(true); // the guard's type-level question

    await db.dataSource.query('DELETE FROM policy_test_deployments');
    await db.dataSource.query(
      `INSERT INTO policy_test_deployments (id, project_id, production, created_by) VALUES
       (1, $1, false, $4), (2, $1, true, $4), (3, $2, false, $4), (4, $3, false, $4)`,
      [ids.P, ids.Q, ids.R, ids.bob],
    );
    const where = whereFromAbility(ability, 'update', 'Deployment', 'd', policyFieldMap('Deployment'));
    const rows: { id: number }[] = await db.dataSource
      .createQueryBuilder()
      .select('d.id', 'id')
      .from('policy_test_deployments', 'd')
      .where(where.sql, where.params)
      .orderBy('d.id')
      .getRawMany();
    expect(rows.map((r) => r.id)).toEqual([1]);
    const readable = whereFromAbility(ability, 'read', 'Deployment', 'd', policyFieldMap('Deployment'));
    const visible: { id: number }[] = await db.dataSource.createQueryBuilder().select('d.id', 'id').from('policy_test_deployments', 'd').where(readable.sql, readable.params).orderBy('d.id').getRawMany();
    expect(visible.map((r) => r.id)).toEqual([1, 2, 3]);
  });

  it('resolves caller placeholders when building the ability', async () => {
    await create({ role: 'viewer', effect: 'can', actions: ['update'], subject: 'Model', conditions: { ownerId: '${caller.userId}' }, reason: 'owners edit their models' });
    await create({ role: 'viewer', effect: 'can', actions: ['read'], subject: 'Upload', conditions: { projectId: { $in: '${caller.projectIds}' }, createdBy: '${caller.userId}' } });
    await create({ role: 'viewer', effect: 'cannot', actions: ['read'], subject: 'Model', conditions: { name: '${caller.userName}' } });
    const alice = principal(ids.alice, [[ids.P, 'viewer'], [ids.Q, 'viewer']]);
    const ability = await service.abilityFor(alice);
    expect(ability.can('update', asSubject('Model', { projectId: ids.P, ownerId: ids.alice }))).toBe(true);
    expect(ability.can('update', asSubject('Model', { projectId: ids.P, ownerId: ids.bob }))).toBe(false);
    expect(ability.can('update', asSubject('Model', { projectId: ids.R, ownerId: ids.alice }))).toBe(false);
    expect(ability.can('read', asSubject('Upload', { projectId: ids.Q, createdBy: ids.alice }))).toBe(true);
    expect(ability.can('read', asSubject('Upload', { projectId: ids.Q, createdBy: ids.bob }))).toBe(false);
    expect(ability.can('read', asSubject('Model', { projectId: ids.P, name: alice.userName }))).toBe(false);
    expect(ability.can('read', asSubject('Model', { projectId: ids.P, name: 'other' }))).toBe(true);
    // The same stored rule, another caller: its own values.
    const bob = await service.abilityFor(principal(ids.bob, [[ids.P, 'viewer']]));
    expect(bob.can('update', asSubject('Model', { projectId: ids.P, ownerId: ids.bob }))).toBe(true);
    expect(bob.can('update', asSubject('Model', { projectId: ids.P, ownerId: ids.alice }))).toBe(false);
  });

  it('applies field rules: viewers cannot read prediction payloads, but still see predictions', async () => {
    await create({ role: 'viewer', effect: 'cannot', actions: ['read'], subject: 'Prediction', fields: ['inputs', 'outputs'], reason: 'payloads may hold personal data' });
    const viewer = await service.abilityFor(principal(ids.alice, [[ids.P, 'viewer']]));
    const prediction = asSubject('Prediction', { projectId: ids.P });
    expect(viewer.can('read', prediction)).toBe(true);
    expect(viewer.can('read', prediction, 'inputs')).toBe(false);
    expect(viewer.can('read', prediction, 'outputs')).toBe(false);
    expect(viewer.can('read', prediction, 'latencyUs')).toBe(true);
    const all = ['id', 'projectId', 'latencyUs', 'inputs', 'outputs'];
    expect(permittedFieldsOf(viewer, 'read', prediction, { fieldsFrom: (rule) => rule.fields ?? all })).toEqual(['id', 'projectId', 'latencyUs']);
    const scientist = await service.abilityFor(principal(ids.bob, [[ids.P, 'data-scientist']]));
    expect(scientist.can('read', prediction, 'inputs')).toBe(true);
    // Field rules do not change which rows a list returns.
    expect(whereFromAbility(viewer, 'read', 'Prediction', 'p', policyFieldMap('Prediction'), { paramPrefix: 'x' })).toEqual(
      whereFromAbility(defineAbilityFor(principal(ids.alice, [[ids.P, 'viewer']])), 'read', 'Prediction', 'p', policyFieldMap('Prediction'), { paramPrefix: 'x' }),
    );
  });

  it('refuses invalid rules with a message naming the problem, storing nothing', async () => {
    const before = await service.currentVersion();
    const err = await caught(create({ role: 'viewer', effect: 'can', actions: ['read', 'approve'], subject: 'Deployment', conditions: { production: { $regex: 'x' } } }));
    expect(err.code).toBe(PolicyErrorCode.INVALID_POLICY_RULE);
    expect(err.message).toContain('actions: "approve" is not an action; actions: manage, read, create, update, delete, predict, register');
    expect(err.message).toContain('the operator "$regex" is not supported');
    const missing = await caught(create({ role: 'viewer', projectId: randomUUID(), effect: 'cannot', actions: ['read'], subject: 'Model' }));
    expect(missing.code).toBe(PolicyErrorCode.INVALID_POLICY_RULE);
    expect(missing.message).toMatch(/projectId: no project [0-9a-f-]+ exists/);
    expect(await service.listRules()).toHaveLength(32);
    expect(await service.currentVersion()).toBe(before);
  });

  it('shares version reads between concurrent callers, but never a read that started before a caller asked', async () => {
    let reads = 0;
    const counting = Object.create(db.dataSource) as typeof db.dataSource;
    counting.query = ((...args: Parameters<typeof db.dataSource.query>) => {
      reads++;
      return db.dataSource.query(...args);
    }) as typeof db.dataSource.query;
    const shared = new PolicyService(counting, { logger: silentLogger() });
    const before = await shared.currentVersions();
    reads = 0;
    const burst = await Promise.all(Array.from({ length: 50 }, () => shared.currentVersions()));
    expect(burst.every((v) => v.policy === before.policy)).toBe(true);
    expect(reads).toBeLessThanOrEqual(2);

    // A change committed while a read is in flight: a caller asking after the commit gets a later read.
    const inFlight = shared.currentVersions();
    await db.dataSource.query(`UPDATE policy_versions SET identity_version = identity_version + 1 WHERE singleton`);
    const after = await shared.currentVersions();
    await inFlight;
    expect(after.identity).toBe(before.identity + 1);
  });

  it('moves the identity version when a token is revoked or a membership changes, not when a token is merely used', async () => {
    const identity = async () => (await newService().currentVersions()).identity;
    const v0 = await identity();
    await db.dataSource.query(`UPDATE api_tokens SET last_used_at = now()`);
    expect(await identity()).toBe(v0);
    await db.dataSource.query(`UPDATE api_tokens SET revoked_at = now() WHERE false`);
    expect(await identity()).toBe(v0 + 1);
    await db.dataSource.query(`DELETE FROM project_memberships WHERE false`);
    expect(await identity()).toBe(v0 + 2);
  });

  it('bumps the version with every change, in the same transaction, and a second replica sees it on its next call', async () => {
    const reloads: number[] = [];
    const replica = newService((version) => reloads.push(version));
    const scientist = principal(ids.alice, [[ids.P, 'data-scientist']]);
    const first = await replica.abilityFor(scientist);
    expect(first.can('delete', asSubject('Model', { projectId: ids.P }))).toBe(false);
    // No change: no reload, the same ability.
    expect(await replica.abilityFor(scientist)).toBe(first);
    expect(reloads).toHaveLength(1);

    const v0 = await service.currentVersion();
    const rule = await create({ role: 'data-scientist', effect: 'can', actions: ['delete'], subject: 'Model' });
    const v1 = await service.currentVersion();
    expect(v1).toBe(v0 + 1);
    expect((await replica.abilityFor(scientist)).can('delete', asSubject('Model', { projectId: ids.P }))).toBe(true);
    expect(reloads).toEqual([v0, v1]);

    await service.updateRule(root(), rule.id, { conditions: { ownerId: '${caller.userId}' } });
    expect(await service.currentVersion()).toBe(v1 + 1);
    const updated = await replica.abilityFor(scientist);
    expect(updated.can('delete', asSubject('Model', { projectId: ids.P, ownerId: ids.bob }))).toBe(false);
    expect(updated.can('delete', asSubject('Model', { projectId: ids.P, ownerId: ids.alice }))).toBe(true);

    await service.deleteRule(root(), rule.id);
    expect(await service.currentVersion()).toBe(v1 + 2);
    expect((await replica.abilityFor(scientist)).can('delete', asSubject('Model', { projectId: ids.P, ownerId: ids.alice }))).toBe(false);

    // A failed change rolls back its bump with it.
    const rolledBack = await caught(service.updateRule(root(), seedIds[0]!, { projectId: randomUUID() }));
    expect(rolledBack.code).toBe(PolicyErrorCode.INVALID_POLICY_RULE);
    expect(await service.currentVersion()).toBe(v1 + 2);
  });

  it('explains which rule decided', async () => {
    const rule = await create({
      role: 'ml-engineer',
      projectId: ids.P,
      effect: 'cannot',
      actions: ['delete'],
      subject: 'Deployment',
      conditions: { production: true },
      reason: 'production changes go through approvals',
    });
    const engineer = principal(ids.alice, [[ids.P, 'ml-engineer']]);
    const denied = await service.explain(engineer, 'delete', 'Deployment', { projectId: ids.P, production: true });
    expect(denied).toEqual({
      allowed: false,
      decidedBy: expect.objectContaining({ kind: 'policy', ruleId: rule.id, role: 'ml-engineer', projectId: ids.P, appliedIn: ids.P, effect: 'cannot', reason: 'production changes go through approvals' }),
      message: expect.stringContaining(`Denied (delete Deployment in project ${ids.P}) by rule ${rule.id} of the ml-engineer role (override in project ${ids.P}): cannot delete Deployment where {"production":true} (production changes go through approvals).`),
    });

    const seeded = (await service.listRules({ role: 'ml-engineer', projectId: null })).find((r) => r.subject === 'Deployment')!;
    const allowed = await service.explain(engineer, 'delete', 'Deployment', { projectId: ids.P, production: false });
    expect(allowed.allowed).toBe(true);
    expect(allowed.decidedBy).toEqual(expect.objectContaining({ kind: 'policy', ruleId: seeded.id, projectId: null, effect: 'can' }));
    expect(allowed.message).toContain('(platform-wide default)');

    const none = await service.explain(engineer, 'delete', 'Deployment', { projectId: ids.Q, production: false });
    expect(none).toEqual({ allowed: false, decidedBy: null, message: `No rule allows it: none of the caller's rules grants "delete Deployment in project ${ids.Q}".` });

    const own = await service.explain(engineer, 'create', 'ApiToken', { userId: ids.alice });
    expect(own.allowed).toBe(true);
    expect(own.decidedBy).toEqual({ kind: 'built-in', effect: 'can', description: `can manage ApiToken where {"userId":"${ids.alice}"} (every user)` });
  });

  it('lets platform admins change any rule, project admins only tighten their own project, others nothing', async () => {
    const projectAdmin = principal(ids.bob, [[ids.P, 'admin'], [ids.Q, 'viewer']]);
    const tighten: PolicyRuleInput = { role: 'viewer', projectId: ids.P, effect: 'cannot', actions: ['read'], subject: 'Prediction', fields: ['inputs'] };
    const rule = await service.createRule(projectAdmin, tighten);
    expect(rule.createdBy).toBe(ids.bob);
    for (const [actor, input, message] of [
      [projectAdmin, { ...tighten, effect: 'can' }, 'rules that grant ("can") need a platform admin'],
      [projectAdmin, { ...tighten, projectId: ids.Q }, `Only admins of project ${ids.Q}`],
      [projectAdmin, { ...tighten, projectId: null }, 'Only platform admins may change platform-wide policy rules.'],
      [principal(ids.carol, [[ids.P, 'ml-engineer']]), tighten, `Only admins of project ${ids.P}`],
    ] as const) {
      const err = await caught(service.createRule(actor, input));
      expect(err.code).toBe(PolicyErrorCode.POLICY_FORBIDDEN);
      expect(err.message).toContain(message);
    }
    // Turning its cannot into a can is refused too; deleting it (back to the platform default) is not.
    expect((await caught(service.updateRule(projectAdmin, rule.id, { effect: 'can' }))).code).toBe(PolicyErrorCode.POLICY_FORBIDDEN);
    await service.updateRule(projectAdmin, rule.id, { fields: ['inputs', 'outputs'] });
    await service.deleteRule(projectAdmin, rule.id);
    expect((await caught(service.deleteRule(projectAdmin, rule.id))).code).toBe(PolicyErrorCode.POLICY_RULE_NOT_FOUND);
    expect((await caught(service.deleteRule(root(), 'not-a-uuid'))).code).toBe(PolicyErrorCode.POLICY_RULE_NOT_FOUND);
  });

  it('lists rules by role and layer', async () => {
    await create({ role: 'viewer', projectId: ids.P, effect: 'cannot', actions: ['read'], subject: 'Upload' });
    await create({ role: 'admin', projectId: ids.Q, effect: 'cannot', actions: ['delete'], subject: 'Model' });
    expect((await service.listRules({ projectId: ids.P })).map((r) => [r.role, r.subject])).toEqual([['viewer', 'Upload']]);
    expect(await service.listRules({ projectId: null })).toHaveLength(32);
    expect((await service.listRules({ role: 'admin' })).filter((r) => r.projectId !== null).map((r) => r.projectId)).toEqual([ids.Q]);
    expect(await service.listRules({ projectId: 'nope' })).toEqual([]);
    const all = await service.listRules();
    expect(all.slice(0, 32).every((r) => r.projectId === null)).toBe(true);
    expect(all).toHaveLength(34);
  });

  it('fails closed on a stored rule that no longer validates', async () => {
    const { logger, lines } = capturingLogger();
    const replica = new PolicyService(db.dataSource, { logger });
    // As if written by an older release, or by hand.
    await db.dataSource.query(
      `INSERT INTO policy_rules (role, project_id, effect, actions, subject, conditions) VALUES
       ('viewer', NULL, 'cannot', '{read}', 'Deployment', '{"retired": true}'),
       ('viewer', NULL, 'can', '{delete}', 'Deployment', '{"retired": false}')`,
    );
    const viewer = await replica.abilityFor(principal(ids.alice, [[ids.P, 'viewer']]));
    expect(viewer.can('read', asSubject('Deployment', { projectId: ids.P, retired: false }))).toBe(false);
    expect(viewer.can('delete', asSubject('Deployment', { projectId: ids.P, retired: false }))).toBe(false);
    expect(lines.filter((l) => l.level === 40).map((l) => l.msg).sort()).toEqual([
      'A stored cannot rule no longer validates: enforced without its conditions and fields',
      'Ignoring a stored policy rule that no longer validates (a can rule: dropped)',
    ]);
  });
});
