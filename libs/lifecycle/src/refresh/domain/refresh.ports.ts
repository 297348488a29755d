import type { DataSource } from 'typeorm';
import type { Caller } from '@modelport/governance';
import type { AccuracyService, DriftService } from '@modelport/monitoring';

/** A live deployment the caller may read (NOT_FOUND otherwise): serving's `DeploymentService.get` fits. */
export interface RefreshDeploymentLookup {
  get(caller: Caller, id: string): Promise<{ readonly id: string; readonly projectId: string; readonly name: string }>;
}

export type DriftStatus = 'green' | 'amber' | 'red';

/** The monitoring figures the triggers read; null when there is nothing to judge by (no reference, no actuals). */
export interface RefreshSignals {
  driftStatus(deploymentId: string): Promise<DriftStatus | null>;
  /** The metric over the last `windowDays` days. */
  accuracy(deploymentId: string, metric: string, windowDays: number): Promise<number | null>;
}

/** Puts a version beside a deployment's champion as a shadow challenger (implemented by serving). */
export interface ShadowAttacher {
  attachShadow(input: { deploymentId: string; versionId: string; reason: string; actorId: string | null }): Promise<void>;
}

/** How far back the drift status of the drift trigger looks. */
export const DRIFT_TRIGGER_HOURS = 24;

/**
 * The refresh signals read from monitoring: drift status of the champion over the last 24 hours (as the
 * overview shows it), and an accuracy metric over the policy's data window.
 */
export function monitoringRefreshSignals(
  db: DataSource,
  drift: Pick<DriftService, 'reportOf'>,
  accuracy: Pick<AccuracyService, 'accuracyOver'>,
  clock: { now(): Date } = { now: () => new Date() },
): RefreshSignals {
  return {
    async driftStatus(deploymentId) {
      const [d] = (await db.query(`SELECT model_version_id FROM deployments WHERE id = $1 AND deleted_at IS NULL`, [deploymentId])) as { model_version_id: string }[];
      if (!d) return null;
      const now = clock.now();
      const { report } = await drift.reportOf(deploymentId, d.model_version_id, new Date(now.getTime() - DRIFT_TRIGGER_HOURS * 3_600_000), now);
      return report && report.status !== 'unknown' ? report.status : null;
    },
    async accuracy(deploymentId, metric, windowDays) {
      const now = clock.now();
      const window = await accuracy.accuracyOver(deploymentId, new Date(now.getTime() - windowDays * 86_400_000), now);
      const metrics = (window.classification ?? window.regression ?? {}) as Record<string, unknown>;
      const value = metrics[metric];
      return typeof value === 'number' && Number.isFinite(value) ? value : null;
    },
  };
}
