import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Reference profiles (a model version's reference data set, profiled per feature and prediction), drift
 * settings per deployment, and pre-aggregated drift windows: mergeable sketches per deployment, profile,
 * feature and hour, and the same per day (span 'day', `hour` = the day's start, UTC), both kept up to date by
 * every fold. A drift query reads days for the whole days it spans and hours for the rest: 30 days cost
 * about (29 + 48) × features rows, never the prediction log.
 */
export class MonitoringDrift1795801500000 implements MigrationInterface {
  name = 'MonitoringDrift1795801500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE reference_profiles (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      model_version_id uuid NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'READY', 'FAILED')),
      failure text,
      upload_id uuid NOT NULL,
      format text NOT NULL CHECK (format IN ('csv', 'jsonl')),
      feature_columns text[] NOT NULL,
      prediction_columns text[] NOT NULL,
      categorical_columns text[] NOT NULL,
      row_count integer,
      profiles jsonb,
      created_by uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      completed_at timestamptz
    )`);
    await q.query(`CREATE INDEX reference_profiles_deployment_idx ON reference_profiles (deployment_id, model_version_id, created_at DESC)`);
    await q.query(`CREATE TABLE drift_settings (
      deployment_id uuid PRIMARY KEY REFERENCES deployments(id) ON DELETE CASCADE,
      options jsonb NOT NULL,
      updated_by uuid,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE TABLE drift_window_sketches (
      deployment_id uuid NOT NULL,
      profile_id uuid NOT NULL REFERENCES reference_profiles(id) ON DELETE CASCADE,
      span text NOT NULL CHECK (span IN ('hour', 'day')),
      hour timestamptz NOT NULL,
      feature text NOT NULL,
      role text NOT NULL CHECK (role IN ('feature', 'prediction')),
      rows integer NOT NULL,
      sketch jsonb NOT NULL,
      PRIMARY KEY (deployment_id, profile_id, span, hour, role, feature)
    )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['drift_window_sketches', 'drift_settings', 'reference_profiles']) await q.query(`DROP TABLE ${table}`);
  }
}

export const baselineMigrations: MigrationClass[] = [MonitoringDrift1795801500000];
