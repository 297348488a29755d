import type { DataSource } from 'typeorm';
import { AlertKind } from './alert.types';
import type { AlertSignalRegistry } from './alert.service';

/**
 * The service-health kinds, read from the prediction log over the rule's window (the (deployment_id,
 * received_at) index bounds the scan to the window's rows): error rate, p99 latency in ms, and the number of
 * requests (for NO_TRAFFIC, where an empty window is the signal, not missing data).
 */
export function registerServiceSignals(registry: AlertSignalRegistry, db: DataSource): AlertSignalRegistry {
  const window = async (deploymentId: string, minutes: number, now: Date) => {
    const [row] = (await db.query(
      `SELECT count(*)::int AS total, count(*) FILTER (WHERE status = 'error')::int AS errors,
              percentile_disc(0.99) WITHIN GROUP (ORDER BY latency_us) AS p99_us
         FROM predictions WHERE deployment_id = $1 AND received_at > $2 AND received_at <= $3`,
      [deploymentId, new Date(now.getTime() - minutes * 60_000), now],
    )) as { total: number; errors: number; p99_us: number | null }[];
    return row!;
  };
  return registry
    .register(AlertKind.ERROR_RATE, async (rule, now) => {
      const w = await window(rule.deploymentId, rule.windowMinutes, now);
      return w.total === 0 ? null : w.errors / w.total;
    })
    .register(AlertKind.LATENCY_P99, async (rule, now) => {
      const w = await window(rule.deploymentId, rule.windowMinutes, now);
      return w.p99_us === null ? null : Number(w.p99_us) / 1000;
    })
    .register(AlertKind.NO_TRAFFIC, async (rule, now) => (await window(rule.deploymentId, rule.windowMinutes, now)).total);
}
