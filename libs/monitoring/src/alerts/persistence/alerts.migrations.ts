import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/** Alert rules, their episodes, notification channels (webhooks), the delivery log and users' inboxes. Needs projects, users and deployments. */
export class MonitoringAlerts1795801300000 implements MigrationInterface {
  name = 'MonitoringAlerts1795801300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE notification_channels (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      name text NOT NULL CHECK (char_length(name) BETWEEN 1 AND 100),
      kind text NOT NULL CHECK (kind = 'webhook'),
      url text NOT NULL,
      secret text NOT NULL,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT notification_channels_name_unique UNIQUE (project_id, name)
    )`);
    await q.query(`CREATE TABLE alert_rules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      kind text NOT NULL CHECK (kind IN ('DRIFT_STATUS', 'ACCURACY', 'ERROR_RATE', 'LATENCY_P99', 'NO_TRAFFIC', 'MISSING_ACTUALS')),
      threshold double precision NOT NULL,
      comparison text NOT NULL CHECK (comparison IN ('above', 'below')),
      window_minutes integer NOT NULL CHECK (window_minutes BETWEEN 1 AND 10080),
      fire_after integer NOT NULL CHECK (fire_after BETWEEN 1 AND 60),
      resolve_after integer NOT NULL CHECK (resolve_after BETWEEN 1 AND 60),
      metric text,
      channel_ids uuid[] NOT NULL DEFAULT '{}',
      notify_owners boolean NOT NULL DEFAULT true,
      enabled boolean NOT NULL DEFAULT true,
      state text NOT NULL DEFAULT 'OK' CHECK (state IN ('OK', 'FIRING')),
      breaches integer NOT NULL DEFAULT 0,
      clears integer NOT NULL DEFAULT 0,
      last_value double precision,
      last_evaluated_at timestamptz,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX alert_rules_deployment_idx ON alert_rules (deployment_id)`);
    await q.query(`CREATE TABLE alerts (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      rule_id uuid NOT NULL REFERENCES alert_rules(id) ON DELETE CASCADE,
      deployment_id uuid NOT NULL,
      project_id uuid NOT NULL,
      kind text NOT NULL,
      opened_at timestamptz NOT NULL,
      opened_value double precision NOT NULL,
      resolved_at timestamptz,
      last_value double precision NOT NULL
    )`);
    // De-duplication: one open alert per rule, whatever races.
    await q.query(`CREATE UNIQUE INDEX alerts_one_open_per_rule ON alerts (rule_id) WHERE resolved_at IS NULL`);
    await q.query(`CREATE INDEX alerts_deployment_idx ON alerts (deployment_id, opened_at DESC)`);
    await q.query(`CREATE TABLE notifications (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      alert_id uuid REFERENCES alerts(id) ON DELETE SET NULL,
      event text NOT NULL,
      title text NOT NULL,
      body jsonb NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      read_at timestamptz
    )`);
    await q.query(`CREATE INDEX notifications_user_idx ON notifications (user_id, created_at DESC)`);
    await q.query(`CREATE TABLE webhook_deliveries (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      channel_id uuid NOT NULL REFERENCES notification_channels(id) ON DELETE CASCADE,
      alert_id uuid REFERENCES alerts(id) ON DELETE SET NULL,
      event text NOT NULL,
      payload jsonb NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'DELIVERED', 'FAILED')),
      attempts integer NOT NULL DEFAULT 0,
      last_status_code integer,
      last_error text,
      next_attempt_at timestamptz,
      created_at timestamptz NOT NULL DEFAULT now(),
      delivered_at timestamptz
    )`);
    await q.query(`CREATE INDEX webhook_deliveries_channel_idx ON webhook_deliveries (channel_id, created_at DESC)`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['webhook_deliveries', 'notifications', 'alerts', 'alert_rules', 'notification_channels']) await q.query(`DROP TABLE ${table}`);
  }
}

export const alertMigrations: MigrationClass[] = [MonitoringAlerts1795801300000];
