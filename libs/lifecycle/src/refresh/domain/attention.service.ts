import type { DataSource } from 'typeorm';
import { isUuid } from '@modelport/database';
import { accessFilter, type Caller } from '@modelport/governance';
import type { AlertEvent } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import { deploymentContext, notifyOwners } from './owners-inbox';
import { invalidRefreshArgument } from './refresh.errors';

/** The alert kinds that mean the model itself is decaying (not the service): they mark a deployment. */
export const ATTENTION_ALERT_KINDS: readonly string[] = ['DRIFT_STATUS', 'ACCURACY', 'MISSING_ACTUALS'];
export const NEEDS_ATTENTION_EVENT = 'deployment.needs-attention';
/** Most deployments one `needingAttention` answer lists. */
export const MAX_ATTENTION_ROWS = 500;

export interface AttentionReason {
  readonly kind: string;
  readonly reason: string;
  readonly alertId: string | null;
  readonly since: Date;
}

export interface DeploymentNeedingAttention {
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly projectId: string;
  /** The oldest open mark. */
  readonly since: Date;
  readonly reasons: AttentionReason[];
}

/** What an alert says, in words: "ACCURACY (f1) fired: 0.61 (below 0.7 over 60 min)". */
export function alertReason(e: AlertEvent): string {
  const metric = e.rule.metric ? ` (${e.rule.metric})` : '';
  return `${e.rule.kind}${metric} fired: ${e.alert.lastValue} (${e.rule.comparison} ${e.rule.threshold} over ${e.rule.windowMinutes} min)`;
}

/**
 * Deployments that need attention: a DRIFT_STATUS, ACCURACY or MISSING_ACTUALS alert firing marks its
 * deployment (one open mark per deployment and kind) and tells the model's owner and the deployment's
 * creator in their inbox; the alert resolving clears the mark, unless another alert of that kind is still
 * open on the deployment, which then carries it.
 */
export class AttentionService {
  constructor(
    private readonly db: DataSource,
    private readonly logger: Logger,
  ) {}

  /** The AlertService listener (`alerts.onAlertEvent((e) => attention.handleAlertEvent(e))`). */
  async handleAlertEvent(e: AlertEvent): Promise<void> {
    if (!ATTENTION_ALERT_KINDS.includes(e.alert.kind)) return;
    if (e.event === 'alert.fired') await this.mark(e);
    else await this.clear(e);
  }

  private async mark(e: AlertEvent): Promise<void> {
    const reason = alertReason(e);
    const marked = await this.db.transaction(async (tx) => {
      // The partial unique index keeps one open mark per deployment and kind: a second firing adds nothing.
      const rows = (await tx.query(
        `INSERT INTO deployment_attention (deployment_id, project_id, kind, reason, alert_id, since)
         SELECT d.id, d.project_id, $2, $3, $4, $5 FROM deployments d WHERE d.id = $1
         ON CONFLICT DO NOTHING RETURNING id`,
        [e.alert.deploymentId, e.alert.kind, reason, e.alert.id, e.alert.openedAt],
      )) as { id: string }[];
      if (rows.length === 0) return false;
      const context = await deploymentContext(tx, e.alert.deploymentId);
      if (!context) return true;
      await notifyOwners(tx, context.owners, {
        event: NEEDS_ATTENTION_EVENT,
        alertId: e.alert.id,
        title: `${context.deploymentName} needs attention: ${reason}`,
        body: {
          event: NEEDS_ATTENTION_EVENT,
          deployment: { id: e.alert.deploymentId, name: context.deploymentName, projectId: context.projectId },
          kind: e.alert.kind,
          reason,
          alert: { id: e.alert.id, kind: e.alert.kind, openedAt: e.alert.openedAt.toISOString(), value: e.alert.lastValue },
          since: e.alert.openedAt.toISOString(),
        },
      });
      return true;
    });
    if (marked) this.logger.info({ deploymentId: e.alert.deploymentId, kind: e.alert.kind, alert: e.alert.id }, 'deployment marked as needing attention');
  }

  private async clear(e: AlertEvent): Promise<void> {
    await this.db.transaction(async (tx) => {
      const [mark] = (await tx.query(
        `SELECT id, alert_id FROM deployment_attention WHERE deployment_id = $1 AND kind = $2 AND cleared_at IS NULL FOR UPDATE`,
        [e.alert.deploymentId, e.alert.kind],
      )) as { id: string; alert_id: string | null }[];
      // The mark belongs to another alert of the same kind that is still open: it stays.
      if (!mark || (mark.alert_id !== null && mark.alert_id !== e.alert.id)) return;
      const [other] = (await tx.query(
        `SELECT a.id, a.opened_at, a.last_value, r.kind, r.metric, r.comparison, r.threshold, r.window_minutes
           FROM alerts a JOIN alert_rules r ON r.id = a.rule_id
          WHERE a.deployment_id = $1 AND a.kind = $2 AND a.resolved_at IS NULL AND a.id <> $3
          ORDER BY a.opened_at LIMIT 1`,
        [e.alert.deploymentId, e.alert.kind, e.alert.id],
      )) as { id: string; last_value: number; kind: string; metric: string | null; comparison: string; threshold: number; window_minutes: number }[];
      if (other) {
        const metric = other.metric ? ` (${other.metric})` : '';
        const reason = `${other.kind}${metric} fired: ${other.last_value} (${other.comparison} ${other.threshold} over ${other.window_minutes} min)`;
        await tx.query(`UPDATE deployment_attention SET alert_id = $2, reason = $3 WHERE id = $1`, [mark.id, other.id, reason]);
        return;
      }
      await tx.query(`UPDATE deployment_attention SET cleared_at = $2 WHERE id = $1`, [mark.id, e.alert.resolvedAt ?? new Date()]);
    });
  }

  /** Deployments the caller may read that need attention, and why, longest-standing first. */
  async needingAttention(caller: Caller, projectId?: string | null): Promise<DeploymentNeedingAttention[]> {
    if (projectId && !isUuid(projectId)) throw invalidRefreshArgument('projectId', `"${projectId}" is not a project id (a UUID).`);
    const access = accessFilter(caller.ability, 'read', 'Deployment', 'd');
    const qb = this.db
      .createQueryBuilder()
      .select(['a.deployment_id AS deployment_id', 'd.name AS deployment_name', 'd.project_id AS project_id', 'a.kind AS kind', 'a.reason AS reason', 'a.alert_id AS alert_id', 'a.since AS since'])
      .from('deployment_attention', 'a')
      .innerJoin('deployments', 'd', 'd.id = a.deployment_id AND d.deleted_at IS NULL')
      .where('a.cleared_at IS NULL')
      .andWhere(access.sql, access.params)
      .orderBy('a.since', 'ASC')
      .addOrderBy('a.kind', 'ASC')
      .limit(MAX_ATTENTION_ROWS * ATTENTION_ALERT_KINDS.length);
    if (projectId) qb.andWhere('d.project_id = :projectId', { projectId });
    const rows: { deployment_id: string; deployment_name: string; project_id: string; kind: string; reason: string; alert_id: string | null; since: Date }[] = await qb.getRawMany();
    const out = new Map<string, { deploymentId: string; deploymentName: string; projectId: string; since: Date; reasons: AttentionReason[] }>();
    for (const r of rows) {
      const entry = out.get(r.deployment_id) ?? { deploymentId: r.deployment_id, deploymentName: r.deployment_name, projectId: r.project_id, since: r.since, reasons: [] };
      entry.reasons.push({ kind: r.kind, reason: r.reason, alertId: r.alert_id, since: r.since });
      out.set(r.deployment_id, entry);
    }
    return [...out.values()].slice(0, MAX_ATTENTION_ROWS);
  }
}
