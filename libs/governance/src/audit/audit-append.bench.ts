/*
 * Audit append benchmark (belongs in tools/bench/governance/; kept beside the code it measures
 * until it is moved there). Against the test PostgreSQL (MODELPORT_TEST_DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/postgres), in a fresh database dropped afterwards, it appends
 * the same events four ways, alternating them round by round so all see the same machine load,
 * and prints appends/s and the ratio to a plain insert:
 *
 *   plain insert      one INSERT of a prepared row per transaction: no lock, no head, no hash
 *   append            AuditService.append, its own transaction, one caller at a time
 *   append, caller tx AuditService.append(event, tx) inside the caller's transaction
 *   append xN         AuditService.append from N concurrent callers (pool of N + 2 connections)
 *   append xN, caller tx   the same, each in its own caller transaction
 *
 * Appends are serialised by the chain lock, whose critical section (head, insert, commit) bounds
 * the rate. Without tx, concurrent appends of one process share transactions (group commit);
 * in caller transactions each one holds a connection and waits for the lock in turn.
 *
 * Run: node tools/scripts/build.cjs && node dist/libs/governance/src/audit/audit-append.bench.js
 * Options: --events 2000 --rounds 3 --concurrency 8
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { createDataSource } from '@modelport/database';
import { createTestDatabase } from '@modelport/testing';
import { auditMigrations } from './audit.migrations';
import { AuditService } from './audit.service';
import type { AuditEventInput } from './audit.types';

const { values: args } = parseArgs({
  options: {
    events: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '8' },
  },
});
const EVENTS = Number(args.events);
const ROUNDS = Number(args.rounds);
const CONCURRENCY = Number(args.concurrency);

type Method = 'plain insert' | 'append' | 'append, caller tx' | `append x${number}` | `append x${number}, caller tx`;
const METHODS: Method[] = ['plain insert', 'append', 'append, caller tx', `append x${CONCURRENCY}`, `append x${CONCURRENCY}, caller tx`];

const projectId = randomUUID();
const actorId = randomUUID();
const events: AuditEventInput[] = Array.from({ length: EVENTS }, (_, i) => ({
  actorId,
  actorName: 'bench',
  action: 'updateDeployment',
  resourceType: 'Deployment',
  resourceId: randomUUID(),
  projectId,
  outcome: 'ok',
  before: { replicas: i, image: 'runtime-onnx:1.0.0' },
  after: { replicas: i + 1, image: 'runtime-onnx:1.0.0' },
  requestId: `req-${i}`,
  details: { operation: 'mutation', args: { input: { id: randomUUID(), replicas: i + 1, note: 'x'.repeat(64) } } },
}));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const db = await createTestDatabase({ entities: [], migrations: [...auditMigrations] });
  const ds = createDataSource({ url: db.url, schema: { entities: [], migrations: [] }, poolSize: CONCURRENCY + 2 });
  await ds.initialize();
  const out = (line: string) => process.stdout.write(`${line}\n`);
  try {
    const service = new AuditService(ds, { maxPageSize: 100, signingKey: randomBytes(32) });
    const reset = () =>
      ds.transaction(async (tx) => {
        await tx.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
        await tx.query('TRUNCATE audit_events');
        await tx.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
      });
    // The rows the plain insert writes: the chain's own rows, so every method stores the same bytes.
    await reset();
    const prepared: unknown[][] = [];
    for (const e of events) {
      const a = await service.append(e);
      prepared.push([a.seq, a.id, a.at.toISOString(), a.actorId, a.actorName, a.action, a.resourceType, a.resourceId, a.projectId, a.outcome,
        JSON.stringify(a.before), JSON.stringify(a.after), a.requestId, JSON.stringify(a.details), a.prevHash, a.hash]);
    }
    const run: Record<Method, () => Promise<void>> = {
      'plain insert': async () => {
        for (const row of prepared) {
          await ds.transaction((tx) =>
            tx.query(
              'INSERT INTO audit_events (seq, id, at, actor_id, actor_name, action, resource_type, resource_id, project_id, outcome, before, after, request_id, details, prev_hash, hash) ' +
                'VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, $13, $14::jsonb, $15, $16)',
              row,
            ),
          );
        }
      },
      append: async () => {
        for (const e of events) await service.append(e);
      },
      'append, caller tx': async () => {
        for (const e of events) await ds.transaction((tx) => service.append(e, tx));
      },
      [`append x${CONCURRENCY}`]: async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < events.length) await service.append(events[next++]!);
          }),
        );
      },
      [`append x${CONCURRENCY}, caller tx`]: async () => {
        let next = 0;
        await Promise.all(
          Array.from({ length: CONCURRENCY }, async () => {
            while (next < events.length) {
              const e = events[next++]!;
              await ds.transaction((tx) => service.append(e, tx));
            }
          }),
        );
      },
    };
    const pg = await ds.query('SHOW server_version');
    const [{ fsync, synchronous_commit }] = await ds.query(`SELECT current_setting('fsync') AS fsync, current_setting('synchronous_commit') AS synchronous_commit`);
    out(`audit append benchmark: ${fmt(EVENTS)} events per run, ${ROUNDS} rounds, PostgreSQL ${pg[0].server_version} (fsync ${fsync}, synchronous_commit ${synchronous_commit})\n`);
    const seconds = Object.fromEntries(METHODS.map((m) => [m, [] as number[]])) as Record<Method, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      for (const method of round % 2 === 0 ? METHODS : [...METHODS].reverse()) {
        await reset();
        const started = process.hrtime.bigint();
        await run[method]();
        seconds[method].push(Number(process.hrtime.bigint() - started) / 1e9);
        const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM audit_events');
        if (n !== EVENTS) throw new Error(`${method} wrote ${n} events, not ${EVENTS}`);
        if (method !== 'plain insert') {
          const verified = await service.verifyChain();
          if (!verified.ok) throw new Error(`${method} left a broken chain: ${verified.reason}`);
        }
      }
    }
    const rate = (m: Method) => EVENTS / median(seconds[m]);
    for (const m of METHODS) out(`${m.padEnd(24)} ${fmt(rate(m)).padStart(8)} appends/s   ${(rate(m) / rate('plain insert')).toFixed(2)} x plain insert`);
    const started = process.hrtime.bigint();
    const verified = await service.verifyChain();
    const verifySeconds = Number(process.hrtime.bigint() - started) / 1e9;
    out(`\nverifyChain: ${fmt(EVENTS / verifySeconds)} rows/s (${verified.ok ? 'ok' : 'broken'})`);
  } finally {
    await ds.destroy();
    await db.drop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
