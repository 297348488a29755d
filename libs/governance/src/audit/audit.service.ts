import { createHash, randomUUID } from 'node:crypto';
import { once } from 'node:events';
import type { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, isUuid, pageSize, toPage, type Page, type PageRequest } from '@modelport/database';
import { ChainVerifier } from './audit-chain';
import { GENESIS_HASH, exportLine, hashEvent, normalizeEvent, type NormalizedEvent } from './audit-event';
import { assertSigningKey, checkpointLine, signCheckpoint, type AuditSigningKey } from './audit-signing';
import { canonicalJson } from './canonical-json';
import { AuditError, AuditErrorCode } from './audit.errors';
import type {
  AuditEvent,
  AuditEventInput,
  AuditExportFilter,
  AuditFilter,
  AuditOutcome,
  JsonValue,
  SignedAuditCheckpoint,
  VerifyChainOptions,
  VerifyChainResult,
} from './audit.types';

export interface AuditServiceOptions {
  /** Largest `first` that `list` accepts (the platform's MODELPORT_MAX_PAGE_SIZE). */
  readonly maxPageSize: number;
  /** Signs export checkpoints: an HMAC secret (>= 32 bytes) or an Ed25519 private key. Exports fail without one. */
  readonly signingKey?: AuditSigningKey | null;
  /** Where event times come from. Default: the database clock, read under the chain lock. */
  readonly clock?: { now(): Date };
  /** Rows per query when verifying or exporting (default 1000). */
  readonly readPageSize?: number;
  /** Most queued events written in one transaction by `append` without `tx` (default 100). */
  readonly maxBatch?: number;
}

export type AuditListRequest = AuditFilter & PageRequest;

/** An `audit_events` row as node-postgres returns it (seq cast to text). */
interface AuditRow {
  seq: string;
  id: string;
  at: Date;
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  project_id: string | null;
  outcome: AuditOutcome;
  before: JsonValue;
  after: JsonValue;
  request_id: string | null;
  details: JsonValue;
  prev_hash: string;
  hash: string;
  at_us?: string;
}

const COLUMNS =
  'e.seq::text AS seq, e.id, e.at, e.actor_id, e.actor_name, e.action, e.resource_type, e.resource_id, e.project_id, ' +
  'e.outcome, e.before, e.after, e.request_id, e.details, e.prev_hash::text AS prev_hash, e.hash::text AS hash';

const INSERT_COLUMNS =
  'seq, id, at, actor_id, actor_name, action, resource_type, resource_id, project_id, outcome, before, after, request_id, details, prev_hash, hash';
const JSONB_COLUMNS = new Set([10, 11, 13]);
const insertStatements = new Map<number, string>();

/** INSERT of `rows` events, 16 parameters each. */
function insertSql(rows: number): string {
  let sql = insertStatements.get(rows);
  if (!sql) {
    const tuples = Array.from({ length: rows }, (_, r) => `(${Array.from({ length: 16 }, (_c, c) => `$${r * 16 + c + 1}${JSONB_COLUMNS.has(c) ? '::jsonb' : ''}`).join(', ')})`);
    sql = `INSERT INTO audit_events (${INSERT_COLUMNS}) VALUES ${tuples.join(', ')}`;
    insertStatements.set(rows, sql);
  }
  return sql;
}

interface PendingEvent {
  readonly content: NormalizedEvent;
  readonly id: string;
}

interface QueuedEvent extends PendingEvent {
  resolve(event: AuditEvent): void;
  reject(err: unknown): void;
}

/** at in whole microseconds since the epoch, so the list cursor keeps PostgreSQL's full precision. */
const AT_US = '(extract(epoch FROM e.at) * 1000000)::bigint::text AS at_us';
const FROM_MICROS = (param: string) => `('epoch'::timestamptz + ${param}::float8 * interval '1 microsecond')`;

function toEvent(r: AuditRow): AuditEvent {
  return {
    seq: r.seq,
    id: r.id,
    at: r.at,
    actorId: r.actor_id,
    actorName: r.actor_name,
    action: r.action,
    resourceType: r.resource_type,
    resourceId: r.resource_id,
    projectId: r.project_id,
    outcome: r.outcome,
    before: r.before,
    after: r.after,
    requestId: r.request_id,
    details: r.details,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

const jsonParam = (value: JsonValue): string | null => (value === null ? null : canonicalJson(value));

interface CompiledFilter {
  readonly where: string[];
  readonly params: unknown[];
  /** As the signed checkpoint records it; null when nothing is filtered. */
  readonly record: AuditExportFilter | null;
}

/**
 * The audit trail: a hash chain of events in `audit_events` (see README.md beside this file).
 *
 * `append` adds an event (in the caller's transaction, or its own); `verifyChain` recomputes the
 * chain; `exportNdjson` writes it out with a signed checkpoint; `list` reads it newest first.
 * This service does no access checks: callers decide who may read or export which events
 * (`list` by project or actor is the tool to narrow it).
 */
export class AuditService {
  private readonly readPageSize: number;
  private readonly maxBatch: number;
  private readonly queue: QueuedEvent[] = [];
  private writing: Promise<void> | null = null;

  constructor(
    private readonly db: DataSource,
    private readonly options: AuditServiceOptions,
  ) {
    if (options.signingKey) assertSigningKey(options.signingKey);
    this.readPageSize = options.readPageSize ?? 1000;
    if (!Number.isInteger(this.readPageSize) || this.readPageSize < 1) throw new RangeError('readPageSize must be a whole number of at least 1');
    this.maxBatch = options.maxBatch ?? 100;
    if (!Number.isInteger(this.maxBatch) || this.maxBatch < 1 || this.maxBatch > 1000) throw new RangeError('maxBatch must be a whole number from 1 to 1000');
  }

  /**
   * Appends one event and returns it with its seq and hash, once it is committed.
   *
   * With `tx` (an EntityManager inside an open READ COMMITTED transaction) the event is part of
   * that transaction: it commits or rolls back with the change it records, and a rollback leaves
   * no gap in the seqs. The chain's lock is then held until that transaction ends, so every other
   * append waits for it: append as the last step, just before commit.
   *
   * Without `tx` the event is queued in this process and written by a single writer: events that
   * arrive while a write is in flight go together in the next transaction (up to `maxBatch`),
   * which takes the lock and reads the head once and inserts them in one statement. So concurrent
   * callers share commits instead of queueing on the lock, and the process holds at most one
   * connection for them. If that transaction fails, its events are retried one per transaction,
   * so only an event that fails alone is rejected.
   *
   * Cost: one round trip takes the lock and reads the head (`audit_chain_head()`), one inserts;
   * plus BEGIN and COMMIT without `tx`. Measured with audit-append.bench.ts on a 2-core machine
   * (PostgreSQL 15 on loopback, fsync on): see README.md beside this file.
   */
  async append(input: AuditEventInput, tx?: EntityManager): Promise<AuditEvent> {
    const pending = { content: normalizeEvent(input), id: randomUUID() };
    if (tx) {
      if (!tx.queryRunner?.isTransactionActive) {
        throw new AuditError(
          AuditErrorCode.AUDIT_TRANSACTION_REQUIRED,
          'AuditService.append(event, tx) needs the EntityManager of an open transaction (the one from dataSource.transaction); ' +
            'omit tx to append in a transaction of its own.',
        );
      }
      const [event] = await this.appendIn(tx, [pending]);
      return event!;
    }
    return new Promise<AuditEvent>((resolve, reject) => {
      this.queue.push({ ...pending, resolve, reject });
      if (!this.writing) this.writing = this.writeQueue();
    });
  }

  /** Resolves once every event appended without `tx` so far is written (or has failed): call it before closing the DataSource. */
  async flush(): Promise<void> {
    while (this.writing) await this.writing;
  }

  private async writeQueue(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch = this.queue.splice(0, this.maxBatch);
        try {
          const events = await this.db.transaction((manager) => this.appendIn(manager, batch));
          batch.forEach((p, i) => p.resolve(events[i]!));
        } catch (err) {
          if (batch.length === 1) {
            batch[0]!.reject(err);
            continue;
          }
          // One event must not take the others down with it: write them one by one.
          for (const p of batch) {
            try {
              const [event] = await this.db.transaction((manager) => this.appendIn(manager, [p]));
              p.resolve(event!);
            } catch (single) {
              p.reject(single);
            }
          }
        }
      }
    } finally {
      this.writing = null;
    }
  }

  private async appendIn(manager: EntityManager, batch: readonly PendingEvent[]): Promise<AuditEvent[]> {
    const [head] = (await manager.query('SELECT * FROM audit_chain_head()')) as {
      head_seq: string | null;
      head_hash: string | null;
      head_at: Date | null;
      db_now: Date;
      isolation: string;
    }[];
    if (head!.isolation !== 'read committed') {
      // A REPEATABLE READ or SERIALIZABLE snapshot can predate the lock and miss the last row.
      throw new AuditError(
        AuditErrorCode.AUDIT_READ_COMMITTED_REQUIRED,
        `Audit events can only be appended in a READ COMMITTED transaction (this one is ${head!.isolation}): ` +
          'an older snapshot may not see the last event of the chain.',
      );
    }
    let seq = head!.head_seq === null ? 0n : BigInt(head!.head_seq);
    let prevHash = head!.head_hash ?? GENESIS_HASH;
    let at = new Date(Math.floor((this.options.clock?.now() ?? head!.db_now).getTime()));
    // Times never go backwards along the chain, so newest-first by time is the chain's order.
    if (head!.head_at && at.getTime() < head!.head_at.getTime()) at = new Date(head!.head_at.getTime());
    const events: AuditEvent[] = [];
    const params: unknown[] = [];
    for (const { content, id } of batch) {
      seq++;
      const unhashed = { seq: seq.toString(), id, at: new Date(at.getTime()), ...content, prevHash };
      const event: AuditEvent = { ...unhashed, hash: hashEvent(unhashed) };
      events.push(event);
      prevHash = event.hash;
      params.push(
        event.seq,
        event.id,
        event.at.toISOString(),
        event.actorId,
        event.actorName,
        event.action,
        event.resourceType,
        event.resourceId,
        event.projectId,
        event.outcome,
        jsonParam(event.before),
        jsonParam(event.after),
        event.requestId,
        jsonParam(event.details),
        event.prevHash,
        event.hash,
      );
    }
    await manager.query(insertSql(batch.length), params);
    return events;
  }

  /**
   * Recomputes the chain from seq 1 to the last row present when it starts, reading
   * `readPageSize` rows per query (never the whole table), and reports the first broken link
   * (see `ChainProblem`). With a trusted `checkpoint` (from the last signed export) it also finds
   * rows deleted from the end and a chain rewritten before the checkpoint.
   */
  async verifyChain(options: VerifyChainOptions = {}): Promise<VerifyChainResult> {
    const verifier = new ChainVerifier(options.checkpoint ?? null);
    const size = options.pageSize ?? this.readPageSize;
    if (!Number.isInteger(size) || size < 1) throw new RangeError('pageSize must be a whole number of at least 1');
    const head = await this.head();
    if (head) {
      let after = '0';
      for (;;) {
        const rows: AuditRow[] = await this.db.query(
          `SELECT ${COLUMNS} FROM audit_events e WHERE e.seq > $1 AND e.seq <= $2 ORDER BY e.seq LIMIT $3`,
          [after, head.seq, size],
        );
        for (const row of rows) if (!verifier.push(toEvent(row))) return verifier.result();
        if (rows.length < size) break;
        after = rows[rows.length - 1]!.seq;
      }
    }
    return verifier.result();
  }

  /**
   * Writes the export (see `exportLines`) to `target`, waiting for 'drain' when it is full.
   * Does not end `target`. Returns the signed checkpoint, which is also the last line.
   */
  async exportNdjson(target: NodeJS.WritableStream, filter: AuditFilter = {}): Promise<SignedAuditCheckpoint> {
    const lines = this.exportLines(filter);
    const failed: { error?: unknown } = {};
    const onError = (error: unknown) => {
      if (!('error' in failed)) failed.error = error;
    };
    const onClose = () => onError(new Error('The export target was closed before the export ended.'));
    target.on('error', onError);
    target.on('close', onClose);
    try {
      for (;;) {
        const next = await lines.next();
        if ('error' in failed) throw failed.error;
        if (next.done) return next.value;
        if (!target.write(next.value)) {
          // Resolves on 'drain'; rejects on 'error'. A close without either ends the wait too.
          const ac = new AbortController();
          await Promise.race([once(target, 'drain', { signal: ac.signal }), once(target, 'close', { signal: ac.signal })]).finally(() => ac.abort());
          if ('error' in failed) throw failed.error;
        }
      }
    } finally {
      target.off('error', onError);
      target.off('close', onClose);
      await lines.return(undefined as never);
    }
  }

  /**
   * The export as NDJSON lines (each ending in a newline), streamed page by page: one canonical
   * line per event in seq order (the event's record plus its `hash`), then the signed checkpoint
   * line `{"alg":…,"checkpoint":{"at","digest","filter","hash","rows","seq"},"keyId"?,"signature":…}`
   * naming the head of the chain when the export started, the number of event lines and the
   * sha256 of their bytes. The generator's return value is the signed checkpoint.
   *
   * A full export (no filter) is the whole chain and is verified as it is read; a filtered one
   * checks each row's own hash. Either way it refuses (AUDIT_CHAIN_BROKEN, before the checkpoint
   * line) to sign a chain that does not verify. Needs a signing key (AUDIT_SIGNING_KEY_MISSING).
   */
  async *exportLines(filter: AuditFilter = {}): AsyncGenerator<string, SignedAuditCheckpoint> {
    const key = this.options.signingKey;
    if (!key) {
      throw new AuditError(
        AuditErrorCode.AUDIT_SIGNING_KEY_MISSING,
        'Audit exports are signed, and this server has no audit signing key configured: set one to export the audit trail.',
      );
    }
    const compiled = this.compileFilter(filter);
    const head = (await this.head()) ?? { seq: '0', hash: GENESIS_HASH };
    const exportedAt = (this.options.clock?.now() ?? new Date()).toISOString();
    const chain = compiled.record === null ? new ChainVerifier() : null;
    const digest = createHash('sha256');
    let rows = 0;
    let after = '0';
    const broken = (reason: string) =>
      new AuditError(AuditErrorCode.AUDIT_CHAIN_BROKEN, `The audit trail does not verify, so it is not exported and signed: ${reason}`);
    for (;;) {
      const params = [...compiled.params, after, head.seq, this.readPageSize];
      const n = compiled.params.length;
      const page: AuditRow[] = await this.db.query(
        `SELECT ${COLUMNS} FROM audit_events e WHERE ${[...compiled.where, `e.seq > $${n + 1}`, `e.seq <= $${n + 2}`].join(' AND ')} ` +
          `ORDER BY e.seq LIMIT $${n + 3}`,
        params,
      );
      for (const row of page) {
        const event = toEvent(row);
        if (chain) {
          if (!chain.push(event)) throw broken((chain.result() as { reason: string }).reason);
        } else if (hashEvent(event) !== event.hash) {
          throw broken(`the content of seq ${event.seq} does not match its hash.`);
        }
        const line = `${exportLine(event)}\n`;
        digest.update(line, 'utf8');
        rows++;
        yield line;
      }
      if (page.length < this.readPageSize) break;
      after = page[page.length - 1]!.seq;
    }
    if (chain) {
      const result = chain.result();
      if (!result.ok) throw broken(result.reason);
    } else if (head.seq !== '0') {
      const [row] = (await this.db.query(`SELECT ${COLUMNS} FROM audit_events e WHERE e.seq = $1`, [head.seq])) as AuditRow[];
      if (!row || hashEvent(toEvent(row)) !== row.hash) throw broken(`the content of seq ${head.seq}, the head of the chain, does not match its hash.`);
    }
    const signed = signCheckpoint({ seq: head.seq, hash: head.hash, at: exportedAt, rows, digest: digest.digest('hex'), filter: compiled.record }, key);
    yield `${checkpointLine(signed)}\n`;
    return signed;
  }

  /**
   * Events newest first (by time, then seq: the chain's order), keyset-paginated, narrowed by
   * project, actor, action and time (`since` inclusive, `until` exclusive).
   *
   * No access checks here: the caller must only pass filters the reader may see (for example,
   * `projectId` of a project they administer; the unfiltered list is for platform admins).
   */
  async list(request: AuditListRequest = {}): Promise<Page<AuditEvent>> {
    const limit = pageSize(request.first, this.options.maxPageSize);
    const compiled = this.compileFilter(request);
    const where = [...compiled.where];
    const params = [...compiled.params];
    if (request.after) {
      const [atUs, seq] = decodeCursor(request.after, 2, ['int', 'int']) as [number, number];
      params.push(atUs, String(seq));
      const at = FROM_MICROS(`$${params.length - 1}`);
      // The first condition bounds the index scan; the row comparison breaks ties on seq.
      where.push(`e.at <= ${at}`, `(e.at, e.seq) < (${at}, $${params.length}::bigint)`);
    }
    params.push(limit + 1);
    const rows: AuditRow[] = await this.db.query(
      `SELECT ${COLUMNS}, ${AT_US} FROM audit_events e ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ` +
        `ORDER BY e.at DESC, e.seq DESC LIMIT $${params.length}`,
      params,
    );
    const page = toPage(rows, limit, (r) => [Number(r.at_us), Number(r.seq)]);
    return { ...page, items: page.items.map(toEvent) };
  }

  /** The last row's seq and hash, or null for an empty chain. */
  private async head(): Promise<{ seq: string; hash: string } | null> {
    const [row] = (await this.db.query('SELECT e.seq::text AS seq, e.hash::text AS hash FROM audit_events e ORDER BY e.seq DESC LIMIT 1')) as {
      seq: string;
      hash: string;
    }[];
    return row ?? null;
  }

  private compileFilter(filter: AuditFilter): CompiledFilter {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (sql: (param: string) => string, value: unknown) => {
      params.push(value);
      where.push(sql(`$${params.length}`));
    };
    const uuid = (value: string | null | undefined, name: string): string | null => {
      if (value === undefined || value === null) return null;
      if (!isUuid(value)) throw AuditError.invalidFilter(`${name} must be a UUID (got ${JSON.stringify(String(value).slice(0, 80))}).`);
      return value.toLowerCase();
    };
    const time = (value: Date | null | undefined, name: string): Date | null => {
      if (value === undefined || value === null) return null;
      if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw AuditError.invalidFilter(`${name} must be a valid date.`);
      return value;
    };
    const projectId = uuid(filter.projectId, 'projectId');
    const actorId = uuid(filter.actorId, 'actorId');
    const action = filter.action ?? null;
    if (action !== null && (typeof action !== 'string' || action === '')) throw AuditError.invalidFilter('action must be a non-empty string.');
    const since = time(filter.since, 'since');
    const until = time(filter.until, 'until');
    if (projectId !== null) add((p) => `e.project_id = ${p}::uuid`, projectId);
    if (actorId !== null) add((p) => `e.actor_id = ${p}::uuid`, actorId);
    if (action !== null) add((p) => `e.action = ${p}`, action);
    if (since !== null) add((p) => `e.at >= ${p}::timestamptz`, since.toISOString());
    if (until !== null) add((p) => `e.at < ${p}::timestamptz`, until.toISOString());
    const record =
      where.length === 0
        ? null
        : { project_id: projectId, actor_id: actorId, action, since: since?.toISOString() ?? null, until: until?.toISOString() ?? null };
    return { where, params, record };
  }
}
