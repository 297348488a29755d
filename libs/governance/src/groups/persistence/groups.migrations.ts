import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * User groups: `groups`, their members, and the role a group holds in a project (every member gets
 * it, see `effectiveMemberships`). Names are compared by `name_key` (`nameKey` in domain/names.ts),
 * so two groups never differ only in case or Unicode form. Deleting a user or a project removes
 * their group rows; deleting a group removes its members and project roles. The roles are written
 * out here on purpose: a migration must not change when the code's list does.
 * Needs `users` and `projects` (GovernanceIdentity1764172800000).
 */
export class GovernanceGroups1795800600000 implements MigrationInterface {
  name = 'GovernanceGroups1795800600000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE groups (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      name text NOT NULL,
      name_key text NOT NULL,
      description text NOT NULL DEFAULT '',
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT groups_name_key_unique UNIQUE (name_key)
    )`);
    await q.query(`CREATE TABLE group_members (
      group_id uuid NOT NULL,
      user_id uuid NOT NULL,
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT group_members_pkey PRIMARY KEY (group_id, user_id),
      CONSTRAINT group_members_group_fk FOREIGN KEY (group_id) REFERENCES groups(id) ON DELETE CASCADE,
      CONSTRAINT group_members_user_fk FOREIGN KEY (user_id) REFERENCES users(id) ON DELETE CASCADE
    )`);
    await q.query('CREATE INDEX group_members_user_idx ON group_members (user_id)');
    await q.query(`CREATE TABLE project_group_roles (
      project_id uuid NOT NULL,
      group_id uuid NOT NULL,
      role text NOT NULL CHECK (role IN ('admin', 'ml-engineer', 'data-scientist', 'viewer')),
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT project_group_roles_pkey PRIMARY KEY (project_id, group_id),
      CONSTRAINT project_group_roles_project_fk FOREIGN KEY (project_id) REFERENCES projects(id) ON DELETE CASCADE,
      CONSTRAINT project_group_roles_group_fk FOREIGN KEY (group_id) REFERENCES groups(id) ON DELETE CASCADE
    )`);
    await q.query('CREATE INDEX project_group_roles_group_idx ON project_group_roles (group_id)');
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE project_group_roles');
    await q.query('DROP TABLE group_members');
    await q.query('DROP TABLE groups');
  }
}

/** Group membership and group roles change what credentials carry: they bump `policy_versions.identity_version` too. */
export class GovernanceGroupsIdentityVersion1795801200000 implements MigrationInterface {
  name = 'GovernanceGroupsIdentityVersion1795801200000';

  async up(q: QueryRunner): Promise<void> {
    for (const table of ['group_members', 'project_group_roles', 'groups']) {
      await q.query(`CREATE TRIGGER ${table}_bump_identity AFTER INSERT OR UPDATE OR DELETE ON ${table} FOR EACH STATEMENT EXECUTE FUNCTION identity_version_bump()`);
    }
  }

  async down(q: QueryRunner): Promise<void> {
    for (const table of ['group_members', 'project_group_roles', 'groups']) await q.query(`DROP TRIGGER ${table}_bump_identity ON ${table}`);
  }
}

export const groupMigrations: MigrationClass[] = [GovernanceGroups1795800600000, GovernanceGroupsIdentityVersion1795801200000];
