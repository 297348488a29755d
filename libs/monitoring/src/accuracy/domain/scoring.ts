import { labelText } from './actual-input';
import type { MonitoringSettings } from './monitoring-settings';

/** An actual matched to a prediction, with what the prediction log holds of it. */
export interface JoinedActual {
  readonly row: number;
  readonly valueNumber: number | null;
  readonly valueLabel: string | null;
  /** Null when the prediction is no longer in the log (retention deleted it). */
  readonly prediction: {
    readonly status: string;
    readonly payloadStored: boolean;
    /** The stored output tensor named by labelOutput (V2 JSON form), or null when absent. */
    readonly labelTensor: unknown;
    /** The stored output tensor named by probabilityOutput, or null. */
    readonly probabilityTensor: unknown;
  } | null;
}

export type ScoredPair =
  | { readonly kind: 'classification'; readonly actual: string; readonly predicted: string; readonly positiveProbability: number | null; readonly probabilities: readonly number[] | null }
  | { readonly kind: 'regression'; readonly actual: number; readonly predicted: number };

/** Why an actual was not scored. `withoutPayload` is counted apart: it is the deployment's payload policy, not an error. */
export type Unscored = { readonly kind: 'withoutPayload' } | { readonly kind: 'unscorable'; readonly reason: string };

/** Reasons are few fixed texts (they are counted per window), naming outputs but never values. */
export const UNSCORABLE = {
  noSettings: 'the deployment has no monitoring settings (set them with setDeploymentMonitoringSettings)',
  predictionGone: 'the prediction is no longer in the prediction log (retention)',
  predictionFailed: 'the prediction failed, so it has no output',
  outputMissing: (name: string) => `output "${name}" is not among the stored outputs`,
  outputMalformed: (name: string) => `output "${name}" is not a tensor whose data matches its shape`,
  rowOutside: "the actual's row is outside the prediction's batch",
  notOnePerRow: (name: string) => `output "${name}" has more than one value per row; it must hold one label or number per row`,
  notALabel: (name: string) => `output "${name}" holds a value that is not a label`,
  notANumber: (name: string) => `output "${name}" holds a value that is not a number`,
  actualNotNumber: 'the actual is a label; a regression needs numbers',
  actualNotClass: 'the actual label is not one of the configured classes',
  predictedNotClass: 'the predicted label is not one of the configured classes',
  probabilityColumns: (name: string) => `output "${name}" has a column count that does not match classes (set classes in the order of its columns)`,
  probabilityRange: (name: string) => `output "${name}" holds values outside 0..1 (not probabilities)`,
} as const;

type RowValues = { readonly values: readonly unknown[] } | { readonly reason: string };

/** The values of one row of a V2 JSON tensor: data is row-major over shape [batch, ...]. */
export function tensorRow(tensor: unknown, name: string, row: number): RowValues {
  if (tensor === null || tensor === undefined) return { reason: UNSCORABLE.outputMissing(name) };
  const { shape, data } = tensor as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !Array.isArray(data) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return { reason: UNSCORABLE.outputMalformed(name) };
  }
  const flat = data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : data;
  const dims = shape as number[];
  const batch = dims.length === 0 ? 1 : dims[0]!;
  const width = dims.slice(1).reduce((a, b) => a * b, 1);
  if (flat.length !== batch * width) return { reason: UNSCORABLE.outputMalformed(name) };
  if (row >= batch) return { reason: UNSCORABLE.rowOutside };
  return { values: flat.slice(row * width, (row + 1) * width) };
}

function probabilitiesOf(values: readonly unknown[], name: string): number[] | { reason: string } {
  const out: number[] = [];
  for (const v of values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { reason: UNSCORABLE.notANumber(name) };
    if (v < 0 || v > 1) return { reason: UNSCORABLE.probabilityRange(name) };
    out.push(v);
  }
  return out;
}

/** Pairs one actual with its prediction's output, or says why it cannot be scored. */
export function scoreActual(settings: MonitoringSettings | null, a: JoinedActual): ScoredPair | Unscored {
  if (!settings) return { kind: 'unscorable', reason: UNSCORABLE.noSettings };
  const p = a.prediction;
  if (!p) return { kind: 'unscorable', reason: UNSCORABLE.predictionGone };
  if (p.status !== 'ok') return { kind: 'unscorable', reason: UNSCORABLE.predictionFailed };
  if (!p.payloadStored) return { kind: 'withoutPayload' };

  const labelRow = tensorRow(p.labelTensor, settings.labelOutput, a.row);
  if ('reason' in labelRow) return { kind: 'unscorable', reason: labelRow.reason };
  if (labelRow.values.length !== 1) return { kind: 'unscorable', reason: UNSCORABLE.notOnePerRow(settings.labelOutput) };
  const predictedValue = labelRow.values[0];

  if (settings.task === 'regression') {
    if (typeof predictedValue !== 'number' || !Number.isFinite(predictedValue)) return { kind: 'unscorable', reason: UNSCORABLE.notANumber(settings.labelOutput) };
    if (a.valueNumber === null) return { kind: 'unscorable', reason: UNSCORABLE.actualNotNumber };
    return { kind: 'regression', actual: a.valueNumber, predicted: predictedValue };
  }

  const predicted = labelText(predictedValue);
  if (predicted === null) return { kind: 'unscorable', reason: UNSCORABLE.notALabel(settings.labelOutput) };
  const actual = a.valueLabel ?? labelText(a.valueNumber)!;
  const classes = settings.classes;
  if (classes && !classes.includes(actual)) return { kind: 'unscorable', reason: UNSCORABLE.actualNotClass };
  if (classes && !classes.includes(predicted)) return { kind: 'unscorable', reason: UNSCORABLE.predictedNotClass };

  let positiveProbability: number | null = null;
  let probabilities: number[] | null = null;
  const name = settings.probabilityOutput;
  if (name !== null) {
    const probabilityRow = tensorRow(p.probabilityTensor, name, a.row);
    if ('reason' in probabilityRow) return { kind: 'unscorable', reason: probabilityRow.reason };
    const values = probabilitiesOf(probabilityRow.values, name);
    if ('reason' in values) return { kind: 'unscorable', reason: values.reason };
    if (settings.positiveClass !== null) {
      if (values.length === 1) positiveProbability = values[0]!;
      else if (classes && values.length === classes.length) positiveProbability = values[classes.indexOf(settings.positiveClass)]!;
      else return { kind: 'unscorable', reason: UNSCORABLE.probabilityColumns(name) };
    } else {
      if (!classes || values.length !== classes.length) return { kind: 'unscorable', reason: UNSCORABLE.probabilityColumns(name) };
      probabilities = values;
    }
  }
  return { kind: 'classification', actual, predicted, positiveProbability, probabilities };
}
