import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * The prediction log: one row per prediction the gateway answered, ok or not. Append-only, see
 * README.md beside this file for how monitoring reads it.
 *
 * No foreign keys: rows must outlive a deleted deployment or model version (the log is the
 * record of what served), and each key check would slow the batched inserts.
 * Fixed-width columns come first so rows pack without alignment padding.
 */
export class ServingPredictionLog1795735500000 implements MigrationInterface {
  name = 'ServingPredictionLog1795735500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE predictions (
      id uuid PRIMARY KEY,
      received_at timestamptz NOT NULL,
      deployment_id uuid NOT NULL,
      project_id uuid NOT NULL,
      model_id uuid,
      model_version_id uuid,
      consumer_id uuid,
      latency_us integer NOT NULL CHECK (latency_us >= 0),
      model_version integer,
      input_rows integer CHECK (input_rows >= 0),
      error_status smallint,
      payload_stored boolean NOT NULL,
      protocol text NOT NULL CHECK (protocol IN ('rest', 'grpc')),
      status text NOT NULL CHECK (status IN ('ok', 'error')),
      deployment_name text NOT NULL,
      artifact_sha256 char(64),
      plugin_id text,
      plugin_version text,
      request_id text,
      error_message text,
      parameters jsonb,
      inputs jsonb,
      outputs jsonb,
      CONSTRAINT predictions_payload_stored_check CHECK (payload_stored OR (inputs IS NULL AND outputs IS NULL))
    )`);
    // One deployment over a time range: the prediction list of a deployment (newest first), and the
    // monitoring rollups, drift windows and accuracy joins, which always read one deployment's window.
    await q.query(`CREATE INDEX predictions_deployment_time_idx ON predictions (deployment_id, received_at)`);
    // One project over a time range: project dashboards and usage reports across its deployments,
    // without knowing (or reading the deleted) deployments first.
    await q.query(`CREATE INDEX predictions_project_time_idx ON predictions (project_id, received_at)`);
    // The whole table over a time range: retention deletes (received_at < cutoff) and rollup jobs over
    // every deployment. Rows arrive in time order, so a BRIN of a few pages does what a btree would
    // do at a fraction of its size and insert cost.
    await q.query(`CREATE INDEX predictions_received_at_brin ON predictions USING brin (received_at) WITH (pages_per_range = 32)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE predictions');
  }
}

/**
 * Shadow and replay predictions go to the same log with their role and the live prediction they copy, so a
 * comparison joins each pair. Monitoring reads live rows only.
 */
export class ServingPredictionRoles1795900000100 implements MigrationInterface {
  name = 'ServingPredictionRoles1795900000100';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE predictions
      ADD COLUMN role text NOT NULL DEFAULT 'live' CHECK (role IN ('live', 'shadow', 'replay')),
      ADD COLUMN shadow_of uuid`);
    await q.query(`CREATE INDEX predictions_shadow_of_idx ON predictions (shadow_of) WHERE shadow_of IS NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM predictions WHERE role <> 'live'`);
    await q.query(`ALTER TABLE predictions DROP COLUMN shadow_of, DROP COLUMN role`);
  }
}

export const servingPredictionMigrations: MigrationClass[] = [ServingPredictionLog1795735500000, ServingPredictionRoles1795900000100];
