import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * Replay runs. Needs deployments, projects, users and model_versions; the replayed predictions
 * themselves go to the serving context's `predictions` table (role 'replay').
 */
export class LifecycleReplayRuns1795920000000 implements MigrationInterface {
  name = 'LifecycleReplayRuns1795920000000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE replay_runs (
      id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
      deployment_id uuid NOT NULL REFERENCES deployments(id) ON DELETE CASCADE,
      project_id uuid NOT NULL REFERENCES projects(id) ON DELETE CASCADE,
      version_id uuid NOT NULL REFERENCES model_versions(id) ON DELETE CASCADE,
      champion_version_id uuid REFERENCES model_versions(id) ON DELETE SET NULL,
      window_from timestamptz NOT NULL,
      window_to timestamptz NOT NULL,
      max_rows integer NOT NULL CHECK (max_rows BETWEEN 1 AND 1000000),
      state text NOT NULL CHECK (state IN ('QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED')),
      total integer CHECK (total >= 0),
      done integer NOT NULL DEFAULT 0 CHECK (done >= 0),
      failed integer NOT NULL DEFAULT 0 CHECK (failed >= 0 AND failed <= done),
      error text,
      created_by uuid REFERENCES users(id) ON DELETE SET NULL,
      created_at timestamptz NOT NULL,
      started_at timestamptz,
      finished_at timestamptz,
      updated_at timestamptz NOT NULL,
      CONSTRAINT replay_runs_window_check CHECK (window_from < window_to)
    )`);
    // The runs of a deployment, newest first.
    await q.query(`CREATE INDEX replay_runs_deployment_idx ON replay_runs (deployment_id, created_at DESC, id DESC)`);
    // One queued or running replay per deployment and version, whatever races.
    await q.query(`CREATE UNIQUE INDEX replay_runs_one_active ON replay_runs (deployment_id, version_id) WHERE state IN ('QUEUED', 'RUNNING')`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP TABLE replay_runs');
  }
}

export const comparisonMigrations: MigrationClass[] = [LifecycleReplayRuns1795920000000];
