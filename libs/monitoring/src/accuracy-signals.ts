import { AlertKind } from './alerts/domain/alert.types';
import type { AlertSignalRegistry } from './alerts/domain/alert.service';
import type { AccuracyService } from './accuracy/domain/accuracy.service';
import type { DriftService } from './baselines/drift.service';
import type { AccuracyWindowResult } from './accuracy/domain/accuracy-windows';
import type { DataSource } from 'typeorm';
import type { StatusPart, StatusSource } from './overview/overview.service';

/** A metric of a window by the names alert rules use (ACCURACY_METRICS); null when the window has none. */
export function metricOf(window: AccuracyWindowResult, metric: string): number | null {
  const metrics = (window.classification ?? window.regression ?? {}) as Record<string, unknown>;
  const value = metrics[metric];
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** ACCURACY (the rule's metric) and MISSING_ACTUALS (1 - the share of predictions with actuals) over the rule's window. */
export function registerAccuracySignals(registry: AlertSignalRegistry, accuracy: AccuracyService): AlertSignalRegistry {
  const over = (deploymentId: string, minutes: number, now: Date) => accuracy.accuracyOver(deploymentId, new Date(now.getTime() - minutes * 60_000), now);
  return registry
    .register(AlertKind.ACCURACY, async (rule, now) => metricOf(await over(rule.deploymentId, rule.windowMinutes, now), rule.metric ?? 'accuracy'))
    .register(AlertKind.MISSING_ACTUALS, async (rule, now) => {
      const share = (await over(rule.deploymentId, rule.windowMinutes, now)).timeliness.shareWithActuals;
      return share === null ? null : 1 - share;
    });
}

/**
 * The overview's accuracy part over the last day: red while an ACCURACY alert is open, amber while a
 * MISSING_ACTUALS one is, green with scored predictions and no such alert, unknown without actuals. (What
 * figure is good is for the deployment's alert rules to say: there is no universal threshold for accuracy.)
 */
export function accuracyStatus(db: DataSource, accuracy: AccuracyService, hours = 24): StatusSource {
  return async (ids, now) => {
    const open: { deployment_id: string; kind: string }[] = await db.query(
      `SELECT DISTINCT deployment_id, kind FROM alerts WHERE deployment_id = ANY($1::uuid[]) AND resolved_at IS NULL AND kind IN ('ACCURACY', 'MISSING_ACTUALS')`,
      [ids],
    );
    const out = new Map<string, StatusPart>();
    for (const id of ids) {
      const w = await accuracy.accuracyOver(id, new Date(now.getTime() - hours * 3600_000), now).catch(() => null);
      const kinds = new Set(open.filter((o) => o.deployment_id === id).map((o) => o.kind));
      const figure = !w || w.counts.scored === 0 ? 'no scored predictions' : `${w.classification ? `accuracy ${formatted(metricOf(w, 'accuracy'))}` : `rmse ${formatted(metricOf(w, 'rmse'))}`} over ${w.counts.scored} scored predictions`;
      if (kinds.has('ACCURACY')) out.set(id, { status: 'red', detail: `an accuracy alert is open; ${figure} in ${hours} h` });
      else if (kinds.has('MISSING_ACTUALS')) out.set(id, { status: 'amber', detail: `actuals are missing (alert open); ${figure} in ${hours} h` });
      else if (w && w.counts.scored > 0) out.set(id, { status: 'green', detail: `${figure} in ${hours} h` });
    }
    return out;
  };
}

/** DRIFT_STATUS: the status of the rule's window as a number (green 0, amber 1, red 2); null without a report. */
export function registerDriftSignal(registry: AlertSignalRegistry, db: DataSource, drift: DriftService): AlertSignalRegistry {
  const RANK: Record<string, number | null> = { green: 0, amber: 1, red: 2, unknown: null };
  return registry.register(AlertKind.DRIFT_STATUS, async (rule, now) => {
    const [d] = (await db.query(`SELECT model_version_id FROM deployments WHERE id = $1`, [rule.deploymentId])) as { model_version_id: string }[];
    if (!d) return null;
    const report = await drift.reportOf(rule.deploymentId, d.model_version_id, new Date(now.getTime() - rule.windowMinutes * 60_000), now);
    return report.report ? (RANK[report.report.status] ?? null) : null;
  });
}

const formatted = (v: number | null) => (v === null ? 'n/a' : v.toFixed(4));
