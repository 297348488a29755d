import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

const ACTIONS = `'deployment.create', 'deployment.replace-version', 'deployment.traffic', 'deployment.delete', 'policy.edit'`;
const REVIEWER_ROLES = `'viewer', 'data-scientist', 'ml-engineer', 'admin', 'platform-admin'`;
const STATUSES = `'PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'APPLIED', 'FAILED', 'STALE', 'CANCELLED'`;

/** Approval policies, change requests, their reviews and their event history. Needs `users` and `projects`. */
export class GovernanceApprovals1795800400000 implements MigrationInterface {
  name = 'GovernanceApprovals1795800400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE approval_policies (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
      actions text[] NOT NULL CHECK (cardinality(actions) >= 1 AND actions <@ ARRAY[${ACTIONS}]::text[]),
      required_approvals integer NOT NULL CHECK (required_approvals BETWEEN 1 AND 10),
      reviewer_role text NOT NULL CHECK (reviewer_role IN (${REVIEWER_ROLES})),
      expires_after_hours integer NOT NULL CHECK (expires_after_hours BETWEEN 1 AND 720),
      description text NOT NULL DEFAULT '',
      created_by uuid NOT NULL REFERENCES users(id),
      created_at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX approval_policies_project_idx ON approval_policies (project_id)`);
    await q.query(`CREATE INDEX approval_policies_actions_idx ON approval_policies USING gin (actions)`);

    await q.query(`CREATE TABLE change_requests (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      project_id uuid REFERENCES projects(id) ON DELETE CASCADE,
      action text NOT NULL CHECK (action IN (${ACTIONS})),
      target_type text NOT NULL,
      target_id text,
      payload jsonb NOT NULL,
      precondition jsonb NOT NULL DEFAULT '{}'::jsonb,
      summary text NOT NULL,
      status text NOT NULL CHECK (status IN (${STATUSES})),
      author_id uuid NOT NULL REFERENCES users(id),
      required_approvals integer NOT NULL CHECK (required_approvals BETWEEN 1 AND 10),
      reviewer_role text NOT NULL CHECK (reviewer_role IN (${REVIEWER_ROLES})),
      approval_count integer NOT NULL DEFAULT 0 CHECK (approval_count >= 0),
      policy_ids uuid[] NOT NULL DEFAULT '{}',
      created_at timestamptz NOT NULL DEFAULT now(),
      expires_at timestamptz NOT NULL,
      decided_at timestamptz,
      applied_at timestamptz,
      result jsonb,
      failure text,
      CONSTRAINT change_requests_expiry_after_creation CHECK (expires_at > created_at)
    )`);
    // The backlog: pending requests per project, oldest first.
    await q.query(`CREATE INDEX change_requests_pending_idx ON change_requests (project_id, created_at, id) WHERE status = 'PENDING'`);
    // The sweep: pending requests by expiry, approved ones whose apply job may be lost.
    await q.query(`CREATE INDEX change_requests_expiry_idx ON change_requests (expires_at) WHERE status = 'PENDING'`);
    await q.query(`CREATE INDEX change_requests_approved_idx ON change_requests (decided_at) WHERE status = 'APPROVED'`);
    await q.query(`CREATE INDEX change_requests_project_created_idx ON change_requests (project_id, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX change_requests_target_idx ON change_requests (target_type, target_id)`);

    await q.query(`CREATE TABLE change_request_reviews (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      request_id uuid NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,
      reviewer_id uuid NOT NULL REFERENCES users(id),
      decision text NOT NULL CHECK (decision IN ('APPROVE', 'REJECT')),
      comment text NOT NULL DEFAULT '',
      created_at timestamptz NOT NULL DEFAULT now(),
      CONSTRAINT change_request_reviews_one_per_reviewer UNIQUE (request_id, reviewer_id)
    )`);

    await q.query(`CREATE TABLE change_request_events (
      id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      request_id uuid NOT NULL REFERENCES change_requests(id) ON DELETE CASCADE,
      kind text NOT NULL,
      from_status text CHECK (from_status IN (${STATUSES})),
      to_status text NOT NULL CHECK (to_status IN (${STATUSES})),
      actor_id uuid REFERENCES users(id),
      detail text NOT NULL DEFAULT '',
      at timestamptz NOT NULL DEFAULT now()
    )`);
    await q.query(`CREATE INDEX change_request_events_request_idx ON change_request_events (request_id, id)`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE change_request_events');
    await q.query('DROP TABLE change_request_reviews');
    await q.query('DROP TABLE change_requests');
    await q.query('DROP TABLE approval_policies');
  }
}

/**
 * Reviewer groups: a policy may name a group whose members alone may review what it covers; a change
 * request keeps the group (and its name, for history) it was created with. A group named by a policy
 * or a PENDING request cannot be deleted (RESTRICT); deleting a group first detaches it from decided
 * requests (a BEFORE DELETE trigger on `groups`), whose `reviewer_group_name` still tells who had to
 * review. Needs `groups` (GovernanceGroups1795800600000).
 */
export class GovernanceApprovalReviewerGroups1795800700000 implements MigrationInterface {
  name = 'GovernanceApprovalReviewerGroups1795800700000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE approval_policies
      ADD COLUMN reviewer_group_id uuid,
      ADD CONSTRAINT approval_policies_reviewer_group_fk FOREIGN KEY (reviewer_group_id) REFERENCES groups(id) ON DELETE RESTRICT`);
    await q.query('CREATE INDEX approval_policies_reviewer_group_idx ON approval_policies (reviewer_group_id) WHERE reviewer_group_id IS NOT NULL');
    await q.query(`ALTER TABLE change_requests
      ADD COLUMN reviewer_group_id uuid,
      ADD COLUMN reviewer_group_name text,
      ADD CONSTRAINT change_requests_reviewer_group_fk FOREIGN KEY (reviewer_group_id) REFERENCES groups(id) ON DELETE RESTRICT,
      ADD CONSTRAINT change_requests_reviewer_group_named CHECK (reviewer_group_id IS NULL OR reviewer_group_name IS NOT NULL)`);
    await q.query('CREATE INDEX change_requests_reviewer_group_idx ON change_requests (reviewer_group_id) WHERE reviewer_group_id IS NOT NULL');
    await q.query(`CREATE FUNCTION change_requests_release_reviewer_group() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        UPDATE change_requests SET reviewer_group_id = NULL WHERE reviewer_group_id = OLD.id AND status <> 'PENDING';
        RETURN OLD;
      END
    $$`);
    await q.query(`CREATE TRIGGER groups_release_decided_change_requests BEFORE DELETE ON groups
      FOR EACH ROW EXECUTE FUNCTION change_requests_release_reviewer_group()`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TRIGGER groups_release_decided_change_requests ON groups');
    await q.query('DROP FUNCTION change_requests_release_reviewer_group()');
    await q.query('ALTER TABLE change_requests DROP COLUMN reviewer_group_name, DROP COLUMN reviewer_group_id');
    await q.query('ALTER TABLE approval_policies DROP COLUMN reviewer_group_id');
  }
}

/** Needs the group migrations (`groupMigrations`) in the same schema: the second one refers to `groups`. */
export const approvalMigrations: MigrationClass[] = [GovernanceApprovals1795800400000, GovernanceApprovalReviewerGroups1795800700000];
