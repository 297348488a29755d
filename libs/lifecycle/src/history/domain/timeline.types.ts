/** What a timeline entry is about; a UI groups and filters by it. */
export const TIMELINE_CATEGORIES = ['VERSION', 'TRAFFIC', 'APPROVAL', 'ROLLBACK', 'ALERT', 'REFRESH', 'BAKE', 'DEPLOYMENT'] as const;
export type TimelineCategory = (typeof TIMELINE_CATEGORIES)[number];

export function isTimelineCategory(value: unknown): value is TimelineCategory {
  return typeof value === 'string' && (TIMELINE_CATEGORIES as readonly string[]).includes(value);
}

/** Who did it; null on an entry means the system did (a job, a watcher, an expiry). */
export interface TimelineActor {
  readonly id: string;
  /** The user's display name, else their user name. */
  readonly name: string;
}

/** A model version an entry involves, with its number when the version still exists. */
export interface TimelineVersion {
  readonly id: string;
  readonly version: number | null;
}

/** What an entry points at: `change-request`, `alert`, `refresh-run`, ... with its id. */
export interface TimelineReference {
  readonly type: string;
  readonly id: string;
}

/** One entry as a source returns it. */
export interface TimelineSourceEntry {
  /** Unique within the source and stable across calls (it is part of the paging cursor). */
  readonly id: string;
  /** When it happened; compared at millisecond precision. */
  readonly at: Date;
  readonly category: TimelineCategory;
  /** The source's own kind text, e.g. `version-replaced`, `change-request-approved`, `alert-opened`. */
  readonly kind: string;
  readonly actor: TimelineActor | null;
  /** What happened, in the source's words. */
  readonly detail: string;
  /** Why, when someone said (the reason given with a change, a review comment); null otherwise. */
  readonly reason: string | null;
  readonly fromVersion: TimelineVersion | null;
  readonly toVersion: TimelineVersion | null;
  readonly reference: TimelineReference | null;
}

/** One entry of a deployment's timeline. */
export interface TimelineEntry extends TimelineSourceEntry {
  /** `<source>:<the source's id>`: unique in the timeline. */
  readonly id: string;
  /** The name the source was registered under. */
  readonly source: string;
  /** The line to show: the reason when one was given, else the detail. */
  readonly text: string;
}

/**
 * What a source is asked for: the newest `first` of its entries of the deployment with
 * `from <= at < to` (a null bound is open), compared at millisecond precision. The order of the
 * returned entries does not matter, nor does returning more than `first` (the timeline sorts,
 * filters and cuts), but it must not leave out an entry newer than the oldest one it returns.
 * `categories` (null: all) is a hint: a source may skip entries of other categories, and one that
 * produces none of them may return nothing at once.
 */
export interface TimelineRange {
  readonly from: Date | null;
  readonly to: Date | null;
  readonly first: number;
  readonly categories: readonly TimelineCategory[] | null;
}

/** A pluggable source of timeline entries (deployment events, change requests, alerts, refresh runs...). */
export type TimelineSource = (deploymentId: string, range: TimelineRange) => Promise<TimelineSourceEntry[]>;

/** Whether a source that returns only `categories` has anything to give for the wanted ones (null: all wanted). */
export function wants(range: Pick<TimelineRange, 'categories'>, ...categories: TimelineCategory[]): boolean {
  return range.categories === null || categories.some((c) => range.categories!.includes(c));
}
