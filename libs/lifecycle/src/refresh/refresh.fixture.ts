// Test fixtures of the refresh int-specs: the full database schema, deployments and prediction-log rows
// written with plain SQL, callers with real CASL abilities, a webhook receiver on loopback and fake ports.
// Not part of the public index.
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DataSource } from 'typeorm';
import type { DriftStatus, RefreshSignals, ShadowAttacher } from './domain/refresh.ports';

export { lifecycleTestSchema as refreshTestSchema, callerOf, SqlDeploymentLookup } from '../testing/lifecycle.fixture';

export interface SeededDeployment {
  readonly projectId: string;
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly modelId: string;
  readonly versionId: string;
  /** Owns the model. */
  readonly ownerId: string;
  /** Created the deployment. */
  readonly creatorId: string;
}

async function insertUser(db: DataSource, name: string): Promise<string> {
  const [{ id }] = await db.query(`INSERT INTO users (name, name_key) VALUES ($1, $1) RETURNING id::text`, [name]);
  return id;
}

/** Two users, a project, a model with one version (registered at `versionCreatedAt`) and a deployment of it. */
export async function seedDeployment(db: DataSource, options: { versionCreatedAt?: Date } = {}): Promise<SeededDeployment> {
  const suffix = randomUUID().slice(0, 8);
  const ownerId = await insertUser(db, `owner-${suffix}`);
  const creatorId = await insertUser(db, `creator-${suffix}`);
  const [{ id: projectId }] = await db.query(`INSERT INTO projects (name, name_key, created_by) VALUES ($1, $1, $2) RETURNING id::text`, [`p-${suffix}`, ownerId]);
  const [{ id: modelId }] = await db.query(`INSERT INTO models (project_id, name, name_key, owner_id, latest_version) VALUES ($1, 'churn', 'churn', $2, 1) RETURNING id::text`, [
    projectId,
    ownerId,
  ]);
  const uploadId = randomUUID();
  const sha = '0'.repeat(64);
  await db.query(`INSERT INTO artifact_uploads (id, project_id, created_by, expected_size, expected_sha256, status, expires_at) VALUES ($1, $2, $3, 1, $4, 'CONSUMED', now())`, [
    uploadId,
    projectId,
    ownerId,
    sha,
  ]);
  const [{ id: versionId }] = await db.query(
    `INSERT INTO model_versions (model_id, project_id, version, format, artifact_sha256, artifact_size, artifact_key, upload_id, created_by, created_at)
     VALUES ($1, $2, 1, 'custom', $3, 1, 'k', $4, $5, $6) RETURNING id::text`,
    [modelId, projectId, sha, uploadId, ownerId, options.versionCreatedAt ?? new Date()],
  );
  const deploymentName = `churn-${suffix}`;
  const [{ id: deploymentId }] = await db.query(
    `INSERT INTO deployments (project_id, name, model_id, model_version_id, state, created_by) VALUES ($1, $2, $3, $4, 'READY', $5) RETURNING id::text`,
    [projectId, deploymentName, modelId, versionId, creatorId],
  );
  return { projectId, deploymentId, deploymentName, modelId, versionId, ownerId, creatorId };
}

export interface PredictionInput {
  readonly receivedAt: Date;
  readonly role?: 'live' | 'shadow' | 'replay';
  readonly status?: 'ok' | 'error';
  /** Feature values of the one input row; null: payload not stored. */
  readonly features?: number[] | null;
  /** Actual values by row index. */
  readonly actuals?: (number | string)[];
  readonly consumerId?: string | null;
}

/** Writes prediction-log rows (and their matched actuals) as the serving and monitoring writers would. */
export async function insertPredictions(db: DataSource, d: SeededDeployment, rows: readonly PredictionInput[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const id = randomUUID();
    const stored = r.features !== undefined && r.features !== null;
    const inputs = stored ? [{ name: 'features', datatype: 'FP32', shape: [1, r.features!.length], data: r.features }] : null;
    const outputs = stored ? [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }] : null;
    await db.query(
      `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, model_id, model_version_id, protocol, status, latency_us, payload_stored, input_rows, inputs, outputs, role, consumer_id)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'rest', $8, 100, $9, 1, $10::jsonb, $11::jsonb, $12, $13)`,
      [
        id,
        r.receivedAt,
        d.deploymentId,
        d.deploymentName,
        d.projectId,
        d.modelId,
        d.versionId,
        r.status ?? 'ok',
        stored,
        inputs ? JSON.stringify(inputs) : null,
        outputs ? JSON.stringify(outputs) : null,
        r.role ?? 'live',
        r.consumerId ?? null,
      ],
    );
    for (const [row, value] of (r.actuals ?? []).entries()) {
      await db.query(
        `INSERT INTO actuals (deployment_id, row_index, prediction_id, prediction_received_at, value_number, value_label, received_at, association_id)
         VALUES ($1, $2, $3, $4, $5, $6, now(), $7)`,
        [d.deploymentId, row, id, r.receivedAt, typeof value === 'number' ? value : null, typeof value === 'string' ? value : null, `${id}`],
      );
    }
    ids.push(id);
  }
  return ids;
}

/** A clock tests move by hand. */
export function manualClock(start: Date): { now(): Date; set(at: Date): void; advance(ms: number): void } {
  let at = start;
  return { now: () => at, set: (next: Date) => void (at = next), advance: (ms: number) => void (at = new Date(at.getTime() + ms)) };
}

/** Drift and accuracy figures the test sets. */
export class FakeSignals implements RefreshSignals {
  drift = new Map<string, DriftStatus | null>();
  accuracies = new Map<string, number | null>();
  readonly calls: { deploymentId: string; metric: string; windowDays: number }[] = [];
  failDrift = false;

  async driftStatus(deploymentId: string): Promise<DriftStatus | null> {
    if (this.failDrift) throw new Error('drift store unavailable');
    return this.drift.get(deploymentId) ?? null;
  }

  async accuracy(deploymentId: string, metric: string, windowDays: number): Promise<number | null> {
    this.calls.push({ deploymentId, metric, windowDays });
    return this.accuracies.get(`${deploymentId}/${metric}`) ?? null;
  }
}

/** Records every attach; `fail` makes the next ones throw. */
export class FakeShadowAttacher implements ShadowAttacher {
  readonly calls: { deploymentId: string; versionId: string; reason: string; actorId: string | null }[] = [];
  fail: string | null = null;

  async attachShadow(input: { deploymentId: string; versionId: string; reason: string; actorId: string | null }): Promise<void> {
    if (this.fail) throw new Error(this.fail);
    this.calls.push(input);
  }
}

export interface ReceivedRequest {
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/**
 * A webhook receiver on 127.0.0.1 answering each request as scripted (a status, or 'hang' to never answer),
 * then 200.
 */
export async function webhookReceiver(script: (number | 'hang')[] = []): Promise<{ url: string; received: ReceivedRequest[]; close(): Promise<void> }> {
  const received: ReceivedRequest[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      received.push({ at: Date.now(), headers: req.headers, body });
      const answer = script[received.length - 1] ?? 200;
      if (answer === 'hang') return;
      res.statusCode = answer;
      res.end(answer >= 200 && answer < 300 ? 'ok' : 'retraining service unavailable');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/retrain`,
    received,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
