import { normals } from './drift.fixture';
/** Profiles and window sketches: merging by adding, JSON round trips, malformed stored sketches. */
import { buildCategoricalProfile, emptyCategoricalWindow, mergeCategoricalWindows, sketchCategoricalWindow } from './categorical-profile';
import { DriftError, DriftErrorCode } from './drift.errors';
import { binnedKsTest } from './ks-test';
import {
  binOf,
  buildNumericProfile,
  emptyNumericWindow,
  mergeNumericProfiles,
  mergeNumericWindows,
  quantileEdges,
  sketchNumericWindow,
  windowMoments,
} from './numeric-profile';
import { numericSample, sortFloat64 } from './numeric-sample';
import { parseDriftSketch } from './sketch-json';


describe('numeric window sketches', () => {
  const profile = buildNumericProfile('x', normals(1, 5000));
  const window = normals(2, 6000, 0.3, 1.2);

  it('per-minute sketches added up equal the sketch of the whole window (counts exactly, moments to rounding)', () => {
    const whole = sketchNumericWindow(profile, window);
    let sum = emptyNumericWindow(profile);
    for (let i = 0; i < window.length; i += 100) sum = mergeNumericWindows(sum, sketchNumericWindow(profile, window.slice(i, i + 100)));
    expect(sum.counts).toEqual(whole.counts);
    expect([sum.count, sum.missing, sum.min, sum.max]).toEqual([whole.count, whole.missing, whole.min, whole.max]);
    sum.sums.forEach((s, i) => expect(s).toBeCloseTo(whole.sums[i]!, 9));
    expect(sum.sumSquares).toBeCloseTo(whole.sumSquares, 8);
    const m = windowMoments(sum)!;
    const mean = window.reduce((a, b) => a + b, 0) / window.length;
    const std = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / window.length);
    expect(m.mean).toBeCloseTo(mean, 12);
    expect(m.std).toBeCloseTo(std, 12);
    expect(binnedKsTest(profile, sum)).toEqual(binnedKsTest(profile, whole));
  });

  it('count a value equal to an edge in the bin that the edge closes (right-closed bins, open outer bins)', () => {
    const p = buildNumericProfile('y', [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], { bins: 2 });
    expect(p.edges).toEqual([5.5]);
    expect(sketchNumericWindow(p, [-1e300, 5.5, 5.5000001, 1e300]).counts).toEqual([2, 2]);
    expect([binOf([1, 2, 3], 0), binOf([1, 2, 3], 1), binOf([1, 2, 3], 1.5), binOf([1, 2, 3], 3), binOf([1, 2, 3], 4)]).toEqual([0, 0, 1, 2, 3]);
  });

  it('deduplicate tied quantile edges and add one below a tied minimum', () => {
    const zeros = [0, 0, 0, 0, 0, 0, 0, 1, 2, 3];
    const edges = quantileEdges(Float64Array.from(zeros), 10);
    expect(edges[0]).toBeLessThan(0);
    expect(edges.slice(1)).toEqual([0, 0.2999999999999998, 1.2000000000000002, 2.0999999999999996]);
    expect(buildNumericProfile('z', zeros).counts).toEqual([0, 7, 0, 1, 1, 1]);
  });

  it('refuse to add windows of another feature or another profile', () => {
    const other = buildNumericProfile('x', normals(3, 100), { bins: 4 });
    const a = sketchNumericWindow(profile, [1, 2]);
    expect(() => mergeNumericWindows(a, sketchNumericWindow(other, [1]))).toThrow(DriftError);
    expect(() => mergeNumericWindows(a, { ...a, feature: 'w' })).toThrow(/features "x" and "w"/);
    expect(() => binnedKsTest(profile, sketchNumericWindow(other, [1]))).toThrow(/not counted on this profile/);
  });
});

describe('numeric profiles', () => {
  it('built in chunks on fixed edges merge into the profile of the whole (Chan et al.)', () => {
    const values = normals(4, 9000, 10, 3);
    const whole = buildNumericProfile('x', values);
    const a = buildNumericProfile('x', values.slice(0, 2500), { edges: whole.edges });
    const b = buildNumericProfile('x', values.slice(2500), { edges: whole.edges });
    const merged = mergeNumericProfiles(a, b);
    expect(merged.counts).toEqual(whole.counts);
    expect([merged.count, merged.min, merged.max]).toEqual([whole.count, whole.min, whole.max]);
    expect(merged.mean).toBeCloseTo(whole.mean, 12);
    expect(merged.m2 / whole.m2).toBeCloseTo(1, 12);
    expect(() => mergeNumericProfiles(a, buildNumericProfile('x', values, { bins: 5 }))).toThrow(/different bin edges/);
  });

  it('refuse a bin count outside 2..1000 and edges that do not increase', () => {
    for (const options of [{ bins: 1 }, { bins: 2.5 }, { bins: 5000 }, { edges: [] }, { edges: [1, 1] }, { edges: [NaN] }]) {
      expect(() => buildNumericProfile('x', [1, 2, 3], options)).toThrow(expect.objectContaining({ code: DriftErrorCode.INVALID_DRIFT_OPTIONS }));
    }
  });
});

describe('sortFloat64', () => {
  it('sorts a million doubles like the built-in sort (radix on the IEEE bits), negatives, zeros and extremes included', () => {
    const values = Float64Array.from(normals(5, 1_000_000), (x, i) => (i % 1000 === 0 ? -x * 1e300 : i % 777 === 0 ? 5e-324 * i : x));
    values[10] = -0;
    values[11] = 0;
    values[12] = -Number.MAX_VALUE;
    const expected = values.slice().sort();
    const got = sortFloat64(values.slice());
    expect(got.every((x, i) => x === expected[i])).toBe(true);
    expect(Array.from(sortFloat64(new Float64Array([3, -1, 2])))).toEqual([-1, 2, 3]);
  });

  it('gives numericSample its sorted finite values', () => {
    expect(Array.from(numericSample('x', [3, null, -2, NaN, 1]).sorted)).toEqual([-2, 1, 3]);
  });
});

describe('categorical sketches', () => {
  it('add up across windows and rank the top K by count, ties by value', () => {
    const profile = buildCategoricalProfile('c', ['b', 'a', 'c', 'c', 'b', 'd'], { topK: 2 });
    expect(profile.categories).toEqual(['b', 'c']);
    const parts = [['a', 'b'], ['z', null], ['c', 'c', 'b']].map((w) => sketchCategoricalWindow(profile, w));
    const sum = parts.reduce(mergeCategoricalWindows, emptyCategoricalWindow(profile));
    expect(sum).toEqual(sketchCategoricalWindow(profile, ['a', 'b', 'z', null, 'c', 'c', 'b']));
    expect(() => mergeCategoricalWindows(sum, { ...sum, counts: [1] })).toThrow(DriftError);
  });
});

describe('JSON round trip', () => {
  const numeric = buildNumericProfile('x', normals(6, 1000));
  const sketches = [
    numeric,
    sketchNumericWindow(numeric, normals(7, 500)),
    emptyNumericWindow(numeric),
    buildCategoricalProfile('c', ['a', 'b', 'b', 'c'], { topK: 1 }),
    sketchCategoricalWindow(buildCategoricalProfile('c', ['a', 'b']), ['a', 'q', null]),
  ];

  it.each(sketches.map((s) => [s.kind, s] as const))('%s survives JSON.stringify and parseDriftSketch exactly', (_kind, sketch) => {
    expect(parseDriftSketch(JSON.parse(JSON.stringify(sketch)))).toEqual(sketch);
  });

  it.each([
    ['an unknown kind', { kind: 'histogram' }, /kind/],
    ['a negative count', { ...sketches[1]!, count: -1 }, /count/],
    ['counts that do not add up', { ...sketches[0]!, count: 999 }, /counts must add up to count/],
    ['edges out of order', { ...sketches[0]!, edges: [...(sketches[0] as typeof numeric).edges].reverse() }, /strictly increasing/],
    ['an extra field', { ...sketches[2]!, rows: 3 }, /rows|Unrecognized/],
    ['min without values', { ...sketches[2]!, min: 1 }, /null exactly when count is 0/],
  ])('refuses %s with INVALID_SKETCH', (_what, json, message) => {
    let error: unknown;
    try {
      parseDriftSketch(json);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(DriftError);
    expect((error as DriftError).code).toBe(DriftErrorCode.INVALID_SKETCH);
    expect((error as DriftError).message).toMatch(message);
  });
});
