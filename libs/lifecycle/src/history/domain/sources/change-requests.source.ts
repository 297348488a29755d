import type { DataSource } from 'typeorm';
import { wants, type TimelineSource, type TimelineSourceEntry } from '../timeline.types';

interface RequestEventRow {
  id: string;
  at: Date;
  kind: string;
  actor_id: string | null;
  actor_name: string | null;
  detail: string;
  request_id: string;
  action: string;
  summary: string;
  required_approvals: number;
  reviewer_role: string;
  reviewer_group_name: string | null;
  review_comment: string | null;
}

/** Kinds whose actor is a reviewer, whose comment is the entry's reason. */
const REVIEW_KINDS = ['review-approved', 'approved', 'rejected'];
/** Kinds whose governance detail says why (the author's reason to cancel, why it went stale or failed). */
const CAUSE_KINDS = ['cancelled', 'stale', 'failed'];

function describe(r: RequestEventRow): string {
  const what = (phrase: string) => `Change request ${phrase}: ${r.summary}`;
  switch (r.kind) {
    case 'created': {
      const who = r.reviewer_group_name ? `${r.reviewer_role} in group "${r.reviewer_group_name}"` : r.reviewer_role;
      return what(`made (${r.action}, needs ${r.required_approvals} approval${r.required_approvals === 1 ? '' : 's'} from ${who})`);
    }
    case 'review-approved':
    case 'approved': {
      const count = /^approval \d+ of \d+/.exec(r.detail)?.[0];
      return what(`${r.kind === 'approved' ? 'approved' : 'reviewed'}${count ? ` (${count})` : ''}`);
    }
    case 'rejected':
      return what('rejected');
    case 'cancelled':
      return what('cancelled by its author');
    case 'expired':
      return what('expired without enough approvals');
    case 'stale':
      return what('went stale before it was applied');
    case 'applied':
      return what('applied');
    case 'failed':
      return what('failed to apply');
    default:
      return what(`${r.kind}${r.detail ? ` (${r.detail})` : ''}`);
  }
}

/**
 * The approval history of a deployment: every event of every change request whose target is the
 * deployment (governance approvals: made, each approval or rejection with its reviewer and
 * comment, applied, expired, cancelled, stale, failed). Kinds are `change-request-<event kind>`;
 * the reference is the change request.
 */
export function changeRequestsSource(db: DataSource): TimelineSource {
  return async (deploymentId, range) => {
    if (!wants(range, 'APPROVAL')) return [];
    const rows = (await db.query(
      `SELECT lpad(ev.id::text, 20, '0') AS id, ev.at, ev.kind, ev.actor_id::text AS actor_id,
              coalesce(u.display_name, u.name) AS actor_name, ev.detail,
              r.id::text AS request_id, r.action, r.summary, r.required_approvals, r.reviewer_role, r.reviewer_group_name,
              rv.comment AS review_comment
         FROM change_requests r
         JOIN change_request_events ev ON ev.request_id = r.id
         LEFT JOIN users u ON u.id = ev.actor_id
         LEFT JOIN change_request_reviews rv ON rv.request_id = r.id AND rv.reviewer_id = ev.actor_id AND ev.kind = ANY($5::text[])
        WHERE r.target_type = 'Deployment' AND r.target_id = $1
          AND ($2::timestamptz IS NULL OR ev.at >= $2) AND ($3::timestamptz IS NULL OR ev.at < $3)
        ORDER BY ev.at DESC, ev.id DESC
        LIMIT $4`,
      [deploymentId, range.from, range.to, range.first, REVIEW_KINDS],
    )) as RequestEventRow[];
    return rows.map(
      (r): TimelineSourceEntry => ({
        id: r.id,
        at: r.at,
        category: 'APPROVAL',
        kind: `change-request-${r.kind}`,
        actor: r.actor_id ? { id: r.actor_id, name: r.actor_name ?? `unknown user ${r.actor_id}` } : null,
        detail: describe(r),
        reason: REVIEW_KINDS.includes(r.kind) ? r.review_comment || null : CAUSE_KINDS.includes(r.kind) ? r.detail || null : null,
        fromVersion: null,
        toVersion: null,
        reference: { type: 'change-request', id: r.request_id },
      }),
    );
  };
}
