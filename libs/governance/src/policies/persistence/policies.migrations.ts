import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Policies as data: `policy_rules` (role rules, platform-wide or per project) and `policy_versions`, one row
 * whose `version` every change to `policy_rules` bumps in the same transaction (a statement trigger, so manual
 * edits and project deletions count too). Each server replica reads that one row per request and reloads the
 * rules only when it moved. Needs `users` and `projects` (GovernanceIdentity1764172800000).
 *
 * The seed reproduces the built-in project roles of `domain/ability.ts` (ROLE_RULES, cumulative, plus reading
 * and updating the Project itself) as explicit per-role rules, so behaviour is unchanged until an admin edits
 * them. Rules are not inherited between roles: what a role may do is exactly its own rules.
 */
export class GovernancePolicies1795800300000 implements MigrationInterface {
  name = 'GovernancePolicies1795800300000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE policy_rules (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      role text NOT NULL CHECK (role IN ('admin', 'ml-engineer', 'data-scientist', 'viewer')),
      project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
      effect text NOT NULL CHECK (effect IN ('can', 'cannot')),
      actions text[] NOT NULL CHECK (cardinality(actions) >= 1),
      subject text NOT NULL,
      fields text[] CHECK (fields IS NULL OR cardinality(fields) >= 1),
      conditions jsonb CHECK (conditions IS NULL OR jsonb_typeof(conditions) = 'object'),
      reason text NOT NULL DEFAULT '',
      priority integer NOT NULL DEFAULT 0 CHECK (priority BETWEEN -1000 AND 1000),
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX policy_rules_project_role_idx ON policy_rules (project_id, role)`);

    await q.query(`CREATE TABLE policy_versions (
      singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
      version bigint NOT NULL,
      updated_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`INSERT INTO policy_versions (singleton, version) VALUES (true, 1)`);

    // role, subject, actions: today's ROLE_RULES written out per role (each role includes the ones below it).
    const seed: [string, string, string[]][] = [
      ['viewer', 'Project', ['read']],
      ['viewer', 'Membership', ['read']],
      ['viewer', 'Model', ['read']],
      ['viewer', 'ModelVersion', ['read']],
      ['viewer', 'ModelAlias', ['read']],
      ['viewer', 'Deployment', ['read']],
      ['viewer', 'Prediction', ['read']],

      ['data-scientist', 'Project', ['read']],
      ['data-scientist', 'Membership', ['read']],
      ['data-scientist', 'Model', ['read', 'create', 'update']],
      ['data-scientist', 'ModelVersion', ['read', 'create', 'update']],
      ['data-scientist', 'ModelAlias', ['read']],
      ['data-scientist', 'Upload', ['read', 'create']],
      ['data-scientist', 'Deployment', ['read', 'predict']],
      ['data-scientist', 'Prediction', ['read']],

      ['ml-engineer', 'Project', ['read']],
      ['ml-engineer', 'Membership', ['read']],
      ['ml-engineer', 'Model', ['read', 'create', 'update', 'delete']],
      ['ml-engineer', 'ModelVersion', ['read', 'create', 'update', 'delete']],
      ['ml-engineer', 'ModelAlias', ['read', 'create', 'update', 'delete']],
      ['ml-engineer', 'Upload', ['read', 'create']],
      ['ml-engineer', 'Deployment', ['read', 'predict', 'create', 'update', 'delete']],
      ['ml-engineer', 'Prediction', ['read']],

      ['admin', 'Project', ['read', 'update']],
      ['admin', 'Membership', ['read', 'manage']],
      ['admin', 'Model', ['read', 'create', 'update', 'delete']],
      ['admin', 'ModelVersion', ['read', 'create', 'update', 'delete']],
      ['admin', 'ModelAlias', ['read', 'create', 'update', 'delete']],
      ['admin', 'Upload', ['read', 'create']],
      ['admin', 'Deployment', ['read', 'predict', 'create', 'update', 'delete']],
      ['admin', 'Prediction', ['read']],
    ];
    for (const [role, subject, actions] of seed) {
      await q.query(
        `INSERT INTO policy_rules (role, project_id, effect, actions, subject, reason, priority) VALUES ($1, NULL, 'can', $2, $3, $4, 0)`,
        [role, actions, subject, `Built-in default of the ${role} role.`],
      );
    }

    await q.query(`CREATE FUNCTION policy_versions_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE policy_versions SET version = version + 1, updated_at = now() WHERE singleton;
        RETURN NULL;
      END
    $$`);
    await q.query(`CREATE TRIGGER policy_rules_bump_version
      AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON policy_rules
      FOR EACH STATEMENT EXECUTE FUNCTION policy_versions_bump()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE policy_rules');
    await q.query('DROP FUNCTION policy_versions_bump()');
    await q.query('DROP TABLE policy_versions');
  }
}

/**
 * A field rule in the defaults: viewers still see that predictions happened (and their metadata), but not
 * their payloads (inputs, outputs, request parameters), which may hold personal data.
 */
export class GovernanceViewerPayloads1795800800000 implements MigrationInterface {
  name = 'GovernanceViewerPayloads1795800800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(
      `INSERT INTO policy_rules (role, project_id, effect, actions, subject, fields, reason, priority)
       VALUES ('viewer', NULL, 'cannot', '{read}', 'Prediction', '{inputs,outputs,parameters}', 'Viewers do not see prediction payloads.', 0)`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DELETE FROM policy_rules WHERE role = 'viewer' AND project_id IS NULL AND effect = 'cannot' AND subject = 'Prediction' AND fields = '{inputs,outputs,parameters}'`);
  }
}

/**
 * `policy_versions.identity_version`: bumped in the same transaction as anything that changes who a credential
 * is or what roles it carries (a token revoked or its expiry changed, a membership, a user's admin flag or
 * deletion; groups add their own triggers). Servers that cache who a token belongs to (the V2 gateway) read it
 * with the policy version and drop their cache when it moved: a revocation applies on the next request.
 */
export class GovernanceIdentityVersion1795801100000 implements MigrationInterface {
  name = 'GovernanceIdentityVersion1795801100000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE policy_versions ADD COLUMN identity_version bigint NOT NULL DEFAULT 1`);
    await q.query(`CREATE FUNCTION identity_version_bump() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE policy_versions SET identity_version = identity_version + 1 WHERE singleton;
        RETURN NULL;
      END
    $$`);
    await q.query(`CREATE TRIGGER api_tokens_bump_identity AFTER UPDATE OF revoked_at, expires_at OR DELETE ON api_tokens
      FOR EACH STATEMENT EXECUTE FUNCTION identity_version_bump()`);
    await q.query(`CREATE TRIGGER project_memberships_bump_identity AFTER INSERT OR UPDATE OR DELETE ON project_memberships
      FOR EACH STATEMENT EXECUTE FUNCTION identity_version_bump()`);
    await q.query(`CREATE TRIGGER users_bump_identity AFTER UPDATE OF is_platform_admin, name OR DELETE ON users
      FOR EACH STATEMENT EXECUTE FUNCTION identity_version_bump()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER users_bump_identity ON users');
    await q.query('DROP TRIGGER project_memberships_bump_identity ON project_memberships');
    await q.query('DROP TRIGGER api_tokens_bump_identity ON api_tokens');
    await q.query('DROP FUNCTION identity_version_bump()');
    await q.query('ALTER TABLE policy_versions DROP COLUMN identity_version');
  }
}

export const policyMigrations: MigrationClass[] = [GovernancePolicies1795800300000, GovernanceViewerPayloads1795800800000, GovernanceIdentityVersion1795801100000];
