// Test fixtures of the accuracy int-specs: the full database schema, deployments and prediction-log
// rows written with plain SQL, and callers with real CASL abilities. Not part of the public index.
import { randomUUID } from 'node:crypto';
import type { DatabaseSchema } from '@modelport/database';
import {
  approvalEntities,
  approvalMigrations,
  asSubject,
  defineAbilityFor,
  governanceEntities,
  governanceMigrations,
  groupEntities,
  groupMigrations,
  type Caller,
  type ProjectRole,
} from '@modelport/governance';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { DeploymentError, DeploymentErrorCode, servingEntities, servingMigrations } from '@modelport/serving';
import type { DataSource } from 'typeorm';
import type { DeploymentLookup, DeploymentRef } from './domain/monitoring-settings.service';
import { accuracyEntities, accuracyMigrations } from './persistence';

/** Every context's tables in dependency order (as the server's schema), then actuals and accuracy. */
export const accuracyTestSchema: DatabaseSchema = {
  entities: [...governanceEntities, ...groupEntities, ...approvalEntities, ...registryEntities, ...servingEntities, ...accuracyEntities],
  migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations, ...registryMigrations, ...servingMigrations, ...accuracyMigrations],
};

export function callerOf(userId: string, memberships: [string, ProjectRole][], isPlatformAdmin = false): Caller {
  const principal = { userId, userName: `user-${userId.slice(0, 8)}`, isPlatformAdmin, tokenId: 'test', memberships: new Map(memberships) };
  return { principal, ability: defineAbilityFor(principal) };
}

/** Reads deployments as DeploymentService.get does: NOT_FOUND unless live and readable by the caller. */
export class SqlDeploymentLookup implements DeploymentLookup {
  constructor(private readonly db: DataSource) {}

  async get(caller: Caller, id: string): Promise<DeploymentRef> {
    const [row] = (await this.db.query(`SELECT id::text AS id, project_id::text AS "projectId" FROM deployments WHERE id::text = $1 AND deleted_at IS NULL`, [id])) as DeploymentRef[];
    if (!row || !caller.ability.can('read', asSubject('Deployment', { ...row }))) {
      throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `No deployment "${id}" is visible to you.`);
    }
    return row;
  }
}

export interface SeededDeployment {
  readonly projectId: string;
  readonly deploymentId: string;
  readonly ownerId: string;
}

/** A user, a project, a model with one version and a deployment of it, written directly. */
export async function seedDeployment(db: DataSource, name = `d-${randomUUID().slice(0, 8)}`): Promise<SeededDeployment> {
  const suffix = randomUUID().slice(0, 8);
  const [{ id: ownerId }] = await db.query(`INSERT INTO users (name, name_key) VALUES ($1, $1) RETURNING id::text`, [`owner-${suffix}`]);
  const [{ id: projectId }] = await db.query(`INSERT INTO projects (name, name_key, created_by) VALUES ($1, $1, $2) RETURNING id::text`, [`p-${suffix}`, ownerId]);
  const [{ id: modelId }] = await db.query(`INSERT INTO models (project_id, name, name_key, owner_id) VALUES ($1, 'm', 'm', $2) RETURNING id::text`, [projectId, ownerId]);
  const uploadId = randomUUID();
  const sha = '0'.repeat(64);
  await db.query(`INSERT INTO artifact_uploads (id, project_id, created_by, expected_size, expected_sha256, status, expires_at) VALUES ($1, $2, $3, 1, $4, 'CONSUMED', now())`, [
    uploadId,
    projectId,
    ownerId,
    sha,
  ]);
  const [{ id: versionId }] = await db.query(
    `INSERT INTO model_versions (model_id, project_id, version, format, artifact_sha256, artifact_size, artifact_key, upload_id, created_by)
     VALUES ($1, $2, 1, 'onnx', $3, 1, 'k', $4, $5) RETURNING id::text`,
    [modelId, projectId, sha, uploadId, ownerId],
  );
  const [{ id: deploymentId }] = await db.query(
    `INSERT INTO deployments (project_id, name, model_id, model_version_id, state, created_by) VALUES ($1, $2, $3, $4, 'READY', $5) RETURNING id::text`,
    [projectId, name, modelId, versionId, ownerId],
  );
  return { projectId, deploymentId, ownerId };
}

export interface PredictionRowInput {
  readonly id?: string;
  readonly receivedAt: Date;
  readonly requestId?: string | null;
  readonly status?: 'ok' | 'error';
  readonly inputRows?: number | null;
  /** V2 output tensors; null: payload not stored. */
  readonly outputs?: unknown;
  /** The model version that answered (none by default). */
  readonly modelVersionId?: string | null;
}

/** Writes prediction-log rows as the serving context's writer would; returns their ids in order. */
export async function insertPredictions(db: DataSource, deployment: SeededDeployment, rows: readonly PredictionRowInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const id = r.id ?? randomUUID();
    const stored = r.outputs !== undefined && r.outputs !== null;
    const status = r.status ?? 'ok';
    await db.query(
      `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, protocol, status, latency_us, payload_stored, request_id, input_rows, error_status, outputs, inputs, model_version_id)
       VALUES ($1, $2, $3, 'd', $4, 'rest', $5, 100, $6, $7, $8, $9, $10::jsonb, $11::jsonb, $12)`,
      [
        id,
        r.receivedAt,
        deployment.deploymentId,
        deployment.projectId,
        status,
        stored,
        r.requestId ?? null,
        r.inputRows === undefined ? 1 : r.inputRows,
        status === 'error' ? 500 : null,
        stored ? JSON.stringify(r.outputs) : null,
        stored ? JSON.stringify([{ name: 'features', datatype: 'FP32', shape: [1, 1], data: [0] }]) : null,
        r.modelVersionId ?? null,
      ],
    );
    ids.push(id);
  }
  return ids;
}

/** A clock tests move by hand. */
export function manualClock(start: Date): { now(): Date; set(at: Date): void } {
  let at = start;
  return { now: () => at, set: (next: Date) => void (at = next) };
}
