import { isModelportError, type ModelportError } from '@modelport/errors';
import { decodeCursor, encodeCursor, pageSize, toPage } from './pagination';

function errorOf(fn: () => unknown): ModelportError {
  try {
    fn();
  } catch (err) {
    if (isModelportError(err)) return err;
    throw err;
  }
  throw new Error('expected a ModelportError, nothing was thrown');
}

describe('pageSize', () => {
  it('uses the fallback when first is not given, never more than the maximum', () => {
    expect(pageSize(undefined, 100)).toBe(20);
    expect(pageSize(null, 100)).toBe(20);
    expect(pageSize(undefined, 5)).toBe(5);
    expect(pageSize(null, 100, 7)).toBe(7);
  });

  it('accepts 1 up to the maximum itself', () => {
    expect(pageSize(1, 100)).toBe(1);
    expect(pageSize(100, 100)).toBe(100);
    expect(pageSize(3, 3)).toBe(3);
  });

  it('refuses one over the maximum with PAGE_SIZE_TOO_LARGE naming the maximum, instead of cutting the page', () => {
    const err = errorOf(() => pageSize(101, 100));
    expect(err.code).toBe('PAGE_SIZE_TOO_LARGE');
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.message).toContain('first=101');
    expect(err.message).toContain('maximum page size of 100');
    expect(err.details).toEqual({ max: 100 });
    expect(errorOf(() => pageSize(1000, 3)).message).toContain('maximum page size of 3');
  });

  it.each([0, -1, 2.5, Number.NaN])('refuses first=%p with INVALID_PAGE_SIZE', (first) => {
    const err = errorOf(() => pageSize(first, 100));
    expect(err.code).toBe('INVALID_PAGE_SIZE');
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.message).toContain('from 1 to 100');
  });
});

describe('cursors', () => {
  it('round-trips strings and numbers', () => {
    const values = ['iris classifier', '1f0e6a8c-0d1e-4a55-9a43-5d8e3c1b2a90'];
    expect(decodeCursor(encodeCursor(values), 2)).toEqual(values);
    expect(decodeCursor(encodeCursor([42]), 1)).toEqual([42]);
  });

  it('is opaque and URL-safe', () => {
    const cursor = encodeCursor(['a/b+c?d=e', 'ü']);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(cursor).not.toContain('a/b');
  });

  it.each([
    ['not base64 JSON', 'garbage!!'],
    ['empty', ''],
    ['JSON but not an array', Buffer.from('{"a":1}').toString('base64url')],
    ['an array of the wrong length', encodeCursor(['only one'])],
    ['values of the wrong type', Buffer.from('[null, {"x":1}]').toString('base64url')],
  ])('refuses a cursor that is %s with INVALID_CURSOR', (_what, cursor) => {
    const err = errorOf(() => decodeCursor(cursor, 2));
    expect(err.code).toBe('INVALID_CURSOR');
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.message).toMatch(/endCursor from a previous page/);
  });
});

describe('toPage', () => {
  const rows = [
    { name: 'a', id: 1 },
    { name: 'b', id: 2 },
    { name: 'c', id: 3 },
  ];
  const cursorOf = (r: { name: string; id: number }) => [r.name, r.id];

  it('drops the extra row fetched to detect a next page, and points endCursor at the last item kept', () => {
    const page = toPage(rows, 2, cursorOf);
    expect(page.items).toEqual(rows.slice(0, 2));
    expect(page.hasNextPage).toBe(true);
    expect(decodeCursor(page.endCursor!, 2)).toEqual(['b', 2]);
  });

  it('reports the last page when no extra row came back', () => {
    const page = toPage(rows, 3, cursorOf);
    expect(page.items).toEqual(rows);
    expect(page.hasNextPage).toBe(false);
    expect(decodeCursor(page.endCursor!, 2)).toEqual(['c', 3]);
  });

  it('has no cursor when the page is empty', () => {
    expect(toPage([], 5, cursorOf)).toEqual({ items: [], hasNextPage: false, endCursor: null });
  });
});

describe('decodeCursor with kinds', () => {
  it('accepts values of the declared kinds', () => {
    const id = '0f8fad5b-d9cb-469f-a165-70867728950e';
    expect(decodeCursor(encodeCursor(['name', id]), 2, ['string', 'uuid'])).toEqual(['name', id]);
    expect(decodeCursor(encodeCursor([7]), 1, ['int'])).toEqual([7]);
  });

  it.each([
    [['a', 'not-a-uuid'], 2, ['string', 'uuid']],
    [[1, '0f8fad5b-d9cb-469f-a165-70867728950e'], 2, ['string', 'uuid']],
    [['abc'], 1, ['int']],
    [[1.5], 1, ['int']],
  ] as const)('refuses a well-formed cursor holding the wrong kinds: %j', (values, arity, kinds) => {
    expect(() => decodeCursor(encodeCursor(values as unknown as (string | number)[]), arity, kinds)).toThrow(/not one this API returned/);
  });
});
