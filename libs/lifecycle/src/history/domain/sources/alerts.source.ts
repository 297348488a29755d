import type { DataSource } from 'typeorm';
import { wants, type TimelineSource, type TimelineSourceEntry } from '../timeline.types';

interface AlertRow {
  alert_id: string;
  kind: 'alert-opened' | 'alert-resolved';
  at: Date;
  alert_kind: string;
  value: number;
  threshold: number | null;
  comparison: string | null;
  window_minutes: number | null;
  metric: string | null;
}

/** A number as people read it: at most 4 significant digits, no exponent for ordinary values. */
export function readable(value: number): string {
  return Number.isFinite(value) ? String(Number(value.toPrecision(4))) : String(value);
}

function describe(r: AlertRow): string {
  const name = r.metric ? `${r.alert_kind} (${r.metric})` : r.alert_kind;
  const rule = r.threshold === null ? '' : ` ${r.comparison ?? 'beyond'} the threshold ${readable(r.threshold)}`;
  const window = r.window_minutes === null ? '' : ` over ${r.window_minutes} min`;
  return r.kind === 'alert-opened'
    ? `${name} alert opened: ${readable(r.value)} is${rule}${window}`
    : `${name} alert resolved: last value ${readable(r.value)}${r.threshold === null ? '' : ` (threshold ${readable(r.threshold)})`}`;
}

/**
 * The monitoring alerts of a deployment: an entry when an alert opened (with the value that
 * breached the rule's threshold) and one when it resolved. The system raises and resolves them,
 * so they have no actor; the reference is the alert.
 */
export function alertsSource(db: DataSource): TimelineSource {
  return async (deploymentId, range) => {
    if (!wants(range, 'ALERT')) return [];
    const rows = (await db.query(
      `SELECT * FROM (
         SELECT a.id::text AS alert_id, 'alert-opened' AS kind, a.opened_at AS at, a.kind AS alert_kind, a.opened_value AS value,
                r.threshold, r.comparison, r.window_minutes, r.metric
           FROM alerts a LEFT JOIN alert_rules r ON r.id = a.rule_id
          WHERE a.deployment_id = $1
         UNION ALL
         SELECT a.id::text, 'alert-resolved', a.resolved_at, a.kind, a.last_value, r.threshold, r.comparison, r.window_minutes, r.metric
           FROM alerts a LEFT JOIN alert_rules r ON r.id = a.rule_id
          WHERE a.deployment_id = $1 AND a.resolved_at IS NOT NULL
       ) x
       WHERE ($2::timestamptz IS NULL OR x.at >= $2) AND ($3::timestamptz IS NULL OR x.at < $3)
       ORDER BY x.at DESC, x.alert_id DESC, x.kind DESC
       LIMIT $4`,
      [deploymentId, range.from, range.to, range.first],
    )) as AlertRow[];
    return rows.map(
      (r): TimelineSourceEntry => ({
        id: `${r.alert_id}:${r.kind === 'alert-opened' ? 'opened' : 'resolved'}`,
        at: r.at,
        category: 'ALERT',
        kind: r.kind,
        actor: null,
        detail: describe(r),
        reason: null,
        fromVersion: null,
        toVersion: null,
        reference: { type: 'alert', id: r.alert_id },
      }),
    );
  };
}
