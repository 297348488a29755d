import type { HealthService } from '../../health/domain/health.service';
import type { StatusPart, StatusSource } from '../../overview/overview.service';
import type { AlertSignalRegistry } from './alert.service';
import { AlertKind } from './alert.types';

/**
 * The service-health kinds, read from the per-minute health rollups over the rule's window (never the raw
 * prediction log): error rate, p99 latency in ms, and the number of requests (for NO_TRAFFIC, where an empty
 * window is the signal, not missing data).
 */
export function registerServiceSignals(registry: AlertSignalRegistry, health: Pick<HealthService, 'figures'>): AlertSignalRegistry {
  const over = (deploymentId: string, minutes: number, now: Date) => health.figures(deploymentId, new Date(now.getTime() - minutes * 60_000), now);
  return registry
    .register(AlertKind.ERROR_RATE, async (rule, now) => {
      const f = await over(rule.deploymentId, rule.windowMinutes, now);
      return f.requests === 0 ? null : f.errorRate;
    })
    .register(AlertKind.LATENCY_P99, async (rule, now) => {
      const p99 = (await over(rule.deploymentId, rule.windowMinutes, now)).latencyP99Us;
      return p99 === null ? null : p99 / 1000;
    })
    .register(AlertKind.NO_TRAFFIC, async (rule, now) => (await over(rule.deploymentId, rule.windowMinutes, now)).requests);
}

/**
 * The overview's service part from the rollups of the last `minutes`: red at 5 % errors or more, amber at 1 %,
 * unknown without traffic. (Thresholds of the overview only; alert rules carry their own.)
 */
export function serviceStatus(health: Pick<HealthService, 'figures'>, minutes = 15): StatusSource {
  return async (ids, now) => {
    const out = new Map<string, StatusPart>();
    for (const id of ids) {
      const f = await health.figures(id, new Date(now.getTime() - minutes * 60_000), now);
      if (f.requests === 0) continue;
      const p99 = f.latencyP99Us === null ? '' : `, p99 ${(f.latencyP99Us / 1000).toFixed(1)} ms`;
      out.set(id, {
        status: f.errorRate >= 0.05 ? 'red' : f.errorRate >= 0.01 ? 'amber' : 'green',
        detail: `${f.requests} requests in ${minutes} min, ${(f.errorRate * 100).toFixed(1)} % errors${p99}`,
      });
    }
    return out;
  };
}
