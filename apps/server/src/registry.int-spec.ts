import { EXPIRE_UPLOADS_JOB } from '@modelport/registry';
import { irisClassifierModel, legacyInitializersAsInputsModel, linearRegressionModel } from '@modelport/sample-models';
import { createModel, createProject, createUpload, putBytes, REGISTER, sha256, uploadAndRegister } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const MAX_BYTES = 64 * 1024;

/** Every stored object is referenced: artifacts by a version, staged uploads by an open upload slot. */
async function expectNoOrphans(t: TestServer): Promise<void> {
  const store = t.server.runtime.store;
  const keys = async (prefix: string) => {
    const out: string[] = [];
    for await (const o of store.list(prefix)) out.push(o.key);
    return out.sort();
  };
  const versionKeys: { artifact_key: string }[] = await t.db.dataSource.query('SELECT DISTINCT artifact_key FROM model_versions ORDER BY 1');
  expect(await keys('artifacts/')).toEqual(versionKeys.map((r) => r.artifact_key).sort());
  const open: { id: string }[] = await t.db.dataSource.query(`SELECT id FROM artifact_uploads WHERE status IN ('PENDING', 'RECEIVED', 'VERIFYING')`);
  const openKeys = new Set(open.map((r) => `uploads/${r.id}`));
  for (const key of await keys('uploads/')) expect(openKeys).toContain(key);
  const dangling = await t.db.dataSource.query(
    `SELECT count(*)::int AS n FROM model_versions v LEFT JOIN artifact_uploads u ON u.id = v.upload_id WHERE u.status IS DISTINCT FROM 'CONSUMED'`,
  );
  expect(dangling[0].n).toBe(0);
}

async function versionCount(t: TestServer): Promise<number> {
  return (await t.db.dataSource.query('SELECT count(*)::int AS n FROM model_versions'))[0].n;
}

describe.each(['local', 's3'] as const)('model registry with the %s artifact store', (storage) => {
  let t: TestServer;
  let projectId: string;

  beforeAll(async () => {
    t = await startTestServer({ storage, env: { MODELPORT_MAX_ARTIFACT_BYTES: String(MAX_BYTES) } });
    projectId = await createProject(t, `registry-${storage}`);
  });
  afterAll(() => t?.close());

  it('registers an ONNX model end to end, stores its signature, and downloads the same bytes', async () => {
    const modelId = await createModel(t, projectId, 'Iris classifier');
    const bytes = Buffer.from(irisClassifierModel());
    const res = await uploadAndRegister(t, projectId, modelId, bytes, {
      description: 'first fit',
      tags: ['iris', 'baseline'],
      lineage: {
        trainingDataUri: 's3://data/iris.csv',
        codeCommit: 'a1b2c3d',
        parameters: [{ key: 'C', value: '1.0' }],
        metrics: [{ key: 'accuracy', value: 0.96 }],
      },
    });
    expect(res.errors).toBeUndefined();
    const v = res.data!.registerModelVersion as Record<string, any>;
    expect(v['version']).toBe(1);
    expect(v['artifact']).toEqual({ sha256: sha256(bytes), sizeBytes: bytes.length, format: 'ONNX' });
    expect(v['signature']).toEqual({
      inputs: [{ name: 'features', elementType: 'FLOAT', shape: ['batch', '4'], kind: 'tensor' }],
      outputs: [
        { name: 'label', elementType: 'INT64', shape: ['batch'], kind: 'tensor' },
        { name: 'probabilities', elementType: 'FLOAT', shape: ['batch', '3'], kind: 'tensor' },
      ],
    });
    expect(v['onnx'].opsets).toEqual(expect.arrayContaining([{ domain: '', version: 13 }, { domain: 'ai.onnx.ml', version: 1 }]));
    expect(v['lineage']).toEqual({
      trainingDataUri: 's3://data/iris.csv',
      codeCommit: 'a1b2c3d',
      parameters: [{ key: 'C', value: '1.0' }],
      metrics: [{ key: 'accuracy', value: 0.96 }],
    });
    expect(v['tags']).toEqual(['iris', 'baseline']);

    const url = v['artifactDownloadUrl'] as string;
    const download = await fetch(url, url.startsWith(t.url) ? { headers: { authorization: `Bearer ${t.adminToken}` } } : {});
    expect(download.status).toBe(200);
    expect(sha256(Buffer.from(await download.arrayBuffer()))).toBe(sha256(bytes));
    await expectNoOrphans(t);
  });

  it('numbers versions 1, 2, 3 and stores identical bytes once', async () => {
    const modelId = await createModel(t, projectId, 'Regressor');
    const bytes = Buffer.from(linearRegressionModel());
    const versions: number[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await uploadAndRegister(t, projectId, modelId, bytes);
      expect(res.errors).toBeUndefined();
      versions.push(res.data!.registerModelVersion.version);
    }
    expect(versions).toEqual([1, 2, 3]);
    const objects: string[] = [];
    for await (const o of t.server.runtime.store.list('artifacts/')) objects.push(o.key);
    expect(objects.filter((k) => k.endsWith(sha256(bytes)))).toHaveLength(1);
    await expectNoOrphans(t);
  });

  it('gives concurrent registrations distinct, gapless version numbers', async () => {
    const modelId = await createModel(t, projectId, 'Concurrent');
    const bytes = [0, 1, 2, 3, 4].map(() => Buffer.from(linearRegressionModel()));
    const results = await Promise.all(bytes.map((b) => uploadAndRegister(t, projectId, modelId, b)));
    expect(results.map((r) => r.errors)).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(results.map((r) => r.data!.registerModelVersion.version).sort()).toEqual([1, 2, 3, 4, 5]);
  });

  it('drops initializers from the inputs of old-style ONNX files', async () => {
    const modelId = await createModel(t, projectId, 'Legacy');
    const res = await uploadAndRegister(t, projectId, modelId, Buffer.from(legacyInitializersAsInputsModel()));
    expect(res.errors).toBeUndefined();
    const inputs = (res.data!.registerModelVersion as any).signature.inputs.map((i: { name: string }) => i.name);
    expect(inputs).toEqual(['features']);
  });

  describe('bad input: a clear error and nothing half-stored', () => {
    it('rejects a checksum mismatch and deletes the uploaded bytes', async () => {
      const modelId = await createModel(t, projectId, 'Checksum');
      const bytes = Buffer.from(linearRegressionModel());
      const other = Buffer.from(bytes);
      other[other.length - 1] ^= 0xff;
      const before = await versionCount(t);
      const slot = await createUpload(t, projectId, bytes, undefined, { sha256: sha256(other) });
      expect((await putBytes(t, slot, bytes)).ok).toBe(true);
      const res = await t.gql(REGISTER, { input: { modelId, uploadId: slot.id, sha256: sha256(other), sizeBytes: bytes.length } });
      expect(res.errors?.[0]?.extensions?.reason).toBe('CHECKSUM_MISMATCH');
      expect(res.errors?.[0]?.message).toMatch(/sha256 is [0-9a-f]{64} but [0-9a-f]{64} was declared/);
      expect(await versionCount(t)).toBe(before);
      expect(await t.server.runtime.store.stat(`uploads/${slot.id}`)).toBeNull();
      await expectNoOrphans(t);
    });

    it('rejects a size mismatch', async () => {
      const modelId = await createModel(t, projectId, 'Size');
      const bytes = Buffer.from(linearRegressionModel());
      const before = await versionCount(t);
      const slot = await createUpload(t, projectId, bytes, undefined, { size: bytes.length + 10 });
      const put = await putBytes(t, slot, bytes);
      if (storage === 'local') {
        // The server's endpoint counts the bytes as they stream and refuses at once.
        expect(put.status).toBe(400);
        expect(((await put.json()) as { error: { code: string } }).error.code).toBe('SIZE_MISMATCH');
      } else {
        expect(put.ok).toBe(true);
      }
      const res = await t.gql(REGISTER, { input: { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length + 10 } });
      expect(res.errors?.[0]?.extensions?.reason).toBe(storage === 'local' ? 'UPLOAD_NOT_RECEIVED' : 'SIZE_MISMATCH');
      expect(await versionCount(t)).toBe(before);
      await expectNoOrphans(t);
    });

    it('rejects a file that is not ONNX unless another format is named', async () => {
      const modelId = await createModel(t, projectId, 'Pickle');
      const pickle = Buffer.concat([Buffer.from([0x80, 0x04, 0x95]), Buffer.from('sklearn.linear_model LogisticRegression '.repeat(20))]);
      const before = await versionCount(t);
      const rejected = await uploadAndRegister(t, projectId, modelId, pickle);
      expect(rejected.errors?.[0]?.extensions?.reason).toBe('NOT_ONNX');
      expect(rejected.errors?.[0]?.message).toMatch(/register it with an explicit format/);
      expect(await versionCount(t)).toBe(before);
      await expectNoOrphans(t);

      const accepted = await uploadAndRegister(t, projectId, modelId, pickle, { format: 'SKLEARN' });
      expect(accepted.errors).toBeUndefined();
      expect((accepted.data!.registerModelVersion as any).signature).toBeNull();
      expect((accepted.data!.registerModelVersion as any).artifact.format).toBe('SKLEARN');
      await expectNoOrphans(t);
    });

    it('refuses an artifact over the configured size limit before any byte is sent', async () => {
      const res = await t.gql(`mutation($p: ID!) { createArtifactUpload(input: { projectId: $p, sizeBytes: ${MAX_BYTES + 1}, sha256: "${'a'.repeat(64)}" }) { id } }`, {
        p: projectId,
      });
      expect(res.errors?.[0]?.extensions?.reason).toBe('ARTIFACT_TOO_LARGE');
      expect(res.errors?.[0]?.message).toContain('MODELPORT_MAX_ARTIFACT_BYTES');
      const open = await t.db.dataSource.query(`SELECT count(*)::int AS n FROM artifact_uploads WHERE expected_size > $1`, [MAX_BYTES]);
      expect(open[0].n).toBe(0);
    });

    it('refuses to use an upload twice', async () => {
      const modelId = await createModel(t, projectId, 'Twice');
      const bytes = Buffer.from(linearRegressionModel());
      const slot = await createUpload(t, projectId, bytes);
      await putBytes(t, slot, bytes);
      const input = { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length };
      expect((await t.gql(REGISTER, { input })).errors).toBeUndefined();
      const again = await t.gql(REGISTER, { input });
      expect(again.errors?.[0]?.extensions?.reason).toBe('UPLOAD_ALREADY_USED');
      expect(await versionCount(t)).toBeGreaterThan(0);
      const versions = await t.db.dataSource.query('SELECT count(*)::int AS n FROM model_versions WHERE model_id = $1', [modelId]);
      expect(versions[0].n).toBe(1);
      await expectNoOrphans(t);
    });

    it("refuses an upload of another project", async () => {
      const otherProject = await createProject(t, `other-${storage}`);
      const modelId = await createModel(t, projectId, 'Cross project');
      const bytes = Buffer.from(linearRegressionModel());
      const slot = await createUpload(t, otherProject, bytes);
      await putBytes(t, slot, bytes);
      const res = await t.gql(REGISTER, { input: { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length } });
      expect(res.errors?.[0]?.extensions?.reason).toBe('UPLOAD_NOT_FOUND');
      const versions = await t.db.dataSource.query('SELECT count(*)::int AS n FROM model_versions WHERE model_id = $1', [modelId]);
      expect(versions[0].n).toBe(0);
      await expectNoOrphans(t);
    });

    it('rejects malformed sha256, sizes, tags, formats and lineage without creating an upload', async () => {
      const before = (await t.db.dataSource.query('SELECT count(*)::int AS n FROM artifact_uploads'))[0].n;
      const cases: [string, string][] = [
        [`sizeBytes: 10, sha256: "xyz"`, 'INVALID_SHA256'],
        [`sizeBytes: 0, sha256: "${'a'.repeat(64)}"`, 'INVALID_SIZE'],
        [`sizeBytes: 1.5, sha256: "${'a'.repeat(64)}"`, 'INVALID_SIZE'],
      ];
      for (const [args, reason] of cases) {
        const res = await t.gql(`mutation($p: ID!) { createArtifactUpload(input: { projectId: $p, ${args} }) { id } }`, { p: projectId });
        expect(res.errors?.[0]?.extensions?.reason).toBe(reason);
      }
      expect((await t.db.dataSource.query('SELECT count(*)::int AS n FROM artifact_uploads'))[0].n).toBe(before);

      const modelId = await createModel(t, projectId, 'Validation');
      const bytes = Buffer.from(linearRegressionModel());
      for (const [extra, reason] of [
        [{ tags: ['ok', ' bad'] }, 'INVALID_TAG'],
        [{ lineage: { trainingDataUri: 'not a uri' } }, 'INVALID_LINEAGE'],
        [{ lineage: { metrics: [{ key: 'a', value: 1 }, { key: 'a', value: 2 }] } }, 'INVALID_LINEAGE'],
      ] as const) {
        const slot = await createUpload(t, projectId, bytes);
        await putBytes(t, slot, bytes);
        const res = await t.gql(REGISTER, { input: { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length, ...extra } });
        expect(res.errors?.[0]?.extensions?.reason).toBe(reason);
        // Validation happens before the upload is touched, so the slot can still be used.
        const retry = await t.gql(REGISTER, { input: { modelId, uploadId: slot.id, sha256: sha256(bytes), sizeBytes: bytes.length } });
        expect(retry.errors).toBeUndefined();
      }
      await expectNoOrphans(t);
    });
  });
});

describe('model names', () => {
  let t: TestServer;
  let projectId: string;
  beforeAll(async () => {
    t = await startTestServer();
    projectId = await createProject(t, 'names');
  });
  afterAll(() => t?.close());

  const CREATE = `mutation($p: ID!, $n: String!) { createModel(input: { projectId: $p, name: $n }) { id name } }`;

  it('refuses duplicates and look-alikes (case, width, ligatures, sharp s) and names the existing model', async () => {
    expect((await t.gql(CREATE, { p: projectId, n: 'Fraud Strasse ﬁle' })).errors).toBeUndefined();
    for (const lookAlike of ['Fraud Strasse ﬁle', 'fraud strasse file', 'ＦＲＡＵＤ STRASSE FILE', 'Fraud Straße file']) {
      const res = await t.gql(CREATE, { p: projectId, n: lookAlike });
      expect(res.errors?.[0]?.extensions?.reason).toBe('MODEL_NAME_TAKEN');
      expect(res.errors?.[0]?.message).toContain('"Fraud Strasse ﬁle"');
    }
    const count = await t.db.dataSource.query('SELECT count(*)::int AS n FROM models WHERE project_id = $1', [projectId]);
    expect(count[0].n).toBe(1);
  });

  it('allows the same name in another project', async () => {
    const other = await createProject(t, 'names-2');
    expect((await t.gql(CREATE, { p: other, n: 'Fraud Strasse ﬁle' })).errors).toBeUndefined();
  });

  it.each([
    ['empty', ''],
    ['whitespace', '   '],
    ['over 256 characters', 'm'.repeat(257)],
    ['a slash', 'a/b'],
    ['a backslash', 'a\\b'],
    ['dot dot', 'a..b'],
    ['NUL', 'a\u0000b'],
    ['CR', 'a\rb'],
    ['LF', 'a\nb'],
    ['a zero-width space', 'a\u200bb'],
  ])('rejects a name with %s', async (_, name) => {
    const before = (await t.db.dataSource.query('SELECT count(*)::int AS n FROM models'))[0].n;
    const res = await t.gql(CREATE, { p: projectId, n: name });
    expect(res.errors?.[0]?.extensions?.reason).toBe('INVALID_NAME');
    expect(res.errors?.[0]?.message).toMatch(/^Invalid model name: /);
    expect((await t.db.dataSource.query('SELECT count(*)::int AS n FROM models'))[0].n).toBe(before);
  });

  it('answers malformed and unknown ids with "not found", never a database error', async () => {
    const unknown = '00000000-0000-4000-8000-000000000000';
    for (const id of ['not-a-uuid', unknown]) {
      const created = await t.gql(CREATE, { p: id, n: 'orphan' });
      expect(created.errors?.[0]?.extensions?.reason).toBe('PROJECT_NOT_FOUND');
      const upload = await t.gql(`mutation($p: ID!) { createArtifactUpload(input: { projectId: $p, sizeBytes: 10, sha256: "${'a'.repeat(64)}" }) { id } }`, { p: id });
      expect(upload.errors?.[0]?.extensions?.reason).toBe('PROJECT_NOT_FOUND');
      expect((await t.gql(`query($id: ID!) { model(id: $id) { id } }`, { id })).errors?.[0]?.extensions?.reason).toBe('MODEL_NOT_FOUND');
      expect((await t.gql(`query($id: ID!) { modelVersion(id: $id) { id } }`, { id })).errors?.[0]?.extensions?.reason).toBe('MODEL_VERSION_NOT_FOUND');
    }
    expect((await t.db.dataSource.query(`SELECT count(*)::int AS n FROM models WHERE name = 'orphan'`))[0].n).toBe(0);
    expect((await t.db.dataSource.query(`SELECT count(*)::int AS n FROM artifact_uploads WHERE expected_size = 10`))[0].n).toBe(0);
  });

  it('refuses forged cursors with INVALID_CURSOR instead of a database error', async () => {
    const forged = (v: unknown[]) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const models = await t.gql(`query($a: String) { models(first: 5, after: $a) { nodes { id } } }`, { a: forged(['a', 'not-a-uuid']) });
    expect(models.errors?.[0]?.extensions?.reason).toBe('INVALID_CURSOR');
    const projects = await t.gql(`query($a: String) { projects(first: 5, after: $a) { nodes { id } } }`, { a: forged([1, 2]) });
    expect(projects.errors?.[0]?.extensions?.reason).toBe('INVALID_CURSOR');
    const modelId = await createModel(t, projectId, 'Cursor target');
    const versions = await t.gql(`query($m: ID!, $a: String) { model(id: $m) { versions(first: 5, after: $a) { nodes { id } } } }`, { m: modelId, a: forged(['abc']) });
    expect(versions.errors?.[0]?.extensions?.reason).toBe('INVALID_CURSOR');
  });

  it('accepts 256 characters exactly', async () => {
    expect((await t.gql(CREATE, { p: projectId, n: 'é'.repeat(256) })).errors).toBeUndefined();
  });
});

describe('expired uploads, swept by a job on the BullMQ queue', () => {
  let t: TestServer;
  beforeAll(async () => {
    t = await startTestServer({ queue: 'redis', storage: 's3' });
  });
  afterAll(() => t?.close());

  it('expires open uploads past their deadline, deletes their bytes, and refuses to register them', async () => {
    expect(t.server.runtime.queue.kind).toBe('bullmq');
    const projectId = await createProject(t, 'sweep');
    const modelId = await createModel(t, projectId, 'Late');
    const bytes = Buffer.from(linearRegressionModel());
    const late = await createUpload(t, projectId, bytes);
    const fresh = await createUpload(t, projectId, bytes);
    await putBytes(t, late, bytes);
    await putBytes(t, fresh, bytes);
    await t.db.dataSource.query(`UPDATE artifact_uploads SET expires_at = now() - interval '1 minute' WHERE id = $1`, [late.id]);

    const jobId = await t.server.runtime.queue.enqueue(EXPIRE_UPLOADS_JOB, {});
    const job = await t.server.runtime.queue.waitFor(jobId, 30_000);
    expect(job.state).toBe('completed');
    expect(job.returnValue).toBe(1);

    const rows: { id: string; status: string }[] = await t.db.dataSource.query('SELECT id, status FROM artifact_uploads ORDER BY created_at');
    expect(Object.fromEntries(rows.map((r) => [r.id, r.status]))).toEqual({ [late.id]: 'EXPIRED', [fresh.id]: 'PENDING' });
    expect(await t.server.runtime.store.stat(`uploads/${late.id}`)).toBeNull();
    expect(await t.server.runtime.store.stat(`uploads/${fresh.id}`)).not.toBeNull();

    const res = await t.gql(REGISTER, { input: { modelId, uploadId: late.id, sha256: sha256(bytes), sizeBytes: bytes.length } });
    expect(res.errors?.[0]?.extensions?.reason).toBe('UPLOAD_EXPIRED');
    await expectNoOrphans(t);
  });
});
