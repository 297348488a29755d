import { isUuid, pageSize } from '@modelport/database';
import { accessFilter, systemClock, type Caller, type Clock } from '@modelport/governance';
import type { DataSource } from 'typeorm';
import { invalidHistoryArgument } from './history.errors';

export interface RefreshReportOptions {
  /** The hard maximum of `first`. */
  readonly maxPageSize: number;
}

/** Largest threshold accepted (100 years). */
export const MAX_OLDER_THAN_DAYS = 36_500;

export interface StaleModelsQuery {
  /** A champion is too old when its age in whole days is above this. */
  readonly olderThanDays: number;
  readonly projectId?: string | null;
  readonly first?: number | null;
}

/** One production deployment whose model is stale. */
export interface StaleModel {
  readonly deploymentId: string;
  readonly deploymentName: string;
  readonly projectId: string;
  readonly modelId: string;
  readonly modelName: string;
  /** The version it serves (the champion). */
  readonly championVersionId: string;
  readonly championVersion: number;
  /** When the champion was registered. */
  readonly registeredAt: Date;
  /** When the champion started serving on this deployment (its last ready, version-replaced, promoted or rolled-back event); null when no event says. */
  readonly servingSince: Date | null;
  /** Whole days since the champion was registered. */
  readonly ageDays: number;
  /** A version of the model came from a refresh (lineage `refreshRunId` or `trigger`), or the deployment's version was ever replaced or promoted. */
  readonly everRefreshed: boolean;
  /** The latest of those refreshes; null when never refreshed. */
  readonly lastRefreshAt: Date | null;
  /** Why the row is in the report, e.g. ["never refreshed", "champion is 97 days old (threshold 90)"]. */
  readonly reasons: string[];
  /** `reasons` joined with "; ". */
  readonly reason: string;
}

export interface StaleModelsReport {
  readonly asOf: Date;
  readonly olderThanDays: number;
  /** Every row that matches, also beyond `first`. */
  readonly totalCount: number;
  /** Oldest champion first. */
  readonly models: StaleModel[];
}

interface ReportRow {
  deployment_id: string;
  deployment_name: string;
  project_id: string;
  model_id: string;
  model_name: string;
  version_id: string;
  version: number;
  registered_at: Date;
  serving_since: Date | null;
  last_refreshed_version_at: Date | null;
  last_replaced_at: Date | null;
  age_days: number;
  total: number;
}

/** Kinds of deployment events after which the deployment serves its (then) new champion. */
const SERVING_KINDS = ['ready', 'version-replaced', 'promoted', 'rolled-back', 'auto-rolled-back'];
/** Kinds of deployment events that put another version in production: a refresh of what it serves. */
const REFRESH_KINDS = ['version-replaced', 'promoted'];

/**
 * The refresh report: models in production that were never refreshed, or whose champion is older
 * than a threshold. "In production" is a live (not deleted) deployment marked production that
 * has been approved (not AWAITING_APPROVAL), of any state or kind.
 */
export class RefreshReportService {
  constructor(
    private readonly db: DataSource,
    private readonly options: RefreshReportOptions,
    private readonly clock: Clock = systemClock,
  ) {}

  /** Every such deployment the caller may read, oldest champion first (by registration; then by deployment id). */
  async staleModels(caller: Caller, query: StaleModelsQuery): Promise<StaleModelsReport> {
    const threshold = query.olderThanDays;
    if (typeof threshold !== 'number' || !Number.isInteger(threshold) || threshold < 0 || threshold > MAX_OLDER_THAN_DAYS) {
      throw invalidHistoryArgument('olderThanDays', `olderThanDays must be a whole number of days from 0 to ${MAX_OLDER_THAN_DAYS} (got ${String(threshold)}), e.g. 90.`);
    }
    const projectId = query.projectId ?? null;
    if (projectId !== null && !isUuid(projectId)) throw invalidHistoryArgument('projectId', `"${String(projectId)}" is not a project id (a UUID); leave it out for every project you may read.`);
    const limit = pageSize(query.first, this.options.maxPageSize);
    const now = this.clock.now();
    const access = accessFilter(caller.ability, 'read', 'Deployment', 'd');
    const [sql, params] = this.db.driver.escapeQueryWithParameters(
      `WITH production AS (
         SELECT d.id::text AS deployment_id, d.name AS deployment_name, d.project_id::text AS project_id,
                m.id::text AS model_id, m.name AS model_name, v.id::text AS version_id, v.version, v.created_at AS registered_at,
                (SELECT max(e.at) FROM deployment_events e
                  WHERE e.deployment_id = d.id AND e.kind = ANY(:servingKinds)
                    AND (e.to_version_id IS NULL OR e.to_version_id = d.model_version_id)) AS serving_since,
                (SELECT max(mv.created_at) FROM model_versions mv
                  WHERE mv.model_id = d.model_id
                    AND (coalesce(mv.lineage->>'refreshRunId', '') <> '' OR coalesce(btrim(mv.lineage->>'trigger'), '') <> '')) AS last_refreshed_version_at,
                (SELECT max(e.at) FROM deployment_events e WHERE e.deployment_id = d.id AND e.kind = ANY(:refreshKinds)) AS last_replaced_at,
                floor(extract(epoch FROM (:now::timestamptz - v.created_at)) / 86400)::int AS age_days
           FROM deployments d
           JOIN models m ON m.id = d.model_id
           JOIN model_versions v ON v.id = d.model_version_id
          WHERE d.deleted_at IS NULL AND d.production AND d.state <> 'AWAITING_APPROVAL'
            AND (:projectId::uuid IS NULL OR d.project_id = :projectId::uuid)
            AND ${access.sql}
       )
       SELECT p.*, count(*) OVER ()::int AS total
         FROM production p
        WHERE (p.last_refreshed_version_at IS NULL AND p.last_replaced_at IS NULL) OR p.age_days > :threshold
        ORDER BY p.registered_at ASC, p.deployment_id ASC
        LIMIT :limit`,
      { ...access.params, servingKinds: SERVING_KINDS, refreshKinds: REFRESH_KINDS, now, projectId, threshold, limit },
    );
    const rows = (await this.db.query(sql, params)) as ReportRow[];
    return {
      asOf: now,
      olderThanDays: threshold,
      totalCount: rows[0]?.total ?? 0,
      models: rows.map((r) => staleModel(r, threshold)),
    };
  }
}

function staleModel(r: ReportRow, threshold: number): StaleModel {
  const refreshes = [r.last_refreshed_version_at, r.last_replaced_at].filter((d): d is Date => d !== null);
  const lastRefreshAt = refreshes.length === 0 ? null : new Date(Math.max(...refreshes.map((d) => d.getTime())));
  const reasons: string[] = [];
  if (lastRefreshAt === null) reasons.push('never refreshed');
  if (r.age_days > threshold) reasons.push(`champion is ${r.age_days} day${r.age_days === 1 ? '' : 's'} old (threshold ${threshold})`);
  return {
    deploymentId: r.deployment_id,
    deploymentName: r.deployment_name,
    projectId: r.project_id,
    modelId: r.model_id,
    modelName: r.model_name,
    championVersionId: r.version_id,
    championVersion: r.version,
    registeredAt: r.registered_at,
    servingSince: r.serving_since,
    ageDays: r.age_days,
    everRefreshed: lastRefreshAt !== null,
    lastRefreshAt,
    reasons,
    reason: reasons.join('; '),
  };
}
