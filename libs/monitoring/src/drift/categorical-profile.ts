import { DriftError, DriftErrorCode } from './drift.errors';
import { emptyColumn } from './numeric-sample';

/**
 * The reference profile of a categorical feature (or of a classifier's predicted label).
 *
 * Values are keys: strings as they are, numbers and booleans through `String()` (so 1 and "1" are the
 * same category); `null`, `undefined` and NaN are missing; anything else is refused (INVALID_CATEGORY).
 * The `topK` most frequent values (ties by value, ascending) are kept with their counts; the rest of
 * the reference lands in `other`, and up to `maxVocabulary` of those values are kept in `otherValues`
 * so that a window can tell "other" (seen in the reference, outside the top K) from "unseen" (never in
 * the reference). Beyond `maxVocabulary` the vocabulary is truncated and unseen values count as other.
 */
export interface CategoricalProfile {
  readonly kind: 'categorical-profile';
  readonly feature: string;
  readonly categories: readonly string[];
  readonly counts: readonly number[];
  readonly other: number;
  /** Reference values outside the top K, sorted. */
  readonly otherValues: readonly string[];
  readonly vocabularyTruncated: boolean;
  readonly count: number;
  readonly missing: number;
}

/**
 * A window of a categorical feature on its profile's categories: counts per top-K category, `other`
 * (in the reference but outside the top K) and `unseen` (not in the reference). Every field adds
 * across windows.
 */
export interface CategoricalWindowSketch {
  readonly kind: 'categorical-window';
  readonly feature: string;
  readonly counts: readonly number[];
  readonly other: number;
  readonly unseen: number;
  readonly count: number;
  readonly missing: number;
}

export interface CategoricalProfileOptions {
  /** Most frequent values kept by name; default 20, from 1 to 10,000. */
  readonly topK?: number;
  /** Reference values beyond the top K remembered to tell "other" from "unseen"; default 10,000. */
  readonly maxVocabulary?: number;
}

export const DEFAULT_TOP_K = 20;
export const DEFAULT_MAX_VOCABULARY = 10000;

/** The category key of a value, or null when the value is missing. */
export function categoryKey(feature: string, value: unknown, row: number): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isNaN(value) ? null : String(value);
  if (typeof value === 'boolean') return String(value);
  throw new DriftError(
    DriftErrorCode.INVALID_CATEGORY,
    `Feature "${feature}" is categorical but row ${row} holds a value of type ${Array.isArray(value) ? 'array' : typeof value}; pass strings, numbers or booleans.`,
    { feature, row },
  );
}

function countValues(feature: string, column: ArrayLike<unknown>): { counts: Map<string, number>; missing: number } {
  const counts = new Map<string, number>();
  let missing = 0;
  for (let i = 0; i < column.length; i++) {
    const key = categoryKey(feature, column[i], i);
    if (key === null) missing++;
    else counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return { counts, missing };
}

const byValue = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function validCount(feature: string, name: string, value: number, max: number): number {
  if (!Number.isInteger(value) || value < 1 || value > max) {
    throw new DriftError(DriftErrorCode.INVALID_DRIFT_OPTIONS, `Feature "${feature}": ${name} must be an integer from 1 to ${max}, got ${value}.`, { feature, [name]: value });
  }
  return value;
}

/** Profiles the reference values of a categorical feature. Throws EMPTY_COLUMN when every row is missing. */
export function buildCategoricalProfile(feature: string, column: ArrayLike<unknown>, options: CategoricalProfileOptions = {}): CategoricalProfile {
  const topK = validCount(feature, 'topK', options.topK ?? DEFAULT_TOP_K, 10000);
  const maxVocabulary = validCount(feature, 'maxVocabulary', options.maxVocabulary ?? DEFAULT_MAX_VOCABULARY, 1_000_000);
  const { counts, missing } = countValues(feature, column);
  const count = column.length - missing;
  if (count === 0) throw emptyColumn(feature, 'reference', column.length, missing);
  const ranked = [...counts.entries()].sort((a, b) => b[1] - a[1] || byValue(a[0], b[0]));
  const top = ranked.slice(0, topK);
  const rest = ranked.slice(topK);
  const otherValues = rest.map(([v]) => v).sort(byValue);
  return {
    kind: 'categorical-profile',
    feature,
    categories: top.map(([v]) => v),
    counts: top.map(([, c]) => c),
    other: rest.reduce((s, [, c]) => s + c, 0),
    otherValues: otherValues.slice(0, maxVocabulary),
    vocabularyTruncated: otherValues.length > maxVocabulary,
    count,
    missing,
  };
}

/** Counts a window's values on the profile's categories. */
export function sketchCategoricalWindow(profile: CategoricalProfile, column: ArrayLike<unknown>): CategoricalWindowSketch {
  const index = new Map(profile.categories.map((c, i) => [c, i]));
  const others = new Set(profile.otherValues);
  const counts = new Array<number>(profile.categories.length).fill(0);
  let other = 0;
  let unseen = 0;
  let missing = 0;
  for (let i = 0; i < column.length; i++) {
    const key = categoryKey(profile.feature, column[i], i);
    if (key === null) {
      missing++;
      continue;
    }
    const at = index.get(key);
    if (at !== undefined) counts[at]!++;
    else if (others.has(key) || profile.vocabularyTruncated) other++;
    else unseen++;
  }
  return { kind: 'categorical-window', feature: profile.feature, counts, other, unseen, count: column.length - missing, missing };
}

/** An empty window on a profile's categories (the identity of `mergeCategoricalWindows`). */
export function emptyCategoricalWindow(profile: CategoricalProfile): CategoricalWindowSketch {
  return { kind: 'categorical-window', feature: profile.feature, counts: profile.counts.map(() => 0), other: 0, unseen: 0, count: 0, missing: 0 };
}

/** Adds two windows of the same feature on the same categories. */
export function mergeCategoricalWindows(a: CategoricalWindowSketch, b: CategoricalWindowSketch): CategoricalWindowSketch {
  if (a.feature !== b.feature || a.counts.length !== b.counts.length) {
    throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `Categorical windows of "${a.feature}" and "${b.feature}" (${a.counts.length} vs ${b.counts.length} categories) cannot merge.`, {
      feature: a.feature,
    });
  }
  return {
    kind: 'categorical-window',
    feature: a.feature,
    counts: a.counts.map((c, i) => c + b.counts[i]!),
    other: a.other + b.other,
    unseen: a.unseen + b.unseen,
    count: a.count + b.count,
    missing: a.missing + b.missing,
  };
}

/**
 * The reference and window counts over the same buckets: the top-K categories, then "other", then
 * "unseen" (always 0 in the reference).
 */
export function categoricalBuckets(profile: CategoricalProfile, window: CategoricalWindowSketch): { labels: string[]; reference: number[]; window: number[] } {
  if (profile.feature !== window.feature || profile.counts.length !== window.counts.length) {
    throw new DriftError(DriftErrorCode.SKETCH_MISMATCH, `Feature "${profile.feature}": the window was not counted on this profile's categories.`, {
      feature: profile.feature,
    });
  }
  return {
    labels: [...profile.categories, '(other)', '(unseen)'],
    reference: [...profile.counts, profile.other, 0],
    window: [...window.counts, window.other, window.unseen],
  };
}
