// Reads the server's own /metrics while the load runs: its garbage-collection pauses and event-loop stalls, so a
// slow stretch of requests can be told apart as "the server process stood still" or not.

/** One scrape of the server's /metrics, on the load run's clock. */
export interface ServerScrape {
  /** ms since the run started, when the answer came back. */
  readonly atMs: number;
  /** Major (mark-compact) collections since the server started, and their total pause. */
  readonly majorGcCount: number;
  readonly majorGcMs: number;
  /** The longest event-loop delay since the previous scrape (prom-client resets it on each scrape), ms. */
  readonly loopDelayMaxMs: number;
}

/** What the server did between two points of the run, read from the scrapes around them. */
export interface ServerStalls {
  /** Major collections that ended in the span (give or take one scrape interval on each side). */
  readonly majorGcs: number;
  readonly majorGcMs: number;
  /** The longest event-loop delay reported by the scrapes covering the span, ms. */
  readonly loopDelayMaxMs: number;
}

const metric = (text: string, name: string, kind?: string, absent?: number): number => {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (kind !== undefined && !line.includes(`kind="${kind}"`)) continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) return value;
  }
  if (absent !== undefined) return absent;
  throw new Error(`the server's /metrics has no ${name}${kind ? ` of kind "${kind}"` : ''}`);
};

/** Parses the three figures of a scrape from a Prometheus text answer (prefix `modelport_`). */
export function parseScrape(text: string, atMs: number): ServerScrape {
  return {
    atMs,
    // A kind appears once the first collection of that kind happened.
    majorGcCount: metric(text, 'modelport_nodejs_gc_duration_seconds_count', 'major', 0),
    majorGcMs: metric(text, 'modelport_nodejs_gc_duration_seconds_sum', 'major', 0) * 1000,
    loopDelayMaxMs: metric(text, 'modelport_nodejs_eventloop_lag_max_seconds') * 1000,
  };
}

/**
 * Scrapes `<url>/metrics` every `everyMs` (one scrape at a time) until stopped; `now` is the run's clock.
 * A failed scrape stops the sampler with that error (returned by `stop`).
 */
export function scrapeServer(url: string, now: () => number, everyMs: number): { stop(): Promise<ServerScrape[]> } {
  const scrapes: ServerScrape[] = [];
  let stopped = false;
  let failure: Error | null = null;
  let timer: NodeJS.Timeout | null = null;
  let inFlight: Promise<void> = Promise.resolve();
  const once = async () => {
    const res = await fetch(`${url}/metrics`);
    const text = await res.text();
    if (!res.ok) throw new Error(`GET /metrics answered HTTP ${res.status}: ${text.slice(0, 200)}`);
    scrapes.push(parseScrape(text, now()));
  };
  const tick = () => {
    inFlight = once().then(
      () => {
        if (!stopped) timer = setTimeout(tick, everyMs);
      },
      (err: unknown) => {
        failure = err instanceof Error ? err : new Error(String(err));
      },
    );
  };
  tick();
  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await inFlight;
      if (failure) throw failure;
      return scrapes;
    },
  };
}

/**
 * The server's stalls between `fromMs` and `toMs`: majors counted from the last scrape at or before `fromMs` to the
 * first at or after `toMs`, and the longest loop delay of the scrapes that cover the span.
 */
export function stallsBetween(scrapes: readonly ServerScrape[], fromMs: number, toMs: number): ServerStalls | null {
  const before = [...scrapes].reverse().find((s) => s.atMs <= fromMs);
  const afterIndex = scrapes.findIndex((s) => s.atMs >= toMs);
  if (!before || afterIndex < 0) return null;
  const after = scrapes[afterIndex]!;
  const covering = scrapes.filter((s, i) => s.atMs > fromMs && i <= afterIndex);
  return {
    majorGcs: after.majorGcCount - before.majorGcCount,
    majorGcMs: after.majorGcMs - before.majorGcMs,
    loopDelayMaxMs: covering.reduce((max, s) => Math.max(max, s.loopDelayMaxMs), 0),
  };
}
