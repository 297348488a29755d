import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@modelport/database';
import { createTestDatabase, type TestDatabase, caught } from '@modelport/testing';
import { GENESIS_HASH, hashEvent } from './audit-event';
import { verifyExport } from './audit-export';
import { verifyExportedCheckpoint } from './audit-signing';
import { auditMigrations } from './audit.migrations';
import { AuditService } from './audit.service';
import type { AuditEvent, AuditEventInput, SignedAuditCheckpoint } from './audit.types';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
const APPEND_ONLY = /the audit trail is append-only/;
const hmacKey = randomBytes(32);

function event(i: number, overrides: Partial<AuditEventInput> = {}): AuditEventInput {
  return {
    actorId: null,
    actorName: 'ada',
    action: 'createDeployment',
    resourceType: 'Deployment',
    resourceId: `deployment-${i}`,
    projectId: null,
    outcome: 'ok',
    after: { replicas: i },
    requestId: `req-${i}`,
    details: { note: `event ${i}` },
    ...overrides,
  };
}

/** Collects what is written, accepting at most 64 bytes before asking the writer to wait for 'drain'. */
class SlowSink extends Writable {
  readonly chunks: string[] = [];
  drains = 0;
  constructor() {
    super({ highWaterMark: 64, decodeStrings: false });
    this.on('drain', () => this.drains++);
  }
  override _write(chunk: string, _encoding: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    setImmediate(done);
  }
  get text(): string {
    return this.chunks.join('');
  }
}

describe('AuditService against PostgreSQL', () => {
  let db: TestDatabase;
  let service: AuditService;

  /** What an attacker with superuser access does: switch the trigger off, change rows, switch it on, in one transaction. */
  const asAttacker = (...statements: string[]) =>
    db.dataSource.transaction(async (tx) => {
      await tx.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
      for (const sql of statements) await tx.query(sql);
      await tx.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    });

  const appendMany = async (n: number, svc = service) => {
    const events: AuditEvent[] = [];
    for (let i = 1; i <= n; i++) events.push(await svc.append(event(i)));
    return events;
  };

  const count = async (): Promise<number> => (await db.dataSource.query('SELECT count(*)::int AS n FROM audit_events'))[0].n;

  const seqs = async (): Promise<number[]> =>
    (await db.dataSource.query('SELECT seq::int AS seq FROM audit_events ORDER BY seq')).map((r: { seq: number }) => r.seq);

  const exportText = async (svc = service, filter = {}): Promise<{ text: string; signed: SignedAuditCheckpoint }> => {
    const lines: string[] = [];
    const generator = svc.exportLines(filter);
    for (;;) {
      const next = await generator.next();
      if (next.done) return { text: lines.join(''), signed: next.value };
      lines.push(next.value);
    }
  };

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [...auditMigrations] });
    service = new AuditService(db.dataSource, { maxPageSize: 50, signingKey: hmacKey, readPageSize: 7 });
  });

  beforeEach(async () => {
    await asAttacker('TRUNCATE audit_events');
  });

  afterAll(async () => {
    await db?.drop();
  });

  describe('append', () => {
    it('starts the chain at seq 1 from 64 zeros, and stores exactly the event it returns', async () => {
      const actorId = randomUUID();
      const first = await service.append(event(1, { actorId, projectId: randomUUID(), before: { replicas: 0 } }));
      expect(first).toMatchObject({ seq: '1', prevHash: GENESIS_HASH, actorId, action: 'createDeployment', outcome: 'ok', before: { replicas: 0 } });
      expect(first.hash).toBe(hashEvent(first));
      const second = await service.append(event(2));
      expect(second).toMatchObject({ seq: '2', prevHash: first.hash });
      const page = await service.list({ first: 10 });
      expect(page.items).toEqual([second, first]);
    });

    it('stores awkward values so that the stored row gives the same hash', async () => {
      const awkward = await service.append(
        event(1, {
          actorId: randomUUID().toUpperCase(),
          actorName: 'nul\u0000 and lone \ud800 surrogate',
          before: ['list', 1, null, { b: 2, a: 1 }],
          after: 'just a string',
          details: {
            z: 1,
            a: { y: [3, 1, 2], b: 'grüße 日本 😀 \u2028' },
            nul: 'a\u0000b',
            'key\u0000': true,
            numbers: [1e21, 1e-7, 0.1 + 0.2, -0, 5e-324, 2 ** 53 + 2, -1.5e300],
            when: new Date(T0),
            gone: undefined,
            nothing: null,
            deep: { deeper: { deepest: [{}, []] } },
          },
        }),
      );
      expect(awkward.actorName).toBe('nul\uFFFD and lone \uFFFD surrogate');
      expect(awkward.details).toMatchObject({ nul: 'a\uFFFDb', 'key\uFFFD': true, when: '2026-11-01T12:00:00.000Z' });
      expect(awkward.details).not.toHaveProperty('gone');
      const [stored] = (await service.list({ first: 1 })).items;
      expect(stored).toEqual(awkward);
      expect(hashEvent(stored!)).toBe(stored!.hash);
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 1 });
    });

    it('refuses an invalid event without writing anything', async () => {
      const err = await caught(service.append(event(1, { projectId: 'project-a' })));
      expect(err.code).toBe('AUDIT_INVALID_EVENT');
      expect(await count()).toBe(0);
    });

    it('keeps times non-decreasing along the chain even when the clock goes back', async () => {
      const times = [T0 + 5000, T0, T0 + 7000];
      const clocked = new AuditService(db.dataSource, { maxPageSize: 50, clock: { now: () => new Date(times.shift()!) } });
      const events = await appendMany(3, clocked);
      expect(events.map((e) => e.at.getTime())).toEqual([T0 + 5000, T0 + 5000, T0 + 7000]);
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 3 });
    });

    it('uses the database clock, to the millisecond, by default', async () => {
      const before = Date.now();
      const e = await service.append(event(1));
      expect(e.at.getTime()).toBeGreaterThanOrEqual(before - 5000);
      expect(e.at.getTime()).toBeLessThanOrEqual(Date.now() + 5000);
      const [{ sub_ms }] = await db.dataSource.query(`SELECT extract(microseconds FROM at)::int % 1000 AS sub_ms FROM audit_events`);
      expect(sub_ms).toBe(0);
    });

    it('keeps the chain linear and gap-free under concurrent appends from several connections and services', async () => {
      const other: DataSource = createDataSource({ url: db.url, schema: { entities: [], migrations: [] }, poolSize: 5 });
      await other.initialize();
      try {
        const replicas = [service, new AuditService(other, { maxPageSize: 50 })];
        const N = 400;
        const results = await Promise.all(Array.from({ length: N }, (_, i) => replicas[i % 2]!.append(event(i, { requestId: `concurrent-${i}` }))));
        expect(new Set(results.map((r) => r.seq)).size).toBe(N);
        expect(await seqs()).toEqual(Array.from({ length: N }, (_, i) => i + 1));
        const [{ links }] = await db.dataSource.query(
          `SELECT count(*)::int AS links FROM audit_events e JOIN audit_events p ON p.seq = e.seq - 1 WHERE e.prev_hash = p.hash`,
        );
        expect(links).toBe(N - 1);
        const [{ backwards }] = await db.dataSource.query(
          `SELECT count(*)::int AS backwards FROM audit_events e JOIN audit_events p ON p.seq = e.seq - 1 WHERE e.at < p.at`,
        );
        expect(backwards).toBe(0);
        expect(await service.verifyChain()).toMatchObject({ ok: true, rows: N, lastSeq: String(N) });
      } finally {
        await other.destroy();
      }
    });

    it('writes concurrent appends of one process in shared transactions, and flush waits for them', async () => {
      const spy = jest.spyOn(db.dataSource, 'transaction');
      try {
        const pending = Array.from({ length: 50 }, (_, i) => service.append(event(i)));
        await service.flush();
        expect(await count()).toBe(50);
        expect((await Promise.all(pending)).map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => String(i + 1)));
        expect(spy.mock.calls.length).toBeLessThan(50);
      } finally {
        spy.mockRestore();
      }
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 50 });
    });

    it('rejects only the event whose write fails, not the others written with it', async () => {
      const batched = new AuditService(db.dataSource, { maxPageSize: 50 });
      const original = (batched as any).appendIn.bind(batched);
      jest.spyOn(batched as any, 'appendIn').mockImplementation((manager: unknown, batch: any) => {
        if (batch.some((p: { content: AuditEventInput }) => p.content.requestId === 'poison')) return Promise.reject(new Error('cannot write this one'));
        return original(manager, batch);
      });
      const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => batched.append(event(i, { requestId: i === 4 ? 'poison' : `req-${i}` }))));
      expect(results.map((r) => r.status)).toEqual(Array.from({ length: 10 }, (_, i) => (i === 4 ? 'rejected' : 'fulfilled')));
      expect(await seqs()).toEqual(Array.from({ length: 9 }, (_, i) => i + 1));
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 9 });
    });

    describe('in the caller transaction', () => {
      beforeAll(async () => {
        await db.dataSource.query('CREATE TABLE IF NOT EXISTS widgets (name text PRIMARY KEY)');
      });

      it('commits with the change it records', async () => {
        await appendMany(2);
        const appended = await db.dataSource.transaction(async (tx) => {
          await tx.query(`INSERT INTO widgets VALUES ('committed')`);
          const first = await service.append(event(3, { action: 'createWidget' }), tx);
          const second = await service.append(event(4, { action: 'createWidget' }), tx);
          return [first, second];
        });
        expect(appended.map((e) => e.seq)).toEqual(['3', '4']);
        expect(appended[1]!.prevHash).toBe(appended[0]!.hash);
        expect(await db.dataSource.query(`SELECT name FROM widgets WHERE name = 'committed'`)).toHaveLength(1);
        expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 4 });
      });

      it('leaves no trace and no gap when that transaction rolls back', async () => {
        await appendMany(2);
        await expect(
          db.dataSource.transaction(async (tx) => {
            await tx.query(`INSERT INTO widgets VALUES ('rolled-back')`);
            const appended = await service.append(event(3, { action: 'createWidget' }), tx);
            expect(appended.seq).toBe('3');
            throw new Error('the change failed');
          }),
        ).rejects.toThrow('the change failed');
        expect(await db.dataSource.query(`SELECT name FROM widgets WHERE name = 'rolled-back'`)).toHaveLength(0);
        expect(await seqs()).toEqual([1, 2]);
        expect((await service.append(event(4))).seq).toBe('3');
        expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 3 });
      });

      it('stays gap-free when concurrent transactions commit and roll back', async () => {
        const outcomes = await Promise.allSettled(
          Array.from({ length: 60 }, (_, i) =>
            db.dataSource.transaction(async (tx) => {
              await service.append(event(i), tx);
              if (i % 3 === 0) throw new Error('rolled back');
            }),
          ),
        );
        const committed = outcomes.filter((o) => o.status === 'fulfilled').length;
        expect(committed).toBe(40);
        expect(await seqs()).toEqual(Array.from({ length: 40 }, (_, i) => i + 1));
        expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 40 });
      });

      it('needs an open transaction', async () => {
        const err = await caught(service.append(event(1), db.dataSource.manager));
        expect(err.code).toBe('AUDIT_TRANSACTION_REQUIRED');
        expect(await count()).toBe(0);
      });

      it('refuses a REPEATABLE READ transaction, whose snapshot could miss the last event', async () => {
        const err = await caught(db.dataSource.transaction('REPEATABLE READ', (tx) => service.append(event(1), tx)));
        expect(err.code).toBe('AUDIT_READ_COMMITTED_REQUIRED');
        expect(await count()).toBe(0);
      });
    });
  });

  describe('append-only at the database level', () => {
    beforeEach(async () => {
      await appendMany(3);
    });

    it.each([
      ['UPDATE', `UPDATE audit_events SET actor_name = 'mallory' WHERE seq = 2`],
      ['DELETE', 'DELETE FROM audit_events WHERE seq = 3'],
      ['DELETE of no rows', 'DELETE FROM audit_events WHERE false'],
      ['TRUNCATE', 'TRUNCATE audit_events'],
      ['INSERT ... ON CONFLICT DO UPDATE', `INSERT INTO audit_events SELECT * FROM audit_events WHERE seq = 1 ON CONFLICT (seq) DO UPDATE SET actor_name = 'mallory'`],
    ])('refuses %s', async (_name, sql) => {
      await expect(db.dataSource.query(sql)).rejects.toThrow(APPEND_ONLY);
      expect(await seqs()).toEqual([1, 2, 3]);
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: 3 });
    });
  });

  describe('verifyChain', () => {
    const N = 30;
    beforeEach(async () => {
      await appendMany(N);
    });

    it('accepts the intact chain, reading it in pages', async () => {
      const spy = jest.spyOn(db.dataSource, 'query');
      try {
        const [{ hash }] = await db.dataSource.query(`SELECT hash FROM audit_events WHERE seq = ${N}`);
        expect(await service.verifyChain()).toEqual({ ok: true, rows: N, lastSeq: String(N), lastHash: hash });
        const pages = (await Promise.all(spy.mock.results.map((r) => r.value))).filter((rows) => Array.isArray(rows) && rows.length > 1);
        expect(pages.length).toBeGreaterThanOrEqual(Math.ceil(N / 7));
        expect(Math.max(...pages.map((rows: unknown[]) => rows.length))).toBeLessThanOrEqual(7);
      } finally {
        spy.mockRestore();
      }
    });

    it('finds a changed byte in one row’s details', async () => {
      await asAttacker(`UPDATE audit_events SET details = jsonb_set(details, '{note}', '"event 71"') WHERE seq = 17`);
      expect(await service.verifyChain()).toMatchObject({ ok: false, rowsChecked: 16, firstBrokenSeq: '17', problem: 'hash-mismatch' });
    });

    it('finds a deleted row', async () => {
      await asAttacker('DELETE FROM audit_events WHERE seq = 12');
      expect(await service.verifyChain()).toMatchObject({
        ok: false,
        rowsChecked: 11,
        firstBrokenSeq: '12',
        problem: 'seq-gap',
        reason: expect.stringMatching(/Seq 12 is missing/),
      });
    });

    it('finds two rows whose content was swapped, seqs kept', async () => {
      const columns = 'id, at, actor_id, actor_name, action, resource_type, resource_id, project_id, outcome, before, after, request_id, details, prev_hash, hash';
      await asAttacker(
        'CREATE TEMP TABLE swapped ON COMMIT DROP AS SELECT * FROM audit_events WHERE seq IN (5, 9)',
        'DELETE FROM audit_events WHERE seq IN (5, 9)',
        `INSERT INTO audit_events (seq, ${columns}) SELECT 14 - seq, ${columns} FROM swapped`,
      );
      expect(await seqs()).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(await service.verifyChain()).toMatchObject({ ok: false, rowsChecked: 4, firstBrokenSeq: '5', problem: 'prev-hash-mismatch' });
    });

    it('finds two rows whose data was swapped, chain columns kept', async () => {
      const data = ['at', 'actor_id', 'actor_name', 'action', 'resource_type', 'resource_id', 'project_id', 'outcome', 'before', 'after', 'request_id', 'details'];
      await asAttacker(
        `UPDATE audit_events t SET ${data.map((c) => `${c} = s.${c}`).join(', ')} FROM audit_events s WHERE (t.seq, s.seq) IN ((5, 9), (9, 5))`,
      );
      expect(await service.verifyChain()).toMatchObject({ ok: false, firstBrokenSeq: '5', problem: 'hash-mismatch' });
    });

    it('finds a truncated tail against the checkpoint of the last export', async () => {
      const { signed } = await exportText();
      expect(verifyExportedCheckpoint(JSON.stringify(signed), hmacKey).valid).toBe(true);
      expect(await service.verifyChain({ checkpoint: signed.checkpoint })).toMatchObject({ ok: true, rows: N });
      await asAttacker(`DELETE FROM audit_events WHERE seq > ${N - 3}`);
      // Without a checkpoint a shorter chain is still a valid chain.
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: N - 3, lastSeq: String(N - 3) });
      expect(await service.verifyChain({ checkpoint: signed.checkpoint })).toMatchObject({
        ok: false,
        rowsChecked: N - 3,
        firstBrokenSeq: String(N - 2),
        problem: 'truncated',
      });
      // Appending again after the truncation re-uses the seqs, but not the hashes.
      await appendMany(3);
      expect(await service.verifyChain({ checkpoint: signed.checkpoint })).toMatchObject({ ok: false, firstBrokenSeq: String(N), problem: 'checkpoint-mismatch' });
    });

    it('finds a chain rewritten and re-hashed against the checkpoint', async () => {
      const { signed } = await exportText();
      await asAttacker('TRUNCATE audit_events');
      await appendMany(N);
      expect(await service.verifyChain()).toMatchObject({ ok: true, rows: N });
      expect(await service.verifyChain({ checkpoint: signed.checkpoint })).toMatchObject({ ok: false, firstBrokenSeq: String(N), problem: 'checkpoint-mismatch' });
    });

    it('refuses a malformed checkpoint', async () => {
      const err = await caught(service.verifyChain({ checkpoint: { seq: 'ten', hash: 'x' } }));
      expect(err.code).toBe('AUDIT_INVALID_CHECKPOINT');
    });

    it('is not fooled by the export: a broken chain is not exported and signed', async () => {
      await asAttacker('DELETE FROM audit_events WHERE seq = 3');
      const err = await caught(exportText());
      expect(err.code).toBe('AUDIT_CHAIN_BROKEN');
      expect(err.message).toMatch(/Seq 3 is missing/);
    });
  });

  describe('exportNdjson', () => {
    it('writes one canonical line per event in seq order, then a signed checkpoint, waiting for drain', async () => {
      const events = await appendMany(12);
      const sink = new SlowSink();
      const signed = await service.exportNdjson(sink);
      expect(sink.drains).toBeGreaterThan(0);
      const lines = sink.text.split('\n');
      expect(lines.pop()).toBe('');
      expect(lines).toHaveLength(13);
      expect(lines.slice(0, 12).map((l) => JSON.parse(l).seq)).toEqual(events.map((e) => e.seq));
      expect(JSON.parse(lines[0]!)).toMatchObject({ seq: '1', prev_hash: GENESIS_HASH, hash: events[0]!.hash, details: { note: 'event 1' } });
      expect(lines[0]!.startsWith('{"action":"createDeployment","actor_id":null,')).toBe(true);
      expect(signed.checkpoint).toMatchObject({ seq: '12', hash: events[11]!.hash, rows: 12, filter: null });
      expect(JSON.parse(lines[12]!)).toEqual(JSON.parse(JSON.stringify(signed)));
      expect(verifyExportedCheckpoint(lines[12]!, hmacKey)).toMatchObject({ valid: true, checkpoint: signed.checkpoint });
      expect(await verifyExport(sink.text, hmacKey)).toEqual({ valid: true, rows: 12, checkpoint: signed.checkpoint });
      expect(await service.verifyChain({ checkpoint: signed.checkpoint })).toMatchObject({ ok: true });
    });

    it('fails verification when a line or the signature is altered', async () => {
      await appendMany(5);
      const { text } = await exportText();
      const lines = text.split('\n');
      const alteredLine = [...lines];
      alteredLine[3] = alteredLine[3]!.replace('event 4', 'event 5');
      expect(await verifyExport(alteredLine.join('\n'), hmacKey)).toMatchObject({ valid: false, line: 4 });
      const alteredSignature = [...lines];
      const checkpoint = JSON.parse(alteredSignature[5]!);
      checkpoint.signature = `${checkpoint.signature.startsWith('A') ? 'B' : 'A'}${checkpoint.signature.slice(1)}`;
      alteredSignature[5] = JSON.stringify(checkpoint);
      expect(verifyExportedCheckpoint(alteredSignature[5], hmacKey).valid).toBe(false);
      expect(await verifyExport(alteredSignature.join('\n'), hmacKey)).toMatchObject({ valid: false, line: 6 });
    });

    it('signs with Ed25519 when given an Ed25519 private key', async () => {
      const { privateKey, publicKey } = generateKeyPairSync('ed25519');
      const signer = new AuditService(db.dataSource, { maxPageSize: 50, signingKey: privateKey });
      await appendMany(4);
      const { text, signed } = await exportText(signer);
      expect(signed).toMatchObject({ alg: 'ed25519', keyId: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) });
      expect(await verifyExport(text, publicKey)).toMatchObject({ valid: true, rows: 4 });
      expect(await verifyExport(text, hmacKey)).toMatchObject({ valid: false, line: 5 });
    });

    it('exports a filter, recorded in the signed checkpoint', async () => {
      const project = randomUUID();
      for (let i = 1; i <= 9; i++) await service.append(event(i, { projectId: i % 3 === 0 ? project : null }));
      const { text, signed } = await exportText(service, { projectId: project });
      expect(text.trim().split('\n').slice(0, -1).map((l) => JSON.parse(l).seq)).toEqual(['3', '6', '9']);
      expect(signed.checkpoint).toMatchObject({ seq: '9', rows: 3, filter: { project_id: project, actor_id: null, action: null, since: null, until: null } });
      expect(await verifyExport(text, hmacKey)).toMatchObject({ valid: true, rows: 3 });
    });

    it('exports an empty chain', async () => {
      const { text, signed } = await exportText();
      expect(signed.checkpoint).toMatchObject({ seq: '0', hash: GENESIS_HASH, rows: 0 });
      expect(await verifyExport(text, hmacKey)).toMatchObject({ valid: true, rows: 0 });
    });

    it('stops with the error of a target that fails', async () => {
      await appendMany(20);
      let writes = 0;
      const failing = new Writable({
        highWaterMark: 64,
        write: (_chunk, _encoding, done) => (++writes === 3 ? done(new Error('disk full')) : setImmediate(done)),
      });
      await expect(service.exportNdjson(failing)).rejects.toThrow('disk full');
    });

    it('needs a signing key', async () => {
      const unsigned = new AuditService(db.dataSource, { maxPageSize: 50 });
      const err = await caught(unsigned.exportNdjson(new SlowSink()));
      expect(err.code).toBe('AUDIT_SIGNING_KEY_MISSING');
    });
  });

  describe('list', () => {
    const [projectA, projectB] = [randomUUID(), randomUUID()];
    const [actorX, actorY] = [randomUUID(), randomUUID()];
    let events: AuditEvent[];

    beforeEach(async () => {
      let tick = 0;
      // Two events per second, so that pages also break ties on seq.
      const clocked = new AuditService(db.dataSource, { maxPageSize: 5, clock: { now: () => new Date(T0 + Math.floor(tick++ / 2) * 1000) } });
      events = [];
      for (let i = 0; i < 12; i++) {
        events.push(
          await clocked.append(
            event(i, {
              projectId: i % 2 === 0 ? projectA : projectB,
              actorId: i % 3 === 0 ? actorX : actorY,
              action: i % 4 === 0 ? 'access.denied' : 'createDeployment',
              outcome: i % 4 === 0 ? 'denied' : 'ok',
            }),
          ),
        );
      }
    });

    const listAll = async (svc: AuditService, filter: Parameters<AuditService['list']>[0]) => {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await svc.list({ ...filter, first: 3, after });
        seen.push(...page.items.map((e) => e.seq));
        if (!page.hasNextPage) return seen;
        after = page.endCursor;
      }
    };
    const newestFirst = (pick: (e: AuditEvent, i: number) => boolean) =>
      events
        .filter(pick)
        .map((e) => e.seq)
        .reverse();

    it('pages through everything newest first', async () => {
      expect(await listAll(service, {})).toEqual(newestFirst(() => true));
    });

    it('narrows by project, actor, action and time', async () => {
      expect(await listAll(service, { projectId: projectA })).toEqual(newestFirst((_e, i) => i % 2 === 0));
      expect(await listAll(service, { actorId: actorX })).toEqual(newestFirst((_e, i) => i % 3 === 0));
      expect(await listAll(service, { action: 'access.denied' })).toEqual(newestFirst((_e, i) => i % 4 === 0));
      expect(await listAll(service, { projectId: projectB, actorId: actorY })).toEqual(newestFirst((_e, i) => i % 2 === 1 && i % 3 !== 0));
      expect(await listAll(service, { since: new Date(T0 + 2000), until: new Date(T0 + 4000) })).toEqual(['8', '7', '6', '5']);
      expect(await listAll(service, { projectId: projectA, since: new Date(T0 + 2000) })).toEqual(['11', '9', '7', '5']);
    });

    it('returns full events', async () => {
      const page = await service.list({ first: 1 });
      expect(page.items).toEqual([events[11]]);
      expect(page.hasNextPage).toBe(true);
    });

    it('refuses bad filters, cursors and page sizes', async () => {
      expect((await caught(service.list({ projectId: 'project-a' }))).code).toBe('AUDIT_INVALID_FILTER');
      expect((await caught(service.list({ since: new Date(NaN) }))).code).toBe('AUDIT_INVALID_FILTER');
      expect((await caught(service.list({ after: 'bogus' }))).code).toBe('INVALID_CURSOR');
      expect((await caught(service.list({ first: 51 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
    });
  });
});
