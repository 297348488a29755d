import { linearRegressionModel } from '@modelport/sample-models';
import { createModel, createProject, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type GraphqlResponse, type TestServer } from './testing/test-server';

/** POSTs a raw body to /graphql, so that tests can send what a well-behaved client never would. */
async function post(t: TestServer, body: string, contentType = 'application/json'): Promise<GraphqlResponse & { raw: string }> {
  const res = await fetch(`${t.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': contentType, authorization: `Bearer ${t.adminToken}` },
    body,
  });
  const raw = await res.text();
  return { status: res.status, raw, ...(JSON.parse(raw) as Omit<GraphqlResponse, 'status'>) };
}

async function count(t: TestServer, table: 'projects' | 'models'): Promise<number> {
  return (await t.db.dataSource.query(`SELECT count(*)::int AS n FROM ${table}`))[0].n;
}

/** Expects a request refused before anything ran: HTTP 400, no data, the first error with this code and message. */
function expectRefused(res: GraphqlResponse, code: string, message: RegExp): void {
  expect({ status: res.status, data: res.data }).toEqual({ status: 400, data: null });
  expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(message), extensions: { code } });
}

function expectPageSizeTooLarge(res: GraphqlResponse, max: number): void {
  expect(res.data).toBeNull();
  expect(res.errors).toHaveLength(1);
  expect(res.errors![0]).toMatchObject({
    message: expect.stringContaining(`maximum page size of ${max}`),
    extensions: { code: 'BAD_USER_INPUT', reason: 'PAGE_SIZE_TOO_LARGE', max },
  });
}

type PageOf<T> = { nodes: T[]; pageInfo: { hasNextPage: boolean; endCursor: string | null } };

/** Follows endCursor until the last page; returns every page's nodes. */
async function walk<T>(fetchPage: (after: string | null) => Promise<PageOf<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | null = null;
  for (;;) {
    const page = await fetchPage(after);
    pages.push(page.nodes);
    if (!page.pageInfo.hasNextPage) return pages;
    expect(page.pageInfo.endCursor).toEqual(expect.any(String));
    after = page.pageInfo.endCursor;
    if (pages.length > 50) throw new Error('pagination does not end');
  }
}

describe('GraphQL limits in development, with the default limits', () => {
  let t: TestServer;
  let projectId: string;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer({ env: { NODE_ENV: 'development' } });
    projectId = await createProject(t, 'limits-dev');
    modelId = await createModel(t, projectId, 'dev model');
  });
  afterAll(() => t?.close());

  describe('page size over the maximum (100) is an error naming the maximum, never a silently cut page', () => {
    it('on models', async () => {
      expectPageSizeTooLarge(await t.gql('{ models(first: 1000) { nodes { id name } } }'), 100);
    });

    it('on projects', async () => {
      expectPageSizeTooLarge(await t.gql('{ projects(first: 101) { nodes { id } } }'), 100);
    });

    it('on nested versions', async () => {
      expectPageSizeTooLarge(await t.gql('{ models(first: 1) { nodes { versions(first: 1000) { nodes { id } } } } }'), 100);
      expectPageSizeTooLarge(await t.gql('query($m: ID!) { model(id: $m) { versions(first: 1000) { nodes { id } } } }', { m: modelId }), 100);
    });

    it('while a full page of the maximum with many fields is accepted', async () => {
      const res = await t.gql('{ models(first: 100) { nodes { id name description tags createdAt updatedAt ownerId projectId latestVersion } pageInfo { hasNextPage } } }');
      expect(res.errors).toBeUndefined();
      expect((res.data as { models: PageOf<unknown> }).models.nodes.length).toBeGreaterThan(0);
    });
  });

  describe('cost', () => {
    const nested = 'query Nested($n: Int) { models(first: $n) { nodes { versions(first: $n) { nodes { id } } } } }';

    it('refuses nested lists with large pages, written inline', async () => {
      const res = await t.gql('{ models(first: 100) { nodes { versions(first: 100) { nodes { id } } } } }');
      expectRefused(res, 'QUERY_TOO_COSTLY', /estimated cost of 20201; the maximum is 20000/);
    });

    it('refuses them when first comes from variables, and accepts the same query with small pages', async () => {
      expectRefused(await t.gql(nested, { n: 100 }), 'QUERY_TOO_COSTLY', /^Nested has an estimated cost of 20201/);
      const ok = await t.gql(nested, { n: 10 });
      expect(ok.errors).toBeUndefined();
      expect(ok.data).toEqual({ models: { nodes: expect.any(Array) } });
    });

    it('counts a variable default when the request leaves the variable out', async () => {
      const res = await t.gql('query Defaulted($n: Int = 100) { models(first: $n) { nodes { versions(first: $n) { nodes { id } } } } }');
      expectRefused(res, 'QUERY_TOO_COSTLY', /^Defaulted has an estimated cost of 20201/);
    });
  });

  describe('aliases', () => {
    it('refuses 50 aliased me fields', async () => {
      const fields = Array.from({ length: 50 }, (_, i) => `m${i}: me { id }`).join(' ');
      expectRefused(await t.gql(`query Aliases { ${fields} }`), 'TOO_MANY_ALIASES', /^Aliases uses 50 aliases; the maximum is 30\./);
    });

    it('refuses an aliased mutation batch without creating anything', async () => {
      const before = await count(t, 'projects');
      const fields = Array.from({ length: 31 }, (_, i) => `p${i}: createProject(input: { name: "alias-${i}" }) { id }`).join(' ');
      expectRefused(await t.gql(`mutation { ${fields} }`), 'TOO_MANY_ALIASES', /uses 31 aliases; the maximum is 30/);
      expect(await count(t, 'projects')).toBe(before);
    });
  });

  it('refuses a batch of queries sent as a JSON array, running none of them', async () => {
    const before = await count(t, 'projects');
    const res = await post(
      t,
      JSON.stringify([{ query: 'mutation { createProject(input: { name: "batch-1" }) { id } }' }, { query: '{ me { id } }' }]),
    );
    expectRefused(res, 'BAD_REQUEST', /Batched queries are not accepted/);
    expect(await count(t, 'projects')).toBe(before);
  });

  describe('malformed requests are a 400 with a clear message, and nothing runs', () => {
    it.each([
      ['a syntax error', JSON.stringify({ query: 'mutation { createProject(input: { name: "m1" }) { id }' }), 'GRAPHQL_VALIDATION_FAILED', /^Syntax Error: Expected Name, found <EOF>/],
      ['an unknown field', JSON.stringify({ query: 'mutation { createProject(input: { name: "m2" }) { id nme } }' }), 'GRAPHQL_VALIDATION_FAILED', /^Cannot query field "nme" on type "Project"/],
      ['a wrong argument type', JSON.stringify({ query: 'mutation { createProject(input: { name: 42 }) { id } }' }), 'GRAPHQL_VALIDATION_FAILED', /String cannot represent a non string value: 42/],
      [
        'a wrong variable type',
        JSON.stringify({ query: 'mutation($n: String!) { createProject(input: { name: $n }) { id } }', variables: { n: { not: 'a string' } } }),
        'GRAPHQL_VALIDATION_FAILED',
        /^Variable "\$n" got invalid value/,
      ],
      ['a body that is not JSON', '{"query": "mutation { createProject(input: { name: \\"m3\\" }) { id } }"', 'BAD_REQUEST', /Body is not valid JSON/],
      ['an empty body', '', 'BAD_REQUEST', /Body cannot be empty/],
    ])('%s', async (_what, body, code, message) => {
      const before = await count(t, 'projects');
      expectRefused(await post(t, body), code, message);
      expect(await count(t, 'projects')).toBe(before);
    });
  });

  it('suggests field names outside production', async () => {
    const res = await t.gql('{ me { nme } }');
    expect(res.errors?.[0]?.message).toBe('Cannot query field "nme" on type "User". Did you mean "name"?');
  });

  it('serves introspection outside production', async () => {
    const res = await t.gql('{ __schema { queryType { name } } __type(name: "Model") { name } }');
    expect(res.errors).toBeUndefined();
    expect(res.data).toEqual({ __schema: { queryType: { name: 'Query' } }, __type: { name: 'Model' } });
  });

  it('serves GraphiQL outside production', async () => {
    const res = await fetch(`${t.url}/graphiql`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    expect((await res.text()).toLowerCase()).toContain('graphiql');
  });
});

describe('GraphQL limits in production, with limits set through the environment', () => {
  const MAX_PAGE = 3;
  let t: TestServer;
  let projectId: string;
  let modelId: string;

  beforeAll(async () => {
    t = await startTestServer({
      env: {
        NODE_ENV: 'production',
        MODELPORT_MAX_PAGE_SIZE: String(MAX_PAGE),
        MODELPORT_GRAPHQL_MAX_DEPTH: '4',
        MODELPORT_GRAPHQL_MAX_COST: '200',
        MODELPORT_GRAPHQL_MAX_ALIASES: '5',
      },
    });
    projectId = await createProject(t, 'limits-prod');
    for (let i = 1; i <= 6; i++) await createProject(t, `limits-prod-${i}`);
    modelId = await createModel(t, projectId, 'versioned');
    for (let i = 1; i <= 6; i++) await createModel(t, projectId, `model ${i}`);
    const bytes = Buffer.from(linearRegressionModel());
    for (let i = 0; i < 5; i++) {
      const res = await uploadAndRegister(t, projectId, modelId, bytes);
      expect(res.errors).toBeUndefined();
    }
  });
  afterAll(() => t?.close());

  describe('page size at the configured maximum passes and one more fails', () => {
    it('on models', async () => {
      const ok = await t.gql<{ models: PageOf<{ id: string }> }>(`{ models(first: ${MAX_PAGE}) { nodes { id } } }`);
      expect(ok.errors).toBeUndefined();
      expect(ok.data!.models.nodes).toHaveLength(MAX_PAGE);
      expectPageSizeTooLarge(await t.gql(`{ models(first: ${MAX_PAGE + 1}) { nodes { id } } }`), MAX_PAGE);
    });

    it('on projects', async () => {
      const ok = await t.gql<{ projects: PageOf<{ id: string }> }>(`{ projects(first: ${MAX_PAGE}) { nodes { id } } }`);
      expect(ok.data!.projects.nodes).toHaveLength(MAX_PAGE);
      expectPageSizeTooLarge(await t.gql(`{ projects(first: ${MAX_PAGE + 1}) { nodes { id } } }`), MAX_PAGE);
    });

    it('on versions', async () => {
      const q = 'query($m: ID!, $n: Int) { model(id: $m) { versions(first: $n) { nodes { version } } } }';
      const ok = await t.gql<{ model: { versions: PageOf<{ version: number }> } }>(q, { m: modelId, n: MAX_PAGE });
      expect(ok.data!.model.versions.nodes).toHaveLength(MAX_PAGE);
      expectPageSizeTooLarge(await t.gql(q, { m: modelId, n: MAX_PAGE + 1 }), MAX_PAGE);
    });

    it('and without first a page holds at most the maximum', async () => {
      const res = await t.gql<{ models: PageOf<{ id: string }> }>('{ models { nodes { id } pageInfo { hasNextPage endCursor } } }');
      expect(res.data!.models.nodes).toHaveLength(MAX_PAGE);
      expect(res.data!.models.pageInfo.hasNextPage).toBe(true);
    });
  });

  describe('cursor pagination walks every item exactly once', () => {
    it('through projects', async () => {
      const pages = await walk(async (after) => {
        const data = await t.ok<{ projects: PageOf<{ id: string }> }>(
          `query($after: String) { projects(first: ${MAX_PAGE}, after: $after) { nodes { id } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
        return data.projects;
      });
      const ids = pages.flat().map((p) => p.id);
      const all: { id: string }[] = await t.db.dataSource.query('SELECT id FROM projects');
      expect(all.length).toBeGreaterThan(2 * MAX_PAGE);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(all.map((r) => r.id).sort());
      expect(pages.slice(0, -1).every((p) => p.length === MAX_PAGE)).toBe(true);
      expect(pages).toHaveLength(Math.ceil(all.length / MAX_PAGE));
    });

    it('through models, in name order', async () => {
      const pages = await walk(async (after) => {
        const data = await t.ok<{ models: PageOf<{ id: string; name: string }> }>(
          `query($after: String) { models(first: ${MAX_PAGE}, after: $after) { nodes { id name } pageInfo { hasNextPage endCursor } } }`,
          { after },
        );
        return data.models;
      });
      const names = pages.flat().map((m) => m.name);
      expect(names).toEqual(['model 1', 'model 2', 'model 3', 'model 4', 'model 5', 'model 6', 'versioned']);
    });

    it('through versions, newest first', async () => {
      const pages = await walk(async (after) => {
        const data = await t.ok<{ model: { versions: PageOf<{ version: number }> } }>(
          'query($m: ID!, $after: String) { model(id: $m) { versions(first: 2, after: $after) { nodes { version } pageInfo { hasNextPage endCursor } } } }',
          { m: modelId, after },
        );
        return data.model.versions;
      });
      expect(pages.map((p) => p.map((v) => v.version))).toEqual([[5, 4], [3, 2], [1]]);
    });
  });

  it('refuses a cursor this API did not return with INVALID_CURSOR', async () => {
    for (const after of ['garbage', Buffer.from('[5]').toString('base64url')]) {
      const res = await t.gql('query($after: String) { models(after: $after) { nodes { id } } }', { after });
      expect(res.data).toBeNull();
      expect(res.errors?.[0]).toMatchObject({ message: expect.stringMatching(/endCursor from a previous page/), extensions: { code: 'BAD_USER_INPUT', reason: 'INVALID_CURSOR' } });
    }
  });

  describe('depth', () => {
    it('accepts the configured depth (4)', async () => {
      const res = await t.gql('query($m: ID!) { model(id: $m) { versions(first: 1) { nodes { version } } } }', { m: modelId });
      expect(res.errors).toBeUndefined();
    });

    it('refuses one level more with a 400 and QUERY_TOO_DEEP', async () => {
      expectRefused(await t.gql('query Deep { models(first: 1) { nodes { versions(first: 1) { nodes { id } } } } }'), 'QUERY_TOO_DEEP', /^Deep is 5 levels deep; the maximum is 4\./);
    });

    it('refuses a deep query built from fragments and inline fragments', async () => {
      const q = `query Fragmented { models(first: 1) { ...M } }
        fragment M on ModelConnection { nodes { ... on Model { ...V } } }
        fragment V on Model { versions(first: 1) { nodes { signature { inputs { name } } } } }`;
      expectRefused(await t.gql(q), 'QUERY_TOO_DEEP', /^Fragmented is 7 levels deep; the maximum is 4\./);
    });

    it('refuses a deep mutation without running it', async () => {
      const before = await count(t, 'models');
      const res = await t.gql('mutation($p: ID!) { createModel(input: { projectId: $p, name: "deep" }) { versions { nodes { signature { inputs { name } } } } } }', { p: projectId });
      expectRefused(res, 'QUERY_TOO_DEEP', /6 levels deep; the maximum is 4/);
      expect(await count(t, 'models')).toBe(before);
    });
  });

  it('takes the cost limit from the environment', async () => {
    const q = 'query Costly($n: Int) { projects(first: $n) { nodes { id name } } }';
    // 1 + 66 * 3 = 199: within the cost limit, so it runs and the page size is what fails.
    expectPageSizeTooLarge(await t.gql(q, { n: 66 }), MAX_PAGE);
    // 1 + 67 * 3 = 202: refused before running.
    expectRefused(await t.gql(q, { n: 67 }), 'QUERY_TOO_COSTLY', /^Costly has an estimated cost of 202; the maximum is 200\./);
  });

  it('takes the alias limit from the environment', async () => {
    const aliases = (n: number) => Array.from({ length: n }, (_, i) => `m${i}: me { id }`).join(' ');
    expect((await t.gql(`{ ${aliases(5)} }`)).errors).toBeUndefined();
    expectRefused(await t.gql(`{ ${aliases(6)} }`), 'TOO_MANY_ALIASES', /uses 6 aliases; the maximum is 5\./);
  });

  it('refuses introspection through __schema and __type', async () => {
    expectRefused(await t.gql('{ __schema { queryType { name } } }'), 'GRAPHQL_VALIDATION_FAILED', /introspection has been disabled.*"__schema"/);
    expectRefused(await t.gql('{ __type(name: "Model") { name fields { name } } }'), 'GRAPHQL_VALIDATION_FAILED', /introspection has been disabled.*"__type"/);
  });

  it('still answers __typename', async () => {
    expect(await t.ok('{ __typename }')).toEqual({ __typename: 'Query' });
  });

  it('gives no "Did you mean" suggestions that would reveal the schema', async () => {
    const unknownField = await post(t, JSON.stringify({ query: '{ me { nme } }' }));
    expectRefused(unknownField, 'GRAPHQL_VALIDATION_FAILED', /^Cannot query field "nme" on type "User"\.$/);
    const unknownArgument = await post(t, JSON.stringify({ query: '{ models(frist: 1) { nodes { id } } }' }));
    expectRefused(unknownArgument, 'GRAPHQL_VALIDATION_FAILED', /^Unknown argument "frist" on field "Query\.models"\.$/);
    const badEnum = await post(t, JSON.stringify({ query: 'query($f: ModelFormat) { models(filter: { format: $f }) { nodes { id } } }', variables: { f: 'ONX' } }));
    expectRefused(badEnum, 'GRAPHQL_VALIDATION_FAILED', /Value "ONX" does not exist in "ModelFormat" enum\.$/);
    for (const res of [unknownField, unknownArgument, badEnum]) expect(res.raw).not.toMatch(/did you mean/i);
  });

  it('does not serve GraphiQL', async () => {
    expect((await fetch(`${t.url}/graphiql`)).status).toBe(404);
  });
});
