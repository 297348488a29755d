/** Drift statistics: reference profiles, mergeable window sketches, tests matching SciPy, drift reports. */
export { DriftError, DriftErrorCode } from './drift.errors';
export { finiteValues, numericSample, sortFloat64, type DriftSide, type FiniteValues, type NumericColumn, type NumericSample } from './numeric-sample';
export {
  DEFAULT_NUMERIC_BINS,
  binOf,
  buildNumericProfile,
  emptyNumericWindow,
  mergeNumericProfiles,
  mergeNumericWindows,
  nextDown,
  profileStd,
  quantileEdges,
  quantileSorted,
  sketchNumericWindow,
  windowMoments,
  type NumericProfile,
  type NumericProfileOptions,
  type NumericWindowSketch,
} from './numeric-profile';
export {
  DEFAULT_MAX_VOCABULARY,
  DEFAULT_TOP_K,
  buildCategoricalProfile,
  categoricalBuckets,
  categoryKey,
  emptyCategoricalWindow,
  mergeCategoricalWindows,
  sketchCategoricalWindow,
  type CategoricalProfile,
  type CategoricalProfileOptions,
  type CategoricalWindowSketch,
} from './categorical-profile';
export { parseDriftSketch, type DriftSketch } from './sketch-json';
export { KS_MAX_EXACT_N, kstwoSf, ksTwoSamplePValue, type KsPValue, type KsPValueMethod } from './kolmogorov';
export { binnedKsTest, ksStatistics, ksTest, type KsTestResult } from './ks-test';
export { WASSERSTEIN_MIN_NORMALIZER, binnedWassersteinDistance, wassersteinDistance, wassersteinNormalizer } from './wasserstein';
export { jensenShannonDistance, populationStabilityIndex, psiFill } from './divergence';
export {
  categoricalChiSquare,
  categoricalZTest,
  chiSquareGoodnessOfFit,
  chiSquareSf,
  type ChiSquareResult,
  type ZTestResult,
} from './chi-square';
export { benjaminiHochberg } from './multiple-testing';
export {
  DEFAULT_DRIFT_THRESHOLDS,
  P_VALUE_TESTS,
  SMALL_REFERENCE,
  chooseDriftTest,
  computeDriftReport,
  type CategoricalDriftInput,
  type DriftInput,
  type DriftOptions,
  type DriftReport,
  type DriftRole,
  type DriftStatus,
  type DriftStatusOptions,
  type DriftTestName,
  type FeatureDrift,
  type FeatureDriftOptions,
  type NumericDriftInput,
  type SkippedFeature,
  type TestChoice,
} from './drift-report';
