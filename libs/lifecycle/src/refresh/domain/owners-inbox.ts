import type { DataSource, EntityManager } from 'typeorm';

export interface DeploymentContext {
  readonly deploymentName: string;
  readonly projectId: string;
  /** The model's owner and the deployment's creator, without duplicates. */
  readonly owners: string[];
}

export async function deploymentContext(db: DataSource | EntityManager, deploymentId: string): Promise<DeploymentContext | null> {
  const [row] = (await db.query(
    `SELECT d.name AS deployment_name, d.project_id::text AS project_id, d.created_by::text AS created_by, m.owner_id::text AS owner_id
       FROM deployments d JOIN models m ON m.id = d.model_id WHERE d.id = $1`,
    [deploymentId],
  )) as { deployment_name: string; project_id: string; created_by: string | null; owner_id: string | null }[];
  if (!row) return null;
  return { deploymentName: row.deployment_name, projectId: row.project_id, owners: [...new Set([row.owner_id, row.created_by].filter((u): u is string => !!u))] };
}

/** One notification per owner in monitoring's inbox (`myNotifications`), as alerts write them. */
export async function notifyOwners(
  db: DataSource | EntityManager,
  owners: readonly string[],
  notification: { event: string; title: string; body: Record<string, unknown>; alertId?: string | null },
): Promise<void> {
  if (owners.length === 0) return;
  await db.query(`INSERT INTO notifications (user_id, alert_id, event, title, body) SELECT u.id, $2, $3, $4, $5 FROM users u WHERE u.id = ANY($1::uuid[])`, [
    [...owners],
    notification.alertId ?? null,
    notification.event,
    notification.title.slice(0, 500),
    JSON.stringify(notification.body),
  ]);
}
