import { AccuracyError, AccuracyErrorCode } from './accuracy.errors';
import { MAX_LABEL_LENGTH } from './monitoring-settings';

/** Longest association id: the prediction log keeps request ids up to this length. */
export const MAX_ASSOCIATION_ID_LENGTH = 1024;
/** An actual may say when the outcome happened up to this far ahead of the server clock (clock skew). */
const FUTURE_TOLERANCE_MS = 24 * 3600_000;
const MAX_ROW = 2_147_483_647;
const FIELDS = ['associationId', 'value', 'actualAt', 'row'] as const;

/** One actual as a client sends it (GraphQL input or one NDJSON line), not yet checked. */
export interface ActualSubmission {
  readonly associationId: unknown;
  readonly value: unknown;
  readonly actualAt?: unknown;
  readonly row?: unknown;
}

/** A checked actual: exactly one of valueNumber and valueLabel is set. */
export interface NormalizedActual {
  readonly associationId: string;
  /** 0-based row of the prediction's batch the actual is for; null when not given (row 0 of a single-row prediction). */
  readonly row: number | null;
  readonly valueNumber: number | null;
  readonly valueLabel: string | null;
  /** When the outcome happened, if the client said so. */
  readonly actualAt: Date | null;
}

function invalid(message: string): AccuracyError {
  return new AccuracyError(AccuracyErrorCode.INVALID_ACTUAL, message);
}

/** PostgreSQL text cannot hold U+0000; the prediction log stores it as U+FFFD, so association ids do the same to still match. */
const withoutNul = (s: string) => (s.includes('\u0000') ? s.replaceAll('\u0000', '\uFFFD') : s);

/** The text form of a label: numbers and booleans as JSON writes them, so 1 and "1" are one label. */
export function labelText(value: unknown): string | null {
  if (typeof value === 'string') return withoutNul(value);
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'boolean') return String(value);
  return null;
}

/** Checks one actual; throws INVALID_ACTUAL with a message saying what is wrong. */
export function normalizeActual(raw: ActualSubmission, now: Date): NormalizedActual {
  const { associationId, value, actualAt, row } = raw;
  if (typeof associationId !== 'string' || associationId === '') {
    throw invalid('associationId must be a non-empty string: the prediction_id a prediction answered with, or the request id the client sent.');
  }
  if (associationId.length > MAX_ASSOCIATION_ID_LENGTH) {
    throw invalid(`associationId is ${associationId.length} characters long; at most ${MAX_ASSOCIATION_ID_LENGTH} (request ids are kept that long).`);
  }
  let valueNumber: number | null = null;
  let valueLabel: string | null = null;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw invalid('value must be a finite number or a label.');
    valueNumber = value;
  } else if (typeof value === 'string' || typeof value === 'boolean') {
    valueLabel = labelText(value);
    if (valueLabel === '' || valueLabel!.length > MAX_LABEL_LENGTH) throw invalid(`A label value must be 1 to ${MAX_LABEL_LENGTH} characters long.`);
  } else {
    throw invalid('value is missing or not a number, string or boolean: send the observed outcome (a number for a regression, a class label for a classification).');
  }
  let at: Date | null = null;
  if (actualAt !== undefined && actualAt !== null) {
    at = actualAt instanceof Date ? actualAt : typeof actualAt === 'string' ? new Date(actualAt) : new Date(Number.NaN);
    if (Number.isNaN(at.getTime()) || (typeof actualAt === 'string' && !/^\d{4}-\d{2}-\d{2}T/.test(actualAt))) {
      throw invalid('actualAt must be an ISO 8601 date-time such as 2026-11-02T09:00:00Z.');
    }
    if (at.getTime() > now.getTime() + FUTURE_TOLERANCE_MS) throw invalid(`actualAt ${at.toISOString()} is more than a day in the future.`);
  }
  let rowIndex: number | null = null;
  if (row !== undefined && row !== null) {
    if (typeof row !== 'number' || !Number.isInteger(row) || row < 0 || row > MAX_ROW) {
      throw invalid('row must be a whole number from 0: the row of the prediction\'s batch this actual is for.');
    }
    rowIndex = row;
  }
  return { associationId: withoutNul(associationId), row: rowIndex, valueNumber, valueLabel, actualAt: at };
}

/** Parses and checks one NDJSON line: a JSON object with associationId, value, and optionally actualAt and row. */
export function parseActualLine(text: string, now: Date): NormalizedActual {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw invalid(`Not valid JSON (${(err as Error).message}); each line must be one JSON object.`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw invalid('Each line must be one JSON object such as {"associationId": "...", "value": 1}.');
  }
  const unknown = Object.keys(parsed).filter((k) => !(FIELDS as readonly string[]).includes(k));
  if (unknown.length) throw invalid(`Unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')}; the fields are ${FIELDS.join(', ')}.`);
  return normalizeActual(parsed as ActualSubmission, now);
}
