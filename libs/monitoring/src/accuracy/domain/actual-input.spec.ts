import { caught } from '@modelport/testing';
import { AccuracyErrorCode } from './accuracy.errors';
import { labelText, normalizeActual, parseActualLine } from './actual-input';

const NOW = new Date('2026-11-02T09:00:00Z');

describe('normalizeActual', () => {
  it('keeps numbers as numbers and labels as text (booleans too), with the row and time when given', () => {
    expect(normalizeActual({ associationId: 'r-1', value: 2.5 }, NOW)).toEqual({ associationId: 'r-1', row: null, valueNumber: 2.5, valueLabel: null, actualAt: null });
    expect(normalizeActual({ associationId: 'r-1', value: 'cat', row: 3, actualAt: '2026-11-01T08:00:00Z' }, NOW)).toEqual({
      associationId: 'r-1',
      row: 3,
      valueNumber: null,
      valueLabel: 'cat',
      actualAt: new Date('2026-11-01T08:00:00Z'),
    });
    expect(normalizeActual({ associationId: 'r-1', value: true }, NOW).valueLabel).toBe('true');
  });

  it('stores U+0000 in ids as U+FFFD, as the prediction log stores request ids', () => {
    expect(normalizeActual({ associationId: 'a\u0000b', value: 1 }, NOW).associationId).toBe('a\uFFFDb');
  });

  it.each([
    [{ associationId: '', value: 1 }, /associationId must be a non-empty string/],
    [{ associationId: 7, value: 1 }, /associationId must be a non-empty string/],
    [{ associationId: 'x'.repeat(1025), value: 1 }, /at most 1024/],
    [{ associationId: 'a', value: null }, /value is missing/],
    [{ associationId: 'a', value: { label: 'x' } }, /value is missing or not a number/],
    [{ associationId: 'a', value: '' }, /1 to 256 characters/],
    [{ associationId: 'a', value: 1, actualAt: 'yesterday' }, /ISO 8601/],
    [{ associationId: 'a', value: 1, actualAt: 1700000000 }, /ISO 8601/],
    [{ associationId: 'a', value: 1, actualAt: '2026-11-04T09:00:00Z' }, /more than a day in the future/],
    [{ associationId: 'a', value: 1, row: -1 }, /row must be a whole number/],
    [{ associationId: 'a', value: 1, row: 1.5 }, /row must be a whole number/],
  ])('refuses %j', async (raw, message) => {
    const err = await caught(Promise.resolve().then(() => normalizeActual(raw, NOW)));
    expect(err.code).toBe(AccuracyErrorCode.INVALID_ACTUAL);
    expect(err.message).toMatch(message);
  });
});

describe('parseActualLine', () => {
  it('reads one JSON object per line', () => {
    expect(parseActualLine('{"associationId":"p","value":0,"row":1}', NOW)).toMatchObject({ associationId: 'p', valueNumber: 0, row: 1 });
  });

  it.each([
    ['{"associationId":"p",', /Not valid JSON/],
    ['[1,2]', /one JSON object/],
    ['"p"', /one JSON object/],
    ['{"associationID":"p","value":1}', /Unknown field "associationID"; the fields are associationId, value, actualAt, row/],
  ])('refuses %s', async (line, message) => {
    expect((await caught(Promise.resolve().then(() => parseActualLine(line, NOW)))).message).toMatch(message);
  });
});

describe('labelText', () => {
  it('writes numbers as JSON does, so the label 1 equals "1"', () => {
    expect([labelText(1), labelText(1.0), labelText('1'), labelText(0.5), labelText(false), labelText(null), labelText(Number.NaN)]).toEqual(['1', '1', '1', '0.5', 'false', null, null]);
  });
});
