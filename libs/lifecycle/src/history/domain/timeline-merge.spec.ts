import { caught, seededRandom } from '@modelport/testing';
import { HistoryErrorCode } from './history.errors';
import { compareEntries, mergeTimeline, type MergeRequest, type TimelinePosition } from './timeline-merge';
import type { TimelineCategory, TimelineEntry, TimelineRange, TimelineSource, TimelineSourceEntry } from './timeline.types';

const T0 = Date.parse('2026-11-02T09:00:00Z');

function entry(id: string, atMs: number, category: TimelineCategory = 'DEPLOYMENT', extra: Partial<TimelineSourceEntry> = {}): TimelineSourceEntry {
  return { id, at: new Date(atMs), category, kind: 'k', actor: null, detail: `detail ${id}`, reason: null, fromVersion: null, toVersion: null, reference: null, ...extra };
}

/** Honours the contract in the least helpful way: the newest `first` by time, entries of one millisecond in random order. */
function shufflingSource(all: TimelineSourceEntry[], random: () => number, calls: TimelineRange[] = []): TimelineSource {
  return async (_deploymentId, range) => {
    calls.push(range);
    const inRange = all.filter((e) => (!range.from || e.at >= range.from) && (!range.to || e.at < range.to));
    const keyed = inRange.map((e) => ({ e, k: random() }));
    keyed.sort((a, b) => b.e.at.getTime() - a.e.at.getTime() || a.k - b.k);
    return keyed.slice(0, range.first).map((x) => x.e);
  };
}

const request = (over: Partial<MergeRequest>): MergeRequest => ({ deploymentId: 'd', from: null, to: null, categories: null, limit: 10, after: null, ...over });

async function allPages(sources: Map<string, TimelineSource>, limit: number, over: Partial<MergeRequest> = {}): Promise<TimelineEntry[]> {
  const out: TimelineEntry[] = [];
  let after: TimelinePosition | null = null;
  for (let page = 0; page < 1000; page++) {
    const got = await mergeTimeline(sources, request({ ...over, limit, after }));
    const items = got.slice(0, limit);
    out.push(...items);
    if (got.length <= limit) return out;
    const last = items[items.length - 1]!;
    after = { at: last.at.getTime(), id: last.id };
  }
  throw new Error('paging did not end');
}

describe('mergeTimeline', () => {
  it('merges sources newest first, prefixing ids with the source name and preferring the reason as text', async () => {
    const sources = new Map<string, TimelineSource>([
      ['a', async () => [entry('1', T0 + 10), entry('2', T0 + 30, 'VERSION', { reason: 'better model' })]],
      ['b', async () => [entry('x', T0 + 20, 'ALERT'), entry('y', T0 + 30)]],
    ]);
    const got = await mergeTimeline(sources, request({}));
    expect(got.map((e) => e.id)).toEqual(['b:y', 'a:2', 'b:x', 'a:1']);
    expect(got[1]).toMatchObject({ source: 'a', category: 'VERSION', text: 'better model', detail: 'detail 2', reason: 'better model' });
    expect(got[0]).toMatchObject({ source: 'b', text: 'detail y', reason: null });
  });

  it('pages through many entries sharing milliseconds, across sources, without losing or repeating one', async () => {
    const random = seededRandom(7);
    const make = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => entry(`${prefix}${String(i).padStart(3, '0')}`, T0 + Math.floor(random() * 12)));
    const a = make('a', 40);
    const b = make('b', 25);
    const c = make('c', 3);
    const sources = new Map<string, TimelineSource>([
      ['one', shufflingSource(a, random)],
      ['two', shufflingSource(b, random)],
      ['three', shufflingSource(c, random)],
      ['empty', async () => []],
    ]);
    const expected = [...a.map((e) => ({ ...e, id: `one:${e.id}` })), ...b.map((e) => ({ ...e, id: `two:${e.id}` })), ...c.map((e) => ({ ...e, id: `three:${e.id}` }))]
      .sort(compareEntries)
      .map((e) => e.id);
    for (const limit of [1, 2, 3, 7, 50, 100]) {
      const ids = (await allPages(sources, limit)).map((e) => e.id);
      expect(ids).toEqual(expected);
    }
  });

  it('asks a source again for more when its answer was cut inside the page', async () => {
    const tied = Array.from({ length: 12 }, (_, i) => entry(`t${String(i).padStart(2, '0')}`, T0 + 5));
    const calls: TimelineRange[] = [];
    const sources = new Map<string, TimelineSource>([['s', shufflingSource([...tied, entry('old', T0)], seededRandom(3), calls)]]);
    const got = await mergeTimeline(sources, request({ limit: 2 }));
    expect(got.map((e) => e.id)).toEqual(['s:t11', 's:t10', 's:t09']);
    expect(calls.map((c) => c.first)).toEqual([3, 6, 12, 24]);
  });

  it('copes with a source that ignores first and returns everything', async () => {
    const all = Array.from({ length: 30 }, (_, i) => entry(String(i).padStart(2, '0'), T0 + (i % 4)));
    const sources = new Map<string, TimelineSource>([['all', async () => all]]);
    const ids = (await allPages(sources, 4)).map((e) => e.id);
    expect(ids).toEqual(all.map((e) => ({ ...e, id: `all:${e.id}` })).sort(compareEntries).map((e) => e.id));
  });

  it('keeps only the range [from, to) and the wanted categories, and passes both to the sources', async () => {
    const calls: TimelineRange[] = [];
    const all = [entry('1', T0, 'VERSION'), entry('2', T0 + 1000, 'ALERT'), entry('3', T0 + 2000, 'VERSION'), entry('4', T0 + 3000, 'VERSION')];
    // This source ignores the range and the categories: the merge still applies them.
    const sources = new Map<string, TimelineSource>([
      [
        's',
        async (_d, range) => {
          calls.push(range);
          return all;
        },
      ],
    ]);
    const got = await mergeTimeline(sources, request({ from: new Date(T0 + 1000), to: new Date(T0 + 3000), categories: ['VERSION'] }));
    expect(got.map((e) => e.id)).toEqual(['s:3']);
    expect(calls[0]).toMatchObject({ from: new Date(T0 + 1000), to: new Date(T0 + 3000), categories: ['VERSION'], first: 11 });
  });

  it('narrows the range given to sources to the cursor (to = cursor time + 1 ms)', async () => {
    const calls: TimelineRange[] = [];
    const sources = new Map<string, TimelineSource>([['s', shufflingSource([entry('1', T0), entry('2', T0 + 5)], seededRandom(1), calls)]]);
    const got = await mergeTimeline(sources, request({ after: { at: T0 + 5, id: 's:2' }, to: new Date(T0 + 60_000) }));
    expect(got.map((e) => e.id)).toEqual(['s:1']);
    expect(calls[0]!.to).toEqual(new Date(T0 + 6));
  });

  it('refuses an entry it cannot place, naming the source', async () => {
    const bad = new Map<string, TimelineSource>([['broken', async () => [entry('1', Number.NaN)]]]);
    const err = await caught(mergeTimeline(bad, request({})));
    expect(err.code).toBe(HistoryErrorCode.TIMELINE_SOURCE_FAILED);
    expect(err.message).toContain('"broken"');
    const badCategory = new Map<string, TimelineSource>([['odd', async () => [entry('1', T0, 'NOPE' as TimelineCategory)]]]);
    expect((await caught(mergeTimeline(badCategory, request({})))).message).toContain('unknown category "NOPE"');
  });
});
