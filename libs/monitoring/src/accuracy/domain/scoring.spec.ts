import type { MonitoringSettings } from './monitoring-settings';
import { scoreActual, tensorRow, UNSCORABLE, type JoinedActual } from './scoring';

const binary: MonitoringSettings = { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] };
const multiclass: MonitoringSettings = { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: null, classes: ['setosa', 'versicolor', 'virginica'] };
const regression: MonitoringSettings = { task: 'regression', labelOutput: 'prediction', probabilityOutput: null, positiveClass: null, classes: null };

const tensor = (name: string, datatype: string, shape: number[], data: unknown[]) => ({ name, datatype, shape, data });

function joined(over: Partial<JoinedActual> & { label?: unknown; probabilities?: unknown; status?: string; payloadStored?: boolean } = {}): JoinedActual {
  return {
    row: over.row ?? 0,
    valueNumber: over.valueNumber ?? null,
    valueLabel: over.valueLabel === undefined ? '1' : over.valueLabel,
    prediction:
      over.prediction === null
        ? null
        : {
            status: over.status ?? 'ok',
            payloadStored: over.payloadStored ?? true,
            labelTensor: over.label === undefined ? tensor('label', 'INT64', [2], [1, 0]) : over.label,
            probabilityTensor: over.probabilities === undefined ? tensor('probabilities', 'FP32', [2, 2], [0.2, 0.8, 0.7, 0.3]) : over.probabilities,
          },
  };
}

describe('tensorRow', () => {
  it('reads row r of a row-major tensor, also from nested data and scalars', () => {
    expect(tensorRow(tensor('p', 'FP32', [3, 2], [1, 2, 3, 4, 5, 6]), 'p', 1)).toEqual({ values: [3, 4] });
    expect(tensorRow(tensor('p', 'FP32', [2, 2], [[1, 2], [3, 4]]), 'p', 1)).toEqual({ values: [3, 4] });
    expect(tensorRow(tensor('p', 'FP32', [], [7]), 'p', 0)).toEqual({ values: [7] });
    expect(tensorRow(tensor('p', 'FP32', [2, 1, 3], [1, 2, 3, 4, 5, 6]), 'p', 1)).toEqual({ values: [4, 5, 6] });
  });

  it('says what is wrong with a missing, malformed or too short tensor', () => {
    expect(tensorRow(null, 'p', 0)).toEqual({ reason: UNSCORABLE.outputMissing('p') });
    expect(tensorRow(tensor('p', 'FP32', [2, 2], [1, 2, 3]), 'p', 0)).toEqual({ reason: UNSCORABLE.outputMalformed('p') });
    expect(tensorRow({ name: 'p', data: [1] }, 'p', 0)).toEqual({ reason: UNSCORABLE.outputMalformed('p') });
    expect(tensorRow(tensor('p', 'FP32', [2], [1, 2]), 'p', 2)).toEqual({ reason: UNSCORABLE.rowOutside });
  });
});

describe('scoreActual', () => {
  it('pairs a binary label with P(positive) from the class-ordered columns, or from a single column', () => {
    expect(scoreActual(binary, joined())).toEqual({ kind: 'classification', actual: '1', predicted: '1', positiveProbability: 0.8, probabilities: null });
    expect(scoreActual(binary, joined({ row: 1, valueLabel: null, valueNumber: 0 }))).toMatchObject({ actual: '0', predicted: '0', positiveProbability: 0.3 });
    const single = { ...binary, classes: null };
    expect(scoreActual(single, joined({ probabilities: tensor('probabilities', 'FP32', [2, 1], [0.9, 0.1]) }))).toMatchObject({ positiveProbability: 0.9 });
    expect(scoreActual(single, joined())).toEqual({ kind: 'unscorable', reason: UNSCORABLE.probabilityColumns('probabilities') });
  });

  it('pairs a multiclass label with its probability vector; string labels from BYTES tensors', () => {
    const j = joined({
      valueLabel: 'virginica',
      label: tensor('label', 'BYTES', [1], ['virginica']),
      probabilities: tensor('probabilities', 'FP32', [1, 3], [0.1, 0.2, 0.7]),
    });
    expect(scoreActual(multiclass, j)).toEqual({ kind: 'classification', actual: 'virginica', predicted: 'virginica', positiveProbability: null, probabilities: [0.1, 0.2, 0.7] });
    expect(scoreActual(multiclass, { ...j, valueLabel: 'rose' })).toEqual({ kind: 'unscorable', reason: UNSCORABLE.actualNotClass });
    expect(scoreActual({ ...multiclass, probabilityOutput: null }, j)).toMatchObject({ kind: 'classification', probabilities: null });
  });

  it('pairs a regression value with a numeric actual', () => {
    const j = joined({ valueLabel: null, valueNumber: 3.5, label: tensor('prediction', 'FP32', [2, 1], [3.25, 9]) });
    expect(scoreActual(regression, j)).toEqual({ kind: 'regression', actual: 3.5, predicted: 3.25 });
    expect(scoreActual(regression, { ...j, valueNumber: null, valueLabel: 'high' })).toEqual({ kind: 'unscorable', reason: UNSCORABLE.actualNotNumber });
    expect(scoreActual(regression, joined({ valueNumber: 1, valueLabel: null, label: tensor('prediction', 'BYTES', [1], ['x']) }))).toEqual({
      kind: 'unscorable',
      reason: UNSCORABLE.notANumber('prediction'),
    });
  });

  it('never scores silently what it cannot: each case has its reason', () => {
    expect(scoreActual(null, joined())).toEqual({ kind: 'unscorable', reason: UNSCORABLE.noSettings });
    expect(scoreActual(binary, joined({ prediction: null }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.predictionGone });
    expect(scoreActual(binary, joined({ status: 'error' }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.predictionFailed });
    expect(scoreActual(binary, joined({ payloadStored: false, label: null, probabilities: null }))).toEqual({ kind: 'withoutPayload' });
    expect(scoreActual(binary, joined({ label: null }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.outputMissing('label') });
    expect(scoreActual(binary, joined({ row: 5 }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.rowOutside });
    expect(scoreActual(binary, joined({ label: tensor('label', 'FP32', [1, 2], [0.1, 0.9]) }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.notOnePerRow('label') });
    expect(scoreActual(binary, joined({ label: tensor('label', 'INT64', [1], [7]) }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.predictedNotClass });
    expect(scoreActual(binary, joined({ probabilities: tensor('probabilities', 'FP32', [2, 2], [2.5, -1, 0, 1]) }))).toEqual({
      kind: 'unscorable',
      reason: UNSCORABLE.probabilityRange('probabilities'),
    });
    expect(scoreActual(binary, joined({ label: tensor('label', 'INT64', [1], [{ x: 1 }]) }))).toEqual({ kind: 'unscorable', reason: UNSCORABLE.notALabel('label') });
  });
});
