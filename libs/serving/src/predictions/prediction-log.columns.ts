import type { PredictionLogRow } from './prediction-log.types';

/**
 * How a `PredictionLogRow` becomes the parameters of the batched INSERT: one array per column,
 * passed as `unnest($1::uuid[], $2::timestamptz[], ...)`. Internal to the prediction log.
 */

/** Column name and the PostgreSQL type of its array parameter, in table order. */
export const PREDICTION_COLUMNS = [
  ['id', 'uuid'],
  ['received_at', 'timestamptz'],
  ['deployment_id', 'uuid'],
  ['project_id', 'uuid'],
  ['model_id', 'uuid'],
  ['model_version_id', 'uuid'],
  ['consumer_id', 'uuid'],
  ['latency_us', 'int4'],
  ['model_version', 'int4'],
  ['input_rows', 'int4'],
  ['error_status', 'int2'],
  ['payload_stored', 'bool'],
  ['protocol', 'text'],
  ['status', 'text'],
  ['deployment_name', 'text'],
  ['artifact_sha256', 'bpchar'],
  ['plugin_id', 'text'],
  ['plugin_version', 'text'],
  ['request_id', 'text'],
  ['error_message', 'text'],
  ['parameters', 'jsonb'],
  ['inputs', 'jsonb'],
  ['outputs', 'jsonb'],
  ['role', 'text'],
  ['shadow_of', 'uuid'],
] as const;

const COLUMN_LIST = PREDICTION_COLUMNS.map(([name]) => name).join(', ');

/**
 * One statement per batch, whatever its size (a VALUES list needs one placeholder per cell and
 * is capped at 65535 of them). ON CONFLICT makes a retry idempotent: when a COMMIT succeeded but
 * its answer was lost, the retried batch skips the rows already there instead of failing on
 * them or writing them twice.
 *
 * Measured with prediction-insert.bench.ts (PostgreSQL 15 on loopback, 2 cores, 50,000 rows in
 * batches of 500, median of 3 alternating rounds), rows/s:
 *
 *                    unnest   VALUES list   jsonb_populate_recordset
 *   metadata only    58,900   39,400 (0.67)   48,900 (0.83)
 *   small payload    27,100   22,300 (0.82)   23,300 (0.86)
 *   1 KB payload      7,850    6,080 (0.77)    7,830 (1.00)
 *
 * unnest is the fastest or level in every case, needs no SQL text per batch size and has no
 * 65535-parameter cap, so it stays. (With batches of 2000 the order is the same, except that
 * jsonb_populate_recordset draws level with small payloads.) COPY was not measured: node-postgres
 * needs the pg-copy-streams package for it, which this repository does not depend on.
 */
export const INSERT_PREDICTIONS_SQL =
  `INSERT INTO predictions (${COLUMN_LIST}) ` +
  `SELECT * FROM unnest(${PREDICTION_COLUMNS.map(([, type], i) => `$${i + 1}::${type}[]`).join(', ')}) ` +
  'ON CONFLICT (id) DO NOTHING';

/** Longest text kept per column; longer values (all client- or plugin-supplied) are cut. */
export const TEXT_LIMITS = {
  deploymentName: 1024,
  pluginId: 256,
  pluginVersion: 256,
  requestId: 1024,
  errorMessage: 8192,
} as const;

const INT4_MAX = 2_147_483_647;

/** A row that cannot be encoded at all (a payload JSON cannot represent, an invalid date). */
export class RowEncodingError extends Error {
  constructor(
    readonly predictionId: unknown,
    cause: unknown,
  ) {
    super(`prediction ${String(predictionId)} cannot be encoded: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'RowEncodingError';
  }
}

/** PostgreSQL text cannot hold NUL; it becomes U+FFFD. */
function text(value: string | null | undefined, max: number): string | null {
  if (value === null || value === undefined) return null;
  let s = typeof value === 'string' ? value : String(value);
  if (s.length > max) s = s.slice(0, max);
  return s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s;
}

/** A `\u0000` escape not itself escaped (preceded by an even number of backslashes). */
const ESCAPED_NUL = /(?<!\\)((?:\\\\)*)\\u0000/g;

/** jsonb refuses the NUL escape that JSON.stringify writes for U+0000; it becomes U+FFFD. */
function json(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  const s = JSON.stringify(value);
  if (s === undefined) return null;
  return s.includes('\\u0000') ? s.replace(ESCAPED_NUL, '$1\\ufffd') : s;
}

function int(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value);
}

/** Column arrays for a batch; filled by `encodeRow`. */
export type ColumnArrays = unknown[][];

export function columnArrays(length: number): ColumnArrays {
  return PREDICTION_COLUMNS.map(() => new Array<unknown>(length));
}

/**
 * Writes `row` at index `at` of every column array. `withoutPayload` drops inputs, outputs and
 * parameters (the fallback for a row PostgreSQL refused). Throws RowEncodingError.
 */
export function encodeRow(row: PredictionLogRow, columns: ColumnArrays, at: number, withoutPayload = false): void {
  try {
    const payload = row.payloadStored === true && !withoutPayload;
    columns[0]![at] = row.id;
    columns[1]![at] = row.receivedAt.toISOString();
    columns[2]![at] = row.deploymentId;
    columns[3]![at] = row.projectId;
    columns[4]![at] = row.modelId ?? null;
    columns[5]![at] = row.modelVersionId ?? null;
    columns[6]![at] = row.consumerId ?? null;
    columns[7]![at] = Math.min(Math.max(Math.round(row.latencyUs), 0), INT4_MAX);
    columns[8]![at] = int(row.modelVersion);
    columns[9]![at] = int(row.inputRows);
    columns[10]![at] = int(row.errorStatus);
    columns[11]![at] = payload;
    columns[12]![at] = row.protocol;
    columns[13]![at] = row.status;
    columns[14]![at] = text(row.deploymentName, TEXT_LIMITS.deploymentName);
    columns[15]![at] = row.artifactSha256 ?? null;
    columns[16]![at] = text(row.pluginId, TEXT_LIMITS.pluginId);
    columns[17]![at] = text(row.pluginVersion, TEXT_LIMITS.pluginVersion);
    columns[18]![at] = text(row.requestId, TEXT_LIMITS.requestId);
    columns[19]![at] = text(row.errorMessage, TEXT_LIMITS.errorMessage);
    columns[20]![at] = withoutPayload ? null : json(row.parameters);
    columns[21]![at] = payload ? json(row.inputs) : null;
    columns[22]![at] = payload ? json(row.outputs) : null;
    columns[23]![at] = row.role ?? 'live';
    columns[24]![at] = row.shadowOf ?? null;
  } catch (err) {
    throw new RowEncodingError(row?.id, err);
  }
}
