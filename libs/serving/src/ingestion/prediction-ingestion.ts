import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import type { PredictionLogRow } from '../predictions';

/** Limits of one ingestion request. */
export const MAX_INGEST_BYTES = 16 * 1024 * 1024;
export const MAX_INGEST_LINE_BYTES = 256 * 1024;
/** Oldest and newest `timestamp` accepted, relative to now: late data is fine, data from the future is a clock error. */
export const MAX_INGEST_AGE_MS = 30 * 24 * 3600_000;
export const MAX_INGEST_SKEW_MS = 5 * 60_000;
export const MAX_FEATURES = 1000;

/** One V2 tensor in JSON form, as the prediction log stores inputs and outputs. */
export interface JsonTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/** What a line may hold; either V2 tensors (`inputs`/`outputs`) or flat records (`features`/`prediction`). */
export interface IngestedPrediction {
  readonly associationId: string | null;
  readonly receivedAt: Date;
  readonly inputs: JsonTensor[] | null;
  readonly outputs: JsonTensor[] | null;
  readonly latencyUs: number;
  readonly inputRows: number | null;
  readonly error: { readonly status: number; readonly message: string } | null;
  readonly parameters: Record<string, unknown> | null;
}

export class LineError extends Error {}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{ "age": 42, "country": "DE" }` → one tensor per feature: FP64 for numbers (null allowed), BYTES for strings. */
function recordToTensors(field: string, record: Record<string, unknown>): JsonTensor[] {
  const entries = Object.entries(record);
  if (entries.length === 0) throw new LineError(`"${field}" is empty; give at least one feature.`);
  if (entries.length > MAX_FEATURES) throw new LineError(`"${field}" has ${entries.length} entries; at most ${MAX_FEATURES}.`);
  return entries.map(([name, value]) => {
    if (value === null || (typeof value === 'number' && Number.isFinite(value))) return { name, datatype: 'FP64', shape: [1], data: [value] };
    if (typeof value === 'boolean') return { name, datatype: 'BOOL', shape: [1], data: [value] };
    if (typeof value === 'string') return { name, datatype: 'BYTES', shape: [1], data: [value] };
    throw new LineError(`"${field}.${name}" must be a number, a string, a boolean or null (got ${JSON.stringify(value) ?? typeof value}); NaN and infinities are not JSON.`);
  });
}

function tensors(field: string, value: unknown): JsonTensor[] {
  if (!Array.isArray(value)) throw new LineError(`"${field}" must be a list of V2 tensors ({"name", "datatype", "shape", "data"}).`);
  if (value.length === 0 || value.length > MAX_FEATURES) throw new LineError(`"${field}" must hold 1 to ${MAX_FEATURES} tensors.`);
  return value.map((t, i) => {
    if (!isRecord(t) || typeof t['name'] !== 'string' || typeof t['datatype'] !== 'string' || !Array.isArray(t['shape']) || !Array.isArray(t['data'])) {
      throw new LineError(`"${field}[${i}]" must be a V2 tensor with a name, a datatype, a shape and a flat data list.`);
    }
    const shape = t['shape'] as unknown[];
    if (!shape.every((d) => Number.isInteger(d) && (d as number) >= 0)) throw new LineError(`"${field}[${i}].shape" must be whole numbers of at least 0.`);
    const elements = (shape as number[]).reduce((a, b) => a * b, 1);
    if (elements !== (t['data'] as unknown[]).length) {
      throw new LineError(`"${field}[${i}]" (${t['name']}) has shape [${shape.join(',')}], i.e. ${elements} elements, but ${(t['data'] as unknown[]).length} data values.`);
    }
    return { name: t['name'], datatype: t['datatype'], shape: shape as number[], data: t['data'] as unknown[] };
  });
}

/** Reads one NDJSON line of the ingestion API; throws LineError saying what is wrong with it. */
export function parseIngestedPrediction(line: string, now: Date): IngestedPrediction {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new LineError(`not valid JSON (${(err as Error).message}).`);
  }
  if (!isRecord(value)) throw new LineError('each line must be a JSON object.');
  const known = new Set(['associationId', 'timestamp', 'inputs', 'features', 'outputs', 'prediction', 'latencyMs', 'error', 'parameters']);
  const unknown = Object.keys(value).filter((k) => !known.has(k));
  if (unknown.length > 0) throw new LineError(`unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...known].join(', ')}.`);
  const associationId = value['associationId'];
  if (associationId !== undefined && associationId !== null && (typeof associationId !== 'string' || associationId.length === 0 || associationId.length > 1024)) {
    throw new LineError('"associationId" must be a string of 1 to 1024 characters (the id actuals will be matched by).');
  }
  let receivedAt = now;
  if (value['timestamp'] !== undefined && value['timestamp'] !== null) {
    const at = typeof value['timestamp'] === 'string' ? new Date(value['timestamp']) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime())) throw new LineError('"timestamp" must be an ISO 8601 date-time string, e.g. "2026-11-27T10:00:00Z".');
    if (at.getTime() > now.getTime() + MAX_INGEST_SKEW_MS) throw new LineError(`"timestamp" ${at.toISOString()} is in the future; check the sender's clock.`);
    if (at.getTime() < now.getTime() - MAX_INGEST_AGE_MS) throw new LineError(`"timestamp" ${at.toISOString()} is more than 30 days old.`);
    receivedAt = at;
  }
  if (value['inputs'] !== undefined && value['features'] !== undefined) throw new LineError('give either "inputs" (V2 tensors) or "features" (a record), not both.');
  if (value['outputs'] !== undefined && value['prediction'] !== undefined) throw new LineError('give either "outputs" (V2 tensors) or "prediction" (a record), not both.');
  const inputs = value['inputs'] !== undefined ? tensors('inputs', value['inputs']) : isRecord(value['features']) ? recordToTensors('features', value['features']) : null;
  if (value['features'] !== undefined && !isRecord(value['features'])) throw new LineError('"features" must be an object of feature name to value.');
  const outputs = value['outputs'] !== undefined ? tensors('outputs', value['outputs']) : isRecord(value['prediction']) ? recordToTensors('prediction', value['prediction']) : null;
  if (value['prediction'] !== undefined && !isRecord(value['prediction'])) throw new LineError('"prediction" must be an object of output name to value, e.g. {"label": "fraud", "score": 0.93}.');
  let error: IngestedPrediction['error'] = null;
  if (value['error'] !== undefined && value['error'] !== null) {
    const e = value['error'];
    if (!isRecord(e) || !Number.isInteger(e['status']) || (e['status'] as number) < 400 || (e['status'] as number) > 599) {
      throw new LineError('"error" must be {"status": <HTTP status 400-599>, "message": "..."} for a prediction that failed.');
    }
    error = { status: e['status'] as number, message: typeof e['message'] === 'string' ? e['message'].slice(0, 8192) : '' };
  }
  if (!error && !outputs) throw new LineError('a successful prediction needs "outputs" or "prediction"; a failed one needs "error".');
  const latencyMs = value['latencyMs'];
  if (latencyMs !== undefined && latencyMs !== null && (typeof latencyMs !== 'number' || !Number.isFinite(latencyMs) || latencyMs < 0 || latencyMs > 3_600_000)) {
    throw new LineError('"latencyMs" must be a number of milliseconds from 0 to 3600000.');
  }
  const parameters = value['parameters'];
  if (parameters !== undefined && parameters !== null && !isRecord(parameters)) throw new LineError('"parameters" must be an object.');
  const rows = inputs?.[0]?.shape[0];
  return {
    associationId: (associationId as string | null | undefined) ?? null,
    receivedAt,
    inputs,
    outputs,
    latencyUs: Math.round(((latencyMs as number | null | undefined) ?? 0) * 1000),
    inputRows: typeof rows === 'number' ? rows : null,
    error,
    parameters: (parameters as Record<string, unknown> | null | undefined) ?? null,
  };
}

/** Splits a body into lines as it streams in, with byte limits; yields [line number, text]; blank lines are skipped. */
export async function* ndjsonLines(body: Readable, maxBytes: number, maxLineBytes: number): AsyncGenerator<{ line: number; text: string } | { line: number; tooLong: true } | { overLimit: true; line: number }> {
  let bytes = 0;
  let line = 0;
  const reader = createInterface({ input: body, crlfDelay: Infinity });
  try {
    for await (const text of reader) {
      line++;
      const size = Buffer.byteLength(text) + 1;
      bytes += size;
      if (bytes > maxBytes) {
        yield { overLimit: true, line };
        return;
      }
      if (size > maxLineBytes) {
        yield { line, tooLong: true };
        continue;
      }
      if (text.trim() === '') continue;
      yield { line, text };
    }
  } finally {
    reader.close();
    body.resume();
  }
}

/** The log row of one ingested prediction of an external deployment. */
export function ingestedRow(
  p: IngestedPrediction,
  id: string,
  deployment: { id: string; name: string; projectId: string; modelId: string; modelVersionId: string },
  version: { version: number; artifactSha256: string },
  consumerId: string,
  storePayload: boolean,
): PredictionLogRow {
  return {
    id,
    receivedAt: p.receivedAt,
    deploymentId: deployment.id,
    deploymentName: deployment.name,
    projectId: deployment.projectId,
    modelId: deployment.modelId,
    modelVersionId: deployment.modelVersionId,
    modelVersion: version.version,
    artifactSha256: version.artifactSha256,
    pluginId: 'external',
    pluginVersion: null,
    requestId: p.associationId,
    protocol: 'ingest',
    consumerId,
    status: p.error ? 'error' : 'ok',
    errorStatus: p.error?.status ?? null,
    errorMessage: p.error?.message ?? null,
    latencyUs: p.latencyUs,
    inputRows: p.inputRows,
    payloadStored: storePayload,
    inputs: storePayload ? p.inputs : null,
    outputs: storePayload ? p.outputs : null,
    parameters: p.parameters,
  };
}
