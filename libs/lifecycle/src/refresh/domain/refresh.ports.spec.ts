import type { DataSource } from 'typeorm';
import type { AccuracyService, DriftService } from '@modelport/monitoring';
import { monitoringRefreshSignals } from './refresh.ports';

const NOW = new Date('2026-11-02T10:00:00Z');

describe('monitoringRefreshSignals', () => {
  function signals(options: { deployment?: { model_version_id: string } | null; status?: string | null; metrics?: { classification?: object | null; regression?: object | null } }) {
    const reportCalls: unknown[][] = [];
    const accuracyCalls: unknown[][] = [];
    const db = { query: async () => (options.deployment ? [options.deployment] : []) } as unknown as DataSource;
    const drift = {
      reportOf: async (...args: unknown[]) => {
        reportCalls.push(args);
        return { report: options.status === null || options.status === undefined ? null : { status: options.status } };
      },
    } as unknown as Pick<DriftService, 'reportOf'>;
    const accuracy = {
      accuracyOver: async (...args: unknown[]) => {
        accuracyCalls.push(args);
        return { classification: options.metrics?.classification ?? null, regression: options.metrics?.regression ?? null };
      },
    } as unknown as Pick<AccuracyService, 'accuracyOver'>;
    return { ports: monitoringRefreshSignals(db, drift, accuracy, { now: () => NOW }), reportCalls, accuracyCalls };
  }

  it("reads the champion's drift status over the last 24 hours; unknown or no report is null", async () => {
    const red = signals({ deployment: { model_version_id: 'v7' }, status: 'red' });
    expect(await red.ports.driftStatus('d1')).toBe('red');
    expect(red.reportCalls).toEqual([['d1', 'v7', new Date('2026-11-01T10:00:00Z'), NOW]]);
    expect(await signals({ deployment: { model_version_id: 'v7' }, status: 'amber' }).ports.driftStatus('d1')).toBe('amber');
    expect(await signals({ deployment: { model_version_id: 'v7' }, status: 'unknown' }).ports.driftStatus('d1')).toBeNull();
    expect(await signals({ deployment: { model_version_id: 'v7' }, status: null }).ports.driftStatus('d1')).toBeNull();
    const gone = signals({ deployment: null, status: 'red' });
    expect(await gone.ports.driftStatus('d1')).toBeNull();
    expect(gone.reportCalls).toEqual([]);
  });

  it('reads a metric over the window, from classification or regression results; missing or not finite is null', async () => {
    const f1 = signals({ metrics: { classification: { f1: 0.61, accuracy: 0.7 } } });
    expect(await f1.ports.accuracy('d1', 'f1', 7)).toBe(0.61);
    expect(f1.accuracyCalls).toEqual([['d1', new Date('2026-10-26T10:00:00Z'), NOW]]);
    expect(await signals({ metrics: { regression: { rmse: 2.5 } } }).ports.accuracy('d1', 'rmse', 1)).toBe(2.5);
    expect(await signals({ metrics: { classification: { f1: null } } }).ports.accuracy('d1', 'f1', 1)).toBeNull();
    expect(await signals({ metrics: { regression: { r2: Number.NaN } } }).ports.accuracy('d1', 'r2', 1)).toBeNull();
    expect(await signals({ metrics: {} }).ports.accuracy('d1', 'f1', 1)).toBeNull();
  });
});
