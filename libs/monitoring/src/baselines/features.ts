/**
 * How a logged prediction's tensors map to the columns of its reference data set.
 *
 * - A tensor named like a column holds that column: shape [n] or [n, 1], one value per row (models with
 *   one input per feature, and external deployments, whose records become such tensors).
 * - Otherwise, when the reference has k feature columns and the prediction has exactly one input tensor
 *   of shape [n, k], column i of the tensor is the i-th feature column (in the reference file's order).
 *   Prediction columns map to output tensors the same way.
 * A value that cannot be found is missing for that row (counted, never guessed).
 */

export interface JsonTensor {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

function tensorsOf(value: unknown): JsonTensor[] {
  if (!Array.isArray(value)) return [];
  return value.filter(
    (t): t is JsonTensor =>
      typeof t === 'object' && t !== null && typeof (t as JsonTensor).name === 'string' && Array.isArray((t as JsonTensor).shape) && Array.isArray((t as JsonTensor).data),
  );
}

/** Rows of the prediction (the batch dimension of the first tensor; 1 for a scalar tensor). */
function rowsOf(tensors: readonly JsonTensor[]): number {
  const first = tensors[0];
  if (!first) return 0;
  return first.shape.length === 0 ? 1 : (first.shape[0] ?? 0);
}

/**
 * The values of `columns` in one logged prediction's tensors, one array per column (a value per row).
 * Returns null when the tensors cannot be read at all (no tensors).
 */
export function columnsFromTensors(json: unknown, columns: readonly string[]): Map<string, unknown[]> | null {
  const tensors = tensorsOf(json);
  if (tensors.length === 0 || columns.length === 0) return null;
  const rows = rowsOf(tensors);
  const byName = new Map(tensors.map((t) => [t.name, t]));
  const out = new Map<string, unknown[]>();
  const matrix = tensors.length === 1 && tensors[0]!.shape.length === 2 && tensors[0]!.shape[1] === columns.length && !byName.has(columns[0]!) ? tensors[0]! : null;
  columns.forEach((column, i) => {
    const values: unknown[] = new Array(rows).fill(null);
    const own = byName.get(column);
    if (own && (own.shape.length <= 1 || (own.shape.length === 2 && own.shape[1] === 1))) {
      for (let r = 0; r < rows; r++) values[r] = own.data[r] ?? null;
    } else if (matrix) {
      const width = matrix.shape[1]!;
      for (let r = 0; r < rows; r++) values[r] = matrix.data[r * width + i] ?? null;
    }
    out.set(column, values);
  });
  return out;
}
