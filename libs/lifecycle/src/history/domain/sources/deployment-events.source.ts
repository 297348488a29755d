import type { DataSource } from 'typeorm';
import { TIMELINE_CATEGORIES, type TimelineCategory, type TimelineSource, type TimelineSourceEntry } from '../timeline.types';

/**
 * The category of each kind of `deployment_events` row. A kind not listed here (one added later)
 * is a DEPLOYMENT entry until it is added.
 */
export const DEPLOYMENT_EVENT_CATEGORIES: Readonly<Record<string, TimelineCategory>> = Object.freeze({
  created: 'DEPLOYMENT',
  ready: 'DEPLOYMENT',
  failed: 'DEPLOYMENT',
  deleted: 'DEPLOYMENT',
  'awaiting-approval': 'APPROVAL',
  approved: 'APPROVAL',
  'not-approved': 'APPROVAL',
  'version-replaced': 'VERSION',
  'replace-failed': 'VERSION',
  promoted: 'VERSION',
  'promotion-refused': 'VERSION',
  'traffic-changed': 'TRAFFIC',
  'shadow-attached': 'TRAFFIC',
  'canary-added': 'TRAFFIC',
  'rolled-back': 'ROLLBACK',
  'auto-rolled-back': 'ROLLBACK',
  'bake-started': 'BAKE',
  'bake-passed': 'BAKE',
});

export function deploymentEventCategory(kind: string): TimelineCategory {
  return Object.prototype.hasOwnProperty.call(DEPLOYMENT_EVENT_CATEGORIES, kind) ? DEPLOYMENT_EVENT_CATEGORIES[kind]! : 'DEPLOYMENT';
}

interface EventRow {
  id: string;
  at: Date;
  kind: string;
  actor_id: string | null;
  actor_name: string | null;
  from_version_id: string | null;
  from_version: number | null;
  to_version_id: string | null;
  to_version: number | null;
  detail: string;
  reason: string | null;
  change_request_id: string | null;
}

/**
 * Every change of what a deployment serves and how (`deployment_events`): creation, approval,
 * version changes, traffic changes, promotions, rollbacks, bake periods, deletion. The actor's
 * name comes from `users`; version numbers from `model_versions`; the change request that made a
 * change is the entry's reference.
 */
export function deploymentEventsSource(db: DataSource): TimelineSource {
  const known = Object.keys(DEPLOYMENT_EVENT_CATEGORIES);
  return async (deploymentId, range) => {
    let kinds: string[] | null = null;
    let unknownKinds = true;
    if (range.categories) {
      const wanted = TIMELINE_CATEGORIES.filter((c) => range.categories!.includes(c));
      kinds = known.filter((k) => wanted.includes(DEPLOYMENT_EVENT_CATEGORIES[k]!));
      unknownKinds = wanted.includes('DEPLOYMENT');
      if (kinds.length === 0 && !unknownKinds) return [];
    }
    const rows = (await db.query(
      `SELECT lpad(e.id::text, 20, '0') AS id, e.at, e.kind,
              e.actor_id::text AS actor_id, coalesce(u.display_name, u.name) AS actor_name,
              e.from_version_id::text AS from_version_id, fv.version AS from_version,
              e.to_version_id::text AS to_version_id, tv.version AS to_version,
              e.detail, e.reason, e.change_request_id::text AS change_request_id
         FROM deployment_events e
         LEFT JOIN users u ON u.id = e.actor_id
         LEFT JOIN model_versions fv ON fv.id = e.from_version_id
         LEFT JOIN model_versions tv ON tv.id = e.to_version_id
        WHERE e.deployment_id = $1
          AND ($2::timestamptz IS NULL OR e.at >= $2) AND ($3::timestamptz IS NULL OR e.at < $3)
          AND ($4::text[] IS NULL OR e.kind = ANY($4::text[]) OR ($5::boolean AND e.kind <> ALL($6::text[])))
        ORDER BY e.at DESC, e.id DESC
        LIMIT $7`,
      [deploymentId, range.from, range.to, kinds, unknownKinds, known, range.first],
    )) as EventRow[];
    return rows.map(
      (r): TimelineSourceEntry => ({
        id: r.id,
        at: r.at,
        category: deploymentEventCategory(r.kind),
        kind: r.kind,
        actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? `unknown user ${r.actor_id}` } : null,
        detail: r.detail,
        reason: r.reason,
        fromVersion: r.from_version_id ? { id: r.from_version_id, version: r.from_version } : null,
        toVersion: r.to_version_id ? { id: r.to_version_id, version: r.to_version } : null,
        reference: r.change_request_id ? { type: 'change-request', id: r.change_request_id } : null,
      }),
    );
  };
}
