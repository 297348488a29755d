/**
 * The canonical JSON of the audit trail: one byte sequence per value, so that a hash computed
 * here, by a later verify, or by an auditor's own script always agrees.
 *
 * Rules (the same as RFC 8785, the JSON Canonicalization Scheme, for the values the audit trail
 * holds):
 * * no whitespace anywhere;
 * * object keys sorted at every level by their UTF-16 code units (JavaScript's default string
 *   order, which is also RFC 8785's); arrays keep their order;
 * * strings escaped as `JSON.stringify` does: `"` and `\` escaped, control characters below
 *   U+0020 as `\b \f \n \r \t` or `\u00xx`, lone surrogates as `\udxxx`, everything else
 *   (including all other non-ASCII) written as is; the bytes hashed are the UTF-8 encoding;
 * * numbers as JSON numbers in ECMAScript's shortest round-trip form (`1`, `0.1`, `1e+21`);
 *   `-0` is written `0`; NaN and the infinities are refused;
 * * `Date` (and any object with `toJSON`) is written as its `toJSON()` value: a Date becomes
 *   ISO 8601 in UTC with milliseconds, `2026-11-01T12:00:00.000Z`;
 * * an object property whose value is `undefined`, a function or a symbol is left out, and such
 *   an array element is written `null` (as `JSON.stringify` does); at the top level these, and
 *   `bigint`, are refused, as are cycles.
 *
 * The audit trail stores 64-bit sequence numbers as decimal strings, never as JSON numbers.
 */
export function canonicalJson(value: unknown): string {
  if (value === undefined || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
  }
  return write(value, '', new Set());
}

function omitted(value: unknown): boolean {
  return value === undefined || typeof value === 'function' || typeof value === 'symbol';
}

function write(value: unknown, key: string, open: Set<object>): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: ${value} is not a JSON number`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'bigint':
      throw new TypeError('canonicalJson: bigint has no JSON form; write it as a decimal string');
    case 'object':
      break;
    default:
      throw new TypeError(`canonicalJson: ${typeof value} has no JSON form`);
  }
  const obj = value as object;
  const toJSON = (obj as { toJSON?: unknown }).toJSON;
  if (typeof toJSON === 'function') {
    if (obj instanceof Date && Number.isNaN(obj.getTime())) throw new TypeError('canonicalJson: invalid Date');
    const replaced: unknown = toJSON.call(obj, key);
    if (omitted(replaced)) throw new TypeError('canonicalJson: toJSON() returned no JSON value');
    return write(replaced, key, open);
  }
  if (open.has(obj)) throw new TypeError('canonicalJson: the value is circular');
  open.add(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = `[${obj.map((item, i) => (omitted(item) ? 'null' : write(item, String(i), open))).join(',')}]`;
  } else {
    const record = obj as Record<string, unknown>;
    const parts: string[] = [];
    for (const k of Object.keys(record).sort()) {
      const v = record[k];
      if (!omitted(v)) parts.push(`${JSON.stringify(k)}:${write(v, k, open)}`);
    }
    out = `{${parts.join(',')}}`;
  }
  open.delete(obj);
  return out;
}
