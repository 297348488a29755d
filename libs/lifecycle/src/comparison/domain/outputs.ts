/**
 * Reading stored output tensors (V2 JSON form) row by row, as the monitoring context scores them:
 * data is row-major over shape [batch, ...]; labels compare as text, so 1, 1.0 and "1" are the
 * same label.
 */

/** One output tensor split into rows. */
export interface TensorRows {
  readonly rows: number;
  /** Values per row. */
  readonly width: number;
  /** Flat, row-major. */
  readonly values: readonly unknown[];
}

export type Read<T> = T | { readonly reason: string };

export function failed<T>(read: Read<T>): read is { readonly reason: string } {
  return typeof read === 'object' && read !== null && !Array.isArray(read) && 'reason' in read;
}

/** Reasons are a few fixed texts (they are counted), naming sides and outputs but never values. */
export const UNCOMPARABLE = {
  challengerFailed: 'the challenger failed on this request, so it has no output',
  outputMissing: (side: string, name: string) => `the ${side}'s output "${name}" is not among its stored outputs`,
  outputMalformed: (side: string, name: string) => `the ${side}'s output "${name}" is not a tensor whose data matches its shape`,
  notOnePerRow: (side: string, name: string) => `the ${side}'s output "${name}" has more than one value per row; it must hold one label or number per row`,
  notALabel: (side: string, name: string) => `the ${side}'s output "${name}" holds a value that is not a label`,
  notANumber: (side: string, name: string) => `the ${side}'s output "${name}" holds a value that is not a number`,
  batchDiffers: 'champion and challenger answered a different number of rows',
  noCommonOutput: 'champion and challenger have no output tensor name in common',
} as const;

/** Why a labelled row was left out of the accuracy comparison. */
export const UNLABELLED = {
  rowOutside: "the actual's row is outside the prediction's batch",
  actualNotNumber: 'the actual is a label; a regression needs numbers',
  actualNotClass: 'the actual label is not one of the configured classes',
  predictedNotClass: 'a predicted label (champion or challenger) is not one of the configured classes',
} as const;

/** A value as a label: strings as they are, finite numbers and booleans as JSON writes them; anything else is no label. */
export function labelText(value: unknown): string | null {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return null;
}

/** Splits a stored tensor into rows, or says what is wrong with it. */
export function tensorRows(tensor: unknown, side: string, name: string): Read<TensorRows> {
  if (tensor === null || tensor === undefined) return { reason: UNCOMPARABLE.outputMissing(side, name) };
  const { shape, data } = tensor as { shape?: unknown; data?: unknown };
  if (!Array.isArray(shape) || !Array.isArray(data) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
    return { reason: UNCOMPARABLE.outputMalformed(side, name) };
  }
  const flat = data.some(Array.isArray) ? (data.flat(Infinity) as unknown[]) : (data as unknown[]);
  const dims = shape as number[];
  const rows = dims.length === 0 ? 1 : dims[0]!;
  const width = dims.slice(1).reduce((a, b) => a * b, 1);
  if (flat.length !== rows * width) return { reason: UNCOMPARABLE.outputMalformed(side, name) };
  return { rows, width, values: flat };
}

/** One label per row. */
export function labelsOf(tensor: unknown, side: string, name: string): Read<string[]> {
  const t = tensorRows(tensor, side, name);
  if (failed(t)) return t;
  if (t.width !== 1) return { reason: UNCOMPARABLE.notOnePerRow(side, name) };
  const labels: string[] = [];
  for (const v of t.values) {
    const label = labelText(v);
    if (label === null) return { reason: UNCOMPARABLE.notALabel(side, name) };
    labels.push(label);
  }
  return labels;
}

/** One finite number per row. */
export function numbersOf(tensor: unknown, side: string, name: string): Read<number[]> {
  const t = tensorRows(tensor, side, name);
  if (failed(t)) return t;
  if (t.width !== 1) return { reason: UNCOMPARABLE.notOnePerRow(side, name) };
  const numbers: number[] = [];
  for (const v of t.values) {
    if (typeof v !== 'number' || !Number.isFinite(v)) return { reason: UNCOMPARABLE.notANumber(side, name) };
    numbers.push(v);
  }
  return numbers;
}

/** Probabilities per row (each within 0..1), or null when the tensor cannot be read as such. */
export function probabilityRows(tensor: unknown): number[][] | null {
  const t = tensorRows(tensor, '', '');
  if (failed(t)) return null;
  const out: number[][] = [];
  for (let r = 0; r < t.rows; r++) {
    const row: number[] = [];
    for (let c = 0; c < t.width; c++) {
      const v = t.values[r * t.width + c];
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0 || v > 1) return null;
      row.push(v);
    }
    out.push(row);
  }
  return out;
}

/** The output tensors of a stored answer, by name; tensors without a name are skipped. */
export function outputsByName(outputs: unknown): Map<string, unknown> {
  const byName = new Map<string, unknown>();
  if (!Array.isArray(outputs)) return byName;
  for (const t of outputs) {
    const name = (t as { name?: unknown } | null)?.name;
    if (typeof name === 'string' && !byName.has(name)) byName.set(name, t);
  }
  return byName;
}
