import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ServingDeployments1764600000000 implements MigrationInterface {
  name = 'ServingDeployments1764600000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE deployments (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
      name text NOT NULL,
      model_id uuid NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
      model_version_id uuid NOT NULL REFERENCES model_versions(id) ON DELETE RESTRICT,
      source_alias text,
      state text NOT NULL CHECK (state IN ('PENDING', 'LOADING', 'READY', 'FAILED')),
      failure text,
      requested_plugin text,
      plugin_name text,
      model_key text,
      runtime_config jsonb NOT NULL DEFAULT '{}',
      payload_logging text NOT NULL DEFAULT 'full' CHECK (payload_logging IN ('full', 'sampled', 'none')),
      payload_sample_rate double precision NOT NULL DEFAULT 1 CHECK (payload_sample_rate >= 0 AND payload_sample_rate <= 1),
      max_batch_size integer CHECK (max_batch_size IS NULL OR max_batch_size BETWEEN 2 AND 1024),
      max_batch_delay_ms integer CHECK (max_batch_delay_ms IS NULL OR max_batch_delay_ms BETWEEN 0 AND 1000),
      production boolean NOT NULL DEFAULT false,
      revision integer NOT NULL DEFAULT 1,
      rollout_error text,
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      ready_at timestamptz,
      deleted_at timestamptz
    )`);
    // The V2 model name is the deployment name, so names are unique across projects among live deployments.
    await q.query(`CREATE UNIQUE INDEX deployments_live_name_unique ON deployments (name) WHERE deleted_at IS NULL`);
    await q.query(`CREATE INDEX deployments_project_idx ON deployments (project_id, created_at DESC, id DESC) WHERE deleted_at IS NULL`);
    // Every change of what a deployment serves, for "what served at time T" and the deployment's timeline.
    await q.query(`CREATE TABLE deployment_events (
      id bigserial PRIMARY KEY,
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      at timestamptz NOT NULL DEFAULT now(),
      kind text NOT NULL,
      actor_id uuid,
      from_version_id uuid,
      to_version_id uuid,
      detail text NOT NULL DEFAULT ''
    )`);
    await q.query(`CREATE INDEX deployment_events_deployment_idx ON deployment_events (deployment_id, at)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE deployment_events`);
    await q.query(`DROP TABLE deployments`);
  }
}

/** Links a deployment change to the approved change request that made it (traceable results). */
export class ServingDeploymentEventChangeRequests1795800500000 implements MigrationInterface {
  name = 'ServingDeploymentEventChangeRequests1795800500000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_events ADD COLUMN change_request_id uuid`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_events DROP COLUMN change_request_id`);
  }
}

/** A production deployment whose creation an approval policy covers exists, unloaded, as AWAITING_APPROVAL. */
export class ServingDeploymentsAwaitingApproval1795801000000 implements MigrationInterface {
  name = 'ServingDeploymentsAwaitingApproval1795801000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments DROP CONSTRAINT deployments_state_check`);
    await q.query(`ALTER TABLE deployments ADD CONSTRAINT deployments_state_check CHECK (state IN ('AWAITING_APPROVAL', 'PENDING', 'LOADING', 'READY', 'FAILED'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`UPDATE deployments SET state = 'FAILED', failure = 'never approved' WHERE state = 'AWAITING_APPROVAL'`);
    await q.query(`ALTER TABLE deployments DROP CONSTRAINT deployments_state_check`);
    await q.query(`ALTER TABLE deployments ADD CONSTRAINT deployments_state_check CHECK (state IN ('PENDING', 'LOADING', 'READY', 'FAILED'))`);
  }
}

/**
 * External deployments: models served outside Modelport whose predictions (protocol `ingest`) arrive through
 * the ingestion API, so they get the same health, drift and accuracy as served ones.
 */
export class ServingExternalDeployments1795801400000 implements MigrationInterface {
  name = 'ServingExternalDeployments1795801400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployments ADD COLUMN kind text NOT NULL DEFAULT 'served' CHECK (kind IN ('served', 'external'))`);
    await q.query(`ALTER TABLE predictions DROP CONSTRAINT predictions_protocol_check`);
    await q.query(`ALTER TABLE predictions ADD CONSTRAINT predictions_protocol_check CHECK (protocol IN ('rest', 'grpc', 'ingest'))`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM predictions WHERE protocol = 'ingest'`);
    await q.query(`ALTER TABLE predictions DROP CONSTRAINT predictions_protocol_check`);
    await q.query(`ALTER TABLE predictions ADD CONSTRAINT predictions_protocol_check CHECK (protocol IN ('rest', 'grpc'))`);
    await q.query(`ALTER TABLE deployments DROP COLUMN kind`);
  }
}

/**
 * Traffic policies (champion, canaries, shadows) and safe promotion. The champion stays in
 * `deployments.model_version_id`; every other version a deployment has loaded is a row of
 * `deployment_versions`: a canary (live, with a weight), a shadow (a copy of live traffic, never
 * answered), or the standby (the previous champion, kept loaded through the bake period so a
 * rollback switches back without loading anything).
 */
export class ServingTrafficPolicies1795900000000 implements MigrationInterface {
  name = 'ServingTrafficPolicies1795900000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE deployment_versions (
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      model_version_id uuid NOT NULL REFERENCES model_versions(id) ON DELETE RESTRICT,
      role text NOT NULL CHECK (role IN ('canary', 'shadow', 'standby')),
      weight integer NOT NULL DEFAULT 0 CHECK (weight BETWEEN 0 AND 100 AND (role = 'canary' OR weight = 0)),
      state text NOT NULL CHECK (state IN ('LOADING', 'READY', 'FAILED')),
      failure text,
      plugin_name text,
      model_key text,
      added_by uuid,
      reason text NOT NULL DEFAULT '',
      added_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (deployment_id, model_version_id)
    )`);
    await q.query(`CREATE UNIQUE INDEX deployment_versions_one_standby ON deployment_versions (deployment_id) WHERE role = 'standby'`);
    await q.query(`ALTER TABLE deployments
      ADD COLUMN sticky_by text NOT NULL DEFAULT 'none' CHECK (sticky_by IN ('none', 'consumer', 'request-parameter')),
      ADD COLUMN sticky_parameter text,
      ADD COLUMN previous_version_id uuid REFERENCES model_versions(id) ON DELETE SET NULL,
      ADD COLUMN bake_until timestamptz,
      ADD COLUMN bake_settings jsonb`);
    await q.query(`ALTER TABLE deployment_events ADD COLUMN reason text`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE deployment_events DROP COLUMN reason`);
    await q.query(`ALTER TABLE deployments DROP COLUMN sticky_by, DROP COLUMN sticky_parameter, DROP COLUMN previous_version_id, DROP COLUMN bake_until, DROP COLUMN bake_settings`);
    await q.query(`DROP TABLE deployment_versions`);
  }
}
