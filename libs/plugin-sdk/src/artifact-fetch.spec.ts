import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CallError } from './call-error';
import { checkArtifactUri, describeUri, fetchArtifact } from './artifact-fetch';

const BYTES = Buffer.from('{"weights":[1,2],"bias":0.5}');
const SHA = createHash('sha256').update(BYTES).digest('hex');

describe('fetchArtifact', () => {
  let dir: string;
  let work: string;
  let server: Server;
  let base: string;

  beforeAll(async () => {
    server = createServer((req, res) => {
      if (req.url?.startsWith('/model')) res.writeHead(200, { 'content-length': BYTES.length }).end(BYTES);
      else if (req.url?.startsWith('/busy')) res.writeHead(503).end();
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'mp-fetch-src-'));
    work = mkdtempSync(join(tmpdir(), 'mp-fetch-work-'));
    writeFileSync(join(dir, 'model.json'), BYTES);
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(work, { recursive: true, force: true });
  });

  const fetchInto = (uri: string, sha256 = SHA, sizeBytes = BYTES.length) => fetchArtifact({ uri, sha256, sizeBytes }, { dir: work, timeoutMs: 5_000 });
  const failure = async (p: Promise<unknown>) => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CallError);
    return err as CallError;
  };

  it('copies a file:// artifact into a private file after checking its digest', async () => {
    const path = await fetchInto(pathToFileURL(join(dir, 'model.json')).href);
    expect(path.startsWith(work)).toBe(true);
    expect(readFileSync(path)).toEqual(BYTES);
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('downloads an http:// artifact (query string and all)', async () => {
    const path = await fetchInto(`${base}/model?X-Amz-Signature=secret`);
    expect(readFileSync(path)).toEqual(BYTES);
  });

  it('refuses a digest mismatch naming both digests, and leaves no file behind', async () => {
    const wrong = 'f'.repeat(64);
    const err = await failure(fetchInto(`${base}/model`, wrong));
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.message).toBe(`artifact sha256 mismatch: expected ${wrong}, got ${SHA}; nothing was loaded`);
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses a size mismatch either way, and leaves no file behind', async () => {
    const smaller = await failure(fetchInto(pathToFileURL(join(dir, 'model.json')).href, SHA, BYTES.length - 1));
    expect(smaller.code).toBe('FAILED_PRECONDITION');
    expect(smaller.message).toContain(`expected ${BYTES.length - 1} bytes`);
    const larger = await failure(fetchInto(pathToFileURL(join(dir, 'model.json')).href, SHA, BYTES.length + 1));
    expect(larger.code).toBe('FAILED_PRECONDITION');
    expect(larger.message).toBe(`artifact size mismatch: expected ${BYTES.length + 1} bytes, got ${BYTES.length}; nothing was loaded`);
    expect(readdirSync(work)).toEqual([]);
  });

  it('accepts an unknown size (0)', async () => {
    await expect(fetchInto(`${base}/model`, SHA, 0)).resolves.toContain(work);
  });

  it('maps unreachable or missing artifacts to clear statuses without leaking the query string', async () => {
    const missing = await failure(fetchInto(`${base}/gone?signature=topsecret`));
    expect(missing.code).toBe('FAILED_PRECONDITION');
    expect(missing.message).toBe(`artifact download from ${base}/gone failed: HTTP 404`);
    expect((await failure(fetchInto(`${base}/busy`))).code).toBe('UNAVAILABLE');
    const noFile = await failure(fetchInto(pathToFileURL(join(dir, 'nope.json')).href));
    expect(noFile.code).toBe('FAILED_PRECONDITION');
    expect(noFile.message).toContain('does not exist');
    expect(readdirSync(work)).toEqual([]);
  });

  it('refuses URIs it cannot fetch before any I/O', () => {
    expect(() => checkArtifactUri('s3://bucket/model.onnx')).toThrow('scheme "s3" is not supported');
    expect(() => checkArtifactUri('not a url')).toThrow('not a URL');
    expect(() => checkArtifactUri('file://otherhost/model.onnx')).toThrow('another host');
    expect(() => checkArtifactUri('https://example.com/m.onnx?sig=1')).not.toThrow();
    expect(describeUri('https://user:pw@example.com/m.onnx?sig=1')).toBe('https://example.com/m.onnx');
  });
});
