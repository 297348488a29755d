import type { Caller } from '@modelport/governance';
import type { SeriesRows } from '../persistence/health.store';
import { HealthError } from './health.errors';
import { buildSeries, HealthService } from './health.service';
import { HealthResolution, healthWindow } from './health.types';
import { latencyBucket } from './latency-histogram';

const D = '11111111-1111-4111-8111-111111111111';
const at = (iso: string) => new Date(iso);

describe('healthWindow', () => {
  it('aligns [from, to) outward to whole points in UTC', () => {
    const w = healthWindow({ from: at('2026-11-27T10:15:30Z'), to: at('2026-11-27T12:00:01Z'), resolution: HealthResolution.HOUR });
    expect(w).toEqual({
      from: at('2026-11-27T10:00:00Z'),
      to: at('2026-11-27T13:00:00Z'),
      resolution: HealthResolution.HOUR,
      stepSeconds: 3600,
      points: 3,
      modelVersionId: null,
    });
    expect(healthWindow({ from: at('2026-11-27T10:15:00Z'), to: at('2026-11-27T10:20:00Z'), resolution: HealthResolution.MINUTE }).points).toBe(5);
    expect(healthWindow({ from: at('2026-11-27T10:15:00Z'), to: at('2026-11-28T10:15:00Z'), resolution: HealthResolution.DAY })).toMatchObject({
      from: at('2026-11-27T00:00:00Z'),
      to: at('2026-11-29T00:00:00Z'),
      points: 2,
    });
  });

  it('refuses from >= to, too many points (naming a resolution that fits), bad dates and bad version ids', () => {
    const refusal = (query: Parameters<typeof healthWindow>[0]) => {
      try {
        healthWindow(query);
      } catch (err) {
        expect(err).toBeInstanceOf(HealthError);
        return err as HealthError;
      }
      throw new Error('expected a HealthError');
    };
    const same = refusal({ from: at('2026-11-27T10:00:00Z'), to: at('2026-11-27T10:00:00Z'), resolution: HealthResolution.MINUTE });
    expect(same).toMatchObject({ kind: 'BAD_USER_INPUT', code: 'INVALID_HEALTH_QUERY', details: { field: 'from' } });
    expect(same.message).toBe('from (2026-11-27T10:00:00.000Z) must be before to (2026-11-27T10:00:00.000Z).');
    const tooMany = refusal({ from: at('2026-11-20T00:00:00Z'), to: at('2026-11-27T00:00:00Z'), resolution: HealthResolution.MINUTE });
    expect(tooMany.message).toBe('A window of 7 days at MINUTE resolution has 10080 points; at most 1440 are returned. Use resolution HOUR or a shorter window.');
    expect(tooMany.details).toMatchObject({ field: 'resolution', points: 10080, maxPoints: 1440 });
    expect(healthWindow({ from: at('2026-11-26T00:00:00Z'), to: at('2026-11-27T00:00:00Z'), resolution: HealthResolution.MINUTE }).points).toBe(1440);
    expect(refusal({ from: new Date(NaN), to: at('2026-11-27T00:00:00Z'), resolution: HealthResolution.MINUTE }).details).toMatchObject({ field: 'from' });
    expect(refusal({ from: at('2026-11-26T00:00:00Z'), to: at('2026-11-27T00:00:00Z'), resolution: 'WEEK' as HealthResolution }).details).toMatchObject({ field: 'resolution' });
    expect(refusal({ from: at('2026-11-26T00:00:00Z'), to: at('2026-11-27T00:00:00Z'), resolution: HealthResolution.DAY, modelVersionId: 'v1' }).message).toBe(
      'modelVersionId must be the id of a model version (a UUID), not "v1".',
    );
  });
});

describe('buildSeries', () => {
  const window = healthWindow({ from: at('2026-11-27T10:00:00Z'), to: at('2026-11-27T10:03:00Z'), resolution: HealthResolution.MINUTE });
  const rows: SeriesRows = {
    bins: [
      { start: at('2026-11-27T10:00:00Z'), requests: 4, predictions: 6, errors4xx: 1, errors5xx: 0, latencySumUs: 4000, latencyMaxUs: 1500 },
      { start: at('2026-11-27T10:02:00Z'), requests: 2, predictions: 0, errors4xx: 0, errors5xx: 2, latencySumUs: 20_000, latencyMaxUs: 12_000 },
    ],
    buckets: [
      { start: at('2026-11-27T10:00:00Z'), bucket: latencyBucket(500), count: 1 },
      { start: at('2026-11-27T10:00:00Z'), bucket: latencyBucket(1000), count: 2 },
      { start: at('2026-11-27T10:00:00Z'), bucket: latencyBucket(1500), count: 1 },
      { start: at('2026-11-27T10:02:00Z'), bucket: latencyBucket(8000), count: 1 },
      { start: at('2026-11-27T10:02:00Z'), bucket: latencyBucket(12_000), count: 1 },
    ],
    consumers: [
      { start: at('2026-11-27T10:00:00Z'), consumers: 2 },
      { start: at('2026-11-27T10:02:00Z'), consumers: 1 },
    ],
    totalConsumers: 2,
  };

  it('returns every point, empty ones with zero counts and null latencies, and totals over the window', () => {
    const series = buildSeries(D, window, rows);
    expect(series.points.map((p) => [p.start.toISOString(), p.end.toISOString(), p.requests])).toEqual([
      ['2026-11-27T10:00:00.000Z', '2026-11-27T10:01:00.000Z', 4],
      ['2026-11-27T10:01:00.000Z', '2026-11-27T10:02:00.000Z', 0],
      ['2026-11-27T10:02:00.000Z', '2026-11-27T10:03:00.000Z', 2],
    ]);
    expect(series.points[1]).toMatchObject({ errorRate: 0, distinctConsumers: 0, latencyMeanUs: null, latencyP99Us: null, latencyMaxUs: null });
    expect(series.points[0]).toMatchObject({ predictions: 6, errorRate: 0.25, errorRate4xx: 0.25, errorRate5xx: 0, distinctConsumers: 2, latencyMeanUs: 1000, latencyMaxUs: 1500 });
    expect(series.points[0]!.latencyP50Us).toBeCloseTo(1000, -2);
    expect(series.totals).toMatchObject({ requests: 6, predictions: 6, errors4xx: 1, errors5xx: 2, errorRate: 0.5, distinctConsumers: 2, latencyMeanUs: 4000, latencyMaxUs: 12_000 });
    // Nearest rank 6 of 6 is the slowest request; the maximum caps the estimate.
    expect(series.totals.latencyP99Us).toBe(12_000);
  });
});

describe('HealthService.series', () => {
  const caller = {} as Caller;
  const reads = () => {
    const calls: unknown[] = [];
    return {
      calls,
      store: {
        seriesRows: async (...args: unknown[]) => {
          calls.push(args);
          return { bins: [], buckets: [], consumers: [], totalConsumers: 0 };
        },
        metricsSnapshot: async () => ({ totals: [], recentBuckets: [], recentMax: [], recentConsumers: [] }),
        backfill: async () => ({ from: new Date(0), to: new Date(0), minutes: 0, requests: 0 }),
      },
    };
  };

  it('checks the arguments before the deployment, and the deployment before reading rollups', async () => {
    const { store, calls } = reads();
    const looked: string[] = [];
    const notFound = new Error('NOT_FOUND');
    const service = new HealthService(store, {
      get: async (_c, id) => {
        looked.push(id);
        if (id !== D) throw notFound;
        return { id };
      },
    });
    const query = { from: at('2026-11-27T10:00:00Z'), to: at('2026-11-27T11:00:00Z'), resolution: HealthResolution.MINUTE };
    await expect(service.series(caller, { deploymentId: 'other', ...query, to: query.from })).rejects.toBeInstanceOf(HealthError);
    expect(looked).toEqual([]);
    await expect(service.series(caller, { deploymentId: 'other', ...query })).rejects.toBe(notFound);
    expect(calls).toEqual([]);
    const series = await service.series(caller, { deploymentId: D, ...query });
    expect(series.points).toHaveLength(60);
    expect(calls).toHaveLength(1);
  });

  it('refuses a backfill whose window is empty, and aligns it to whole minutes', async () => {
    const { store } = reads();
    const asked: unknown[] = [];
    const service = new HealthService({ ...store, backfill: async (...args) => (asked.push(args), { from: args[0], to: args[1], minutes: 0, requests: 0 }) }, { get: async () => ({ id: D }) });
    await expect(service.backfill(at('2026-11-27T10:00:00Z'), at('2026-11-27T09:00:00Z'))).rejects.toMatchObject({ code: 'INVALID_BACKFILL' });
    await service.backfill(at('2026-11-27T10:00:30Z'), at('2026-11-27T10:05:01Z'), D);
    expect(asked).toEqual([[at('2026-11-27T10:00:00Z'), at('2026-11-27T10:06:00Z'), D]]);
  });

  it('gives /metrics the totals, recent latency quantiles and consumers per deployment name', async () => {
    const { store } = reads();
    const since: Date[] = [];
    const service = new HealthService(
      {
        ...store,
        metricsSnapshot: async (active, recent) => {
          since.push(active, recent);
          return {
            totals: [
              { name: 'a', requests: 10, predictions: 12, errors4xx: 1, errors5xx: 2 },
              { name: 'quiet', requests: 3, predictions: 3, errors4xx: 0, errors5xx: 0 },
            ],
            recentBuckets: [{ name: 'a', bucket: latencyBucket(20), count: 10 }],
            recentMax: [{ name: 'a', latencyMaxUs: 20 }],
            recentConsumers: [{ name: 'a', consumers: 2 }],
          };
        },
      },
      { get: async () => ({ id: D }) },
      { now: () => at('2026-11-27T10:15:42Z') },
    );
    expect(await service.metrics()).toEqual([
      { deployment: 'a', requests: 10, predictions: 12, errors4xx: 1, errors5xx: 2, latencyUs: { p50: 20, p90: 20, p95: 20, p99: 20 }, consumers: 2 },
      { deployment: 'quiet', requests: 3, predictions: 3, errors4xx: 0, errors5xx: 0, latencyUs: null, consumers: 0 },
    ]);
    expect(since).toEqual([at('2026-11-26T10:15:42Z'), at('2026-11-27T10:11:00Z')]);
  });
});
