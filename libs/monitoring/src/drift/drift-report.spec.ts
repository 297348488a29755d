import { normals } from './drift.fixture';
/** The drift report: automatic test choice, overrides, Benjamini-Hochberg, status rules, option checks. */
import { buildCategoricalProfile, sketchCategoricalWindow } from './categorical-profile';
import { chooseDriftTest, computeDriftReport, type DriftInput, type NumericDriftInput } from './drift-report';
import { DriftErrorCode } from './drift.errors';
import { buildNumericProfile, sketchNumericWindow } from './numeric-profile';
import { ksTest } from './ks-test';
import { numericSample, type NumericSample } from './numeric-sample';


/** A numeric feature with raw reference and window values (exact tests). */
function numeric(feature: string, seed: number, nRef: number, nWin: number, shift = 0, role: 'feature' | 'prediction' = 'feature'): NumericDriftInput {
  const referenceSample = numericSample(feature, normals(seed, nRef));
  return { role, reference: buildNumericProfile(feature, referenceSample), referenceSample, window: numericSample(feature, normals(seed + 1000, nWin, shift)) };
}

function categorical(feature: string, ref: string[], win: string[]): DriftInput {
  const reference = buildCategoricalProfile(feature, ref);
  return { reference, window: sketchCategoricalWindow(reference, win) };
}

const repeat = (counts: Record<string, number>): string[] => Object.entries(counts).flatMap(([v, n]) => new Array<string>(n).fill(v));

describe('automatic test choice (Evidently rules)', () => {
  it('numeric: KS p-value up to 1,000 reference values, normalised Wasserstein above; exact with raw samples, binned with sketches', () => {
    expect(chooseDriftTest(numeric('a', 1, 1000, 100))).toMatchObject({ test: 'ks', method: 'exact' });
    expect(chooseDriftTest(numeric('a', 1, 1001, 100))).toMatchObject({ test: 'wasserstein', method: 'exact' });
    const profile = buildNumericProfile('a', normals(1, 800));
    expect(chooseDriftTest({ reference: profile, window: sketchNumericWindow(profile, [1]) })).toMatchObject({ test: 'ks', method: 'binned' });
    expect(chooseDriftTest({ reference: profile, window: numericSample('a', [1]) })).toMatchObject({ test: 'ks', method: 'binned' });
    expect(chooseDriftTest(numeric('a', 1, 800, 100)).reason).toBe('numeric, reference of 800 values <= 1000: KS p-value');
  });

  it('categorical: chi-square up to 1,000 reference values (z-test when at most two values are seen), Jensen-Shannon above', () => {
    expect(chooseDriftTest(categorical('c', repeat({ a: 500, b: 300, c: 200 }), ['a']))).toMatchObject({ test: 'chi-square' });
    expect(chooseDriftTest(categorical('c', repeat({ a: 500, b: 300 }), ['a', 'b']))).toMatchObject({ test: 'z' });
    expect(chooseDriftTest(categorical('c', repeat({ a: 500, b: 300 }), ['a', 'q']))).toMatchObject({ test: 'chi-square' });
    expect(chooseDriftTest(categorical('c', repeat({ a: 900, b: 300 }), ['a']))).toMatchObject({ test: 'jensen-shannon', method: 'binned' });
  });

  it('takes a configured test when it applies to the type, and refuses one that does not', () => {
    const input = numeric('a', 1, 2000, 500);
    expect(chooseDriftTest(input, 'psi')).toEqual({ test: 'psi', method: 'binned', reason: 'configured' });
    expect(chooseDriftTest(input, 'ks')).toMatchObject({ test: 'ks', method: 'exact' });
    expect(() => chooseDriftTest(input, 'chi-square')).toThrow(expect.objectContaining({ code: DriftErrorCode.INVALID_DRIFT_OPTIONS }));
    expect(() => chooseDriftTest(categorical('c', ['a', 'b'], ['a']), 'wasserstein')).toThrow(/categorical; the wasserstein test applies to numbers only/);
  });
});

describe('computeDriftReport', () => {
  it('applies per-feature tests and thresholds, and reports extra statistics on demand', () => {
    const inputs = [numeric('a', 1, 2000, 1000, 0.15), numeric('b', 2, 2000, 1000, 0.15)];
    const plain = computeDriftReport(inputs, { alsoCompute: ['psi', 'ks', 'jensen-shannon', 'chi-square'] });
    const [a] = plain.features;
    expect(a).toMatchObject({ feature: 'a', test: 'wasserstein', method: 'exact', threshold: 0.1, drifted: true });
    expect(Object.keys(a!.statistics).sort()).toEqual(['jensen-shannon', 'ks', 'psi']);
    expect(a!.statistics.ks).toBeLessThan(0.05);
    const tuned = computeDriftReport(inputs, { features: { a: { threshold: 0.5 }, b: { test: 'psi', threshold: 0.01 } } });
    expect(tuned.features[0]).toMatchObject({ feature: 'a', test: 'wasserstein', threshold: 0.5, drifted: false });
    expect(tuned.features[1]).toMatchObject({ feature: 'b', test: 'psi', reason: 'configured', threshold: 0.01, drifted: true });
    // Extra statistics use the raw samples when they are given, whatever test decides.
    const b = inputs[1]!;
    const extra = computeDriftReport([b], { features: { b: { test: 'psi' } }, alsoCompute: ['ks'] }).features[0]!;
    expect(extra.statistics.ks).toBe(ksTest(b.referenceSample!, b.window as NumericSample).pValue);
  });

  it('with Benjamini-Hochberg, twenty features without drift raise no false alarm where raw p-values do', () => {
    const inputs = Array.from({ length: 20 }, (_, i) => numeric(`f${i}`, 100 + i, 600, 400));
    const raw = computeDriftReport(inputs);
    const bh = computeDriftReport(inputs, { benjaminiHochberg: true });
    expect(raw.driftedFeatures).toBeGreaterThan(0);
    expect(raw.status).toBe('amber');
    expect(bh.driftedFeatures).toBe(0);
    expect(bh.status).toBe('green');
    expect(bh.benjaminiHochberg).toBe(true);
    for (const f of bh.features) expect(f.adjustedPValue).toBeGreaterThanOrEqual(f.pValue!);
    // A real shift still stands out after the adjustment.
    const shifted = computeDriftReport([...inputs, numeric('moved', 7, 600, 400, 0.5)], { benjaminiHochberg: true });
    expect(shifted.features.filter((f) => f.drifted).map((f) => f.feature)).toEqual(['moved']);
  });

  it.each([
    ['green: nothing drifts', [0, 0, 0, 0], 0, {}, 'green'],
    ['amber: one feature of four drifts', [0.6, 0, 0, 0], 0, {}, 'amber'],
    ['red: half the features drift', [0.6, 0.6, 0, 0], 0, {}, 'red'],
    ['red: the prediction drifts', [0, 0, 0, 0], 0.6, {}, 'red'],
    ['amber: the prediction drifts, configured not to be red', [0, 0, 0, 0], 0.6, { predictionDriftIsRed: false }, 'amber'],
    ['green: one of four is under a 30% amber share', [0.6, 0, 0, 0], 0, { amberShare: 0.3 }, 'green'],
    ['red: one of four reaches a 25% red share', [0.6, 0, 0, 0], 0, { amberShare: 0.1, redShare: 0.25 }, 'red'],
  ] as const)('status %s', (_what, shifts, predictionShift, status, wanted) => {
    const inputs = [...shifts.map((s, i) => numeric(`f${i}`, 10 + i, 1500, 800, s)), numeric('score', 50, 1500, 800, predictionShift, 'prediction')];
    const report = computeDriftReport(inputs, { status });
    expect(report.status).toBe(wanted);
    expect(report.testedFeatures).toBe(4);
    expect(report.driftedFeatures).toBe(shifts.filter((s) => s > 0).length);
    expect(report.predictions.map((p) => p.drifted)).toEqual([predictionShift > 0]);
  });

  it('refuses bad options and mismatched inputs', () => {
    const input = numeric('a', 1, 500, 100);
    const code = (fn: () => unknown): unknown => {
      try {
        fn();
      } catch (err) {
        return (err as { code?: string }).code;
      }
      return 'no error';
    };
    expect(code(() => computeDriftReport([input], { features: { a: { threshold: 1.5 } } }))).toBe(DriftErrorCode.INVALID_DRIFT_OPTIONS);
    expect(code(() => computeDriftReport([input], { features: { a: { test: 'wasserstein', threshold: -1 } } }))).toBe(DriftErrorCode.INVALID_DRIFT_OPTIONS);
    expect(code(() => computeDriftReport([input], { status: { amberShare: 0.6, redShare: 0.5 } }))).toBe(DriftErrorCode.INVALID_DRIFT_OPTIONS);
    expect(code(() => computeDriftReport([input, input]))).toBe(DriftErrorCode.INVALID_DRIFT_OPTIONS);
    const other = numeric('b', 2, 300, 100);
    expect(code(() => computeDriftReport([{ ...input, referenceSample: other.referenceSample }]))).toBe(DriftErrorCode.SKETCH_MISMATCH);
    expect(code(() => computeDriftReport([{ ...input, window: other.window }]))).toBe(DriftErrorCode.SKETCH_MISMATCH);
    const cat = categorical('c', repeat({ a: 10, b: 10, c: 10 }), ['a']);
    expect(code(() => computeDriftReport([cat], { features: { c: { test: 'z' } } }))).toBe(DriftErrorCode.INVALID_DRIFT_OPTIONS);
  });
});
