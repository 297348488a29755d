// Test fixtures of the history int-specs: the full database schema, and users, projects, models,
// versions, deployments, deployment events, change requests and alerts written with plain SQL.
// Not part of the public index.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

export { lifecycleTestSchema as historyTestSchema, callerOf, SqlDeploymentLookup } from '../testing/lifecycle.fixture';

export const day = (n: number) => n * 86_400_000;

/** Rows written directly, as the owning contexts would write them. */
export class Seeder {
  constructor(private readonly db: DataSource) {}

  async user(name: string, displayName: string | null = null): Promise<string> {
    const unique = `${name}-${randomUUID().slice(0, 8)}`;
    const [{ id }] = await this.db.query(`INSERT INTO users (name, name_key, display_name) VALUES ($1, $1, $2) RETURNING id::text`, [unique, displayName]);
    return id;
  }

  async project(ownerId: string): Promise<string> {
    const name = `p-${randomUUID().slice(0, 8)}`;
    const [{ id }] = await this.db.query(`INSERT INTO projects (name, name_key, created_by) VALUES ($1, $1, $2) RETURNING id::text`, [name, ownerId]);
    return id;
  }

  async model(projectId: string, ownerId: string, name = `m-${randomUUID().slice(0, 8)}`): Promise<string> {
    const [{ id }] = await this.db.query(`INSERT INTO models (project_id, name, name_key, owner_id) VALUES ($1, $2, $2, $3) RETURNING id::text`, [projectId, name, ownerId]);
    return id;
  }

  async version(modelId: string, projectId: string, ownerId: string, version: number, createdAt: Date, lineage: Record<string, unknown> = {}): Promise<string> {
    const uploadId = randomUUID();
    const sha = '0'.repeat(64);
    await this.db.query(
      `INSERT INTO artifact_uploads (id, project_id, created_by, expected_size, expected_sha256, status, expires_at) VALUES ($1, $2, $3, 1, $4, 'CONSUMED', now())`,
      [uploadId, projectId, ownerId, sha],
    );
    const [{ id }] = await this.db.query(
      `INSERT INTO model_versions (model_id, project_id, version, format, artifact_sha256, artifact_size, artifact_key, upload_id, created_by, created_at, lineage)
       VALUES ($1, $2, $3, 'onnx', $4, 1, 'k', $5, $6, $7, $8::jsonb) RETURNING id::text`,
      [modelId, projectId, version, sha, uploadId, ownerId, createdAt, JSON.stringify(lineage)],
    );
    return id;
  }

  async deployment(input: {
    projectId: string;
    modelId: string;
    versionId: string;
    ownerId: string;
    production?: boolean;
    state?: string;
    deleted?: boolean;
    name?: string;
  }): Promise<string> {
    const [{ id }] = await this.db.query(
      `INSERT INTO deployments (project_id, name, model_id, model_version_id, state, production, created_by, deleted_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, CASE WHEN $8 THEN now() ELSE NULL END) RETURNING id::text`,
      [
        input.projectId,
        input.name ?? `d-${randomUUID().slice(0, 8)}`,
        input.modelId,
        input.versionId,
        input.state ?? 'READY',
        input.production ?? false,
        input.ownerId,
        input.deleted ?? false,
      ],
    );
    return id;
  }

  async event(
    deploymentId: string,
    kind: string,
    at: Date,
    fields: { actorId?: string | null; from?: string | null; to?: string | null; detail?: string; reason?: string | null; changeRequestId?: string | null } = {},
  ): Promise<string> {
    const [{ id }] = await this.db.query(
      `INSERT INTO deployment_events (deployment_id, at, kind, actor_id, from_version_id, to_version_id, detail, change_request_id, reason)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id::text`,
      [deploymentId, at, kind, fields.actorId ?? null, fields.from ?? null, fields.to ?? null, fields.detail ?? '', fields.changeRequestId ?? null, fields.reason ?? null],
    );
    return id;
  }

  async changeRequest(input: {
    projectId: string;
    deploymentId: string;
    authorId: string;
    summary: string;
    createdAt: Date;
    action?: string;
    requiredApprovals?: number;
    status?: string;
  }): Promise<string> {
    const [{ id }] = await this.db.query(
      `INSERT INTO change_requests (project_id, action, target_type, target_id, payload, summary, status, author_id, required_approvals, reviewer_role, created_at, expires_at)
       VALUES ($1, $2, 'Deployment', $3, '{}'::jsonb, $4, $5, $6, $7, 'ml-engineer', $8, $8::timestamptz + interval '1 day') RETURNING id::text`,
      [input.projectId, input.action ?? 'deployment.replace-version', input.deploymentId, input.summary, input.status ?? 'APPLIED', input.authorId, input.requiredApprovals ?? 2, input.createdAt],
    );
    return id;
  }

  async requestEvent(requestId: string, kind: string, at: Date, fields: { actorId?: string | null; detail?: string; from?: string | null; to: string }): Promise<void> {
    await this.db.query(`INSERT INTO change_request_events (request_id, kind, from_status, to_status, actor_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7)`, [
      requestId,
      kind,
      fields.from ?? null,
      fields.to,
      fields.actorId ?? null,
      fields.detail ?? '',
      at,
    ]);
  }

  async review(requestId: string, reviewerId: string, decision: 'APPROVE' | 'REJECT', comment: string, at: Date): Promise<void> {
    await this.db.query(`INSERT INTO change_request_reviews (request_id, reviewer_id, decision, comment, created_at) VALUES ($1, $2, $3, $4, $5)`, [
      requestId,
      reviewerId,
      decision,
      comment,
      at,
    ]);
  }

  async alert(input: {
    deploymentId: string;
    projectId: string;
    kind: string;
    threshold: number;
    comparison: 'above' | 'below';
    windowMinutes: number;
    metric?: string | null;
    openedAt: Date;
    openedValue: number;
    resolvedAt?: Date | null;
    lastValue?: number;
  }): Promise<string> {
    const [{ id: ruleId }] = await this.db.query(
      `INSERT INTO alert_rules (deployment_id, project_id, kind, threshold, comparison, window_minutes, fire_after, resolve_after, metric)
       VALUES ($1, $2, $3, $4, $5, $6, 1, 1, $7) RETURNING id::text`,
      [input.deploymentId, input.projectId, input.kind, input.threshold, input.comparison, input.windowMinutes, input.metric ?? null],
    );
    const [{ id }] = await this.db.query(
      `INSERT INTO alerts (rule_id, deployment_id, project_id, kind, opened_at, opened_value, resolved_at, last_value) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id::text`,
      [ruleId, input.deploymentId, input.projectId, input.kind, input.openedAt, input.openedValue, input.resolvedAt ?? null, input.lastValue ?? input.openedValue],
    );
    return id;
  }
}

/** A clock tests move by hand. */
export function manualClock(start: Date): { now(): Date; set(at: Date): void } {
  let at = start;
  return { now: () => at, set: (next: Date) => void (at = next) };
}
