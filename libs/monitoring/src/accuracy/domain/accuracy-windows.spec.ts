import { caught } from '@modelport/testing';
import { AccuracyErrorCode } from './accuracy.errors';
import { MAX_WINDOWS, planWindows, WindowAccumulator } from './accuracy-windows';
import type { MonitoringSettings } from './monitoring-settings';
import { UNSCORABLE, type JoinedActual } from './scoring';

const at = (iso: string) => new Date(iso);

describe('planWindows', () => {
  it('aligns windows to UTC and clips the first and last to the range', () => {
    const windows = planWindows(at('2026-11-02T09:30:00Z'), at('2026-11-02T12:00:00Z'), 'hour');
    expect(windows.map((w) => [w.start.toISOString(), w.end.toISOString()])).toEqual([
      ['2026-11-02T09:30:00.000Z', '2026-11-02T10:00:00.000Z'],
      ['2026-11-02T10:00:00.000Z', '2026-11-02T11:00:00.000Z'],
      ['2026-11-02T11:00:00.000Z', '2026-11-02T12:00:00.000Z'],
    ]);
    expect(windows[1]!.bucket * 3600_000).toBe(at('2026-11-02T10:00:00Z').getTime());
    expect(planWindows(at('2026-11-02T00:00:00Z'), at('2026-11-02T00:00:00.001Z'), 'day')).toHaveLength(1);
  });

  it('refuses an empty or reversed range and too many windows', async () => {
    for (const [from, to] of [
      ['2026-11-02T10:00:00Z', '2026-11-02T10:00:00Z'],
      ['2026-11-02T10:00:00Z', '2026-11-02T09:00:00Z'],
    ]) {
      const err = await caught(Promise.resolve().then(() => planWindows(at(from!), at(to!), 'hour')));
      expect(err.code).toBe(AccuracyErrorCode.INVALID_RANGE);
      expect(err.message).toMatch(/must be after from/);
    }
    const err = await caught(Promise.resolve().then(() => planWindows(at('2026-01-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), 'hour')));
    expect(err.message).toMatch(new RegExp(`1416 hour windows; at most ${MAX_WINDOWS}`));
    expect(planWindows(at('2026-01-01T00:00:00Z'), at('2026-03-01T00:00:00Z'), 'day')).toHaveLength(59);
  });
});

describe('WindowAccumulator', () => {
  const settings: MonitoringSettings = { task: 'classification', labelOutput: 'label', probabilityOutput: 'p', positiveClass: 'yes', classes: null };
  const actual = (label: string, predicted: string, p: number, payloadStored = true): JoinedActual => ({
    row: 0,
    valueNumber: null,
    valueLabel: label,
    prediction: {
      status: 'ok',
      payloadStored,
      labelTensor: payloadStored ? { name: 'label', shape: [1], data: [predicted] } : null,
      probabilityTensor: payloadStored ? { name: 'p', shape: [1, 1], data: [p] } : null,
    },
  });

  it('counts every actual as scored, without payload or unscorable (with reasons), and computes metrics and timeliness', () => {
    const w = new WindowAccumulator(settings);
    w.add(actual('yes', 'yes', 0.9), 10);
    w.add(actual('no', 'yes', 0.6), 20);
    w.add(actual('no', 'no', 0.2), 30);
    w.add(actual('yes', 'no', 0, false), 40);
    w.add({ ...actual('yes', 'yes', 1), prediction: null }, 50);
    const r = w.result(at('2026-11-02T09:00:00Z'), at('2026-11-02T10:00:00Z'), { predictions: 8, failedPredictions: 1, predictionsWithActuals: 4 });
    expect(r.counts).toEqual({ predictions: 8, failedPredictions: 1, predictionsWithActuals: 4, actuals: 5, scored: 3, withoutPayload: 1, unscorable: 1 });
    expect(r.unscorable).toEqual([{ reason: UNSCORABLE.predictionGone, count: 1 }]);
    expect(r.classification).toMatchObject({ accuracy: 2 / 3, precision: 0.5, recall: 1, rocAuc: 1, averaging: 'binary' });
    expect(r.regression).toBeNull();
    expect(r.timeliness).toEqual({ shareWithActuals: 0.5, medianDelaySeconds: 30, p90DelaySeconds: 46 });
  });

  it('has null metrics and shares for an empty window, and no metrics at all without settings', () => {
    const empty = new WindowAccumulator(settings).result(at('2026-11-02T09:00:00Z'), at('2026-11-02T10:00:00Z'), { predictions: 0, failedPredictions: 0, predictionsWithActuals: 0 });
    expect(empty.classification).toMatchObject({ accuracy: null, precision: null, recall: null, f1: null, rocAuc: null, logLoss: null });
    expect(empty.timeliness).toEqual({ shareWithActuals: null, medianDelaySeconds: null, p90DelaySeconds: null });
    const unset = new WindowAccumulator(null);
    unset.add(actual('yes', 'yes', 0.9), 5);
    const r = unset.result(at('2026-11-02T09:00:00Z'), at('2026-11-02T10:00:00Z'), { predictions: 1, failedPredictions: 0, predictionsWithActuals: 1 });
    expect([r.classification, r.regression, r.counts.unscorable, r.unscorable[0]?.reason]).toEqual([null, null, 1, UNSCORABLE.noSettings]);
  });
});
