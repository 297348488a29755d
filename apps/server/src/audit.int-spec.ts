import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { parseSigningKey, verifyExportedCheckpoint } from '@modelport/governance';
import { createMember, createModel, createProject } from './testing/fixtures';
import { startTestServer, type TestServer } from './testing/test-server';

const KEY = randomBytes(32).toString('base64');

interface Event {
  action: string;
  outcome: string;
  actorId: string | null;
  projectId: string | null;
  dataJson: string;
}

describe('the audit trail of a running server', () => {
  let t: TestServer;
  let projectId: string;
  let viewer: { userId: string; token: string };
  let adminId: string;

  const events = async (action?: string): Promise<Event[]> =>
    (
      await t.ok<{ auditEvents: { nodes: Event[] } }>(`query($a: String) { auditEvents(first: 100, action: $a) { nodes { action outcome actorId projectId dataJson } } }`, {
        a: action ?? null,
      })
    ).auditEvents.nodes;

  beforeAll(async () => {
    t = await startTestServer({ env: { MODELPORT_AUDIT_SIGNING_KEY: KEY } });
    projectId = await createProject(t, 'audited');
    viewer = await createMember(t, projectId, 'audited-viewer', 'VIEWER');
    adminId = (await t.ok<{ me: { id: string } }>(`{ me { id } }`)).me.id;
  });
  afterAll(() => t?.close());

  it('records every mutation with its actor and redacted input', async () => {
    await createModel(t, projectId, 'audited-model');
    const [created] = await events('createModel');
    expect(created).toMatchObject({ action: 'createModel', outcome: 'ok', actorId: adminId, projectId });
    expect(JSON.parse(created!.dataJson).details.args.input.name).toBe('audited-model');
    const [token] = await events('createApiToken');
    expect(JSON.stringify(token)).not.toContain(viewer.token);
  });

  it('records access refused by the guard, by a domain check and by the V2 gateway', async () => {
    const refused = await t.gql(`mutation($p: ID!) { createModel(input: { projectId: $p, name: "not-allowed" }) { id } }`, { p: projectId }, viewer.token);
    expect(refused.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const anonymous = await fetch(`${t.url}/v2/models/anything/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(anonymous.status).toBe(401);
    await new Promise((r) => setTimeout(r, 100));
    const denied = await events('access.denied');
    expect(denied.some((e) => e.actorId === viewer.userId && e.outcome === 'denied')).toBe(true);
    expect(denied.some((e) => e.actorId === null && JSON.parse(e.dataJson).details.plane === 'v2')).toBe(true);
  });

  it('is verified, exported with a signed checkpoint, and tampering is detected', async () => {
    const verified = await t.ok<{ verifyAuditChain: { ok: boolean; rowsChecked: number; lastSeq: string } }>(`{ verifyAuditChain { ok rowsChecked lastSeq } }`);
    expect(verified.verifyAuditChain.ok).toBe(true);
    expect(verified.verifyAuditChain.rowsChecked).toBeGreaterThan(3);

    const res = await fetch(`${t.url}/v1/audit/export`, { headers: { authorization: `Bearer ${t.adminToken}` } });
    expect(res.status).toBe(200);
    const lines = (await res.text()).trim().split('\n');
    const checkpointLine = lines.at(-1)!;
    expect(verifyExportedCheckpoint(checkpointLine, parseSigningKey(KEY)).valid).toBe(true);
    expect(verifyExportedCheckpoint(checkpointLine.replace(/"rows":\d+/, '"rows":1'), parseSigningKey(KEY)).valid).toBe(false);
    const checkpoint = JSON.parse(checkpointLine).checkpoint as { seq: string; hash: string };

    const forbidden = await t.gql(`{ verifyAuditChain { ok } }`, {}, viewer.token);
    expect(forbidden.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');

    const db = new Client({ connectionString: t.db.url });
    await db.connect();
    try {
      // As an attacker with database access would: the table itself refuses changes while its trigger is on.
      await expect(db.query(`UPDATE audit_events SET action = 'nothing' WHERE seq = 2`)).rejects.toThrow(/append-only/);
      await db.query('BEGIN');
      await db.query('ALTER TABLE audit_events DISABLE TRIGGER USER');
      await db.query(`UPDATE audit_events SET details = jsonb_set(details, '{forged}', 'true') WHERE seq = 2`);
      await db.query('ALTER TABLE audit_events ENABLE TRIGGER USER');
      await db.query('COMMIT');
    } finally {
      await db.end();
    }
    const broken = await t.ok<{ verifyAuditChain: { ok: boolean; firstBrokenSeq: string; problem: string } }>(
      `query($s: String, $h: String) { verifyAuditChain(checkpointSeq: $s, checkpointHash: $h) { ok firstBrokenSeq problem } }`,
      { s: checkpoint.seq, h: checkpoint.hash },
    );
    expect(broken.verifyAuditChain).toEqual({ ok: false, firstBrokenSeq: '2', problem: 'hash-mismatch' });
  });
});
