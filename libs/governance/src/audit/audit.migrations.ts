import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * The audit trail: `audit_events`, a hash chain that is append-only at the database level (see
 * README.md beside this file).
 *
 * No foreign keys: events must outlive the users, projects and resources they name.
 */
export class GovernanceAudit1795800000000 implements MigrationInterface {
  name = 'GovernanceAudit1795800000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE audit_events (
      seq bigint PRIMARY KEY CHECK (seq > 0),
      id uuid NOT NULL,
      at timestamptz NOT NULL,
      actor_id uuid,
      actor_name text,
      action text NOT NULL CHECK (action <> ''),
      resource_type text NOT NULL CHECK (resource_type <> ''),
      resource_id text,
      project_id uuid,
      outcome text NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
      before jsonb,
      after jsonb,
      request_id text,
      details jsonb,
      prev_hash char(64) NOT NULL CHECK (prev_hash ~ '^[0-9a-f]{64}$'),
      hash char(64) NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
      CONSTRAINT audit_events_id_unique UNIQUE (id)
    )`);
    // Lists newest first, keyset on (at, seq): one project's events over a time range, one actor's,
    // and everything (admins). The appender keeps at non-decreasing along seq, so this order is the
    // chain's order. Rows without a project or actor (most access denials) stay out of the first two.
    await q.query(`CREATE INDEX audit_events_project_time_idx ON audit_events (project_id, at, seq) WHERE project_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_events_actor_time_idx ON audit_events (actor_id, at, seq) WHERE actor_id IS NOT NULL`);
    await q.query(`CREATE INDEX audit_events_time_idx ON audit_events (at, seq)`);

    // Append-only: one statement-level trigger refuses UPDATE, DELETE and TRUNCATE, even of no rows
    // (an INSERT ... ON CONFLICT DO UPDATE or a MERGE that could update fires it too). Only someone
    // who may ALTER the table can get past it, and verifyChain then finds what they changed.
    await q.query(`CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'the audit trail is append-only: % on audit_events is not allowed', TG_OP
          USING ERRCODE = 'insufficient_privilege',
                HINT = 'Audit events can only be appended (INSERT); they are never changed or removed.';
      END
    $$`);
    await q.query(`CREATE TRIGGER audit_events_append_only
      BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_events
      FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()`);

    // The head of the chain for the appender, in one round trip: takes the chain's advisory lock
    // (held to the end of the transaction, so appends are serialised and the chain never forks),
    // then reads the last row. The function is VOLATILE, so its query takes a new snapshot after
    // the lock is granted and, in READ COMMITTED, sees the row the previous holder committed (in
    // one plain statement the snapshot would predate the lock). It also returns the database time,
    // for the event's timestamp, and the isolation level, which the appender checks.
    await q.query(`CREATE FUNCTION audit_chain_head()
      RETURNS TABLE (head_seq text, head_hash text, head_at timestamptz, db_now timestamptz, isolation text)
      LANGUAGE plpgsql VOLATILE AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(7311340);
        RETURN QUERY
          SELECT last.seq::text, last.hash::text, last.at, date_trunc('milliseconds', clock_timestamp()), current_setting('transaction_isolation')
          FROM (SELECT 1) AS one
          LEFT JOIN LATERAL (SELECT e.seq, e.hash, e.at FROM audit_events e ORDER BY e.seq DESC LIMIT 1) AS last ON true;
      END
    $$`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION audit_chain_head()');
    await q.query('DROP TABLE audit_events');
    await q.query('DROP FUNCTION audit_events_append_only()');
  }
}

export const auditMigrations: MigrationClass[] = [GovernanceAudit1795800000000];
