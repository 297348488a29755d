/* Authorization benchmark: see README.md beside this file. */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@modelport/database';
import {
  accessFilter,
  asSubject,
  defineAbilityFor,
  governanceEntities,
  IdentityService,
  nameKey,
  POLICY_SUBJECTS,
  PolicyService,
  type AppAbility,
  type Principal,
} from '@modelport/governance';
import { createLogger } from '@modelport/observability';
import { describeOutputMismatch, loadExpectedCases, readExpectedFile, sampleModelPath } from '@modelport/sample-models';
import { jsonPoster, type JsonPoster } from '../serving/load-generator';
import { cleanupsOnExit } from '../shared/cleanups';
import { gql } from '../shared/graphql';
import { startBuiltServer, type BuiltServer } from '../shared/server';

const { values: args } = parseArgs({
  options: {
    models: { type: 'string', default: '10000' },
    projects: { type: 'string', default: '100' },
    runs: { type: 'string', default: '300' },
    'infer-runs': { type: 'string', default: '1000' },
    iterations: { type: 'string', default: '5000' },
  },
});
const MODELS = Number(args.models);
const PROJECTS = Number(args.projects);
const RUNS = Number(args.runs);
const INFER_RUNS = Number(args['infer-runs']);
const ITERATIONS = Number(args.iterations);
/** Projects of the "member of a few projects" callers (b) and (d). */
const FEW = Math.min(10, PROJECTS);
if (![MODELS, PROJECTS, RUNS, INFER_RUNS, ITERATIONS].every((n) => Number.isInteger(n) && n >= 1) || MODELS < PROJECTS) {
  process.stderr.write('usage: authorization.bench [--models 10000] [--projects 100] [--runs 300] [--infer-runs 1000] [--iterations 5000] (models ≥ projects)\n');
  process.exit(2);
}

const root = resolve(__dirname, '..', '..', '..', '..');
const TOKEN = `mpt_bench_${randomBytes(24).toString('hex')}`;
const PAGE = 50;
/** The "later page" starts after this many pages (a cursor taken once, before measuring). */
const LATER_AFTER_PAGES = 10;
/** Interleaved slices of the prediction section (end to end, then in process, repeated). */
const ROUNDS = 10;
const MODEL = 'mlp-classifier';
const DEPLOYMENT = 'authz-bench';
const SECRET = 'secret';

const expectedCase = readExpectedFile(MODEL).cases.find((c) => c.name === 'one row')!;
const expectedOutputs = loadExpectedCases(MODEL).find((c) => c.name === 'one row')!.outputs;
const FEATURES = expectedCase.inputs[0]!;

const print = (line = '') => process.stdout.write(`${line}\n`);

// ---------- processes ----------

/** What to undo at the end (server, database, temp dir, connections), newest first: run once, also on Ctrl-C. */
const cleanups = cleanupsOnExit('stopping the server and dropping the benchmark database');

async function startServer(): Promise<BuiltServer> {
  return startBuiltServer(root, 'authz', TOKEN, cleanups);
}

// ---------- set-up ----------

type Key = 'a' | 'b' | 'c' | 'd';

interface Caller {
  readonly key: Key;
  readonly label: string;
  readonly token: string;
  /** Projects it is a member of (all of them for the platform admin). */
  readonly projectIds: readonly string[];
  /** As the server resolves its token (IdentityService.authenticate), for the in-process measurements. */
  principal?: Principal;
  /** GraphQL cursor after LATER_AFTER_PAGES pages, and the same position as (name_key, id) for the SQL. */
  later?: { cursor: string | null; key: string; id: string } | null;
}

interface Setup {
  readonly callers: Caller[];
  readonly deploymentProjectId: string;
}

/**
 * Projects, memberships and models straight in SQL (seeding 10,000 models through the API would take
 * minutes and is what bench:registry measures); users, tokens, the served model and the policy rules
 * through the public API, as an admin would.
 */
async function seed(url: string, db: DataSource): Promise<Setup> {
  const started = performance.now();
  const { me } = await gql(url, TOKEN, `{ me { id } }`);
  const adminId = me.id as string;

  const projectNames = Array.from({ length: PROJECTS }, (_, i) => `authz-bench-${String(i).padStart(3, '0')}`);
  const inserted: { id: string; name: string }[] = await db.query(
    `INSERT INTO projects (name, name_key, created_by) SELECT n, k, $3 FROM unnest($1::text[], $2::text[]) AS t(n, k) RETURNING id, name`,
    [projectNames, projectNames.map(nameKey), adminId],
  );
  const byName = new Map(inserted.map((p) => [p.name, p.id]));
  const projectIds = projectNames.map((n) => byName.get(n)!);

  // Model i lives in project i % PROJECTS; the first model of each project is named "secret" (hidden from (d)).
  const modelProjects: string[] = [];
  const modelNames: string[] = [];
  for (let i = 0; i < MODELS; i++) {
    modelProjects.push(projectIds[i % PROJECTS]!);
    modelNames.push(i < PROJECTS ? SECRET : `model-${String(i).padStart(5, '0')}-${i % 7 === 0 ? 'fraud' : 'churn'}`);
  }
  await db.query(
    `INSERT INTO models (project_id, name, name_key, owner_id, tags)
       SELECT p, n, k, $4::uuid, ARRAY['team-' || (o % 20)] FROM unnest($1::uuid[], $2::text[], $3::text[]) WITH ORDINALITY AS t(p, n, k, o)`,
    [modelProjects, modelNames, modelNames.map(nameKey), adminId],
  );

  const user = async (name: string): Promise<{ id: string; token: string }> => {
    const { createUser } = await gql(url, TOKEN, `mutation($n: String!) { createUser(input: { name: $n }) { id } }`, { n: name });
    const { createApiToken } = await gql(url, TOKEN, `mutation($u: ID!) { createApiToken(input: { name: "bench", userId: $u }) { token } }`, { u: createUser.id });
    return { id: createUser.id as string, token: createApiToken.token as string };
  };
  const few = projectIds.slice(0, FEW);
  const member = async (name: string, projects: readonly string[], role: string) => {
    const u = await user(name);
    await db.query(`INSERT INTO project_memberships (project_id, user_id, role) SELECT p, $2, $3 FROM unnest($1::uuid[]) AS t(p)`, [projects, u.id, role]);
    return u;
  };
  const mFew = await member('bench-member-few', few, 'ml-engineer');
  const mAll = await member('bench-member-all', projectIds, 'ml-engineer');
  // Overrides bind to a role in a project: (d) holds another role in the same projects as (b), so its
  // extra rules reach (d) only, and (b) and (c) keep the stored defaults.
  const mCond = await member('bench-member-condition', few, 'data-scientist');
  for (const p of few) {
    const { createPolicyRule } = await gql(
      url,
      TOKEN,
      `mutation($p: ID!, $c: String!, $r: String!) {
        createPolicyRule(input: { role: DATA_SCIENTIST, projectId: $p, effect: "cannot", actions: ["read"], subject: "Model", conditionsJson: $c, reason: $r }) {
          rule { id } changeRequest { id }
        }
      }`,
      { p, c: JSON.stringify({ name: SECRET }), r: 'authorization benchmark: hide the secret model' },
    );
    if (!createPolicyRule.rule) throw new Error(`createPolicyRule did not apply at once: ${JSON.stringify(createPolicyRule)}`);
  }

  await deploy(url, projectIds[0]!);
  await db.query('ANALYZE projects, project_memberships, models, policy_rules');
  print(
    `seeded ${MODELS} models in ${PROJECTS} projects (SQL), 3 users with tokens and ${FEW} policy rules (GraphQL), and deployed ${MODEL} as "${DEPLOYMENT}" in ${(
      (performance.now() - started) /
      1000
    ).toFixed(1)} s`,
  );
  return {
    deploymentProjectId: projectIds[0]!,
    callers: [
      { key: 'a', label: 'platform admin (no filter: the baseline)', token: TOKEN, projectIds },
      { key: 'b', label: `member of ${FEW} projects`, token: mFew.token, projectIds: few },
      { key: 'c', label: `member of all ${PROJECTS} projects`, token: mAll.token, projectIds },
      { key: 'd', label: `member of ${FEW} projects + a stored "cannot read Model {name: secret}" rule in each`, token: mCond.token, projectIds: few },
    ],
  };
}

/** Registers the sample model in `projectId` and deploys it (the built-in ONNX Runtime plugin). */
async function deploy(url: string, projectId: string): Promise<void> {
  const bytes = readFileSync(sampleModelPath(MODEL));
  const sha = createHash('sha256').update(bytes).digest('hex');
  const { createModel } = await gql(url, TOKEN, `mutation($p: ID!) { createModel(input: { projectId: $p, name: "${MODEL}" }) { id } }`, { p: projectId });
  const { createArtifactUpload: slot } = await gql(url, TOKEN, `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url } }`, {
    p: projectId,
    s: bytes.length,
    h: sha,
  });
  const put = await fetch(slot.url, { method: 'PUT', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/octet-stream' }, body: bytes });
  if (!put.ok) throw new Error(`upload failed: ${put.status} ${await put.text()}`);
  await gql(url, TOKEN, `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { id } }`, {
    i: { modelId: createModel.id, uploadId: slot.id, sha256: sha, sizeBytes: bytes.length },
  });
  const { createDeployment: d } = await gql(url, TOKEN, `mutation($i: CreateDeploymentInput!) { createDeployment(input: $i) { name state failure } }`, {
    i: { projectId, modelId: createModel.id, version: 1, name: DEPLOYMENT },
  });
  if (d.state !== 'READY') throw new Error(`the deployment ${d.name} is ${d.state}: ${d.failure}`);
}

// ---------- statistics ----------

interface Stat {
  readonly n: number;
  readonly p50: number;
  readonly p99: number;
}

/** Nearest-rank percentiles. */
function stat(xs: readonly number[]): Stat {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? 0;
  return { n: sorted.length, p50: at(50), p99: at(99) };
}

const ms = (ns: bigint) => Number(ns) / 1e6;
const f2 = (n: number) => n.toFixed(2);
const f3 = (n: number) => n.toFixed(3);
const us = (msValue: number) => (msValue * 1000).toFixed(1);
const pct = (n: number) => `${(n * 100).toFixed(1)}%`;
const signed = (n: number, digits = 2) => `${n >= 0 ? '+' : ''}${n.toFixed(digits)}`;

/** `xs` rotated by `i`: run by run, each caller takes each position in turn. */
function rotate<T>(xs: readonly T[], i: number): T[] {
  const k = i % xs.length;
  return [...xs.slice(k), ...xs.slice(0, k)];
}

async function timeMs(fn: () => Promise<unknown> | unknown): Promise<number> {
  const t0 = process.hrtime.bigint();
  await fn();
  return ms(process.hrtime.bigint() - t0);
}

// ---------- 1. list query ----------

const FIRST_PAGE = `query($n: Int!) { models(first: $n) { nodes { id projectId name latestVersion tags } pageInfo { endCursor } } }`;
const LATER_PAGE = `query($n: Int!, $a: String) { models(first: $n, after: $a) { nodes { id projectId name latestVersion tags } pageInfo { endCursor } } }`;

/** The query RegistryService.listModels sends (without its optional filters), built the same way: TypeORM and accessFilter. */
function listSql(db: DataSource, ability: AppAbility, after: { key: string; id: string } | null): [string, unknown[]] {
  const access = accessFilter(ability, 'read', 'Model', 'm');
  const qb = db.createQueryBuilder().select('m.*').from('models', 'm').where(access.sql, access.params).orderBy('m.name_key', 'ASC').addOrderBy('m.id', 'ASC').limit(PAGE + 1);
  if (after) qb.andWhere('(m.name_key, m.id) > (:key, :id)', { key: after.key, id: after.id });
  return qb.getQueryAndParameters();
}

/** The plan's node chain, e.g. "Limit > Sort > Seq Scan on models". */
function planChain(node: Record<string, unknown>): string {
  const name = `${String(node['Node Type'])}${node['Index Name'] ? ` using ${String(node['Index Name'])}` : node['Relation Name'] ? ` on ${String(node['Relation Name'])}` : ''}`;
  const children = ((node['Plans'] as Record<string, unknown>[] | undefined) ?? []).map(planChain);
  if (!children.length) return name;
  // Identical siblings (one bitmap index scan per project) once, with a count.
  const counts = new Map<string, number>();
  for (const c of children) counts.set(c, (counts.get(c) ?? 0) + 1);
  return `${name} > ${[...counts].map(([c, n]) => (n > 1 ? `${n} × (${c})` : c)).join(' + ')}`;
}

interface ListRow {
  caller: Caller;
  visible: number;
  rules: number;
  filterTerms: number;
  filterChars: number;
  filterBuild: Stat;
  plan: string;
  e2eFirst: Stat;
  e2eLater: Stat;
  dbFirst: Stat;
  dbLater: Stat;
}

async function measureList(url: string, db: DataSource, policies: PolicyService, callers: Caller[]): Promise<ListRow[]> {
  // Checks first: the server filters as the rules say, and the SQL measured here is the query it runs.
  for (const c of callers) {
    const ability = await policies.abilityFor(c.principal!);
    const page = (await gql(url, c.token, FIRST_PAGE, { n: PAGE })).models;
    const [sql, params] = listSql(db, ability, null);
    const direct: { id: string }[] = await db.query(sql, params);
    const served = page.nodes.map((n: { id: string }) => n.id).join();
    if (served !== direct.slice(0, PAGE).map((r) => r.id).join()) throw new Error(`(${c.key}): the first page served differs from the SQL measured here`);
    const allowed = new Set(c.projectIds);
    if (page.nodes.some((n: { projectId: string }) => !allowed.has(n.projectId))) throw new Error(`(${c.key}) was served a model outside its projects`);
    const secrets = (await gql(url, c.token, `{ models(first: 50, filter: { nameContains: "${SECRET}" }) { nodes { id } } }`)).models.nodes.length;
    const expectedSecrets = c.key === 'd' ? 0 : Math.min(50, c.projectIds.length);
    if (secrets !== expectedSecrets) throw new Error(`(${c.key}) sees ${secrets} "${SECRET}" models, expected ${expectedSecrets}`);
    // The later page: walk LATER_AFTER_PAGES pages through the API once; the SQL starts at the same row.
    let cursor: string | null = null;
    for (let p = 0; p < LATER_AFTER_PAGES; p++) {
      const res: any = await gql(url, c.token, LATER_PAGE, { n: PAGE, a: cursor });
      cursor = res.models.pageInfo.endCursor;
      if (!cursor) break;
    }
    const access = accessFilter(ability, 'read', 'Model', 'm');
    const [offsetSql, offsetParams] = db
      .createQueryBuilder()
      .select('m.name_key', 'key')
      .addSelect('m.id', 'id')
      .from('models', 'm')
      .where(access.sql, access.params)
      .orderBy('m.name_key', 'ASC')
      .addOrderBy('m.id', 'ASC')
      .offset(LATER_AFTER_PAGES * PAGE - 1)
      .limit(1)
      .getQueryAndParameters();
    const at: { key: string; id: string }[] = await db.query(offsetSql, offsetParams);
    c.later = cursor && at[0] ? { cursor, key: at[0].key, id: at[0].id } : null;
    if (c.later) {
      const servedLater = (await gql(url, c.token, LATER_PAGE, { n: PAGE, a: c.later.cursor })).models.nodes.map((n: { id: string }) => n.id).join();
      const [laterSql, laterParams] = listSql(db, ability, c.later);
      const directLater: { id: string }[] = await db.query(laterSql, laterParams);
      if (servedLater !== directLater.slice(0, PAGE).map((r) => r.id).join()) throw new Error(`(${c.key}): the later page served differs from the SQL measured here`);
    }
  }
  const withLater = callers.filter((c) => c.later).length;
  print(
    `checked: every caller is served the rows its rules allow (its projects only; (d) none of the "${SECRET}" models), and the first and later pages served equal the SQL measured in process${withLater < callers.length ? ` (${callers.length - withLater} of the callers see fewer than ${LATER_AFTER_PAGES + 1} pages: no later page for them)` : ''}`,
  );

  const ops: { name: keyof Pick<ListRow, 'e2eFirst' | 'e2eLater' | 'dbFirst' | 'dbLater'>; run: (c: Caller, ability: AppAbility) => Promise<unknown> }[] = [
    { name: 'e2eFirst', run: (c) => gql(url, c.token, FIRST_PAGE, { n: PAGE }) },
    { name: 'e2eLater', run: (c) => gql(url, c.token, LATER_PAGE, { n: PAGE, a: c.later?.cursor ?? null }) },
    // The DB alone: the same SQL through a TypeORM pool, built per run like the server does (accessFilter included).
    { name: 'dbFirst', run: (c, ability) => db.query(...listSql(db, ability, null)) },
    { name: 'dbLater', run: (c, ability) => db.query(...listSql(db, ability, c.later ?? null)) },
  ];
  const samples = new Map<string, number[]>();
  const abilities = new Map<Key, AppAbility>();
  for (const c of callers) abilities.set(c.key, await policies.abilityFor(c.principal!));
  for (let i = 0; i < 10; i++) for (const c of callers) for (const op of ops) await op.run(c, abilities.get(c.key)!); // warm up
  const started = performance.now();
  for (let i = 0; i < RUNS; i++) {
    for (const c of rotate(callers, i)) {
      for (const op of ops) {
        const t = await timeMs(() => op.run(c, abilities.get(c.key)!));
        const key = `${c.key}:${op.name}`;
        (samples.get(key) ?? samples.set(key, []).get(key)!).push(t);
      }
    }
  }
  print(`list queries: ${RUNS} runs × ${callers.length} callers × ${ops.length} measurements in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const rows: ListRow[] = [];
  for (const c of callers) {
    const ability = abilities.get(c.key)!;
    const access = accessFilter(ability, 'read', 'Model', 'm');
    const builds: number[] = [];
    for (let i = 0; i < 2000; i++) builds.push(await timeMs(() => accessFilter(ability, 'read', 'Model', 'm')));
    const [countSql, countParams] = db.createQueryBuilder().select('count(*)::int', 'n').from('models', 'm').where(access.sql, access.params).getQueryAndParameters();
    const [{ n }] = (await db.query(countSql, countParams)) as [{ n: number }];
    const [planSql, planParams] = listSql(db, ability, null);
    const [{ 'QUERY PLAN': plan }] = (await db.query(`EXPLAIN (FORMAT JSON) ${planSql}`, planParams)) as [{ 'QUERY PLAN': [{ Plan: Record<string, unknown> }] }];
    rows.push({
      caller: c,
      visible: n,
      rules: ability.rulesFor('read', 'Model').length,
      filterTerms: Object.keys(access.params).length,
      filterChars: access.sql.length,
      filterBuild: stat(builds),
      plan: planChain(plan[0].Plan),
      e2eFirst: stat(samples.get(`${c.key}:e2eFirst`)!),
      e2eLater: stat(samples.get(`${c.key}:e2eLater`)!),
      dbFirst: stat(samples.get(`${c.key}:dbFirst`)!),
      dbLater: stat(samples.get(`${c.key}:dbLater`)!),
    });
  }
  return rows;
}

function reportList(rows: ListRow[]): void {
  const base = rows[0]!;
  print();
  print(`## 1. List query: GraphQL models(first: ${PAGE}), ${MODELS} models in ${PROJECTS} projects`);
  print();
  print(`${RUNS} runs per caller and measurement, callers alternating run by run; ratio = caller / (a) (no filter). Times in ms.`);
  print();
  print('| caller | visible rows | read-Model rules | filter: bound values, SQL chars | building the filter, p50 µs | first-page plan |');
  print('|---|---:|---:|---:|---:|---|');
  for (const r of rows) print(`| (${r.caller.key}) ${r.caller.label} | ${r.visible} | ${r.rules} | ${r.filterTerms}, ${r.filterChars} | ${us(r.filterBuild.p50)} | ${r.plan} |`);
  const table = (title: string, first: (r: ListRow) => Stat, later: (r: ListRow) => Stat) => {
    print();
    print(`### ${title}`);
    print();
    print('| caller | first page p50 | p99 | p50 ratio | p99 ratio | later page p50 | p99 | p50 ratio | p99 ratio |');
    print('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const r of rows) {
      const [a, b, la, lb] = [first(r), first(base), later(r), later(base)];
      print(`| (${r.caller.key}) | ${f2(a.p50)} | ${f2(a.p99)} | ${f2(a.p50 / b.p50)} | ${f2(a.p99 / b.p99)} | ${f2(la.p50)} | ${f2(la.p99)} | ${f2(la.p50 / lb.p50)} | ${f2(la.p99 / lb.p99)} |`);
    }
  };
  table('End to end: the GraphQL query to the server (HTTP, auth, ability, filter, SQL, GraphQL)', (r) => r.e2eFirst, (r) => r.e2eLater);
  table('The database alone: the same SQL from the bench process (TypeORM pool, filter built per run)', (r) => r.dbFirst, (r) => r.dbLater);
  print();
  print('Filtered / unfiltered, p50 (end to end; database alone):');
  for (const r of rows.slice(1)) {
    print(
      `* (${r.caller.key}) ${r.caller.label}: first page ${f2(r.e2eFirst.p50 / base.e2eFirst.p50)}× (${signed(r.e2eFirst.p50 - base.e2eFirst.p50)} ms); ${f2(r.dbFirst.p50 / base.dbFirst.p50)}× (${signed(r.dbFirst.p50 - base.dbFirst.p50)} ms). Later page ${f2(r.e2eLater.p50 / base.e2eLater.p50)}×; ${f2(r.dbLater.p50 / base.dbLater.p50)}×.`,
    );
  }
}

// ---------- 2. prediction path ----------

function restBody(): string {
  return JSON.stringify({ inputs: [{ name: FEATURES.name, datatype: FEATURES.datatype, shape: FEATURES.shape, data: FEATURES.data }] });
}

/** Checks that `token` gets the reference outputs from the deployment. */
async function checkInfer(url: string, token: string, who: string): Promise<void> {
  const res = await fetch(`${url}/v2/models/${DEPLOYMENT}/infer`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: restBody() });
  if (res.status !== 200) throw new Error(`${who}: infer answered HTTP ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { outputs: { name: string; datatype: string; shape: number[]; data: number[] }[] };
  for (const want of expectedOutputs) {
    const got = body.outputs.find((o) => o.name === want.name);
    const tensor = got && { ...got, data: got.datatype === 'INT64' ? got.data.map((v) => BigInt(v)) : got.data };
    const mismatch = tensor ? describeOutputMismatch(tensor, want) : `output ${want.name} is missing`;
    if (mismatch) throw new Error(`${who}: the deployment does not answer the reference outputs: ${mismatch}`);
  }
}

interface Variant {
  readonly key: string;
  readonly label: string;
  readonly run: () => Promise<unknown> | unknown;
}

async function measurePrediction(url: string, db: DataSource, policies: PolicyService, admin: Caller, member: Caller): Promise<void> {
  await checkInfer(url, admin.token, '(a) the platform admin');
  await checkInfer(url, member.token, `(b) the ${member.label}`);

  // The deployment as the gateway's route holds it: the row's attributes, tagged once (route.subject).
  const [row] = (await db.query('SELECT * FROM deployments WHERE name = $1', [DEPLOYMENT])) as Record<string, unknown>[];
  const attributes = Object.fromEntries(Object.entries(POLICY_SUBJECTS.Deployment.attributes).map(([attr, spec]) => [attr, row![spec.column] ?? null]));
  const subject = asSubject('Deployment', attributes);
  const memberAbility = await policies.abilityFor(member.principal!);
  const codeAbility = defineAbilityFor(member.principal!);
  for (const [name, ability] of [
    ['policies', memberAbility],
    ['code-defined', codeAbility],
  ] as const) {
    if (!ability.can('read', subject) || !ability.can('predict', subject)) throw new Error(`the ${name} ability of (b) does not allow predicting with the deployment`);
  }
  const gatewayChecks = (ability: AppAbility) => ability.can('read', subject) && ability.can('predict', subject);
  const variants: Variant[] = [
    { key: 'A', label: '(b) member: policies.abilityFor + read & predict checks (what the gateway does per request)', run: async () => gatewayChecks(await policies.abilityFor(member.principal!)) },
    { key: 'B', label: '(a) admin: policies.abilityFor + read & predict checks', run: async () => gatewayChecks(await policies.abilityFor(admin.principal!)) },
    { key: 'C', label: '  of which: the policy version read alone (policies.currentVersion)', run: () => policies.currentVersion() },
    { key: 'D', label: '  of which: read & predict checks on the cached ability', run: () => gatewayChecks(memberAbility) },
    { key: 'E', label: 'before policies as data: defineAbilityFor + read & predict checks (built per request)', run: () => gatewayChecks(defineAbilityFor(member.principal!)) },
    { key: 'F', label: 'before policies as data: read & predict checks on an ability built once', run: () => gatewayChecks(codeAbility) },
  ];

  const posters: Record<'admin' | 'member', JsonPoster> = {
    admin: jsonPoster(`${url}/v2/models/${DEPLOYMENT}/infer`, restBody(), { authorization: `Bearer ${admin.token}` }, 1),
    member: jsonPoster(`${url}/v2/models/${DEPLOYMENT}/infer`, restBody(), { authorization: `Bearer ${member.token}` }, 1),
  };
  cleanups.push(async () => {
    posters.admin.close();
    posters.member.close();
  });
  const send = async (who: 'admin' | 'member') => {
    const error = await posters[who].send();
    if (error) throw new Error(`infer as ${who}: ${error}`);
  };
  const infer: Record<'admin' | 'member', number[]> = { admin: [], member: [] };
  const inproc = new Map<string, number[]>(variants.map((v) => [v.key, []]));
  for (let i = 0; i < 50; i++) {
    await send('admin');
    await send('member');
    for (const v of variants) await v.run();
  }
  const started = performance.now();
  for (let round = 0; round < ROUNDS; round++) {
    const inferRuns = Math.ceil(INFER_RUNS / ROUNDS);
    for (let i = 0; i < inferRuns; i++) {
      for (const who of rotate(['admin', 'member'] as const, i)) infer[who].push(await timeMs(() => send(who)));
    }
    const iterations = Math.ceil(ITERATIONS / ROUNDS);
    for (let i = 0; i < iterations; i++) for (const v of rotate(variants, i)) inproc.get(v.key)!.push(await timeMs(v.run));
  }
  print(`prediction path: ${ROUNDS} rounds of ${Math.ceil(INFER_RUNS / ROUNDS)} sequential infers per caller, then ${Math.ceil(ITERATIONS / ROUNDS)} in-process iterations per variant, in ${((performance.now() - started) / 1000).toFixed(1)} s`);

  const ia = stat(infer.admin);
  const ib = stat(infer.member);
  const s = Object.fromEntries([...inproc].map(([k, xs]) => [k, stat(xs)])) as Record<string, Stat>;
  print();
  print(`## 2. Prediction path: POST /v2/models/${DEPLOYMENT}/infer (${MODEL}, one row), concurrency 1`);
  print();
  print('### End to end (ms)');
  print();
  print('| caller | requests | p50 | p99 |');
  print('|---|---:|---:|---:|');
  print(`| (a) platform admin | ${ia.n} | ${f3(ia.p50)} | ${f3(ia.p99)} |`);
  print(`| (b) ${member.label} (ml-engineer) | ${ib.n} | ${f3(ib.p50)} | ${f3(ib.p99)} |`);
  print(`(b) − (a) p50: ${signed(ib.p50 - ia.p50, 3)} ms (${f2(ib.p50 / ia.p50)}×). The server cannot switch the check off; section "in process" measures it alone.`);
  print();
  print(`### In process: the per-request authorization work, on the same database (${ITERATIONS} iterations each, interleaved; µs)`);
  print();
  print(`| | variant | p50 µs | p99 µs | p50 share of (b)'s infer p50 (${f3(ib.p50)} ms) |`);
  print('|---|---|---:|---:|---:|');
  for (const v of variants) print(`| ${v.key} | ${v.label} | ${us(s[v.key]!.p50)} | ${us(s[v.key]!.p99)} | ${pct(s[v.key]!.p50 / ib.p50)} |`);
  const a = s['A']!;
  const e = s['E']!;
  const f = s['F']!;
  print();
  print(`* Authorization on the prediction path (A): p50 ${us(a.p50)} µs = ${pct(a.p50 / ib.p50)} of the end-to-end infer p50 (${f3(ib.p50)} ms); p99 ${us(a.p99)} µs.`);
  print(`* Of that, the policy version read (C) is ${us(s['C']!.p50)} µs and the CASL checks themselves (D) ${us(s['D']!.p50)} µs; the cached-ability lookup is the rest.`);
  print(
    `* Added by policies as data over the code-defined ability: A − E = ${signed((a.p50 - e.p50) * 1000, 1)} µs p50 (${pct((a.p50 - e.p50) / ib.p50)} of infer p50) against an ability built per request; A − F = ${signed((a.p50 - f.p50) * 1000, 1)} µs (${pct((a.p50 - f.p50) / ib.p50)}) against one built once. Ratio A / E = ${f2(a.p50 / e.p50)}×.`,
  );
}

// ---------- main ----------

async function main(): Promise<void> {
  const startedAt = performance.now();
  print(`# Authorization benchmark`);
  print();
  print(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, load average at start ${loadavg()[0]!.toFixed(2)}, node ${process.version}`);
  print(`options: --models ${MODELS} --projects ${PROJECTS} --runs ${RUNS} --infer-runs ${INFER_RUNS} --iterations ${ITERATIONS}`);
  try {
    const server = await startServer();
    print(`server: dist/apps/server/src/main.js at ${server.url}, built-in plugins`);
    const db = createDataSource({ url: server.databaseUrl, schema: { entities: governanceEntities, migrations: [] }, poolSize: 4, applicationName: 'modelport-authz-bench' });
    await db.initialize();
    cleanups.push(async () => {
      if (db.isInitialized) await db.destroy();
    });
    const setup = await seed(server.url, db);
    // A second "replica" of the policy and identity services, in this process, on the same database.
    const identity = new IdentityService(db, { maxPageSize: 100 });
    const policies = new PolicyService(db, { logger: createLogger({ level: 'warn', name: 'authorization-bench' }) });
    for (const c of setup.callers) c.principal = await identity.authenticate(c.token);

    reportList(await measureList(server.url, db, policies, setup.callers));
    print();
    await measurePrediction(server.url, db, policies, setup.callers[0]!, setup.callers[1]!);
    if (server.warnings.count) print(`\nThe server logged ${server.warnings.count} warnings/errors; the first: ${server.warnings.first}`);
    print();
    print(`total ${((performance.now() - startedAt) / 1000).toFixed(1)} s`);
  } finally {
    await cleanups.run();
  }
}

main().catch(async (err: unknown) => {
  await cleanups.run();
  if (cleanups.interrupted) return; // the SIGINT handler exits
  process.stderr.write(`benchmark failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
