import type { MigrationInterface, QueryRunner } from 'typeorm';

export class RegistryModels1764172900000 implements MigrationInterface {
  name = 'RegistryModels1764172900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE models (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
      name text NOT NULL,
      name_key text NOT NULL,
      description text NOT NULL DEFAULT '',
      owner_id uuid NOT NULL REFERENCES users(id),
      tags text[] NOT NULL DEFAULT '{}',
      latest_version integer NOT NULL DEFAULT 0,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT models_project_name_unique UNIQUE (project_id, name_key)
    )`);
    await q.query(`CREATE INDEX models_tags_idx ON models USING gin (tags)`);
    await q.query(`CREATE TABLE artifact_uploads (
      id uuid PRIMARY KEY,
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      created_by uuid NOT NULL REFERENCES users(id),
      expected_size bigint NOT NULL CHECK (expected_size > 0),
      expected_sha256 char(64) NOT NULL,
      status text NOT NULL CHECK (status IN ('PENDING', 'RECEIVED', 'VERIFYING', 'CONSUMED', 'REJECTED', 'EXPIRED')),
      failure text,
      version_id uuid,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      finished_at timestamptz
    )`);
    await q.query(`CREATE INDEX artifact_uploads_open_idx ON artifact_uploads (expires_at) WHERE status IN ('PENDING', 'RECEIVED', 'VERIFYING')`);
    await q.query(`CREATE TABLE model_versions (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      model_id uuid NOT NULL REFERENCES models(id) ON DELETE RESTRICT,
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE RESTRICT,
      version integer NOT NULL CHECK (version > 0),
      description text NOT NULL DEFAULT '',
      tags text[] NOT NULL DEFAULT '{}',
      format text NOT NULL,
      artifact_sha256 char(64) NOT NULL,
      artifact_size bigint NOT NULL,
      artifact_key text NOT NULL,
      signature jsonb,
      onnx jsonb,
      lineage jsonb NOT NULL DEFAULT '{}',
      upload_id uuid NOT NULL REFERENCES artifact_uploads(id),
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT model_versions_model_version_unique UNIQUE (model_id, version),
      CONSTRAINT model_versions_upload_unique UNIQUE (upload_id)
    )`);
    await q.query(`CREATE INDEX model_versions_tags_idx ON model_versions USING gin (tags)`);
    await q.query(`CREATE INDEX model_versions_sha_idx ON model_versions (artifact_sha256)`);
    await q.query(`CREATE INDEX model_versions_format_idx ON model_versions (model_id, format)`);
    await q.query(`ALTER TABLE artifact_uploads ADD CONSTRAINT artifact_uploads_version_fk FOREIGN KEY (version_id) REFERENCES model_versions(id) DEFERRABLE INITIALLY DEFERRED`);
    await q.query(`CREATE TABLE model_aliases (
      model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      alias text NOT NULL,
      version_id uuid NOT NULL REFERENCES model_versions(id),
      project_id uuid NOT NULL REFERENCES projects(id),
      updated_by uuid NOT NULL REFERENCES users(id),
      updated_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (model_id, alias)
    )`);
    await q.query(`CREATE INDEX model_aliases_alias_idx ON model_aliases (alias)`);
    await q.query(`CREATE TABLE model_alias_events (
      id bigserial PRIMARY KEY,
      model_id uuid NOT NULL REFERENCES models(id) ON DELETE CASCADE,
      alias text NOT NULL,
      from_version_id uuid REFERENCES model_versions(id),
      to_version_id uuid REFERENCES model_versions(id),
      actor_id uuid NOT NULL REFERENCES users(id),
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX model_alias_events_model_idx ON model_alias_events (model_id, alias, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE model_alias_events');
    await q.query('DROP TABLE model_aliases');
    await q.query('ALTER TABLE artifact_uploads DROP CONSTRAINT artifact_uploads_version_fk');
    await q.query('DROP TABLE model_versions');
    await q.query('DROP TABLE artifact_uploads');
    await q.query('DROP TABLE models');
  }
}

/**
 * The models list orders by (name_key, id) across projects; without this index every page of an
 * unfiltered list (a platform admin's, or a member of many projects) scans and sorts the whole table.
 */
export class RegistryModelsByName1795800900000 implements MigrationInterface {
  name = 'RegistryModelsByName1795800900000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE INDEX models_name_key_id_idx ON models (name_key, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP INDEX models_name_key_id_idx`);
  }
}

export const registryMigrations = [RegistryModels1764172900000, RegistryModelsByName1795800900000];
