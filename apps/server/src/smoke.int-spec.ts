import { type ChildProcess, execFileSync, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { environmentWithoutSettings } from '@modelport/config';
import { irisClassifierModel } from '@modelport/sample-models';
import { sha256 } from './testing/fixtures';

const root = resolve(__dirname, '..', '..', '..');

/**
 * The built server, started the way the README starts it: no configuration at
 * all, so it runs an embedded PostgreSQL, the local artifact directory and
 * in-process jobs, and prints a generated admin token once.
 */
describe('smoke: the built server with no configuration', () => {
  let cwd: string;
  let child: ChildProcess;
  let stderr = '';
  let stdout = '';
  let url: string;
  let token: string;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(root, 'tools/scripts/build.cjs')], { cwd: root, stdio: 'pipe' });
    cwd = mkdtempSync(join(tmpdir(), 'modelport-smoke-'));
    chmodSync(cwd, 0o755); // as root, the embedded PostgreSQL runs as another user that must reach its directory
    // Only what a fresh shell has: no DATABASE_URL, S3_*, REDIS_URL or MODELPORT_* settings.
    const env = environmentWithoutSettings();
    child = spawn(process.execPath, [join(root, 'dist/apps/server/src/main.js')], { cwd, env: { ...env, MODELPORT_PORT: '0' }, stdio: 'pipe' });
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const deadline = Date.now() + 90_000;
    while (Date.now() < deadline) {
      const listening = /"url":"(http:\/\/[^"]+)".*"msg":"Modelport server listening"/.exec(stdout);
      const printed = /\n\s+(mpt_[A-Za-z0-9_-]+)\n/.exec(stderr);
      if (listening && printed) {
        url = listening[1]!;
        token = printed[1]!;
        return;
      }
      if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${stderr}\n${stdout}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`server did not start in time:\n${stderr}\n${stdout}`);
  }, 120_000);

  afterAll(async () => {
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  }, 60_000);

  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify({ query, variables }),
    });
    const body = (await res.json()) as { data: any; errors?: unknown[] };
    if (body.errors) throw new Error(JSON.stringify(body.errors));
    return body.data;
  };

  it('started the embedded defaults and said so', () => {
    expect(stdout).toContain('embedded PostgreSQL started');
    expect(stdout).toMatch(/"kind":"local","msg":"artifact store ready"/);
    expect(stdout).toMatch(/not durable/);
  });

  it('registers an ONNX model through GraphQL and downloads it back with the same sha256', async () => {
    const bytes = Buffer.from(irisClassifierModel());
    const { createProject } = await gql(`mutation { createProject(input: { name: "smoke" }) { id } }`);
    const { createModel } = await gql(`mutation($p: ID!) { createModel(input: { projectId: $p, name: "iris" }) { id } }`, { p: createProject.id });
    const { createArtifactUpload: slot } = await gql(
      `mutation($p: ID!, $s: Float!, $h: String!) { createArtifactUpload(input: { projectId: $p, sizeBytes: $s, sha256: $h }) { id url } }`,
      { p: createProject.id, s: bytes.length, h: sha256(bytes) },
    );
    const put = await fetch(slot.url, { method: 'PUT', headers: { 'content-type': 'application/octet-stream', authorization: `Bearer ${token}` }, body: bytes });
    expect(put.status).toBe(200);
    const { registerModelVersion: v } = await gql(
      `mutation($i: RegisterModelVersionInput!) { registerModelVersion(input: $i) { version artifact { sha256 } signature { inputs { name } } artifactDownloadUrl } }`,
      { i: { modelId: createModel.id, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length } },
    );
    expect(v.version).toBe(1);
    expect(v.signature.inputs).toEqual([{ name: 'features' }]);
    const download = await fetch(v.artifactDownloadUrl, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(bytes));
  });

  it('stops cleanly on SIGTERM, stopping the embedded PostgreSQL too', async () => {
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stdout).toContain('embedded PostgreSQL stopped');
  });
});

describe('the built server with invalid configuration', () => {
  it('refuses to start, naming every bad variable, and touches nothing', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'modelport-badconfig-'));
    try {
      const env = environmentWithoutSettings();
      const run = spawnSync(process.execPath, [join(root, 'dist/apps/server/src/main.js')], {
        cwd,
        env: { ...env, MODELPORT_PORT: 'eighty', S3_ENDPOINT: 'http://127.0.0.1:9000', MODELPORT_ROLES: 'api,chef' },
        encoding: 'utf8',
        timeout: 30_000,
      });
      expect(run.status).toBe(2);
      expect(run.stderr).toContain('MODELPORT_PORT: must be a whole number (got "eighty")');
      expect(run.stderr).toContain('S3_ACCESS_KEY: required when S3_ENDPOINT is set');
      expect(run.stderr).toContain('MODELPORT_ROLES: each role must be one of api, gateway, worker, plugin-host');
      expect(execFileSync('ls', ['-A', cwd], { encoding: 'utf8' })).toBe('');
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
