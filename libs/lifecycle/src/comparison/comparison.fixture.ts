// Test fixtures of the comparison int-specs: the full database schema, a model with versions and a
// deployment written with plain SQL, prediction-log rows (live, shadow, replay) and actuals, and
// callers with real CASL abilities. Not part of the public index.
import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';

export { lifecycleTestSchema as comparisonTestSchema, callerOf, SqlDeploymentLookup } from '../testing/lifecycle.fixture';

export interface Seeded {
  readonly projectId: string;
  readonly ownerId: string;
  readonly modelId: string;
  /** versions[0] is version 1, the champion. */
  readonly versions: string[];
  readonly deploymentId: string;
  /** A version of another model of the same project. */
  readonly foreignVersionId: string;
}

async function insertVersion(db: DataSource, projectId: string, modelId: string, ownerId: string, version: number): Promise<string> {
  const uploadId = randomUUID();
  const sha = String(version).repeat(64).slice(0, 64);
  await db.query(`INSERT INTO artifact_uploads (id, project_id, created_by, expected_size, expected_sha256, status, expires_at) VALUES ($1, $2, $3, 1, $4, 'CONSUMED', now())`, [
    uploadId,
    projectId,
    ownerId,
    sha,
  ]);
  const [{ id }] = await db.query(
    `INSERT INTO model_versions (model_id, project_id, version, format, artifact_sha256, artifact_size, artifact_key, upload_id, created_by)
     VALUES ($1, $2, $3, 'onnx', $4, 1, 'k', $5, $6) RETURNING id::text`,
    [modelId, projectId, version, sha, uploadId, ownerId],
  );
  return id as string;
}

/** A user, a project, a model with `versionCount` versions (version 1 deployed as champion), and a version of another model. */
export async function seedDeployment(db: DataSource, versionCount = 3): Promise<Seeded> {
  const suffix = randomUUID().slice(0, 8);
  const [{ id: ownerId }] = await db.query(`INSERT INTO users (name, name_key) VALUES ($1, $1) RETURNING id::text`, [`owner-${suffix}`]);
  const [{ id: projectId }] = await db.query(`INSERT INTO projects (name, name_key, created_by) VALUES ($1, $1, $2) RETURNING id::text`, [`p-${suffix}`, ownerId]);
  const [{ id: modelId }] = await db.query(`INSERT INTO models (project_id, name, name_key, owner_id) VALUES ($1, 'm', 'm', $2) RETURNING id::text`, [projectId, ownerId]);
  const [{ id: otherModelId }] = await db.query(`INSERT INTO models (project_id, name, name_key, owner_id) VALUES ($1, 'other', 'other', $2) RETURNING id::text`, [projectId, ownerId]);
  const versions: string[] = [];
  for (let v = 1; v <= versionCount; v++) versions.push(await insertVersion(db, projectId, modelId, ownerId, v));
  const foreignVersionId = await insertVersion(db, projectId, otherModelId, ownerId, 1);
  const [{ id: deploymentId }] = await db.query(
    `INSERT INTO deployments (project_id, name, model_id, model_version_id, state, created_by) VALUES ($1, $2, $3, $4, 'READY', $5) RETURNING id::text`,
    [projectId, `d-${suffix}`, modelId, versions[0], ownerId],
  );
  return { projectId, ownerId, modelId, versions, deploymentId, foreignVersionId };
}

export interface LogRow {
  readonly id?: string;
  readonly receivedAt: Date;
  readonly versionId: string | null;
  readonly role?: 'live' | 'shadow' | 'replay';
  readonly shadowOf?: string | null;
  readonly status?: 'ok' | 'error';
  readonly latencyUs?: number;
  readonly inputRows?: number;
  /** Absent or null with outputs absent: payload not stored. */
  readonly inputs?: unknown;
  readonly outputs?: unknown;
  readonly payloadStored?: boolean;
}

/** Writes prediction-log rows as the serving context's writer would; returns their ids in order. */
export async function insertLog(db: DataSource, d: Seeded, rows: readonly LogRow[]): Promise<string[]> {
  const ids = rows.map((r) => r.id ?? randomUUID());
  const records = rows.map((r, i) => {
    const stored = r.payloadStored ?? (r.outputs !== undefined || r.inputs !== undefined);
    return {
      id: ids[i],
      received_at: r.receivedAt.toISOString(),
      deployment_id: d.deploymentId,
      project_id: d.projectId,
      model_id: r.versionId ? d.modelId : null,
      model_version_id: r.versionId,
      latency_us: r.latencyUs ?? 100,
      input_rows: r.inputRows ?? 1,
      status: r.status ?? 'ok',
      error_status: r.status === 'error' ? 500 : null,
      payload_stored: stored,
      inputs: stored ? (r.inputs ?? null) : null,
      outputs: stored && r.status !== 'error' ? (r.outputs ?? null) : null,
      role: r.role ?? 'live',
      shadow_of: r.shadowOf ?? null,
    };
  });
  for (let i = 0; i < records.length; i += 1000) {
    await db.query(
      `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, model_id, model_version_id, latency_us, input_rows, status, error_status,
                                payload_stored, protocol, inputs, outputs, role, shadow_of)
       SELECT x.id, x.received_at, x.deployment_id, 'd', x.project_id, x.model_id, x.model_version_id, x.latency_us, x.input_rows, x.status, x.error_status,
              x.payload_stored, 'rest', x.inputs, x.outputs, x.role, x.shadow_of
         FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, received_at timestamptz, deployment_id uuid, project_id uuid, model_id uuid, model_version_id uuid,
              latency_us integer, input_rows integer, status text, error_status smallint, payload_stored boolean, inputs jsonb, outputs jsonb, role text, shadow_of uuid)`,
      [JSON.stringify(records.slice(i, i + 1000))],
    );
  }
  return ids;
}

/** Matched actuals of live predictions, written as the monitoring context stores them. */
export async function insertActuals(db: DataSource, d: Seeded, actuals: readonly { predictionId: string; receivedAt: Date; row?: number; value: number | string }[]): Promise<void> {
  for (const a of actuals) {
    await db.query(
      `INSERT INTO actuals (deployment_id, association_id, row_index, prediction_id, prediction_received_at, value_number, value_label, received_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, now())`,
      [d.deploymentId, `${a.predictionId}`, a.row ?? 0, a.predictionId, a.receivedAt, typeof a.value === 'number' ? a.value : null, typeof a.value === 'string' ? a.value : null],
    );
  }
}

/** A clock tests move by hand. */
export function manualClock(start: Date): { now(): Date; set(at: Date): void } {
  let at = start;
  return { now: () => at, set: (next: Date) => void (at = next) };
}

/** The q-quantile by linear interpolation, written out independently of the code under test. */
export function linearQuantile(values: readonly number[], q: number): number {
  const s = [...values].sort((a, b) => a - b);
  const pos = q * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(lo + 1, s.length - 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}
