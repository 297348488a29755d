import { createMongoAbility, subject as tagSubject, type AnyAbility } from '@casl/ability';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { policyConditionsMatcher } from './policy-ability';
import { whereFromAbility, type FieldMap } from './where-from-ability';

/**
 * Property test of the CASL → SQL adapter: for many seeded random rule sets and random rows stored in a real
 * PostgreSQL table, the rows the SQL returns are exactly the rows `ability.can` allows.
 * A failure prints the seed, the rules, the SQL and the differing rows: rerun with that seed to reproduce.
 */

class CaslSqlTestTable1700000000001 implements MigrationInterface {
  name = 'CaslSqlTestTable1700000000001';
  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE casl_sql_rows (
      id integer PRIMARY KEY,
      project_id uuid NOT NULL,
      production boolean,
      owner_id uuid,
      version integer,
      name text,
      labels jsonb
    )`);
    // A linguistic collation where one exists (as on most production databases), so the adapter's
    // code-point comparisons are really tested against CASL's, whatever the test server's default is.
    await q.query(`DO $$ BEGIN
      IF EXISTS (SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu') THEN
        ALTER TABLE casl_sql_rows ALTER COLUMN name TYPE text COLLATE "und-x-icu";
      END IF;
    END $$`);
  }
  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE casl_sql_rows');
  }
}

const SUBJECT = 'Thing';
const FIELD_MAP: FieldMap = {
  projectId: { column: 'project_id', type: 'uuid' },
  production: { column: 'production', type: 'boolean' },
  ownerId: { column: 'owner_id', type: 'uuid' },
  version: { column: 'version', type: 'integer' },
  name: { column: 'name', type: 'text' },
  labels: { column: 'labels', type: 'jsonb' },
};
const PROJECTS = ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222', '33333333-3333-4333-8333-333333333333'];
const USERS = ['aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa', 'bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb', 'cccccccc-cccc-4ccc-8ccc-cccccccccccc'];
const ACTIONS = ['read', 'update', 'delete'];

/** mulberry32: small, fast, seeded. */
function prng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => next() < p;
  const some = <T>(items: readonly T[], max = items.length): T[] => {
    const count = 1 + int(Math.min(max, items.length));
    const copy = [...items];
    const out: T[] = [];
    while (out.length < count) out.push(copy.splice(int(copy.length), 1)[0]!);
    return out;
  };
  return { next, int, pick, chance, some };
}
type Random = ReturnType<typeof prng>;

interface Row {
  id: number;
  projectId: string;
  production: boolean | null;
  ownerId: string | null;
  version: number | null;
  name: string | null;
  labels: unknown;
}

const NAMES = [null, '', 'alpha', 'Alpha', 'beta', 'gamma', 'ä', 'Z', '10', '9', 'b'];
const LABELS: unknown[] = [
  null,
  {},
  { team: null },
  { team: 'a' },
  { team: 'b' },
  { team: 1 },
  { team: true },
  { team: '1' },
  { team: { x: 1 } },
  { meta: { tier: 'gold' } },
  { meta: null },
  { meta: 'x' },
  { meta: { tier: null } },
  { team: 'a', meta: { tier: 'silver' } },
];

function randomRow(r: Random, id: number): Row {
  return {
    id,
    projectId: r.pick(PROJECTS),
    production: r.pick([true, false, false, null]),
    ownerId: r.pick([...USERS, null]),
    version: r.pick([null, 0, 1, 2, 3, 4, 5]),
    name: r.pick(NAMES),
    labels: r.pick(LABELS),
  };
}

// ---- random conditions -----------------------------------------------------------------------------------------

type Doc = Record<string, unknown>;

const uuidValues = (r: Random, pool: readonly string[]) =>
  r.chance(0.1) ? r.pick([null, pool[0]!.toUpperCase(), 'not-a-uuid']) : r.pick(pool);

function uuidCondition(r: Random, pool: readonly string[], withNot: boolean): unknown {
  switch (r.int(withNot ? 6 : 5)) {
    case 0:
      return uuidValues(r, pool);
    case 1:
      return { $eq: uuidValues(r, pool) };
    case 2:
      return { $ne: uuidValues(r, pool) };
    case 3:
      return { $in: r.some([...pool, null, 'not-a-uuid'], 3) };
    case 4:
      return { $nin: r.some([...pool, null], 3) };
    default:
      return { $not: { $in: r.some(pool, 2) } };
  }
}

function versionCondition(r: Random, withNot: boolean): unknown {
  const n = () => r.pick([-1, 0, 1, 2, 3, 4, 5, 6, 2.5]);
  switch (r.int(withNot ? 8 : 7)) {
    case 0:
      return r.pick([null, 0, 2, 3, 5, 2.5, '3']);
    case 1:
      return { $ne: r.pick([null, 1, 3]) };
    case 2:
      return { $in: r.some([null, 0, 1, 2, 3, 4, 5, 2.5, '3'], 4) };
    case 3:
      return { $nin: r.some([null, 1, 2, 3], 3) };
    case 4:
      return { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: n() };
    case 5:
      return { $gt: r.pick([-1, 0, 1, 2]), $lte: r.pick([2, 3, 4, 2.5]) };
    case 6:
      return { $gte: n() };
    default:
      return { $not: r.chance(0.3) ? { $in: r.some([null, 1, 2, 3], 2) } : { [r.pick(['$gt', '$lt'])]: n() } };
  }
}

function nameCondition(r: Random, withNot: boolean): unknown {
  const s = () => r.pick(['', 'alpha', 'Alpha', 'b', 'beta', 'Z', '10', 'ä', 'gamma']);
  switch (r.int(withNot ? 6 : 5)) {
    case 0:
      return r.pick([null, 'alpha', 'beta', '', 'ä', 7]);
    case 1:
      return { $in: r.some([null, 'alpha', 'Alpha', 'gamma', ''], 3) };
    case 2:
      return { $nin: r.some([null, 'alpha', 'beta'], 2) };
    case 3:
      return { [r.pick(['$gt', '$gte', '$lt', '$lte'])]: s() };
    case 4:
      return { $gte: s(), $lt: s() };
    default:
      return { $not: { $lt: s() } };
  }
}

function jsonCondition(r: Random, path: 'labels.team' | 'labels.meta.tier'): unknown {
  const values = path === 'labels.team' ? ['a', 'b', 1, true, '1', null] : ['gold', 'silver', null];
  switch (r.int(5)) {
    case 0:
      return r.pick(values);
    case 1:
      return { $eq: r.pick(values) };
    case 2:
      return { $ne: r.pick(values) };
    case 3:
      return { $in: r.some(values, 3) };
    default:
      return { $nin: r.some(values, 2) };
  }
}

const ATTRIBUTES = ['projectId', 'production', 'ownerId', 'version', 'name', 'labels.team', 'labels.meta.tier'] as const;

function fieldCondition(r: Random, attribute: (typeof ATTRIBUTES)[number], compound: boolean): unknown {
  switch (attribute) {
    case 'projectId':
      return uuidCondition(r, PROJECTS, compound);
    case 'ownerId':
      return uuidCondition(r, USERS, compound);
    case 'production':
      return r.pick<unknown>([true, false, null, { $ne: true }, { $ne: null }, { $in: [true, null] }, { $nin: [false] }, 'true', 1]);
    case 'version':
      return versionCondition(r, compound);
    case 'name':
      return nameCondition(r, compound);
    default:
      return jsonCondition(r, attribute);
  }
}

function randomDoc(r: Random, depth: number, compound: boolean): Doc {
  const doc: Doc = {};
  const keys = 1 + r.int(depth === 0 ? 3 : 2);
  for (let i = 0; i < keys; i++) {
    if (compound && depth < 2 && r.chance(0.25)) {
      const op = r.pick(['$and', '$or', '$or', '$nor']);
      if (doc[op]) continue;
      doc[op] = Array.from({ length: 1 + r.int(3) }, () => randomDoc(r, depth + 1, compound));
      continue;
    }
    const attribute = r.pick(ATTRIBUTES);
    if (Object.hasOwn(doc, attribute)) continue;
    doc[attribute] = fieldCondition(r, attribute, compound);
  }
  return doc;
}

interface RawRule {
  action: string | string[];
  subject: string;
  inverted?: boolean;
  conditions?: Doc;
  fields?: string[];
}

function randomRules(r: Random, compound: boolean): RawRule[] {
  const count = 1 + r.int(6);
  return Array.from({ length: count }, () => {
    const rule: RawRule = {
      action: r.chance(0.15) ? 'manage' : r.chance(0.2) ? r.some(ACTIONS, 2) : r.pick(ACTIONS),
      subject: r.chance(0.1) ? 'all' : SUBJECT,
    };
    if (r.chance(0.35)) rule.inverted = true;
    if (!r.chance(0.15)) rule.conditions = randomDoc(r, 0, compound);
    if (r.chance(0.15)) rule.fields = r.some(['name', 'version', 'labels'], 2);
    return rule;
  });
}

// ---- the test ---------------------------------------------------------------------------------------------------

const BATCHES = 4;
const ROWS_PER_BATCH = 300;
const RULE_SETS_PER_BATCH = 150;

describe('whereFromAbility against PostgreSQL (property test)', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [CaslSqlTestTable1700000000001] });
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function storeRows(rows: Row[]): Promise<Row[]> {
    await db.dataSource.query('DELETE FROM casl_sql_rows');
    await db.dataSource.query(
      `INSERT INTO casl_sql_rows (id, project_id, production, owner_id, version, name, labels)
       SELECT * FROM unnest($1::int[], $2::uuid[], $3::boolean[], $4::uuid[], $5::int[], $6::text[], $7::jsonb[])`,
      [
        rows.map((x) => x.id),
        rows.map((x) => x.projectId),
        rows.map((x) => x.production),
        rows.map((x) => x.ownerId),
        rows.map((x) => x.version),
        rows.map((x) => x.name),
        rows.map((x) => (x.labels === null ? null : JSON.stringify(x.labels))),
      ],
    );
    // What CASL sees is what PostgreSQL gives back (types, NULLs, parsed JSON), as a service would load it.
    const stored: Record<string, unknown>[] = await db.dataSource.query(
      'SELECT id, project_id, production, owner_id, version, name, labels FROM casl_sql_rows ORDER BY id',
    );
    return stored.map((s) => ({
      id: s['id'] as number,
      projectId: s['project_id'] as string,
      production: s['production'] as boolean | null,
      ownerId: s['owner_id'] as string | null,
      version: s['version'] as number | null,
      name: s['name'] as string | null,
      labels: s['labels'],
    }));
  }

  async function idsFromSql(ability: AnyAbility, action: string): Promise<{ ids: number[]; sql: string; params: unknown }> {
    const where = whereFromAbility(ability, action, SUBJECT, 't', FIELD_MAP);
    const result: { id: number }[] = await db.dataSource
      .createQueryBuilder()
      .select('t.id', 'id')
      .from('casl_sql_rows', 't')
      .where(where.sql, where.params)
      .orderBy('t.id')
      .getRawMany();
    return { ids: result.map((x) => Number(x.id)), sql: where.sql, params: where.params };
  }

  it(`returns exactly the rows ability.can allows: ${BATCHES * RULE_SETS_PER_BATCH} random rule sets × ${ACTIONS.length} actions over ${BATCHES} × ${ROWS_PER_BATCH} random rows`, async () => {
    let checks = 0;
    let partial = 0;
    for (let batch = 0; batch < BATCHES; batch++) {
      const seed = 20_260_000 + batch;
      const r = prng(seed);
      const rows = await storeRows(Array.from({ length: ROWS_PER_BATCH }, (_, i) => randomRow(r, i + 1)));
      for (let set = 0; set < RULE_SETS_PER_BATCH; set++) {
        // Half the rule sets use CASL's default matcher (field operators only), half the policy matcher ($and/$or/$nor/$not).
        const compound = set % 2 === 1;
        const rules = randomRules(r, compound);
        const ability = compound ? createMongoAbility(rules as never, { conditionsMatcher: policyConditionsMatcher }) : createMongoAbility(rules as never);
        for (const action of ACTIONS) {
          const expected = rows.filter((row) => ability.can(action, tagSubject(SUBJECT, { ...row }))).map((row) => row.id);
          const actual = await idsFromSql(ability, action);
          checks++;
          if (expected.length > 0 && expected.length < rows.length) partial++;
          if (actual.ids.join(',') !== expected.join(',')) {
            const onlySql = actual.ids.filter((id) => !expected.includes(id));
            const onlyCasl = expected.filter((id) => !actual.ids.includes(id));
            const sample = [...onlySql, ...onlyCasl].slice(0, 3).map((id) => rows.find((row) => row.id === id));
            throw new Error(
              `Mismatch (seed ${seed}, rule set ${set}, action ${action}):\nrules: ${JSON.stringify(rules)}\nsql: ${actual.sql}\nparams: ${JSON.stringify(actual.params)}\n` +
                `only SQL returned: ${onlySql.join(',') || '-'}\nonly CASL allowed: ${onlyCasl.join(',') || '-'}\nrows: ${JSON.stringify(sample)}`,
            );
          }
        }
      }
    }
    expect(checks).toBe(BATCHES * RULE_SETS_PER_BATCH * ACTIONS.length);
    // The generator must produce interesting cases, not only "all rows" or "no row".
    expect(partial / checks).toBeGreaterThan(0.3);
  });

  it('fails closed on JSON arrays along a rule path: such rows are never returned, others are unaffected', async () => {
    const rows = await storeRows([
      { id: 1, projectId: PROJECTS[0]!, production: false, ownerId: null, version: 1, name: 'a', labels: { team: ['a', 'b'] } },
      { id: 2, projectId: PROJECTS[0]!, production: false, ownerId: null, version: 1, name: 'a', labels: [{ team: 'a' }] },
      { id: 3, projectId: PROJECTS[0]!, production: false, ownerId: null, version: 1, name: 'a', labels: { team: 'a' } },
      { id: 4, projectId: PROJECTS[0]!, production: false, ownerId: null, version: 1, name: 'a', labels: { team: 'c' } },
      { id: 5, projectId: PROJECTS[0]!, production: false, ownerId: null, version: 1, name: 'a', labels: { other: ['x'] } },
    ]);
    const grants = createMongoAbility([{ action: 'read', subject: SUBJECT, conditions: { 'labels.team': 'a' } }] as never);
    // CASL searches arrays (rows 1 and 2 match); the adapter cannot do that exactly, so it leaves them out.
    expect(rows.filter((row) => grants.can('read', tagSubject(SUBJECT, { ...row }))).map((row) => row.id)).toEqual([1, 2, 3]);
    expect((await idsFromSql(grants, 'read')).ids).toEqual([3]);
    const denies = createMongoAbility([
      { action: 'read', subject: SUBJECT },
      { action: 'read', subject: SUBJECT, inverted: true, conditions: { 'labels.team': 'a' } },
    ] as never);
    // A `cannot` over an array is not turned into an allow: rows 1 and 2 stay hidden.
    expect(rows.filter((row) => denies.can('read', tagSubject(SUBJECT, { ...row }))).map((row) => row.id)).toEqual([4, 5]);
    expect((await idsFromSql(denies, 'read')).ids).toEqual([4, 5]);
  });

  it('composes with the rest of a query and with other named parameters', async () => {
    await storeRows([
      { id: 1, projectId: PROJECTS[0]!, production: false, ownerId: USERS[0]!, version: 1, name: 'a', labels: null },
      { id: 2, projectId: PROJECTS[0]!, production: true, ownerId: USERS[0]!, version: 2, name: 'b', labels: null },
      { id: 3, projectId: PROJECTS[1]!, production: false, ownerId: USERS[1]!, version: 3, name: 'c', labels: null },
    ]);
    const ability = createMongoAbility([
      { action: 'read', subject: SUBJECT, conditions: { projectId: { $in: [PROJECTS[0], PROJECTS[1]] } } },
      { action: 'read', subject: SUBJECT, inverted: true, conditions: { production: true } },
    ] as never);
    const a = whereFromAbility(ability, 'read', SUBJECT, 't', FIELD_MAP);
    const b = whereFromAbility(ability, 'read', SUBJECT, 't', FIELD_MAP);
    expect(Object.keys(a.params).some((k) => k in b.params)).toBe(false);
    const rows: { id: number }[] = await db.dataSource
      .createQueryBuilder()
      .select('t.id', 'id')
      .from('casl_sql_rows', 't')
      .where('t.version >= :min', { min: 1 })
      .andWhere(a.sql, a.params)
      .andWhere(b.sql, b.params)
      .orderBy('t.id')
      .getRawMany();
    expect(rows.map((x) => Number(x.id))).toEqual([1, 3]);
  });
});
