import { classificationMetrics, type MonitoringSettings } from '@modelport/monitoring';
import { UNCOMPARABLE, UNLABELLED } from './outputs';
import { PairAccumulator, type StoredPair } from './pair-figures';

const tensor = (name: string, shape: number[], data: unknown[]) => ({ name, datatype: 'FP32', shape, data });

const multiclass: MonitoringSettings = { task: 'classification', labelOutput: 'label', probabilityOutput: 'proba', positiveClass: null, classes: ['a', 'b', 'c'] };

function pair(champion: string[], challenger: string[], extra: Partial<StoredPair> = {}): StoredPair {
  return {
    challengerStatus: 'ok',
    championLabel: tensor('label', [champion.length], champion),
    challengerLabel: tensor('label', [challenger.length], challenger),
    actuals: [],
    ...extra,
  };
}

describe('PairAccumulator', () => {
  it('compares labels as text per batch row, with macro metrics and multiclass probabilities on the same rows', () => {
    const acc = new PairAccumulator(multiclass, 2);
    const pChampion = [
      [0.7, 0.2, 0.1],
      [0.1, 0.8, 0.1],
    ];
    const pChallenger = [
      [0.6, 0.3, 0.1],
      [0.1, 0.1, 0.8],
    ];
    expect(
      acc.add(
        pair(['a', 'b'], ['a', 'c'], {
          championProbability: tensor('proba', [2, 3], pChampion),
          challengerProbability: tensor('proba', [2, 3], pChallenger.flat()),
          actuals: [
            { row: 0, valueNumber: null, valueLabel: 'a' },
            { row: 1, valueNumber: null, valueLabel: 'c' },
            { row: 2, valueNumber: null, valueLabel: 'a' },
          ],
        }),
      ),
    ).toBe(2);
    // A pair whose labels are numbers and text: 1, 1.0 and "1" are one label; "z" is not a class.
    acc.add({ challengerStatus: 'ok', championLabel: tensor('label', [2, 1], [1, 'z']), challengerLabel: tensor('label', [2, 1], ['1', 'z']), actuals: [{ row: 1, valueNumber: null, valueLabel: 'a' }, { row: 0, valueNumber: 1.0, valueLabel: null }] });
    const r = acc.result();
    expect(r).toMatchObject({ pairs: 2, comparedPairs: 2, rows: 4, unscorable: [], regression: null, outputs: null });
    expect(r.classification).toMatchObject({ rows: 4, agreeing: 3, agreementRate: 0.75, probabilityRows: 2 });
    // Top 2 label pairs by count, then by label.
    expect(r.classification!.confusion).toEqual([
      { champion: '1', challenger: '1', count: 1 },
      { champion: 'a', challenger: 'a', count: 1 },
    ]);
    expect(r.classification!.meanAbsProbabilityDifference).toBeCloseTo((0.1 + 0.1 + 0 + 0 + 0.7 + 0.7) / 6, 12);
    expect(r.accuracy!.labelledRows).toBe(2);
    expect(r.accuracy!.unscorable).toEqual([
      { reason: UNLABELLED.predictedNotClass, count: 1 },
      { reason: UNLABELLED.actualNotClass, count: 1 },
      { reason: UNLABELLED.rowOutside, count: 1 },
    ]);
    const expected = (predicted: string[], probabilities: number[][]) => classificationMetrics({ actual: ['a', 'c'], predicted, classes: multiclass.classes, probabilities });
    expect(r.accuracy!.classification!.champion).toEqual(expected(['a', 'b'], pChampion));
    expect(r.accuracy!.classification!.challenger).toEqual(expected(['a', 'c'], pChallenger));
    expect(r.accuracy!.classification!.champion.averaging).toBe('macro');
    expect(r.accuracy!.classification!.delta.accuracy).toBeCloseTo(0.5, 12);
  });

  it('leaves probabilities out of the metrics when some labelled row has none', () => {
    const acc = new PairAccumulator(multiclass);
    acc.add(pair(['a'], ['a'], { championProbability: tensor('proba', [1, 3], [1, 0, 0]), challengerProbability: tensor('proba', [1, 3], [1, 0, 0]), actuals: [{ row: 0, valueNumber: null, valueLabel: 'a' }] }));
    acc.add(pair(['b'], ['b'], { championProbability: tensor('proba', [1, 3], [0, 2, 0]), challengerProbability: tensor('proba', [1, 3], [0, 1, 0]), actuals: [{ row: 0, valueNumber: null, valueLabel: 'b' }] }));
    const r = acc.result();
    expect(r.classification!.probabilityRows).toBe(1);
    expect(r.accuracy!.classification!.champion).toMatchObject({ accuracy: 1, rocAuc: null, logLoss: null });
  });

  it('reads a binary model with one probability column as P(positive)', () => {
    const binary: MonitoringSettings = { task: 'classification', labelOutput: 'label', probabilityOutput: 'p', positiveClass: 'yes', classes: null };
    const acc = new PairAccumulator(binary);
    const rows: [string, string, number, number, string][] = [
      ['yes', 'yes', 0.9, 0.8, 'yes'],
      ['no', 'yes', 0.4, 0.6, 'no'],
      ['no', 'no', 0.2, 0.1, 'no'],
    ];
    for (const [c, h, pc, ph, actual] of rows) {
      acc.add(pair([c], [h], { championProbability: tensor('p', [1, 1], [pc]), challengerProbability: tensor('p', [1], [ph]), actuals: [{ row: 0, valueNumber: null, valueLabel: actual }] }));
    }
    const r = acc.result();
    expect(r.classification!.meanAbsProbabilityDifference).toBeCloseTo((0.1 + 0.2 + 0.1) / 3, 12);
    expect(r.accuracy!.classification!.champion).toEqual(
      classificationMetrics({ actual: ['yes', 'no', 'no'], predicted: ['yes', 'no', 'no'], positiveClass: 'yes', positiveProbability: [0.9, 0.4, 0.2] }),
    );
    expect(r.accuracy!.classification!.challenger).toMatchObject({ accuracy: 2 / 3, precision: 0.5, recall: 1, rocAuc: 1 });
  });

  it('counts the pairs it cannot compare, with why', () => {
    const acc = new PairAccumulator(multiclass);
    acc.add({ ...pair(['a'], ['a']), challengerStatus: 'error' });
    acc.add(pair(['a'], ['a', 'b']));
    acc.add({ ...pair(['a'], ['a']), championLabel: null });
    acc.add({ ...pair(['a'], ['a']), challengerLabel: tensor('label', [2], ['a']) });
    acc.add({ ...pair(['a'], ['a']), challengerLabel: tensor('label', [1, 2], ['a', 'b']) });
    acc.add({ ...pair(['a'], ['a']), challengerLabel: tensor('label', [1], [{ nested: true }]) });
    const r = acc.result();
    expect(r).toMatchObject({ pairs: 6, comparedPairs: 0, rows: 0, accuracy: null, classification: { rows: 0, agreementRate: null, confusion: [] } });
    expect(r.unscorable.map((u) => [u.reason, u.count])).toEqual(
      [
        [UNCOMPARABLE.batchDiffers, 1],
        [UNCOMPARABLE.challengerFailed, 1],
        [UNCOMPARABLE.notALabel('challenger', 'label'), 1],
        [UNCOMPARABLE.notOnePerRow('challenger', 'label'), 1],
        [UNCOMPARABLE.outputMalformed('challenger', 'label'), 1],
        [UNCOMPARABLE.outputMissing('champion', 'label'), 1],
      ].sort((a, b) => String(a[0]).localeCompare(String(b[0]))),
    );
  });

  it('gives regression differences and refuses labels for numbers', () => {
    const acc = new PairAccumulator({ task: 'regression', labelOutput: 'y', probabilityOutput: null, positiveClass: null, classes: null });
    const y = (values: unknown[]) => tensor('y', [values.length], values);
    acc.add({ challengerStatus: 'ok', championLabel: y([1, 2, 3]), challengerLabel: y([2, 2, 1]), actuals: [{ row: 0, valueNumber: 1, valueLabel: null }, { row: 1, valueNumber: null, valueLabel: 'x' }] });
    acc.add({ challengerStatus: 'ok', championLabel: y([1]), challengerLabel: y(['1']), actuals: [] });
    const r = acc.result();
    expect(r).toMatchObject({ comparedPairs: 1, rows: 3, unscorable: [{ reason: UNCOMPARABLE.notANumber('challenger', 'y'), count: 1 }] });
    // Differences +1, 0, -2.
    expect(r.regression).toEqual({ rows: 3, meanDifference: -1 / 3, stdDifference: Math.sqrt(((4 / 3) ** 2 + (1 / 3) ** 2 + (5 / 3) ** 2) / 3), p50AbsDifference: 1, p90AbsDifference: 1.8, p99AbsDifference: 1.98, maxAbsDifference: 2 });
    expect(r.accuracy).toMatchObject({ labelledRows: 1, unscorable: [{ reason: UNLABELLED.actualNotNumber, count: 1 }], regression: { champion: { rmse: 0 }, challenger: { rmse: 1 }, delta: { rmse: 1 } } });
  });

  it('without settings compares every common output elementwise, text as text', () => {
    const acc = new PairAccumulator(null);
    acc.add({ challengerStatus: 'ok', championOutputs: [tensor('n', [2], [1, 2]), { name: 't', shape: [2], data: ['x', 1] }], challengerOutputs: [tensor('n', [2], [1.5, 2]), { name: 't', shape: [2], data: ['x', '1'] }], actuals: [] });
    acc.add({ challengerStatus: 'ok', championOutputs: 'not a list', challengerOutputs: [tensor('n', [1], [0])], actuals: [{ row: 0, valueNumber: 1, valueLabel: null }] });
    const r = acc.result();
    expect(r).toMatchObject({ pairs: 2, comparedPairs: 1, accuracy: null, challengerOnlyOutputs: [], championOnlyOutputs: [] });
    expect(r.outputs).toEqual([
      { name: 'n', comparedPairs: 1, shapeDiffers: 0, elements: 2, equalElements: 1, equalShare: 0.5, numericElements: 2, meanAbsDifference: 0.25, maxAbsDifference: 0.5 },
      { name: 't', comparedPairs: 1, shapeDiffers: 0, elements: 2, equalElements: 2, equalShare: 1, numericElements: 0, meanAbsDifference: null, maxAbsDifference: null },
    ]);
  });
});
