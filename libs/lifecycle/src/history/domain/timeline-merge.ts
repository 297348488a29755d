import { HistoryError, HistoryErrorCode } from './history.errors';
import { isTimelineCategory, type TimelineCategory, type TimelineEntry, type TimelineSource, type TimelineSourceEntry } from './timeline.types';

/** Where the previous page ended: entries strictly older in (at, id) order come next. */
export interface TimelinePosition {
  readonly at: number;
  readonly id: string;
}

export interface MergeRequest {
  readonly deploymentId: string;
  readonly from: Date | null;
  /** Exclusive. */
  readonly to: Date | null;
  readonly categories: readonly TimelineCategory[] | null;
  /** Entries wanted; `limit + 1` are returned when there are that many (to tell whether another page follows). */
  readonly limit: number;
  readonly after: TimelinePosition | null;
}

/** Newest first; entries of one millisecond by id, descending (string order). */
export function compareEntries(a: Pick<TimelineEntry, 'at' | 'id'>, b: Pick<TimelineEntry, 'at' | 'id'>): number {
  const byTime = b.at.getTime() - a.at.getTime();
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Most entries one source is asked for in one page (only reached by a source that never runs out). */
export const MAX_SOURCE_FETCH = 200_000;

interface SourceState {
  readonly name: string;
  readonly source: TimelineSource;
  first: number;
  /** It returned fewer than asked: it has nothing more in the range. */
  exhausted: boolean;
  /** The oldest `at` it returned when not exhausted: entries at or before it may be missing. */
  boundary: number;
  kept: TimelineEntry[];
}

/**
 * The newest `limit + 1` entries of every source after `after`, in timeline order (see
 * `compareEntries`). Each source is asked for `limit + 1` entries first; a source whose answer
 * was cut at or after the oldest entry the page needs (so that entries of it at or after that
 * time may be missing, e.g. many at one millisecond) is asked again for twice as many, until the
 * page is exact.
 */
export async function mergeTimeline(sources: ReadonlyMap<string, TimelineSource>, request: MergeRequest): Promise<TimelineEntry[]> {
  const afterBound = request.after ? request.after.at + 1 : Number.POSITIVE_INFINITY;
  const toBound = Math.min(request.to ? request.to.getTime() : Number.POSITIVE_INFINITY, afterBound);
  const fromBound = request.from ? request.from.getTime() : Number.NEGATIVE_INFINITY;
  const range = {
    from: request.from,
    to: Number.isFinite(toBound) ? new Date(toBound) : null,
    categories: request.categories,
  };
  const keep = (entry: TimelineEntry): boolean => {
    const at = entry.at.getTime();
    if (at < fromBound || at >= toBound) return false;
    if (request.categories && !request.categories.includes(entry.category)) return false;
    return !request.after || compareEntries(entry, { at: new Date(request.after.at), id: request.after.id }) > 0;
  };
  const fetch = async (state: SourceState): Promise<void> => {
    const raw = await state.source(request.deploymentId, { ...range, first: state.first });
    const seen = new Set<string>();
    const entries = raw.map((e) => toEntry(state.name, e)).filter((e) => !seen.has(e.id) && seen.add(e.id));
    state.exhausted = raw.length < state.first;
    state.boundary = state.exhausted ? Number.NEGATIVE_INFINITY : entries.reduce((min, e) => Math.min(min, e.at.getTime()), Number.POSITIVE_INFINITY);
    state.kept = entries.filter(keep);
  };

  const wanted = request.limit + 1;
  const states: SourceState[] = [...sources].map(([name, source]) => ({ name, source, first: wanted, exhausted: false, boundary: 0, kept: [] }));
  await Promise.all(states.map(fetch));
  for (;;) {
    const merged = states.flatMap((s) => s.kept).sort(compareEntries);
    const edge = merged.length >= wanted ? merged[wanted - 1]!.at.getTime() : Number.NEGATIVE_INFINITY;
    const incomplete = states.filter((s) => !s.exhausted && s.boundary >= edge);
    if (incomplete.length === 0) return merged.slice(0, wanted);
    await Promise.all(
      incomplete.map((s) => {
        s.first *= 2;
        if (s.first > MAX_SOURCE_FETCH) {
          throw new HistoryError(
            HistoryErrorCode.TIMELINE_SOURCE_FAILED,
            `The timeline source "${s.name}" keeps returning as many entries as asked for (over ${MAX_SOURCE_FETCH} by now), so no page can be made; it must return fewer than "first" when it has no more.`,
            { source: s.name },
          );
        }
        return fetch(s);
      }),
    );
  }
}

function toEntry(source: string, e: TimelineSourceEntry): TimelineEntry {
  const problem =
    !e || typeof e.id !== 'string' || e.id.length === 0
      ? 'an entry without an id'
      : !(e.at instanceof Date) || Number.isNaN(e.at.getTime())
        ? `entry "${e.id}" without a valid date`
        : !isTimelineCategory(e.category)
          ? `entry "${e.id}" with the unknown category "${String(e.category)}"`
          : typeof e.kind !== 'string' || typeof e.detail !== 'string'
            ? `entry "${e.id}" without a kind or detail text`
            : null;
  if (problem) throw new HistoryError(HistoryErrorCode.TIMELINE_SOURCE_FAILED, `The timeline source "${source}" returned ${problem}.`, { source });
  const reason = e.reason && e.reason.trim().length > 0 ? e.reason : null;
  return {
    id: `${source}:${e.id}`,
    source,
    at: new Date(e.at.getTime()),
    category: e.category,
    kind: e.kind,
    actor: e.actor ?? null,
    detail: e.detail,
    reason,
    text: reason ?? e.detail,
    fromVersion: e.fromVersion ?? null,
    toVersion: e.toVersion ?? null,
    reference: e.reference ?? null,
  };
}
