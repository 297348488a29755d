import { createProject, createModel } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

describe('explore', () => {
  let t: TestServer;
  beforeAll(async () => { t = await startTestServer({ env: { NODE_ENV: 'production' } }); (t.server.runtime.logger as any).error = (...a: unknown[]) => console.log('LOGERR', a); });
  afterAll(() => t?.close());
  it('prints', async () => {
    const p = await createProject(t, 'p1');
    await createModel(t, p, 'm1');
    const show = async (label: string, init: RequestInit) => {
      const r = await fetch(`${t.url}/graphql`, init);
      console.log(label, r.status, r.headers.get('content-type'), await r.text());
    };
    const h = { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` };
    const q = (query: string, variables = {}) => ({ method: 'POST', headers: h, body: JSON.stringify({ query, variables }) });
    await show('big', q('{ models(first: 1000) { nodes { id name } } }'));
    await show('cost100', q('{ models(first: 100) { nodes { id name description tags createdAt updatedAt ownerId projectId latestVersion } } }'));
    await show('syntax', q('{ me { id '));
    await show('unknown', q('{ me { nme } }'));
    await show('argtype', q('{ models(first: "x") { nodes { id } } }'));
    await show('enum', q('mutation($r: ProjectRole!) { setProjectMember(input: {projectId: "x", userId: "y", role: $r}) { role } }', { r: 'ADMI' }));
    await show('nonjson', { method: 'POST', headers: h, body: '{not json' });
    await show('empty', { method: 'POST', headers: h, body: '' });
    await show('batch', { method: 'POST', headers: h, body: JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]) });
    await show('schema', q('{ __schema { types { name } } }'));
    await show('type', q('{ __type(name: "User") { name } }'));
    await show('typename', q('{ __typename }'));
    await show('cursor', q('{ models(after: "garbage") { nodes { id } } }'));
    await show('cursor2', q('{ models(after: "WyJhIiwibm90LWEtdXVpZCJd") { nodes { id } } }'));
    await show('me', q('query Me { me { id name } }'));
    await show('noquery', { method: 'POST', headers: h, body: '{}' });
    const g = await fetch(`${t.url}/graphiql`); console.log('graphiql', g.status, (await g.text()).slice(0, 200));
    const m = await fetch(`${t.url}/metrics`); console.log('metrics', (await m.text()).split('\n').filter((l) => /graphql|route="\/graphql"|cpu_user/.test(l)).join('\n'));
    for (const p of ['/healthz', '/readyz']) { const r = await fetch(t.url + p); console.log(p, r.status, await r.text()); }
  });
});
