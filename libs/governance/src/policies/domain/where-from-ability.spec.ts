import { createMongoAbility } from '@casl/ability';
import { PolicyError, PolicyErrorCode } from './policy.errors';
import { policyConditionsMatcher } from './policy-ability';
import { whereFromAbility, type FieldMap } from './where-from-ability';

const MAP: FieldMap = {
  projectId: { column: 'project_id', type: 'uuid' },
  production: { column: 'production', type: 'boolean' },
  version: { column: 'version', type: 'integer' },
  name: { column: 'name', type: 'text' },
  labels: { column: 'labels', type: 'jsonb' },
  'model.ownerId': { column: 'owner_id', type: 'uuid', alias: 'm' },
};
const P = '11111111-1111-4111-8111-111111111111';

const ability = (rules: unknown[], compound = false) =>
  compound ? createMongoAbility(rules as never, { conditionsMatcher: policyConditionsMatcher }) : createMongoAbility(rules as never);
const where = (rules: unknown[], action = 'read', compound = false) => whereFromAbility(ability(rules, compound), action, 'Thing', 't', MAP, { paramPrefix: 'p' });

function refusal(rules: unknown[], compound = false): PolicyError {
  try {
    where(rules, 'read', compound);
  } catch (err) {
    if (err instanceof PolicyError) return err;
    throw err;
  }
  throw new Error('expected UNSUPPORTED_CONDITION, nothing was thrown');
}

describe('whereFromAbility', () => {
  // The result is always wrapped in parentheses, so it can be ANDed into any query as it is.
  it('is FALSE without a rule, TRUE for a rule without conditions, FALSE again under an unconditional cannot', () => {
    expect(where([])).toEqual({ sql: '(FALSE)', params: {} });
    expect(where([{ action: 'update', subject: 'Thing' }])).toEqual({ sql: '(FALSE)', params: {} });
    expect(where([{ action: 'read', subject: 'Thing' }]).sql).toBe('(TRUE)');
    expect(where([{ action: 'manage', subject: 'all' }]).sql).toBe('(TRUE)');
    expect(where([{ action: 'read', subject: 'Thing' }, { action: 'read', subject: 'Thing', inverted: true }]).sql).toBe('(FALSE)');
  });

  it('subtracts a cannot rule from the can rules below it, but not from those above it', () => {
    const below = where([
      { action: 'read', subject: 'Thing', conditions: { projectId: P } },
      { action: 'read', subject: 'Thing', inverted: true, conditions: { production: true } },
    ]);
    expect(below.sql).toBe('(((NOT ("t"."production" IS NOT NULL AND "t"."production" = :p1)) AND ("t"."project_id" IS NOT NULL AND "t"."project_id" = :p0)))');
    expect(below.params).toEqual({ p0: P, p1: true });
    const above = where([
      { action: 'read', subject: 'Thing', inverted: true, conditions: { production: true } },
      { action: 'read', subject: 'Thing', conditions: { projectId: P } },
    ]);
    expect(above.sql).toBe('(("t"."project_id" IS NOT NULL AND "t"."project_id" = :p0))');
  });

  it('stays linear: many projects become one = ANY list, and a cannot per project is written once', () => {
    const projects = Array.from({ length: 100 }, (_, i) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`);
    const plain = where(projects.map((projectId) => ({ action: 'read', subject: 'Thing', conditions: { projectId } })));
    expect(plain.sql).toBe('(("t"."project_id" IS NOT NULL AND "t"."project_id" = ANY(:p0)))');
    expect(plain.params['p0']).toEqual([...projects].reverse());
    // A cannot override in every project: each project's rules form their own runs, so the SQL grows by a
    // constant per project (it used to repeat every cannot inside every can branch: quadratic).
    const overrides = where(
      projects.flatMap((projectId) => [
        { action: 'read', subject: 'Thing', conditions: { projectId } },
        { action: 'read', subject: 'Thing', inverted: true, conditions: { production: true, projectId } },
      ]),
    );
    const ten = where(
      projects.slice(0, 10).flatMap((projectId) => [
        { action: 'read', subject: 'Thing', conditions: { projectId } },
        { action: 'read', subject: 'Thing', inverted: true, conditions: { production: true, projectId } },
      ]),
    );
    expect(overrides.sql.length).toBeLessThan(ten.sql.length * 11);
    expect(overrides.sql.length).toBeLessThan(30_000);
  });

  it('ignores fields on rules: rows are filtered as ability.can(action, row) without a field does', () => {
    const withoutFields = where([{ action: 'read', subject: 'Thing', conditions: { projectId: P } }]);
    const withFieldRules = where([
      { action: 'read', subject: 'Thing', conditions: { projectId: P } },
      { action: 'read', subject: 'Thing', fields: ['name'], inverted: true },
    ]);
    expect(withFieldRules).toEqual(withoutFields);
    // A can rule limited to some fields still makes the row visible.
    expect(where([{ action: 'read', subject: 'Thing', fields: ['name'] }]).sql).toBe('(TRUE)');
  });

  it('binds every value as a parameter, never in the SQL text', () => {
    const evil = "x'); DROP TABLE t; --";
    const result = where([{ action: 'read', subject: 'Thing', conditions: { name: evil, 'labels.team': evil, version: { $in: [1, 2] } } }]);
    expect(result.sql).not.toContain('DROP');
    expect(Object.values(result.params)).toEqual(expect.arrayContaining([evil, JSON.stringify(evil), [1, 2]]));
  });

  it('names parameters uniquely per call unless a prefix is given', () => {
    const a = whereFromAbility(ability([{ action: 'read', subject: 'Thing', conditions: { projectId: P } }]), 'read', 'Thing', 't', MAP);
    const b = whereFromAbility(ability([{ action: 'read', subject: 'Thing', conditions: { projectId: P } }]), 'read', 'Thing', 't', MAP);
    expect(Object.keys(a.params)).toHaveLength(1);
    expect(Object.keys(a.params)[0]).toMatch(/^casl\d+_0$/);
    expect(Object.keys(a.params)[0]).not.toBe(Object.keys(b.params)[0]);
  });

  it('reads nested attributes from the field map, with their own table alias', () => {
    expect(where([{ action: 'read', subject: 'Thing', conditions: { 'model.ownerId': P } }]).sql).toBe('(("m"."owner_id" IS NOT NULL AND "m"."owner_id" = :p0))');
  });

  it('compares text by code point and decides NULL rows the way CASL does', () => {
    // CASL: null < "b" is true (null is neither equal to nor greater than "b").
    expect(where([{ action: 'read', subject: 'Thing', conditions: { name: { $lt: 'b' } } }]).sql).toBe('(("t"."name" IS NULL OR "t"."name" COLLATE "C" < :p0))');
    // CASL: null > -1 is true in JavaScript (null becomes 0).
    expect(where([{ action: 'read', subject: 'Thing', conditions: { version: { $gt: -1 } } }]).sql).toBe('(("t"."version" IS NULL OR "t"."version" > CAST(:p0 AS bigint)))');
    expect(where([{ action: 'read', subject: 'Thing', conditions: { version: { $gt: 2 } } }]).sql).toBe('(("t"."version" IS NOT NULL AND "t"."version" > CAST(:p0 AS bigint)))');
  });

  it('translates $and, $or, $nor and $not parsed by the policy matcher', () => {
    const result = where([{ action: 'read', subject: 'Thing', conditions: { $or: [{ production: false }, { version: { $not: { $in: [1] } } }] } }], 'read', true);
    expect(result.sql).toBe('((("t"."production" IS NOT NULL AND "t"."production" = :p0) OR (NOT ("t"."version" IS NOT NULL AND "t"."version" = ANY(CAST(:p1 AS bigint[]))))))');
  });

  it.each([
    [{ name: { $regex: '^a' } }, 'the operator "$regex" is not supported'],
    [{ name: { $exists: true } }, 'the operator "$exists" is not supported'],
    [{ 'labels.tags': { $all: ['a'] } }, 'the operator "$all" is not supported'],
    [{ 'labels.tags': { $size: 1 } }, 'the operator "$size" is not supported'],
    [{ 'labels.items': { $elemMatch: { a: 1 } } }, 'the operator "$elemMatch" is not supported'],
    [{ owner: P }, 'unknown field "owner"; known fields: projectId, production, version, name, labels, model.ownerId'],
    [{ projectId: { $gt: P } }, '"$gt" compares integer and text fields only; "projectId" is uuid'],
    [{ production: { $lt: 'true' } }, '"$lt" compares integer and text fields only; "production" is boolean'],
    [{ version: { $gt: '2' } }, '"$gt" on the integer field "version" needs a number'],
    [{ 'labels.team': { $gt: 'a' } }, '"$gt" is not supported on the JSON path "labels.team"'],
    [{ labels: { team: 'a' } }, '"labels" is a JSON column; compare a path inside it'],
    [{ 'name.first': 'a' }, '"name" is a text field, so "name.first" cannot address a value inside it'],
    [{ 'labels.a-b': 'a' }, 'segments must be letters, digits and underscores'],
    [{ name: ['a'] }, 'only strings, numbers, booleans and null are supported'],
    [{ version: { $in: [[1]] } }, 'only strings, numbers, booleans and null are supported'],
    [{ name: undefined }, 'compared with undefined'],
    // CASL's default matcher reads "$or" as a field name: refused, not silently never-matching.
    [{ $or: [{ name: 'a' }] }, 'unknown field "$or"'],
  ])('refuses %j: %s', (conditions, message) => {
    const err = refusal([{ action: 'read', subject: 'Thing', conditions }]);
    expect(err.code).toBe(PolicyErrorCode.UNSUPPORTED_CONDITION);
    expect(err.message).toContain(message);
    expect(err.message).toContain('Cannot turn the rule "can read Thing"');
  });

  it('refuses an unsafe alias, column or parameter prefix', () => {
    const a = ability([{ action: 'read', subject: 'Thing', conditions: { name: 'x' } }]);
    expect(() => whereFromAbility(a, 'read', 'Thing', 't"; --', MAP)).toThrow(/alias/);
    expect(() => whereFromAbility(a, 'read', 'Thing', 't', { name: { column: 'name"', type: 'text' } })).toThrow(/identifier/);
    expect(() => whereFromAbility(a, 'read', 'Thing', 't', MAP, { paramPrefix: 'a:b' })).toThrow(/prefix/);
  });
});
