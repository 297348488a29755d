import type { DataSource } from 'typeorm';
import { wants, type TimelineSource, type TimelineSourceEntry } from '../history';

interface RunRow {
  id: string;
  kind: 'refresh-requested' | 'refresh-delivered' | 'refresh-completed' | 'refresh-failed';
  at: Date;
  trigger_kind: string;
  reason: string;
  action: string;
  last_error: string | null;
  attempts: number;
  requested_by: string | null;
  requested_by_name: string | null;
  champion_version_id: string | null;
  champion_version: number | null;
  new_version_id: string | null;
  new_version: number | null;
}

const DETAIL: Record<RunRow['kind'], (r: RunRow) => string> = {
  'refresh-requested': (r) => `refresh run requested (${r.trigger_kind.toLowerCase()}, ${r.action.toLowerCase()})`,
  'refresh-delivered': (r) => `retraining request delivered after ${r.attempts} tr${r.attempts === 1 ? 'y' : 'ies'}`,
  'refresh-completed': (r) => `version ${r.new_version ?? '?'} registered in answer and attached as a shadow challenger`,
  'refresh-failed': (r) => `refresh run failed after ${r.attempts} tr${r.attempts === 1 ? 'y' : 'ies'}: ${r.last_error ?? 'no reason recorded'}`,
};

/** Refresh runs in a deployment's timeline: requested (with its trigger), delivered, answered by a version, or failed. */
export function refreshRunsSource(db: DataSource): TimelineSource {
  return async (deploymentId, range) => {
    if (!wants(range, 'REFRESH')) return [];
    const rows = (await db.query(
      `WITH runs AS (
         SELECT id::text AS id, created_at, delivered_at, completed_at, failed_at, trigger_kind, reason, action, last_error, attempts,
                requested_by, champion_version_id, new_version_id
           FROM refresh_runs WHERE deployment_id = $1
       )
       SELECT x.*, coalesce(u.display_name, u.name) AS requested_by_name, cv.version AS champion_version, nv.version AS new_version FROM (
         SELECT r.*, 'refresh-requested' AS kind, r.created_at AS at FROM runs r
         UNION ALL SELECT r.*, 'refresh-delivered', r.delivered_at FROM runs r WHERE r.delivered_at IS NOT NULL
         UNION ALL SELECT r.*, 'refresh-completed', r.completed_at FROM runs r WHERE r.completed_at IS NOT NULL
         UNION ALL SELECT r.*, 'refresh-failed', r.failed_at FROM runs r WHERE r.failed_at IS NOT NULL
       ) x
       LEFT JOIN users u ON u.id = x.requested_by
       LEFT JOIN model_versions cv ON cv.id = x.champion_version_id
       LEFT JOIN model_versions nv ON nv.id = x.new_version_id
       WHERE ($2::timestamptz IS NULL OR x.at >= $2) AND ($3::timestamptz IS NULL OR x.at < $3)
       ORDER BY x.at DESC, x.id DESC
       LIMIT $4`,
      [deploymentId, range.from, range.to, range.first],
    )) as RunRow[];
    return rows.map(
      (r): TimelineSourceEntry => ({
        id: `${r.id}:${r.kind}`,
        at: r.at,
        category: 'REFRESH',
        kind: r.kind,
        actor: r.kind === 'refresh-requested' && r.requested_by ? { id: r.requested_by, name: r.requested_by_name ?? r.requested_by } : null,
        detail: DETAIL[r.kind](r),
        reason: r.kind === 'refresh-requested' ? r.reason : null,
        fromVersion: r.champion_version_id && r.champion_version !== null ? { id: r.champion_version_id, version: r.champion_version } : null,
        toVersion: r.kind === 'refresh-completed' && r.new_version_id && r.new_version !== null ? { id: r.new_version_id, version: r.new_version } : null,
        reference: { type: 'refresh-run', id: r.id },
      }),
    );
  };
}
