import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Refresh policies (one per deployment), their runs, and the deployments' attention marks. Needs users,
 * deployments, model_versions (registry, serving) and alerts (monitoring).
 */
export class LifecycleRefresh1795910000000 implements MigrationInterface {
  name = 'LifecycleRefresh1795910000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE refresh_policies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      enabled boolean NOT NULL DEFAULT true,
      schedule_every_hours integer CHECK (schedule_every_hours BETWEEN 1 AND 8760),
      schedule_since timestamptz,
      on_drift_red boolean NOT NULL DEFAULT false,
      accuracy_metric text,
      accuracy_threshold double precision,
      max_model_age_days integer CHECK (max_model_age_days BETWEEN 1 AND 3650),
      min_interval_minutes integer NOT NULL CHECK (min_interval_minutes BETWEEN 1 AND 525600),
      action text NOT NULL CHECK (action IN ('WEBHOOK', 'QUEUE')),
      webhook_url text,
      webhook_secret text,
      data_window_days integer NOT NULL CHECK (data_window_days BETWEEN 1 AND 365),
      last_run_at timestamptz,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_by uuid REFERENCES users(id) ON DELETE SET NULL,
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT refresh_policies_one_per_deployment UNIQUE (deployment_id),
      CONSTRAINT refresh_policies_accuracy_check CHECK ((accuracy_metric IS NULL) = (accuracy_threshold IS NULL)),
      CONSTRAINT refresh_policies_webhook_check CHECK ((action = 'WEBHOOK') = (webhook_url IS NOT NULL AND webhook_secret IS NOT NULL))
    )`);
    await q.query(`CREATE TABLE refresh_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      policy_id uuid REFERENCES refresh_policies(id) ON DELETE SET NULL,
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      model_id uuid NOT NULL,
      champion_version_id uuid REFERENCES model_versions(id) ON DELETE SET NULL,
      trigger_kind text NOT NULL CHECK (trigger_kind IN ('SCHEDULE', 'DRIFT_RED', 'ACCURACY', 'MODEL_AGE', 'MANUAL')),
      reason text NOT NULL,
      window_from timestamptz NOT NULL,
      window_to timestamptz NOT NULL,
      action text NOT NULL CHECK (action IN ('WEBHOOK', 'QUEUE')),
      state text NOT NULL CHECK (state IN ('PENDING', 'DELIVERED', 'COMPLETED', 'FAILED')),
      attempts integer NOT NULL DEFAULT 0,
      last_error text,
      response_status integer,
      next_attempt_at timestamptz,
      new_version_id uuid REFERENCES model_versions(id) ON DELETE SET NULL,
      requested_by uuid REFERENCES users(id) ON DELETE SET NULL,
      payload jsonb NOT NULL,
      created_at timestamptz NOT NULL,
      delivered_at timestamptz,
      completed_at timestamptz,
      failed_at timestamptz,
      CONSTRAINT refresh_runs_window_check CHECK (window_to > window_from)
    )`);
    await q.query(`CREATE INDEX refresh_runs_deployment_idx ON refresh_runs (deployment_id, created_at DESC)`);
    await q.query(`CREATE TABLE deployment_attention (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL,
      kind text NOT NULL,
      reason text NOT NULL,
      alert_id uuid REFERENCES alerts(id) ON DELETE SET NULL,
      since timestamptz NOT NULL,
      cleared_at timestamptz
    )`);
    // At most one open mark per deployment and alert kind, whatever races.
    await q.query(`CREATE UNIQUE INDEX deployment_attention_one_open ON deployment_attention (deployment_id, kind) WHERE cleared_at IS NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['deployment_attention', 'refresh_runs', 'refresh_policies']) await q.query(`DROP TABLE ${table}`);
  }
}

export const refreshMigrationClasses: MigrationClass[] = [LifecycleRefresh1795910000000];
