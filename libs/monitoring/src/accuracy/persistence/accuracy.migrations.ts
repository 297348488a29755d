import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Actuals and the monitoring settings that say how to score a deployment's outputs. Needs the
 * serving context's `deployments` and `predictions` tables (run after servingMigrations).
 */
export class MonitoringActuals1795801450000 implements MigrationInterface {
  name = 'MonitoringActuals1795801450000';

  async up(q: QueryRunner): Promise<void> {
    // No foreign keys on actuals: like the prediction log they outlive deleted deployments, and
    // bulk ingestion should not pay for key checks. An unmatched actual has no prediction yet.
    await q.query(`CREATE TABLE actuals (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      deployment_id uuid NOT NULL,
      row_index integer NOT NULL DEFAULT 0 CHECK (row_index >= 0),
      prediction_id uuid,
      prediction_received_at timestamptz,
      value_number double precision,
      actual_at timestamptz,
      received_at timestamptz NOT NULL,
      submitted_by uuid,
      association_id text NOT NULL CHECK (char_length(association_id) BETWEEN 1 AND 1024),
      value_label text CHECK (char_length(value_label) BETWEEN 1 AND 256),
      CONSTRAINT actuals_value_check CHECK ((value_number IS NULL) <> (value_label IS NULL)),
      CONSTRAINT actuals_match_check CHECK ((prediction_id IS NULL) = (prediction_received_at IS NULL))
    )`);
    // One actual per association id (and row) per deployment: the first is kept, later ones are duplicates.
    await q.query(`CREATE UNIQUE INDEX actuals_association_unique ON actuals (deployment_id, association_id, row_index)`);
    // One actual per prediction row, whichever id it was sent by (prediction id or request id).
    // Also serves "does this prediction have an actual" in the per-window counts.
    await q.query(`CREATE UNIQUE INDEX actuals_prediction_unique ON actuals (prediction_id, row_index) WHERE prediction_id IS NOT NULL`);
    // Accuracy windows read a deployment's matched actuals by prediction time.
    await q.query(`CREATE INDEX actuals_window_idx ON actuals (deployment_id, prediction_received_at) WHERE prediction_id IS NOT NULL`);
    // Unmatched actuals: listed per deployment and retried against the log as predictions arrive.
    await q.query(`CREATE INDEX actuals_unmatched_idx ON actuals (deployment_id, received_at) WHERE prediction_id IS NULL`);
    // Association by the client's request id (see libs/serving/src/predictions/README.md). Partial:
    // predictions sent without an id cost nothing. On a large existing log, create it by hand first
    // with CREATE INDEX CONCURRENTLY (same name): this statement then does nothing.
    await q.query(`CREATE INDEX IF NOT EXISTS predictions_deployment_request_idx ON predictions (deployment_id, request_id) WHERE request_id IS NOT NULL`);

    await q.query(`CREATE TABLE deployment_monitoring_settings (
      deployment_id uuid PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      task text NOT NULL CHECK (task IN ('classification', 'regression')),
      label_output text NOT NULL,
      probability_output text,
      positive_class text,
      classes text[],
      updated_by uuid,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT deployment_monitoring_settings_regression_check
        CHECK (task = 'classification' OR (probability_output IS NULL AND positive_class IS NULL AND classes IS NULL))
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE deployment_monitoring_settings');
    await q.query('DROP INDEX IF EXISTS predictions_deployment_request_idx');
    await q.query('DROP TABLE actuals');
  }
}

export const accuracyMigrations: MigrationClass[] = [MonitoringActuals1795801450000];
