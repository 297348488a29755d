/** Bad input: each case of the issue, with the typed error or the documented convention. */
import { isModelportError } from '@modelport/errors';
import { buildCategoricalProfile, sketchCategoricalWindow } from './categorical-profile';
import { categoricalChiSquare } from './chi-square';
import { jensenShannonDistance, populationStabilityIndex } from './divergence';
import { computeDriftReport } from './drift-report';
import { DriftError, DriftErrorCode } from './drift.errors';
import { binnedKsTest, ksTest } from './ks-test';
import { buildNumericProfile, nextDown, profileStd, sketchNumericWindow } from './numeric-profile';
import { numericSample } from './numeric-sample';
import { binnedWassersteinDistance, wassersteinDistance, wassersteinNormalizer } from './wasserstein';

function driftError(run: () => unknown): DriftError {
  try {
    run();
  } catch (err) {
    if (err instanceof DriftError) {
      expect(isModelportError(err)).toBe(true);
      expect(err.kind).toBe('BAD_USER_INPUT');
      return err;
    }
    throw err;
  }
  throw new Error('expected a DriftError, nothing was thrown');
}

const normal = (n: number, shift = 0): number[] => Array.from({ length: n }, (_, i) => shift + Math.sin(i * 12.9898) * 1.7 + Math.cos(i * 78.233));

describe('non-numeric values in a numeric feature', () => {
  it.each([
    ['a string', 'abc', /row 3 holds the string "abc"/],
    ['a numeric string (parse first)', '1.5', /row 3 holds the string "1.5"/],
    ['a boolean', true, /row 3 holds the boolean true/],
    ['an object', { v: 1 }, /row 3 holds a value of type object/],
  ])('refuses %s, naming the feature and the row', (_what, bad, message) => {
    const err = driftError(() => buildNumericProfile('age', [1, 2, null, bad, 5]));
    expect(err.code).toBe(DriftErrorCode.NON_NUMERIC_VALUE);
    expect(err.message).toContain('Feature "age" is numeric');
    expect(err.message).toMatch(message);
    expect(err.details).toMatchObject({ feature: 'age', row: 3 });
  });

  it('is refused in windows and raw samples too', () => {
    const profile = buildNumericProfile('age', normal(100));
    expect(driftError(() => sketchNumericWindow(profile, [1, 'x'])).details).toMatchObject({ feature: 'age', row: 1 });
    expect(driftError(() => numericSample('age', [1, 2, 'x'])).code).toBe(DriftErrorCode.NON_NUMERIC_VALUE);
  });
});

describe('empty or all-missing columns', () => {
  it.each([
    ['no rows', [], /has no rows in the reference/],
    ['only null and undefined', [null, undefined, null], /has 3 rows, all missing, NaN or infinite in the reference/],
    ['only NaN and infinities', new Float64Array([NaN, Infinity, -Infinity]), /has 3 rows, all missing/],
  ])('a reference with %s cannot be profiled', (_what, column, message) => {
    const err = driftError(() => buildNumericProfile('income', column as ArrayLike<unknown>));
    expect(err.code).toBe(DriftErrorCode.EMPTY_COLUMN);
    expect(err.message).toMatch(message);
    expect(err.details).toMatchObject({ feature: 'income', side: 'reference' });
  });

  it('an all-missing categorical reference cannot be profiled', () => {
    expect(driftError(() => buildCategoricalProfile('city', [null, undefined, NaN])).code).toBe(DriftErrorCode.EMPTY_COLUMN);
  });

  it('the tests refuse an empty window, naming the feature and side', () => {
    const ref = numericSample('income', normal(200));
    const empty = numericSample('income', [null, NaN]);
    const profile = buildNumericProfile('income', ref);
    const sketch = sketchNumericWindow(profile, [null, NaN]);
    for (const run of [() => ksTest(ref, empty), () => wassersteinDistance(ref, empty), () => binnedKsTest(profile, sketch), () => binnedWassersteinDistance(profile, sketch)]) {
      const err = driftError(run);
      expect(err.code).toBe(DriftErrorCode.EMPTY_COLUMN);
      expect(err.details).toMatchObject({ feature: 'income', side: 'window' });
    }
    expect(driftError(() => populationStabilityIndex(profile.counts, sketch.counts)).code).toBe(DriftErrorCode.EMPTY_COLUMN);
    expect(driftError(() => jensenShannonDistance(profile.counts, sketch.counts)).code).toBe(DriftErrorCode.EMPTY_COLUMN);
    const cat = buildCategoricalProfile('city', ['a', 'b']);
    expect(driftError(() => categoricalChiSquare(cat, sketchCategoricalWindow(cat, [null]))).code).toBe(DriftErrorCode.EMPTY_COLUMN);
  });

  it('a drift report skips a feature with no value in the window and says why, testing the others', () => {
    const a = buildNumericProfile('a', normal(300));
    const b = buildNumericProfile('b', normal(300));
    const report = computeDriftReport([
      { reference: a, window: sketchNumericWindow(a, normal(100)) },
      { reference: b, window: sketchNumericWindow(b, [null, null, NaN]) },
    ]);
    expect(report.features.map((f) => f.feature)).toEqual(['a']);
    expect(report.skipped).toEqual([{ feature: 'b', role: 'feature', code: DriftErrorCode.EMPTY_COLUMN, message: 'Feature "b" has no value in this window (3 missing rows); it was not tested.' }]);
    expect(report.testedFeatures).toBe(1);
    expect(computeDriftReport([{ reference: b, window: sketchNumericWindow(b, []) }]).status).toBe('unknown');
  });
});

describe('a single constant value (zero variance)', () => {
  const reference = new Array<number>(1500).fill(5);
  const profile = buildNumericProfile('version', reference);

  it('gets three bins: below, exactly, above the constant', () => {
    expect(profile.edges).toEqual([nextDown(5), 5]);
    expect(profile.counts).toEqual([0, 1500, 0]);
    expect(profileStd(profile)).toBe(0);
    expect(sketchNumericWindow(profile, [4, 5, 5, 5.5]).counts).toEqual([1, 2, 1]);
  });

  it('normalises the Wasserstein distance by 0.001 instead of dividing by zero (Evidently)', () => {
    expect(wassersteinNormalizer(profile)).toBe(0.001);
    const same = numericSample('version', new Array<number>(100).fill(5));
    const moved = numericSample('version', [...new Array<number>(99).fill(5), 6]);
    const ref = numericSample('version', reference);
    expect(wassersteinDistance(ref, same) / wassersteinNormalizer(profile)).toBe(0);
    expect(wassersteinDistance(ref, moved) / wassersteinNormalizer(profile)).toBeCloseTo(10, 9);
    const report = computeDriftReport([{ reference: profile, referenceSample: ref, window: moved }]);
    expect(report.features[0]).toMatchObject({ test: 'wasserstein', method: 'exact', drifted: true });
    expect(report.features[0]!.score).toBeCloseTo(10, 9);
    expect(Number.isFinite(computeDriftReport([{ reference: profile, window: sketchNumericWindow(profile, [5, 5, 7]) }]).features[0]!.score)).toBe(true);
  });

  it('a constant categorical column compares as one bucket: no drift while it stays, p = 0 once another value appears', () => {
    const cat = buildCategoricalProfile('region', new Array<string>(50).fill('eu'));
    expect(computeDriftReport([{ reference: cat, window: sketchCategoricalWindow(cat, ['eu', 'eu']) }]).features[0]).toMatchObject({ test: 'z', score: 1, drifted: false });
    expect(computeDriftReport([{ reference: cat, window: sketchCategoricalWindow(cat, ['eu', 'us']) }]).features[0]).toMatchObject({ test: 'z', drifted: true });
  });
});

describe('unseen categories', () => {
  const profile = buildCategoricalProfile('city', ['a', 'a', 'a', 'b', 'b', 'c', 'd'], { topK: 2 });

  it('count apart from "other" (seen in the reference outside the top K)', () => {
    expect(profile).toMatchObject({ categories: ['a', 'b'], counts: [3, 2], other: 2, otherValues: ['c', 'd'], vocabularyTruncated: false });
    expect(sketchCategoricalWindow(profile, ['a', 'c', 'z', 'z', null, 'b'])).toMatchObject({ counts: [1, 1], other: 1, unseen: 2, count: 5, missing: 1 });
  });

  it('make the chi-square statistic infinite and its p-value 0 (SciPy), while Jensen-Shannon stays finite', () => {
    const window = sketchCategoricalWindow(profile, ['a', 'a', 'b', 'z']);
    expect(categoricalChiSquare(profile, window)).toMatchObject({ statistic: Infinity, pValue: 0 });
    expect(jensenShannonDistance([3, 2, 2, 0], [2, 1, 0, 1])).toBeGreaterThan(0);
    expect(jensenShannonDistance([3, 2, 2, 0], [2, 1, 0, 1])).toBeLessThan(1);
  });

  it('count as other once the remembered vocabulary is truncated', () => {
    const truncated = buildCategoricalProfile('city', ['a', 'a', 'b', 'c', 'd'], { topK: 1, maxVocabulary: 2 });
    expect(truncated).toMatchObject({ otherValues: ['b', 'c'], vocabularyTruncated: true, other: 3 });
    expect(sketchCategoricalWindow(truncated, ['d', 'z'])).toMatchObject({ other: 2, unseen: 0 });
  });

  it('refuse values that are not strings, numbers or booleans; numbers and booleans become strings', () => {
    const err = driftError(() => buildCategoricalProfile('city', ['a', { name: 'b' }]));
    expect(err.code).toBe(DriftErrorCode.INVALID_CATEGORY);
    expect(err.details).toMatchObject({ feature: 'city', row: 1 });
    expect(buildCategoricalProfile('n', [1, '1', true, 'true', 2]).categories).toEqual(['1', 'true', '2']);
  });
});

describe('NaN and infinities', () => {
  it('in predictions count as missing (and infinities also as non-finite), never in a bin, moment or test', () => {
    const reference = new Float64Array([0.1, 0.2, 0.3, 0.4, 0.5, NaN, Infinity]);
    const profile = buildNumericProfile('score', reference, { bins: 2 });
    expect(profile).toMatchObject({ count: 5, missing: 2, nonFinite: 1, mean: 0.3, min: 0.1, max: 0.5 });
    const window = sketchNumericWindow(profile, [0.2, NaN, -Infinity, Infinity, 0.4, null]);
    expect(window).toMatchObject({ count: 2, missing: 4, nonFinite: 2, counts: [1, 1], min: 0.2, max: 0.4 });
    const sample = numericSample('score', [0.2, NaN, -Infinity, Infinity, 0.4, null]);
    expect(Array.from(sample.sorted)).toEqual([0.2, 0.4]);
    expect(sample).toMatchObject({ rows: 6, missing: 4, nonFinite: 2 });
    const report = computeDriftReport([{ role: 'prediction', reference: profile, referenceSample: numericSample('score', reference), window: sample }]);
    expect(report.predictions[0]).toMatchObject({ role: 'prediction', test: 'ks', method: 'exact', windowCount: 2, windowMissingShare: 4 / 6 });
    expect(report.predictions[0]!.referenceMissingShare).toBeCloseTo(2 / 7, 15);
    expect(Number.isFinite(report.predictions[0]!.score)).toBe(true);
  });
});
