import { auditMigrations } from '../audit/audit.migrations';
import { identityMigrations } from '../identity/persistence/identity.migrations';
import { policyMigrations } from '../policies/persistence/policies.migrations';
import type { MigrationInterface, QueryRunner } from 'typeorm';

export class GovernanceIdentity1764172800000 implements MigrationInterface {
  name = 'GovernanceIdentity1764172800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE users (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      name_key text NOT NULL,
      display_name text,
      is_platform_admin boolean NOT NULL DEFAULT false,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT users_name_key_unique UNIQUE (name_key)
    )`);
    await q.query(`CREATE TABLE projects (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      name_key text NOT NULL,
      description text NOT NULL DEFAULT '',
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT projects_name_key_unique UNIQUE (name_key)
    )`);
    await q.query(`CREATE TABLE project_memberships (
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      role text NOT NULL CHECK (role IN ('admin', 'ml-engineer', 'data-scientist', 'viewer')),
      created_at timestamptz NOT NULL DEFAULT now(),
      PRIMARY KEY (project_id, user_id)
    )`);
    await q.query(`CREATE INDEX project_memberships_user_idx ON project_memberships (user_id)`);
    await q.query(`CREATE TABLE api_tokens (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      user_id uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
      name text NOT NULL,
      token_hash char(64) NOT NULL,
      hint text NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz,
      revoked_at timestamptz,
      last_used_at timestamptz,
      CONSTRAINT api_tokens_hash_unique UNIQUE (token_hash)
    )`);
    await q.query(`CREATE INDEX api_tokens_user_idx ON api_tokens (user_id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE api_tokens');
    await q.query('DROP TABLE project_memberships');
    await q.query('DROP TABLE projects');
    await q.query('DROP TABLE users');
  }
}

export const governanceMigrations = [GovernanceIdentity1764172800000, ...auditMigrations, ...identityMigrations, ...policyMigrations];
