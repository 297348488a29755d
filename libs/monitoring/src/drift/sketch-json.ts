import { z } from 'zod';
import type { CategoricalProfile, CategoricalWindowSketch } from './categorical-profile';
import { DriftError, DriftErrorCode } from './drift.errors';
import type { NumericProfile, NumericWindowSketch } from './numeric-profile';

/** Every sketch this module stores: profiles of the reference and windows on them. */
export type DriftSketch = NumericProfile | NumericWindowSketch | CategoricalProfile | CategoricalWindowSketch;

const count = z.number().int().nonnegative();
const finite = z.number().refine(Number.isFinite, 'must be finite');

const numericProfile = z.strictObject({
  kind: z.literal('numeric-profile'),
  feature: z.string(),
  edges: z.array(finite).min(1),
  counts: z.array(count),
  sums: z.array(finite),
  count: count.min(1),
  missing: count,
  nonFinite: count,
  mean: finite,
  m2: finite.refine((x) => x >= 0, 'must be >= 0'),
  min: finite,
  max: finite,
});

const numericWindow = z.strictObject({
  kind: z.literal('numeric-window'),
  feature: z.string(),
  counts: z.array(count),
  sums: z.array(finite),
  count,
  missing: count,
  nonFinite: count,
  shift: finite,
  sumSquares: finite.refine((x) => x >= 0, 'must be >= 0'),
  min: finite.nullable(),
  max: finite.nullable(),
});

const categoricalProfile = z.strictObject({
  kind: z.literal('categorical-profile'),
  feature: z.string(),
  categories: z.array(z.string()),
  counts: z.array(count),
  other: count,
  otherValues: z.array(z.string()),
  vocabularyTruncated: z.boolean(),
  count: count.min(1),
  missing: count,
});

const categoricalWindow = z.strictObject({
  kind: z.literal('categorical-window'),
  feature: z.string(),
  counts: z.array(count),
  other: count,
  unseen: count,
  count,
  missing: count,
});

const sketch = z.discriminatedUnion('kind', [numericProfile, numericWindow, categoricalProfile, categoricalWindow]);

function consistency(s: DriftSketch): string | null {
  const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
  switch (s.kind) {
    case 'numeric-profile':
      if (s.counts.length !== s.edges.length + 1 || s.sums.length !== s.counts.length) return 'counts and sums must have one entry more than edges';
      if (s.edges.some((e, i) => i > 0 && e <= s.edges[i - 1]!)) return 'edges must be strictly increasing';
      if (sum(s.counts) !== s.count) return 'counts must add up to count';
      if (s.min > s.max || s.nonFinite > s.missing) return 'min must not exceed max, nonFinite not exceed missing';
      return null;
    case 'numeric-window':
      if (s.counts.length < 2 || s.sums.length !== s.counts.length || sum(s.counts) !== s.count) return 'counts (at least two bins, one sum each) must add up to count';
      if ((s.count === 0) !== (s.min === null) || (s.min === null) !== (s.max === null)) return 'min and max must be null exactly when count is 0';
      return s.nonFinite > s.missing ? 'nonFinite must not exceed missing' : null;
    case 'categorical-profile':
      if (s.counts.length !== s.categories.length || new Set(s.categories).size !== s.categories.length) return 'categories must be distinct, one count each';
      return sum(s.counts) + s.other !== s.count ? 'counts and other must add up to count' : null;
    case 'categorical-window':
      return sum(s.counts) + s.other + s.unseen !== s.count ? 'counts, other and unseen must add up to count' : null;
  }
}

/**
 * Reads a stored profile or window (parsed JSON) back, checking its shape and arithmetic: counts add
 * up, edges increase, nothing is negative. Sketches are plain data, so `JSON.stringify` writes them
 * (doubles round-trip exactly; an empty window's min and max are null).
 */
export function parseDriftSketch(json: unknown): DriftSketch {
  const parsed = sketch.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const where = issue.path.length ? issue.path.join('.') : 'sketch';
    throw new DriftError(DriftErrorCode.INVALID_SKETCH, `The stored drift sketch is malformed: ${where}: ${issue.message}.`, { path: issue.path.map(String) });
  }
  const value = parsed.data as DriftSketch;
  const problem = consistency(value);
  if (problem) {
    throw new DriftError(DriftErrorCode.INVALID_SKETCH, `The stored ${value.kind} of "${value.feature}" is inconsistent: ${problem}.`, { feature: value.feature });
  }
  return value;
}
