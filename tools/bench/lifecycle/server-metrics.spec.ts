import { collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { parseScrape, type ServerScrape, stallsBetween } from './server-metrics';

describe('lifecycle bench: reading the server /metrics', () => {
  it("reads the major GC pauses and the event-loop delay from prom-client's own output", async () => {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, prefix: 'modelport_' });
    // The GC histogram of the default metrics, filled as two major collections and a minor one would.
    const gc = registry.getSingleMetric('modelport_nodejs_gc_duration_seconds') as Histogram<'kind'>;
    gc.observe({ kind: 'major' }, 0.04);
    gc.observe({ kind: 'major' }, 0.02);
    gc.observe({ kind: 'minor' }, 0.5);
    const scrape = parseScrape(await registry.metrics(), 1234);
    expect(scrape.atMs).toBe(1234);
    expect(scrape.majorGcCount).toBe(2);
    expect(scrape.majorGcMs).toBeCloseTo(60, 6);
    expect(scrape.loopDelayMaxMs).toBeGreaterThanOrEqual(0);
  });

  it('counts no major collection before the first one, and names a missing metric', () => {
    const text = '# HELP x\nmodelport_nodejs_eventloop_lag_max_seconds{service="modelport"} 0.125\n';
    expect(parseScrape(text, 0)).toEqual({ atMs: 0, majorGcCount: 0, majorGcMs: 0, loopDelayMaxMs: 125 });
    expect(() => parseScrape('', 0)).toThrow('has no modelport_nodejs_eventloop_lag_max_seconds');
  });

  it('attributes the stalls of a span to the scrapes around it', () => {
    const at = (atMs: number, majorGcCount: number, majorGcMs: number, loopDelayMaxMs: number): ServerScrape => ({ atMs, majorGcCount, majorGcMs, loopDelayMaxMs });
    const scrapes = [at(0, 3, 90, 10), at(500, 3, 90, 12), at(1000, 4, 150, 95), at(1500, 4, 150, 11), at(2000, 4, 150, 9)];
    // 600–1400 ms: from the scrape at 500 to the one at 1500; the collection ended in between.
    expect(stallsBetween(scrapes, 600, 1400)).toEqual({ majorGcs: 1, majorGcMs: 60, loopDelayMaxMs: 95 });
    expect(stallsBetween(scrapes, 1500, 2000)).toEqual({ majorGcs: 0, majorGcMs: 0, loopDelayMaxMs: 9 });
    // Outside the scraped stretch: unknown, not zero.
    expect(stallsBetween(scrapes, 1800, 2500)).toBeNull();
    expect(stallsBetween(scrapes, -100, 400)).toBeNull();
  });
});
