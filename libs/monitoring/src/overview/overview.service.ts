import type { DataSource } from 'typeorm';
import { isUuid } from '@modelport/database';
import { accessFilter, type Caller } from '@modelport/governance';
import { invalidAlertArgument } from '../alerts/domain/alert.errors';

/** green: fine; amber: look at it; red: act; unknown: no data to judge (e.g. no baseline, no actuals, no traffic). */
export type Status = 'green' | 'amber' | 'red' | 'unknown';
export const STATUS_RANK: Readonly<Record<Status, number>> = { unknown: 0, green: 1, amber: 2, red: 3 };

/** One part of a deployment's status (service health, drift, accuracy), with the figure behind it. */
export interface StatusPart {
  readonly status: Status;
  readonly detail: string;
}

/** Where a status part comes from: one call for a page of deployments. */
export type StatusSource = (deploymentIds: readonly string[], now: Date) => Promise<ReadonlyMap<string, StatusPart>>;

export interface OverviewRow {
  readonly deploymentId: string;
  readonly name: string;
  readonly projectId: string;
  readonly kind: string;
  readonly state: string;
  readonly production: boolean;
  readonly modelId: string;
  readonly modelName: string;
  readonly modelVersion: number;
  /** When the version now serving was registered. */
  readonly versionCreatedAt: Date;
  /** When the deployment last changed version (or first came up): its last refresh. */
  readonly lastRefreshAt: Date | null;
  readonly openAlerts: number;
  readonly service: StatusPart;
  readonly drift: StatusPart;
  readonly accuracy: StatusPart;
  /** The worst of the three. */
  readonly overall: Status;
}

export const OVERVIEW_SORTS = ['name', 'openAlerts', 'overall', 'modelAge', 'lastRefresh'] as const;
export type OverviewSort = (typeof OVERVIEW_SORTS)[number];

export interface OverviewQuery {
  readonly projectId?: string | null;
  /** Only deployments whose overall status is one of these. */
  readonly statuses?: readonly Status[] | null;
  readonly production?: boolean | null;
  readonly kind?: string | null;
  readonly sort?: OverviewSort | null;
  readonly descending?: boolean | null;
  readonly limit?: number | null;
}

const UNKNOWN: StatusPart = { status: 'unknown', detail: 'no data yet' };
const MAX_ROWS = 500;

/**
 * One central view over every deployment the caller may read (filtered in SQL by its access rules): what
 * serves, its service, drift and accuracy status, open alerts, the model's age and last refresh. The status
 * parts come from registered sources, each read once for the whole page.
 */
export class OverviewService {
  private readonly sources: Partial<Record<'service' | 'drift' | 'accuracy', StatusSource>> = {};

  constructor(private readonly db: DataSource) {}

  registerSource(part: 'service' | 'drift' | 'accuracy', source: StatusSource): this {
    this.sources[part] = source;
    return this;
  }

  async list(caller: Caller, query: OverviewQuery = {}, now = new Date()): Promise<OverviewRow[]> {
    if (query.projectId && !isUuid(query.projectId)) throw invalidAlertArgument('projectId', `"${query.projectId}" is not a project id (a UUID).`);
    const sort = query.sort ?? 'name';
    if (!(OVERVIEW_SORTS as readonly string[]).includes(sort)) throw invalidAlertArgument('sort', `Unknown sort "${sort}"; use one of ${OVERVIEW_SORTS.join(', ')}.`);
    for (const s of query.statuses ?? []) {
      if (!(s in STATUS_RANK)) throw invalidAlertArgument('statuses', `Unknown status "${s}"; use green, amber, red or unknown.`);
    }
    const limit = Math.min(Math.max(query.limit ?? 100, 1), MAX_ROWS);
    const access = accessFilter(caller.ability, 'read', 'Deployment', 'd');
    const qb = this.db
      .createQueryBuilder()
      .select(['d.id AS id', 'd.name AS name', 'd.project_id AS project_id', 'd.kind AS kind', 'd.state AS state', 'd.production AS production'])
      .addSelect(['m.id AS model_id', 'm.name AS model_name', 'v.version AS model_version', 'v.created_at AS version_created_at'])
      .addSelect(`(SELECT max(e.at) FROM deployment_events e WHERE e.deployment_id = d.id AND e.kind IN ('ready', 'version-replaced'))`, 'last_refresh_at')
      .addSelect(`(SELECT count(*)::int FROM alerts a WHERE a.deployment_id = d.id AND a.resolved_at IS NULL)`, 'open_alerts')
      .from('deployments', 'd')
      .innerJoin('models', 'm', 'm.id = d.model_id')
      .innerJoin('model_versions', 'v', 'v.id = d.model_version_id')
      .where('d.deleted_at IS NULL')
      .andWhere(access.sql, access.params)
      .orderBy('d.name', 'ASC')
      .limit(MAX_ROWS);
    if (query.projectId) qb.andWhere('d.project_id = :projectId', { projectId: query.projectId });
    if (query.production !== undefined && query.production !== null) qb.andWhere('d.production = :production', { production: query.production });
    if (query.kind) qb.andWhere('d.kind = :kind', { kind: query.kind.toLowerCase() });
    const rows: {
      id: string;
      name: string;
      project_id: string;
      kind: string;
      state: string;
      production: boolean;
      model_id: string;
      model_name: string;
      model_version: number;
      version_created_at: Date;
      last_refresh_at: Date | null;
      open_alerts: number;
    }[] = await qb.getRawMany();
    const ids = rows.map((r) => r.id);
    const [service, drift, accuracy] = await Promise.all(
      (['service', 'drift', 'accuracy'] as const).map(async (part) => (this.sources[part] && ids.length > 0 ? this.sources[part]!(ids, now) : new Map<string, StatusPart>())),
    );
    let result: OverviewRow[] = rows.map((r) => {
      const parts = { service: service!.get(r.id) ?? UNKNOWN, drift: drift!.get(r.id) ?? UNKNOWN, accuracy: accuracy!.get(r.id) ?? UNKNOWN };
      const overall = [parts.service, parts.drift, parts.accuracy].reduce<Status>((worst, p) => (STATUS_RANK[p.status] > STATUS_RANK[worst] ? p.status : worst), 'unknown');
      return {
        deploymentId: r.id,
        name: r.name,
        projectId: r.project_id,
        kind: r.kind,
        state: r.state,
        production: r.production,
        modelId: r.model_id,
        modelName: r.model_name,
        modelVersion: r.model_version,
        versionCreatedAt: new Date(r.version_created_at),
        lastRefreshAt: r.last_refresh_at ? new Date(r.last_refresh_at) : null,
        openAlerts: r.open_alerts,
        ...parts,
        overall,
      };
    });
    if (query.statuses && query.statuses.length > 0) result = result.filter((r) => query.statuses!.includes(r.overall));
    const key: Record<OverviewSort, (r: OverviewRow) => number | string> = {
      name: (r) => r.name,
      openAlerts: (r) => r.openAlerts,
      overall: (r) => STATUS_RANK[r.overall],
      modelAge: (r) => now.getTime() - r.versionCreatedAt.getTime(),
      lastRefresh: (r) => r.lastRefreshAt?.getTime() ?? 0,
    };
    const direction = query.descending ? -1 : 1;
    result.sort((a, b) => {
      const x = key[sort](a);
      const y = key[sort](b);
      return (x < y ? -1 : x > y ? 1 : a.name < b.name ? -1 : 1) * direction;
    });
    return result.slice(0, limit);
  }
}
