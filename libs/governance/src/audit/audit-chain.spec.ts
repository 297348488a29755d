import { createHash, randomUUID } from 'node:crypto';
import { isModelportError } from '@modelport/errors';
import type { AuditSink } from '../graphql/audit.interceptor';
import { ChainVerifier, parseCheckpoint } from './audit-chain';
import { buildChain as chain, T0 } from './audit-chain.fixture';
import { GENESIS_HASH, eventRecord, exportLine, hashEvent, normalizeEvent, parseExportLine, storableString, toJsonValue } from './audit-event';
import type { AuditService } from './audit.service';
import type { AuditEvent, AuditEventInput, VerifyChainResult } from './audit.types';

// The service can be bound as the AUDIT_SINK of the GraphQL interceptor and guard: it takes every event they build.
type SinkCompatible = AuditService extends AuditSink ? (Parameters<AuditSink['append']>[0] extends AuditEventInput ? true : false) : false;
const sinkCompatible: SinkCompatible = true;

function verify(events: AuditEvent[], checkpoint: { seq: string; hash: string } | null = null): VerifyChainResult {
  const verifier = new ChainVerifier(checkpoint);
  for (const e of events) if (!verifier.push(e)) break;
  return verifier.result();
}

describe('the hash of an event', () => {
  it('is the sha256 of the canonical JSON of its record, which names every column and includes prev_hash', () => {
    const [e] = chain(1);
    const canonical =
      `{"action":"createDeployment","actor_id":"${e!.actorId}","actor_name":"ada","after":{"replicas":1},"at":"2026-11-01T12:00:01.000Z",` +
      `"before":null,"details":{"note":"event 1"},"id":"${e!.id}","outcome":"ok","prev_hash":"${GENESIS_HASH}","project_id":null,` +
      `"request_id":"req-1","resource_id":"d-1","resource_type":"Deployment","seq":"1"}`;
    expect(e!.hash).toBe(createHash('sha256').update(canonical, 'utf8').digest('hex'));
    expect(Object.keys(eventRecord(e!))).not.toContain('hash');
  });

  it('changes with any field, including seq and prev_hash', () => {
    const [e] = chain(1);
    for (const change of [{ seq: '2' }, { prevHash: 'f'.repeat(64) }, { details: { note: 'event 2' } }, { at: new Date(T0) }, { actorName: null }]) {
      expect(hashEvent({ ...e!, ...change })).not.toBe(e!.hash);
    }
  });

  it('survives an export line: parsing the line gives back the event', () => {
    const [e] = chain(1);
    expect(parseExportLine(exportLine(e!))).toEqual(e);
    expect(() => parseExportLine(exportLine(e!).replace('{', '{"extra":1,'))).toThrow(/unexpected field "extra"/);
    expect(() => parseExportLine(exportLine(e!).replace('"seq":"1"', '"seq":1'))).toThrow(/seq/);
  });
});

describe('normalizeEvent', () => {
  const base = { action: 'createDeployment', resourceType: 'Deployment', outcome: 'ok' as const };

  it('gives every field, null when absent', () => {
    expect(normalizeEvent(base)).toEqual({
      ...base,
      actorId: null,
      actorName: null,
      resourceId: null,
      projectId: null,
      before: null,
      after: null,
      requestId: null,
      details: null,
    });
  });

  it('turns values into what jsonb gives back', () => {
    const details = { at: new Date(T0), gone: undefined, n: -0, nan: NaN, big: 12n, list: [undefined, 1], nested: { f: () => 1 } };
    expect(normalizeEvent({ ...base, details }).details).toEqual({ at: '2026-11-01T12:00:00.000Z', n: 0, nan: null, big: '12', list: [null, 1], nested: {} });
  });

  it('replaces U+0000 and lone surrogates, which PostgreSQL cannot store, in strings and keys', () => {
    expect(storableString('a\u0000b\ud800c\udc00d😀')).toBe('a\uFFFDb\uFFFDc\uFFFDd😀');
    expect(toJsonValue({ 'k\u0000': ['\ud83d'] })).toEqual({ 'k\uFFFD': ['\uFFFD'] });
    expect(normalizeEvent({ ...base, actorName: 'x\u0000' }).actorName).toBe('x\uFFFD');
  });

  it('lower-cases UUIDs', () => {
    const id = randomUUID();
    expect(normalizeEvent({ ...base, projectId: id.toUpperCase(), actorId: id.toUpperCase() })).toMatchObject({ projectId: id, actorId: id });
  });

  it.each([
    [{ action: '' }, /action must be a non-empty string/],
    [{ resourceType: 42 }, /resourceType must be a non-empty string/],
    [{ outcome: 'maybe' }, /outcome must be one of ok, denied, error/],
    [{ projectId: 'not-a-uuid' }, /projectId must be a UUID/],
    [{ actorName: 7 }, /actorName must be a string or null/],
    [{ details: ['a'] }, /details must be an object/],
  ])('refuses %j with AUDIT_INVALID_EVENT', (change, message) => {
    try {
      normalizeEvent({ ...base, ...(change as object) } as never);
      throw new Error('expected an error');
    } catch (err) {
      expect(isModelportError(err) && err.code).toBe('AUDIT_INVALID_EVENT');
      expect((err as Error).message).toMatch(message);
    }
  });

  it('refuses circular details', () => {
    const loop: Record<string, unknown> = {};
    loop['self'] = loop;
    expect(() => normalizeEvent({ ...base, details: loop })).toThrow(/circular/);
  });
});

describe('ChainVerifier', () => {
  it('accepts an intact chain and names its head', () => {
    const events = chain(5);
    expect(verify(events)).toEqual({ ok: true, rows: 5, lastSeq: '5', lastHash: events[4]!.hash });
    expect(verify([])).toEqual({ ok: true, rows: 0, lastSeq: '0', lastHash: GENESIS_HASH });
    expect(sinkCompatible).toBe(true);
  });

  it('finds a changed field', () => {
    const events = chain(5);
    events[2] = { ...events[2]!, details: { note: 'event 4' } };
    expect(verify(events)).toMatchObject({ ok: false, rowsChecked: 2, firstBrokenSeq: '3', problem: 'hash-mismatch' });
  });

  it('finds a deleted row as a gap, naming the missing seq', () => {
    const events = chain(6);
    events.splice(3, 2);
    expect(verify(events)).toMatchObject({ ok: false, firstBrokenSeq: '4', problem: 'seq-gap', reason: expect.stringMatching(/seqs 4 to 5 are missing/i) });
    expect(verify(chain(3).slice(1))).toMatchObject({ ok: false, firstBrokenSeq: '1', problem: 'seq-gap', reason: expect.stringMatching(/starts at seq 2/) });
  });

  it('finds swapped rows by the broken link', () => {
    const events = chain(6);
    const [a, b] = [events[1]!, events[4]!];
    events[1] = { ...b, seq: a.seq };
    events[4] = { ...a, seq: b.seq };
    expect(verify(events)).toMatchObject({ ok: false, rowsChecked: 1, firstBrokenSeq: '2', problem: 'prev-hash-mismatch' });
  });

  it('finds a chain that does not start at 64 zeros', () => {
    const events = chain(2);
    events[0] = { ...events[0]!, prevHash: 'a'.repeat(64) };
    expect(verify(events)).toMatchObject({ ok: false, firstBrokenSeq: '1', problem: 'prev-hash-mismatch' });
  });

  it('finds a seq before 1', () => {
    const [e] = chain(1);
    expect(verify([{ ...e!, seq: '0' }])).toMatchObject({ ok: false, firstBrokenSeq: '0', problem: 'unexpected-seq' });
  });

  it('finds a truncated tail only against a checkpoint', () => {
    const events = chain(8);
    const checkpoint = { seq: '8', hash: events[7]!.hash };
    expect(verify(events.slice(0, 5))).toMatchObject({ ok: true, lastSeq: '5' });
    expect(verify(events.slice(0, 5), checkpoint)).toMatchObject({ ok: false, rowsChecked: 5, firstBrokenSeq: '6', problem: 'truncated' });
    expect(verify([], checkpoint)).toMatchObject({ ok: false, rowsChecked: 0, firstBrokenSeq: '1', problem: 'truncated' });
    expect(verify(events, checkpoint)).toMatchObject({ ok: true, lastSeq: '8' });
    expect(verify(events, { seq: '4', hash: events[3]!.hash })).toMatchObject({ ok: true, lastSeq: '8' });
  });

  it('finds a chain rewritten and re-hashed before the checkpoint', () => {
    const original = chain(4);
    const rewritten = chain(4);
    expect(verify(rewritten)).toMatchObject({ ok: true });
    expect(verify(rewritten, { seq: '3', hash: original[2]!.hash })).toMatchObject({ ok: false, firstBrokenSeq: '3', problem: 'checkpoint-mismatch' });
  });

  it('reports only the first break', () => {
    const events = chain(6);
    events[1] = { ...events[1]!, actorName: 'eve' };
    events.splice(4, 1);
    expect(verify(events)).toMatchObject({ firstBrokenSeq: '2', problem: 'hash-mismatch' });
  });
});

describe('parseCheckpoint', () => {
  it('accepts strings, numbers and bigints', () => {
    expect(parseCheckpoint({ seq: '12', hash: 'A'.repeat(64) })).toEqual({ seq: 12n, hash: 'a'.repeat(64) });
    expect(parseCheckpoint({ seq: 12, hash: 'a'.repeat(64) }).seq).toBe(12n);
    expect(parseCheckpoint({ seq: 9007199254740993n, hash: 'a'.repeat(64) }).seq).toBe(9007199254740993n);
    expect(parseCheckpoint({ seq: '0', hash: GENESIS_HASH }).seq).toBe(0n);
  });

  it.each([
    [{ seq: '-1', hash: 'a'.repeat(64) }, /seq/],
    [{ seq: 1.5, hash: 'a'.repeat(64) }, /seq/],
    [{ seq: '01', hash: 'a'.repeat(64) }, /seq/],
    [{ seq: '1', hash: 'xyz' }, /hash/],
    [{ seq: '0', hash: 'a'.repeat(64) }, /64 zeros/],
  ])('refuses %j with AUDIT_INVALID_CHECKPOINT', (checkpoint, message) => {
    expect(() => parseCheckpoint(checkpoint)).toThrow(message);
    try {
      parseCheckpoint(checkpoint);
    } catch (err) {
      expect(isModelportError(err) && err.code).toBe('AUDIT_INVALID_CHECKPOINT');
    }
  });
});
