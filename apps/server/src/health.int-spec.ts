import { startTestServer, type TestServer } from './testing/test-server';

/** The value of one Prometheus sample whose labels include `labels`; 0 when the series does not exist yet. */
function sample(metrics: string, name: string, labels: Record<string, string>): number {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let total = 0;
  let found = false;
  for (const line of metrics.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)\{(.*)\} (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const have = match[2]!.split(/,(?=[a-zA-Z_]+=")/);
    if (want.every((w) => have.includes(w))) {
      if (found) throw new Error(`more than one ${name} series matches ${want.join(',')}`);
      found = true;
      total = Number(match[3]);
    }
  }
  return total;
}

describe('health and metrics endpoints', () => {
  let t: TestServer;

  const metrics = async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    return res.text();
  };

  /** Polls /metrics until the sample reaches `atLeast` (a response is counted once it has been sent), then returns it. */
  const sampleReaching = async (name: string, labels: Record<string, string>, atLeast: number): Promise<number> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const value = sample(await metrics(), name, labels);
      if (value >= atLeast || Date.now() > deadline) return value;
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  beforeAll(async () => {
    t = await startTestServer();
  });
  afterAll(() => t?.close());

  it('/healthz answers 200 without a token', async () => {
    const res = await fetch(`${t.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz answers 200 without a token, listing its checks', async () => {
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok', checks: { shutdown: 'ok', database: 'ok', artifactStore: 'ok' } });
  });

  it('/metrics is Prometheus text with the process metrics, without a token', async () => {
    const res = await fetch(`${t.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toContain('# TYPE modelport_process_cpu_user_seconds_total counter');
    expect(text).toMatch(/^modelport_process_cpu_user_seconds_total\{service="modelport"\} \d+(\.\d+)?(e[-+]?\d+)?$/m);
    expect(text).toMatch(/^modelport_process_resident_memory_bytes\{service="modelport"\} \d+$/m);
    expect(text).toMatch(/^modelport_nodejs_eventloop_lag_seconds\{service="modelport"\} /m);
    expect(text).toContain('# TYPE modelport_http_request_duration_seconds histogram');
    expect(text).toContain('# TYPE modelport_graphql_operation_duration_seconds histogram');
  });

  it('counts HTTP requests to /graphql and GraphQL operations by name', async () => {
    const http = { method: 'POST', route: '/graphql', status_code: '200' };
    const me = { operation_type: 'query', operation_name: 'Me', outcome: 'ok' };
    const before = await metrics();
    const httpBefore = sample(before, 'modelport_http_request_duration_seconds_count', http);
    const meBefore = sample(before, 'modelport_graphql_operation_duration_seconds_count', me);

    for (let i = 0; i < 3; i++) await t.ok('query Me { me { id } }');

    expect(await sampleReaching('modelport_http_request_duration_seconds_count', http, httpBefore + 3)).toBe(httpBefore + 3);
    expect(await sampleReaching('modelport_graphql_operation_duration_seconds_count', me, meBefore + 3)).toBe(meBefore + 3);
    const after = await metrics();
    expect(sample(after, 'modelport_graphql_operation_duration_seconds_sum', me)).toBeGreaterThan(0);
    expect(sample(after, 'modelport_graphql_operation_duration_seconds_bucket', { ...me, le: '+Inf' })).toBe(meBefore + 3);
  });

  it('counts operations that fail with outcome="error", and mutations by type', async () => {
    const failed = { operation_type: 'query', operation_name: 'Missing', outcome: 'error' };
    const created = { operation_type: 'mutation', operation_name: 'CreateProject', outcome: 'ok' };
    const res = await t.gql('query Missing { project(name: "no-such-project") { id } }');
    expect(res.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    await t.ok('mutation CreateProject { createProject(input: { name: "metrics" }) { id } }');
    expect(await sampleReaching('modelport_graphql_operation_duration_seconds_count', failed, 1)).toBe(1);
    expect(await sampleReaching('modelport_graphql_operation_duration_seconds_count', created, 1)).toBe(1);
  });

  it('labels routes by their pattern, not by the path asked for', async () => {
    const id = '0b7a1c1e-94c4-4c9c-8f51-3cdb3b6f4c11';
    await fetch(`${t.url}/v1/artifacts/${id}`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    await fetch(`${t.url}/no/such/page-${id}`);
    const text = await metrics();
    expect(text).not.toContain(id);
    expect(text).toMatch(/modelport_http_request_duration_seconds_count\{[^}]*method="GET",route="\/v1\/artifacts\/:versionId"/);
  });

  it('/readyz answers 503 naming the check that fails when the database is gone', async () => {
    // Last in this file: it takes the server's database away.
    await t.server.runtime.dataSource.destroy();
    const res = await fetch(`${t.url}/readyz`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; checks: Record<string, string> };
    expect(body.status).toBe('unavailable');
    expect(body.checks).toMatchObject({ shutdown: 'ok', artifactStore: 'ok', database: expect.stringMatching(/^error: /) });
    expect((await fetch(`${t.url}/healthz`)).status).toBe(200);
  });
});
