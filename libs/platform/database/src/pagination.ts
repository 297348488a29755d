import { ModelportError } from '@modelport/errors';
import { isUuid } from './uuid';

export interface Page<T> {
  readonly items: T[];
  readonly hasNextPage: boolean;
  readonly endCursor: string | null;
  readonly totalCount?: number;
}

export interface PageRequest {
  readonly first?: number | null;
  readonly after?: string | null;
}

/** Validates `first` against the hard maximum; a request over it is an error, never silently cut. */
export function pageSize(first: number | null | undefined, max: number, fallback = Math.min(20, max)): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 1) {
    throw new ModelportError('INVALID_PAGE_SIZE', 'BAD_USER_INPUT', `first must be a whole number from 1 to ${max} (got ${first}).`);
  }
  if (first > max) {
    throw new ModelportError(
      'PAGE_SIZE_TOO_LARGE',
      'BAD_USER_INPUT',
      `first=${first} is over the maximum page size of ${max}; ask for at most ${max} and follow endCursor for the rest.`,
      { max },
    );
  }
  return first;
}

/** Opaque keyset cursor over (sort value, id). */
export function encodeCursor(values: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(values), 'utf8').toString('base64url');
}

export type CursorPart = 'string' | 'uuid' | 'int';

function partMatches(value: unknown, kind: CursorPart): boolean {
  if (kind === 'int') return typeof value === 'number' && Number.isSafeInteger(value);
  if (kind === 'uuid') return isUuid(value);
  return typeof value === 'string';
}

/** Decodes a cursor of `arity` values; with `kinds`, each value must also have its kind, so a forged cursor never reaches SQL. */
export function decodeCursor(cursor: string, arity: number, kinds?: readonly CursorPart[]): (string | number)[] {
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (
      Array.isArray(parsed) &&
      parsed.length === arity &&
      parsed.every((v, i) => (typeof v === 'string' || typeof v === 'number') && (!kinds || partMatches(v, kinds[i]!)))
    ) {
      return parsed as (string | number)[];
    }
  } catch {
    // fall through
  }
  throw new ModelportError('INVALID_CURSOR', 'BAD_USER_INPUT', 'The `after` cursor is not one this API returned; pass an endCursor from a previous page.');
}

/** Turns `limit + 1` fetched rows into a page. */
export function toPage<T>(rows: T[], limit: number, cursorOf: (row: T) => readonly (string | number)[]): Page<T> {
  const hasNextPage = rows.length > limit;
  const items = hasNextPage ? rows.slice(0, limit) : rows;
  const last = items[items.length - 1];
  return { items, hasNextPage, endCursor: last ? encodeCursor(cursorOf(last)) : null };
}
