import { createHash } from 'node:crypto';
import { isUuid } from '@modelport/database';
import { canonicalJson } from './canonical-json';
import { AuditError } from './audit.errors';
import { AUDIT_OUTCOMES, type AuditEvent, type AuditEventInput, type AuditOutcome, type JsonValue } from './audit.types';

/** The `prev_hash` of seq 1. */
export const GENESIS_HASH = '0'.repeat(64);

export const HASH_PATTERN = /^[0-9a-f]{64}$/;

/** How deep `before`, `after` and `details` may nest. */
const MAX_DEPTH = 64;

const UNPAIRED_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * The string PostgreSQL will give back: it cannot store U+0000 in text or jsonb, and a lone
 * surrogate reaches it as U+FFFD (UTF-8 has no encoding for one), so both become U+FFFD here,
 * before hashing.
 */
export function storableString(value: string): string {
  // eslint-disable-next-line no-control-regex
  return value.replace(/\u0000/g, '\uFFFD').replace(UNPAIRED_SURROGATE, '\uFFFD');
}

/**
 * `value` as it will come back from a jsonb column: what `JSON.stringify` would keep (toJSON
 * applied, undefined/functions/symbols dropped from objects and null in arrays, NaN and the
 * infinities null), plus bigint as a decimal string, -0 as 0, and storable strings and keys.
 */
export function toJsonValue(value: unknown, path = 'value', depth = 0, open: Set<object> = new Set(), key = ''): JsonValue | undefined {
  if (value === null) return null;
  switch (typeof value) {
    case 'string':
      return storableString(value);
    case 'number':
      return Number.isFinite(value) ? (Object.is(value, -0) ? 0 : value) : null;
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      return undefined;
  }
  if (depth >= MAX_DEPTH) throw AuditError.invalidEvent(`${path} nests deeper than ${MAX_DEPTH} levels.`);
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') return toJsonValue(toJSON.call(value, key), path, depth + 1, open, key);
  if (open.has(value)) throw AuditError.invalidEvent(`${path} is circular.`);
  open.add(value);
  let out: JsonValue;
  if (Array.isArray(value)) {
    out = value.map((item, i) => toJsonValue(item, `${path}[${i}]`, depth + 1, open, String(i)) ?? null);
  } else {
    const obj: { [k: string]: JsonValue } = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const converted = toJsonValue(v, `${path}.${k}`, depth + 1, open, k);
      if (converted !== undefined) obj[storableString(k)] = converted;
    }
    out = obj;
  }
  open.delete(value);
  return out;
}

function optionalText(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw AuditError.invalidEvent(`${field} must be a string or null (got ${typeof value}).`);
  return storableString(value);
}

function requiredText(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.trim() === '') throw AuditError.invalidEvent(`${field} must be a non-empty string.`);
  return storableString(value);
}

function optionalUuid(value: unknown, field: string): string | null {
  if (value === undefined || value === null) return null;
  if (!isUuid(value)) throw AuditError.invalidEvent(`${field} must be a UUID or null (got ${JSON.stringify(String(value).slice(0, 80))}).`);
  return value.toLowerCase();
}

function json(value: unknown, field: string): JsonValue {
  return toJsonValue(value, field) ?? null;
}

/** The normalised content of an event to append: every field as PostgreSQL will give it back. */
export type NormalizedEvent = Omit<AuditEvent, 'seq' | 'id' | 'at' | 'prevHash' | 'hash'>;

/** Validates an event and normalises it (see `AuditEventInput`); throws AUDIT_INVALID_EVENT. */
export function normalizeEvent(input: AuditEventInput): NormalizedEvent {
  if (!input || typeof input !== 'object') throw AuditError.invalidEvent('expected an object.');
  if (!AUDIT_OUTCOMES.includes(input.outcome)) {
    throw AuditError.invalidEvent(`outcome must be one of ${AUDIT_OUTCOMES.join(', ')} (got ${JSON.stringify(input.outcome)}).`);
  }
  const details = json(input.details, 'details');
  if (details !== null && (typeof details !== 'object' || Array.isArray(details))) throw AuditError.invalidEvent('details must be an object or null.');
  return {
    actorId: optionalUuid(input.actorId, 'actorId'),
    actorName: optionalText(input.actorName, 'actorName'),
    action: requiredText(input.action, 'action'),
    resourceType: requiredText(input.resourceType, 'resourceType'),
    resourceId: optionalText(input.resourceId, 'resourceId'),
    projectId: optionalUuid(input.projectId, 'projectId'),
    outcome: input.outcome as AuditOutcome,
    before: json(input.before, 'before'),
    after: json(input.after, 'after'),
    requestId: optionalText(input.requestId, 'requestId'),
    details,
  };
}

/**
 * The canonical record of an event, which is hashed: the table's column names as keys, every
 * column present (null when empty), `seq` as a decimal string, `at` as ISO 8601 UTC with
 * milliseconds, `prev_hash` included, `hash` left out.
 */
export function eventRecord(e: Omit<AuditEvent, 'hash'>): { [column: string]: JsonValue } {
  return {
    seq: e.seq,
    id: e.id,
    at: e.at.toISOString(),
    actor_id: e.actorId,
    actor_name: e.actorName,
    action: e.action,
    resource_type: e.resourceType,
    resource_id: e.resourceId,
    project_id: e.projectId,
    outcome: e.outcome,
    before: e.before,
    after: e.after,
    request_id: e.requestId,
    details: e.details,
    prev_hash: e.prevHash,
  };
}

/** `hash` of an event: hex sha256 of the UTF-8 bytes of the canonical JSON of its record. */
export function hashEvent(e: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(eventRecord(e)), 'utf8').digest('hex');
}

/** One line of an export (without its newline): the canonical JSON of the record plus `hash`. */
export function exportLine(e: AuditEvent): string {
  return canonicalJson({ ...eventRecord(e), hash: e.hash });
}

const SEQ_PATTERN = /^[1-9][0-9]{0,18}$/;
const LINE_KEYS = new Set([
  'seq', 'id', 'at', 'actor_id', 'actor_name', 'action', 'resource_type', 'resource_id', 'project_id',
  'outcome', 'before', 'after', 'request_id', 'details', 'prev_hash', 'hash',
]);
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

function field<T>(record: Record<string, unknown>, name: string, ok: (v: unknown) => v is T): T {
  const v = record[name];
  if (!ok(v)) throw new Error(`field ${JSON.stringify(name)} is missing or has the wrong type`);
  return v;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isStringOrNull = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isJson = (v: unknown): v is JsonValue => v !== undefined;

/** Reads an event back from an export line; throws an Error saying what is wrong with the line. */
export function parseExportLine(line: string): AuditEvent {
  const parsed: unknown = JSON.parse(line);
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('the line is not a JSON object');
  const r = parsed as Record<string, unknown>;
  const unknown = Object.keys(r).filter((k) => !LINE_KEYS.has(k));
  if (unknown.length) throw new Error(`unexpected field ${JSON.stringify(unknown[0])}`);
  const seq = field(r, 'seq', isString);
  if (!SEQ_PATTERN.test(seq)) throw new Error(`seq ${JSON.stringify(seq)} is not a positive decimal string`);
  const at = field(r, 'at', isString);
  if (!ISO_MS.test(at) || Number.isNaN(Date.parse(at)) || new Date(at).toISOString() !== at) throw new Error(`at ${JSON.stringify(at)} is not an ISO 8601 UTC time with milliseconds`);
  const outcome = field(r, 'outcome', isString);
  if (!AUDIT_OUTCOMES.includes(outcome as AuditOutcome)) throw new Error(`outcome ${JSON.stringify(outcome)} is not one of ${AUDIT_OUTCOMES.join(', ')}`);
  return {
    seq,
    id: field(r, 'id', isString),
    at: new Date(at),
    actorId: field(r, 'actor_id', isStringOrNull),
    actorName: field(r, 'actor_name', isStringOrNull),
    action: field(r, 'action', isString),
    resourceType: field(r, 'resource_type', isString),
    resourceId: field(r, 'resource_id', isStringOrNull),
    projectId: field(r, 'project_id', isStringOrNull),
    outcome: outcome as AuditOutcome,
    before: field(r, 'before', isJson),
    after: field(r, 'after', isJson),
    requestId: field(r, 'request_id', isStringOrNull),
    details: field(r, 'details', isJson),
    prevHash: field(r, 'prev_hash', isString),
    hash: field(r, 'hash', isString),
  };
}
