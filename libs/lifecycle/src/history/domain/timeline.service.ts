import { decodeCursor, isUuid, pageSize, toPage, type Page } from '@modelport/database';
import { ModelportError } from '@modelport/errors';
import { accessFilter, type Caller } from '@modelport/governance';
import { DeploymentError, DeploymentErrorCode } from '@modelport/serving';
import type { DataSource } from 'typeorm';
import { HistoryError, HistoryErrorCode, invalidHistoryArgument } from './history.errors';
import { alertsSource } from './sources/alerts.source';
import { changeRequestsSource } from './sources/change-requests.source';
import { deploymentEventsSource } from './sources/deployment-events.source';
import { mergeTimeline, type TimelinePosition } from './timeline-merge';
import { isTimelineCategory, TIMELINE_CATEGORIES, type TimelineCategory, type TimelineEntry, type TimelineSource } from './timeline.types';

export interface TimelineOptions {
  /** The hard maximum of `first`. */
  readonly maxPageSize: number;
}

export interface TimelineQuery {
  /** Inclusive; null: from the beginning. */
  readonly from?: Date | null;
  /** Exclusive; null: up to now. */
  readonly to?: Date | null;
  /** Only entries of these categories; null or empty: all. */
  readonly categories?: readonly string[] | null;
  readonly first?: number | null;
  /** An endCursor of a previous page of the same query. */
  readonly after?: string | null;
}

/** The deployment a timeline belongs to. */
export interface TimelineDeployment {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly deletedAt: Date | null;
}

const SOURCE_NAME = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * A deployment's timeline: every version change, traffic change, approval, rollback, alert,
 * refresh and bake period, with actor and reason, merged from pluggable sources, **newest first**
 * (entries of one millisecond by id, descending), with keyset paging (`first`/`after`).
 *
 * Sources are registered by name; `createTimelineService` registers the built-in ones
 * (`deployment-events`, `change-requests`, `alerts`). Adding one (refresh runs) is one
 * `registerSource` call.
 */
export class TimelineService {
  private readonly sources = new Map<string, TimelineSource>();

  constructor(
    private readonly db: DataSource,
    private readonly options: TimelineOptions,
  ) {}

  /** Adds a source of entries; its name prefixes the ids of its entries (`<name>:<id>`). */
  registerSource(name: string, source: TimelineSource): this {
    if (!SOURCE_NAME.test(name)) {
      throw new HistoryError(HistoryErrorCode.TIMELINE_SOURCE_CONFLICT, `A timeline source name is lowercase letters, digits and dashes, at most 40, starting with a letter (got "${name}").`, {
        source: name,
      });
    }
    if (this.sources.has(name)) {
      throw new HistoryError(HistoryErrorCode.TIMELINE_SOURCE_CONFLICT, `A timeline source named "${name}" is already registered; give the new one another name.`, { source: name });
    }
    this.sources.set(name, source);
    return this;
  }

  /** The names of the registered sources, in registration order. */
  sourceNames(): string[] {
    return [...this.sources.keys()];
  }

  /**
   * A page of the timeline of a deployment the caller may read (also after it was deleted: its
   * history stays). NOT_FOUND when there is no such deployment or the caller may not read it.
   */
  async timeline(caller: Caller, deploymentId: string, query: TimelineQuery = {}): Promise<Page<TimelineEntry>> {
    const from = validDate('from', query.from);
    const to = validDate('to', query.to);
    if (from && to && from.getTime() >= to.getTime()) {
      throw invalidHistoryArgument('from', `from (${from.toISOString()}) must be before to (${to.toISOString()}); to is exclusive. Swap them or leave one out.`);
    }
    const categories = validCategories(query.categories);
    const limit = pageSize(query.first, this.options.maxPageSize);
    const after = query.after ? position(query.after) : null;
    const deployment = await this.deployment(caller, deploymentId);
    const entries = await mergeTimeline(this.sources, { deploymentId: deployment.id, from, to, categories, limit, after });
    return toPage(entries, limit, (e) => [e.at.toISOString(), e.id]);
  }

  /** The deployment if the caller may read it (deleted ones included), else NOT_FOUND. Access is decided in SQL by the caller's rules. */
  async deployment(caller: Caller, deploymentId: string): Promise<TimelineDeployment> {
    const access = accessFilter(caller.ability, 'read', 'Deployment', 'd');
    const row = isUuid(deploymentId)
      ? ((await this.db
          .createQueryBuilder()
          .select(['d.id::text AS id', 'd.project_id::text AS project_id', 'd.name AS name', 'd.deleted_at AS deleted_at'])
          .from('deployments', 'd')
          .where('d.id = :id', { id: deploymentId })
          .andWhere(access.sql, access.params)
          .getRawOne()) as { id: string; project_id: string; name: string; deleted_at: Date | null } | undefined)
      : undefined;
    if (!row) throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `No deployment "${deploymentId}" is visible to you.`);
    return { id: row.id, projectId: row.project_id, name: row.name, deletedAt: row.deleted_at };
  }
}

/** A TimelineService with the built-in sources: deployment events, change requests and alerts. */
export function createTimelineService(db: DataSource, options: TimelineOptions): TimelineService {
  return new TimelineService(db, options)
    .registerSource('deployment-events', deploymentEventsSource(db))
    .registerSource('change-requests', changeRequestsSource(db))
    .registerSource('alerts', alertsSource(db));
}

function validDate(field: 'from' | 'to', value: Date | null | undefined): Date | null {
  if (value === null || value === undefined) return null;
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) throw invalidHistoryArgument(field, `${field} must be a valid ISO 8601 date-time, e.g. 2026-11-02T09:00:00Z.`);
  return value;
}

function validCategories(values: readonly string[] | null | undefined): TimelineCategory[] | null {
  if (!values || values.length === 0) return null;
  const unknown = values.filter((v) => !isTimelineCategory(v));
  if (unknown.length > 0) {
    throw invalidHistoryArgument(
      'categories',
      `Unknown categor${unknown.length === 1 ? 'y' : 'ies'} ${unknown.map((u) => `"${u}"`).join(', ')}; send any of ${TIMELINE_CATEGORIES.join(', ')} (or none for all).`,
    );
  }
  return [...new Set(values as TimelineCategory[])];
}

function position(after: string): TimelinePosition {
  const [at, id] = decodeCursor(after, 2, ['string', 'string']) as [string, string];
  const time = Date.parse(at);
  if (Number.isNaN(time) || !id.includes(':')) {
    throw new ModelportError('INVALID_CURSOR', 'BAD_USER_INPUT', 'The `after` cursor is not one this API returned; pass an endCursor from a previous page.');
  }
  return { at: time, id };
}
