import { categoricalBuckets, type CategoricalProfile, type CategoricalWindowSketch } from './categorical-profile';
import { categoricalChiSquare, categoricalZTest } from './chi-square';
import { jensenShannonDistance, populationStabilityIndex } from './divergence';
import { DriftError, DriftErrorCode } from './drift.errors';
import { binnedKsTest, ksTest } from './ks-test';
import { benjaminiHochberg } from './multiple-testing';
import { checkWindowOnProfile, sketchNumericWindow, type NumericProfile, type NumericWindowSketch } from './numeric-profile';
import type { NumericSample } from './numeric-sample';
import { binnedWassersteinDistance, wassersteinDistance, wassersteinNormalizer } from './wasserstein';

/**
 * The drift tests. p-value tests (`ks`, `chi-square`, `z`) flag drift when the p-value is *below* the
 * threshold; distances (`wasserstein` normalised by the reference std, `jensen-shannon`, `psi`) when the
 * distance is *at or above* it. Defaults are Evidently's.
 */
export type DriftTestName = 'ks' | 'wasserstein' | 'chi-square' | 'z' | 'jensen-shannon' | 'psi';

export const P_VALUE_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'chi-square', 'z']);

export const DEFAULT_DRIFT_THRESHOLDS: Readonly<Record<DriftTestName, number>> = {
  ks: 0.05,
  'chi-square': 0.05,
  z: 0.05,
  wasserstein: 0.1,
  'jensen-shannon': 0.1,
  psi: 0.1,
};

/** A reference with at most this many values gets a p-value test; a larger one a distance (Evidently's rule). */
export const SMALL_REFERENCE = 1000;

const NUMERIC_TESTS: ReadonlySet<DriftTestName> = new Set(['ks', 'wasserstein', 'jensen-shannon', 'psi']);
const CATEGORICAL_TESTS: ReadonlySet<DriftTestName> = new Set(['chi-square', 'z', 'jensen-shannon', 'psi']);

export type DriftRole = 'feature' | 'prediction';

/**
 * One numeric feature (or regression prediction) of one window. With `referenceSample` and a raw window
 * (a NumericSample) KS and Wasserstein are exact; with a window sketch they use the bins.
 */
export interface NumericDriftInput {
  readonly role?: DriftRole;
  readonly reference: NumericProfile;
  readonly referenceSample?: NumericSample;
  readonly window: NumericSample | NumericWindowSketch;
}

/** One categorical feature (or predicted class) of one window. */
export interface CategoricalDriftInput {
  readonly role?: DriftRole;
  readonly reference: CategoricalProfile;
  readonly window: CategoricalWindowSketch;
}

export type DriftInput = NumericDriftInput | CategoricalDriftInput;

export interface FeatureDriftOptions {
  /** Force a test instead of the automatic choice. */
  readonly test?: DriftTestName;
  /** Override the test's default threshold. */
  readonly threshold?: number;
}

/**
 * Deployment status from the features of one window: `red` when at least `redShare` of the tested
 * features drift or (with `predictionDriftIsRed`) a prediction drifts; `amber` when at least one feature
 * drifts and the share is at least `amberShare`, or a prediction drifts; `green` otherwise; `unknown`
 * when nothing could be tested. Defaults: amber on any drifted feature, red from half of them or on
 * prediction drift.
 */
export interface DriftStatusOptions {
  readonly amberShare?: number;
  readonly redShare?: number;
  readonly predictionDriftIsRed?: boolean;
}

export interface DriftOptions {
  /** Per feature (by name): test and threshold overrides. */
  readonly features?: Readonly<Record<string, FeatureDriftOptions>>;
  /** Adjust the p-values of the window's p-value tests with Benjamini-Hochberg before comparing them. */
  readonly benjaminiHochberg?: boolean;
  /** Further statistics to report beside each feature's deciding test, where they apply (e.g. ['psi']). */
  readonly alsoCompute?: readonly DriftTestName[];
  readonly status?: DriftStatusOptions;
}

export interface FeatureDrift {
  readonly feature: string;
  readonly role: DriftRole;
  readonly type: 'numeric' | 'categorical';
  readonly test: DriftTestName;
  readonly method: 'exact' | 'binned';
  /** Why this test: the automatic rule that chose it, or "configured". */
  readonly reason: string;
  /** The value compared with the threshold: the p-value (BH-adjusted when asked) or the distance. */
  readonly score: number;
  /** KS D, chi-square statistic, z, or the raw (unnormalised) Wasserstein distance. */
  readonly statistic?: number;
  readonly pValue?: number;
  readonly adjustedPValue?: number;
  readonly threshold: number;
  readonly drifted: boolean;
  readonly referenceCount: number;
  readonly windowCount: number;
  readonly referenceMissingShare: number;
  readonly windowMissingShare: number;
  /** The `alsoCompute` statistics that apply (p-value for p-value tests, else the distance). */
  readonly statistics: Readonly<Partial<Record<DriftTestName, number>>>;
}

/** A feature that could not be tested in this window (today: no value in the window). */
export interface SkippedFeature {
  readonly feature: string;
  readonly role: DriftRole;
  readonly code: DriftErrorCode;
  readonly message: string;
}

export type DriftStatus = 'green' | 'amber' | 'red' | 'unknown';

export interface DriftReport {
  readonly status: DriftStatus;
  readonly features: readonly FeatureDrift[];
  readonly predictions: readonly FeatureDrift[];
  readonly skipped: readonly SkippedFeature[];
  readonly testedFeatures: number;
  readonly driftedFeatures: number;
  readonly driftedShare: number;
  readonly benjaminiHochberg: boolean;
}

export interface TestChoice {
  readonly test: DriftTestName;
  readonly method: 'exact' | 'binned';
  readonly reason: string;
}

/** Buckets (categories, other, unseen) with a value in the reference or the window. */
function usedBuckets(input: CategoricalDriftInput): number {
  const { reference, window } = categoricalBuckets(input.reference, input.window);
  return reference.filter((r, i) => r > 0 || window[i]! > 0).length;
}

function isNumeric(input: DriftInput): input is NumericDriftInput {
  return input.reference.kind === 'numeric-profile';
}

function isSketch(window: NumericSample | NumericWindowSketch): window is NumericWindowSketch {
  return (window as NumericWindowSketch).kind === 'numeric-window';
}

function invalid(message: string, details: Record<string, unknown>): DriftError {
  return new DriftError(DriftErrorCode.INVALID_DRIFT_OPTIONS, message, details);
}

/**
 * The automatic choice, as Evidently makes it: a reference of at most 1,000 values gets a p-value test
 * (numeric: KS; categorical: chi-square, or the two-proportion z-test when at most two buckets are
 * non-empty), a larger one a distance (numeric: Wasserstein normalised by the reference std;
 * categorical: Jensen-Shannon). A `test` override replaces it when it applies to the feature's type.
 */
export function chooseDriftTest(input: DriftInput, override?: DriftTestName): TestChoice {
  const feature = input.reference.feature;
  const n = input.reference.count;
  const small = n <= SMALL_REFERENCE;
  let test: DriftTestName;
  let reason: string;
  if (isNumeric(input)) {
    if (override !== undefined && !NUMERIC_TESTS.has(override)) {
      throw invalid(`Feature "${feature}" is numeric; the ${override} test applies to categories only (use ks, wasserstein, jensen-shannon or psi).`, { feature, test: override });
    }
    test = override ?? (small ? 'ks' : 'wasserstein');
    reason = override ? 'configured' : `numeric, reference of ${n} values ${small ? `<= ${SMALL_REFERENCE}: KS p-value` : `> ${SMALL_REFERENCE}: Wasserstein distance / reference std`}`;
    const exact = input.referenceSample !== undefined && !isSketch(input.window) && (test === 'ks' || test === 'wasserstein');
    return { test, method: exact ? 'exact' : 'binned', reason };
  }
  if (override !== undefined && !CATEGORICAL_TESTS.has(override)) {
    throw invalid(`Feature "${feature}" is categorical; the ${override} test applies to numbers only (use chi-square, z, jensen-shannon or psi).`, { feature, test: override });
  }
  if (override) return { test: override, method: 'binned', reason: 'configured' };
  if (!small) return { test: 'jensen-shannon', method: 'binned', reason: `categorical, reference of ${n} values > ${SMALL_REFERENCE}: Jensen-Shannon distance` };
  const used = usedBuckets(input);
  return used <= 2
    ? { test: 'z', method: 'binned', reason: `categorical, reference of ${n} values <= ${SMALL_REFERENCE}, ${used} value(s) seen: z-test p-value` }
    : { test: 'chi-square', method: 'binned', reason: `categorical, reference of ${n} values <= ${SMALL_REFERENCE}: chi-square p-value` };
}

interface Measured {
  readonly score: number;
  readonly statistic?: number;
  readonly pValue?: number;
}

/** Runs one test on one input; `method` 'exact' needs the raw reference sample and a raw window. */
function measure(input: DriftInput, test: DriftTestName, method: 'exact' | 'binned', sketch: () => NumericWindowSketch): Measured {
  if (isNumeric(input)) {
    const profile = input.reference;
    if (method === 'exact') {
      const ref = input.referenceSample!;
      const win = input.window as NumericSample;
      if (test === 'ks') {
        const r = ksTest(ref, win);
        return { score: r.pValue, statistic: r.statistic, pValue: r.pValue };
      }
      const w = wassersteinDistance(ref, win);
      return { score: w / wassersteinNormalizer(profile), statistic: w };
    }
    const window = sketch();
    switch (test) {
      case 'ks': {
        const r = binnedKsTest(profile, window);
        return { score: r.pValue, statistic: r.statistic, pValue: r.pValue };
      }
      case 'wasserstein': {
        const w = binnedWassersteinDistance(profile, window);
        return { score: w / wassersteinNormalizer(profile), statistic: w };
      }
      case 'psi':
        return { score: populationStabilityIndex(profile.counts, window.counts) };
      default:
        return { score: jensenShannonDistance(profile.counts, window.counts) };
    }
  }
  const { reference, window } = categoricalBuckets(input.reference, input.window);
  switch (test) {
    case 'chi-square': {
      const r = categoricalChiSquare(input.reference, input.window);
      return { score: r.pValue, statistic: r.statistic, pValue: r.pValue };
    }
    case 'z': {
      const used = usedBuckets(input);
      if (used > 2) throw invalid(`Feature "${input.reference.feature}" has ${used} values in the reference and window; the z-test compares two (use chi-square).`, { feature: input.reference.feature });
      const r = categoricalZTest(input.reference, input.window);
      return { score: r.pValue, statistic: r.statistic, pValue: r.pValue };
    }
    case 'psi':
      return { score: populationStabilityIndex(reference, window) };
    default:
      return { score: jensenShannonDistance(reference, window) };
  }
}

function validThreshold(feature: string, test: DriftTestName, threshold: number): number {
  const ok = P_VALUE_TESTS.has(test) ? threshold > 0 && threshold < 1 : threshold > 0 && Number.isFinite(threshold);
  if (!ok) {
    throw invalid(
      `Feature "${feature}": the ${test} threshold must be ${P_VALUE_TESTS.has(test) ? 'a p-value between 0 and 1 (exclusive)' : 'a positive distance'}, got ${threshold}.`,
      { feature, test, threshold },
    );
  }
  return threshold;
}

function statusOptions(options: DriftStatusOptions = {}): Required<DriftStatusOptions> {
  const amberShare = options.amberShare ?? 0;
  const redShare = options.redShare ?? 0.5;
  if (!(amberShare >= 0 && amberShare <= 1 && redShare > 0 && redShare <= 1 && amberShare <= redShare)) {
    throw invalid(`Drift status shares must satisfy 0 <= amberShare <= redShare <= 1 and redShare > 0, got amber ${amberShare}, red ${redShare}.`, { amberShare, redShare });
  }
  return { amberShare, redShare, predictionDriftIsRed: options.predictionDriftIsRed ?? true };
}

function windowCounts(input: DriftInput): { count: number; missing: number } {
  const w = input.window;
  if ('sorted' in w) return { count: w.sorted.length, missing: w.missing };
  return { count: w.count, missing: w.missing };
}

/**
 * Drift of one window: per feature and prediction the chosen test, its score against the threshold,
 * optional Benjamini-Hochberg adjustment across the window's p-value tests, and the deployment status.
 * A feature with no value in the window is skipped (listed with the reason), not counted.
 */
export function computeDriftReport(inputs: readonly DriftInput[], options: DriftOptions = {}): DriftReport {
  const status = statusOptions(options.status);
  const seen = new Set<string>();
  const skipped: SkippedFeature[] = [];
  const measured: { input: DriftInput; choice: TestChoice; result: Measured; threshold: number; statistics: Partial<Record<DriftTestName, number>> }[] = [];
  for (const input of inputs) {
    const feature = input.reference.feature;
    const role = input.role ?? 'feature';
    if (seen.has(feature)) throw invalid(`Feature "${feature}" appears twice in one drift report.`, { feature });
    seen.add(feature);
    checkInput(input);
    const { count, missing } = windowCounts(input);
    if (count === 0) {
      skipped.push({
        feature,
        role,
        code: DriftErrorCode.EMPTY_COLUMN,
        message: `Feature "${feature}" has no value in this window (${missing} missing rows); it was not tested.`,
      });
      continue;
    }
    const own = options.features?.[feature] ?? {};
    const choice = chooseDriftTest(input, own.test);
    const threshold = validThreshold(feature, choice.test, own.threshold ?? DEFAULT_DRIFT_THRESHOLDS[choice.test]);
    let sketched: NumericWindowSketch | undefined;
    const sketch = (): NumericWindowSketch => {
      const numeric = input as NumericDriftInput;
      sketched ??= isSketch(numeric.window) ? numeric.window : sketchNumericWindow(numeric.reference, numeric.window);
      return sketched;
    };
    const result = measure(input, choice.test, choice.method, sketch);
    const statistics: Partial<Record<DriftTestName, number>> = {};
    for (const extra of options.alsoCompute ?? []) {
      if (!(isNumeric(input) ? NUMERIC_TESTS : CATEGORICAL_TESTS).has(extra)) continue;
      if (extra === choice.test) {
        statistics[extra] = result.score;
        continue;
      }
      if (extra === 'z' && !isNumeric(input) && usedBuckets(input) > 2) continue;
      const exact = isNumeric(input) && input.referenceSample !== undefined && !isSketch(input.window) && (extra === 'ks' || extra === 'wasserstein');
      statistics[extra] = measure(input, extra, exact ? 'exact' : 'binned', sketch).score;
    }
    measured.push({ input, choice, result, threshold, statistics });
  }

  const adjusted = new Map<number, number>();
  if (options.benjaminiHochberg) {
    const at = measured.map((m, i) => (m.result.pValue !== undefined ? i : -1)).filter((i) => i >= 0);
    const q = benjaminiHochberg(at.map((i) => measured[i]!.result.pValue!));
    at.forEach((i, k) => adjusted.set(i, q[k]!));
  }

  const results: FeatureDrift[] = measured.map((m, i) => {
    const { input, choice, result, threshold, statistics } = m;
    const { count, missing } = windowCounts(input);
    const adjustedPValue = adjusted.get(i);
    const score = adjustedPValue ?? result.score;
    const drifted = P_VALUE_TESTS.has(choice.test) ? score < threshold : score >= threshold;
    return {
      feature: input.reference.feature,
      role: input.role ?? 'feature',
      type: isNumeric(input) ? 'numeric' : 'categorical',
      test: choice.test,
      method: choice.method,
      reason: choice.reason,
      score,
      ...(result.statistic !== undefined ? { statistic: result.statistic } : {}),
      ...(result.pValue !== undefined ? { pValue: result.pValue } : {}),
      ...(adjustedPValue !== undefined ? { adjustedPValue } : {}),
      threshold,
      drifted,
      referenceCount: input.reference.count,
      windowCount: count,
      referenceMissingShare: input.reference.missing / (input.reference.count + input.reference.missing),
      windowMissingShare: missing / (count + missing),
      statistics,
    };
  });

  const features = results.filter((r) => r.role === 'feature');
  const predictions = results.filter((r) => r.role === 'prediction');
  const driftedFeatures = features.filter((r) => r.drifted).length;
  const testedFeatures = features.length;
  const driftedShare = testedFeatures > 0 ? driftedFeatures / testedFeatures : 0;
  const predictionDrifted = predictions.some((r) => r.drifted);
  let deployment: DriftStatus;
  if (testedFeatures === 0 && predictions.length === 0) deployment = 'unknown';
  else if ((predictionDrifted && status.predictionDriftIsRed) || (testedFeatures > 0 && driftedShare >= status.redShare)) deployment = 'red';
  else if ((driftedFeatures > 0 && driftedShare >= status.amberShare) || predictionDrifted) deployment = 'amber';
  else deployment = 'green';
  return {
    status: deployment,
    features,
    predictions,
    skipped,
    testedFeatures,
    driftedFeatures,
    driftedShare,
    benjaminiHochberg: options.benjaminiHochberg ?? false,
  };
}

function checkInput(input: DriftInput): void {
  const feature = input.reference.feature;
  if (isNumeric(input)) {
    const w = input.window;
    if (isSketch(w)) checkWindowOnProfile(input.reference, w);
    else if (w.feature !== feature) throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `The window sample of "${w.feature}" was given for feature "${feature}".`, { feature });
    const s = input.referenceSample;
    if (s && (s.feature !== feature || s.sorted.length !== input.reference.count)) {
      throw new DriftError(
        DriftErrorCode.SKETCH_MISMATCH,
        `Feature "${feature}": the reference sample (${s.feature}, ${s.sorted.length} values) is not the one profiled (${input.reference.count} values).`,
        { feature },
      );
    }
    return;
  }
  if ((input.window as { kind?: string }).kind !== 'categorical-window') {
    throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `Feature "${feature}" is categorical; its window must be a categorical window sketch.`, { feature });
  }
  categoricalBuckets(input.reference, input.window as CategoricalWindowSketch);
}
