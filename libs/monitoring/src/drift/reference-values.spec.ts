/**
 * Every statistic against NumPy/SciPy on the committed cases: tools/monitoring-reference/drift/ holds
 * the data (make_data.py), the script (compute_reference.py, run by hand: CI has no Python) and its
 * output expected.json. Tolerance: 1e-9 relative where SciPy computes exactly (or with its own series);
 * counts, edges and test choices must be equal.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildCategoricalProfile, sketchCategoricalWindow } from './categorical-profile';
import { categoricalChiSquare, categoricalZTest } from './chi-square';
import { jensenShannonDistance, populationStabilityIndex } from './divergence';
import { computeDriftReport, type DriftInput, type DriftReport } from './drift-report';
import { binnedKsTest, ksTest } from './ks-test';
import { buildNumericProfile, profileStd, sketchNumericWindow, windowMoments } from './numeric-profile';
import { numericSample } from './numeric-sample';
import { binnedWassersteinDistance, wassersteinDistance, wassersteinNormalizer } from './wasserstein';

const DIR = resolve(__dirname, '../../../../tools/monitoring-reference/drift');

type Json = any;

/** expected.json writes inf and nan as strings (JSON has neither). */
function decode(x: Json): Json {
  if (x === 'inf') return Infinity;
  if (x === '-inf') return -Infinity;
  if (x === 'nan') return NaN;
  if (Array.isArray(x)) return x.map(decode);
  if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, v]) => [k, decode(v)]));
  return x;
}

const expected: Json = decode(JSON.parse(readFileSync(join(DIR, 'expected.json'), 'utf8')));

function readCsv(path: string): Record<string, string[]> {
  const [header, ...rows] = readFileSync(path, 'utf8').trimEnd().split('\n');
  const names = header!.split(',');
  const out: Record<string, string[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (const row of rows) row.split(',').forEach((cell, i) => out[names[i]!]!.push(cell));
  return out;
}

/** CSV cells of a numeric column: '' is null (missing), nan/inf/-inf the non-finite doubles. */
function numbers(cells: string[]): (number | null)[] {
  return cells.map((c) => (c === '' ? null : c === 'nan' ? NaN : c === 'inf' ? Infinity : c === '-inf' ? -Infinity : Number(c)));
}

const labels = (cells: string[]): (string | null)[] => cells.map((c) => (c === '' ? null : c));

/** |actual - expected| <= rel * |expected| (or both equal, including infinities). */
function close(actual: number, wanted: number, rel = 1e-9, what = ''): void {
  if (actual === wanted || (Number.isNaN(actual) && Number.isNaN(wanted))) return;
  const err = Math.abs(actual - wanted);
  if (!(err <= rel * Math.abs(wanted) || err < 1e-300)) {
    throw new Error(`${what}: ${actual} differs from SciPy's ${wanted} (relative ${err / Math.abs(wanted)})`);
  }
}

function closeAll(actual: readonly number[], wanted: readonly number[], rel: number, what: string): void {
  expect(actual.length).toBe(wanted.length);
  actual.forEach((a, i) => close(a, wanted[i]!, rel, `${what}[${i}]`));
}

interface LoadedCase {
  name: string;
  spec: Json;
  inputs: { exact: DriftInput[]; binned: DriftInput[] };
  ref: Record<string, string[]>;
  win: Record<string, string[]>;
}

function loadCase(name: string): LoadedCase {
  const spec = expected.cases[name];
  const ref = readCsv(join(DIR, 'data', name, 'reference.csv'));
  const win = readCsv(join(DIR, 'data', name, 'window.csv'));
  const exact: DriftInput[] = [];
  const binned: DriftInput[] = [];
  for (const [feature, type] of Object.entries(spec.types as Record<string, string>)) {
    const role = feature === spec.prediction ? 'prediction' : 'feature';
    const options = spec.options[feature] ?? {};
    if (type === 'numeric') {
      const referenceSample = numericSample(feature, numbers(ref[feature]!));
      const reference = buildNumericProfile(feature, referenceSample, options);
      const window = numericSample(feature, numbers(win[feature]!));
      exact.push({ role, reference, referenceSample, window });
      binned.push({ role, reference, window: sketchNumericWindow(reference, numbers(win[feature]!)) });
    } else {
      const reference = buildCategoricalProfile(feature, labels(ref[feature]!), options);
      const window = sketchCategoricalWindow(reference, labels(win[feature]!));
      exact.push({ role, reference, window });
      binned.push({ role, reference, window });
    }
  }
  return { name, spec, inputs: { exact, binned }, ref, win };
}

const CASES = Object.keys(expected.cases);

describe('the committed reference values', () => {
  it('are present, name the script that made them, and cover the cases the issue asks for', () => {
    expect(expected.generatedBy).toBe('tools/monitoring-reference/drift/compute_reference.py');
    expect(readFileSync(join(DIR, 'compute_reference.py'), 'utf8')).toContain('from scipy import stats');
    expect(expected.versions.scipy).toMatch(/^1\.17\./);
    expect(CASES).toEqual(
      expect.arrayContaining(['no_drift', 'shifted_mean', 'scaled_spread', 'categorical_shift', 'ties', 'constant', 'missing', 'small_sample', 'equal_sizes', 'large']),
    );
  });
});

describe.each(CASES)('case %s', (name) => {
  const c = loadCase(name);

  it('numeric profiles and windows: edges, counts, moments, missing', () => {
    for (const input of c.inputs.binned) {
      if (input.reference.kind !== 'numeric-profile') continue;
      const f = c.spec.features[input.reference.feature];
      const p = input.reference;
      const what = `${name}/${p.feature}`;
      closeAll(p.edges, f.edges, 1e-15, `${what} edges`);
      expect(p.counts).toEqual(f.profile.counts);
      closeAll(p.sums, f.profile.sums, 1e-9, `${what} bin sums`);
      expect([p.count, p.missing, p.nonFinite, p.min, p.max]).toEqual([f.profile.count, f.profile.missing, f.profile.nonFinite, f.profile.min, f.profile.max]);
      close(p.mean, f.profile.mean, 1e-12, `${what} mean`);
      close(profileStd(p), f.profile.std, 1e-12, `${what} std`);
      const w = input.window as Json;
      expect(w.counts).toEqual(f.window.counts);
      expect([w.count, w.missing, w.nonFinite, w.min, w.max]).toEqual([f.window.count, f.window.missing, f.window.nonFinite, f.window.min, f.window.max]);
      const m = windowMoments(w)!;
      close(m.mean, f.window.mean, 1e-12, `${what} window mean`);
      close(m.std, f.window.std, 1e-9, `${what} window std`);
    }
  });

  it('numeric statistics: KS exact and binned, Wasserstein exact and binned, PSI, Jensen-Shannon', () => {
    c.inputs.exact.forEach((input, i) => {
      if (input.reference.kind !== 'numeric-profile' || !('referenceSample' in input)) return;
      const f = c.spec.features[input.reference.feature];
      const what = `${name}/${input.reference.feature}`;
      const ref = input.referenceSample!;
      const win = input.window as Json;
      const ks = ksTest(ref, win);
      close(ks.statistic, f.ks.statistic, 1e-12, `${what} KS D`);
      close(ks.pValue, f.ks.pValue, 1e-9, `${what} KS p`);
      expect(ks.method).toBe(f.ks.method);
      const sketch = c.inputs.binned[i]!.window as Json;
      const kb = binnedKsTest(input.reference, sketch);
      close(kb.statistic, f.ksBinned.statistic, 1e-12, `${what} binned KS D`);
      close(kb.pValue, f.ksBinned.pValue, 1e-9, `${what} binned KS p`);
      close(wassersteinDistance(ref, win), f.wasserstein, 1e-9, `${what} Wasserstein`);
      close(wassersteinNormalizer(input.reference), f.wassersteinNormalizer, 1e-12, `${what} normaliser`);
      close(binnedWassersteinDistance(input.reference, sketch), f.wassersteinBinned, 1e-9, `${what} binned Wasserstein`);
      close(populationStabilityIndex(input.reference.counts, sketch.counts), f.psi, 1e-9, `${what} PSI`);
      close(jensenShannonDistance(input.reference.counts, sketch.counts), f.jensenShannon, 1e-9, `${what} JS`);
    });
  });

  it('categorical profiles, windows, chi-square, z-test, PSI, Jensen-Shannon', () => {
    for (const input of c.inputs.exact) {
      if (input.reference.kind !== 'categorical-profile') continue;
      const f = c.spec.features[input.reference.feature];
      const what = `${name}/${input.reference.feature}`;
      const p = input.reference;
      const w = input.window as Json;
      expect({ categories: p.categories, counts: p.counts, other: p.other, otherValues: p.otherValues, count: p.count, missing: p.missing }).toEqual(f.profile);
      expect({ counts: w.counts, other: w.other, unseen: w.unseen, count: w.count, missing: w.missing }).toEqual(f.window);
      const chi = categoricalChiSquare(p, w);
      close(chi.statistic, f.chiSquare.statistic, 1e-12, `${what} chi-square`);
      close(chi.pValue, f.chiSquare.pValue, 1e-9, `${what} chi-square p`);
      expect(chi.dof).toBe(f.chiSquare.dof);
      if (f.zTest) {
        const z = categoricalZTest(p, w);
        close(z.statistic, f.zTest.statistic, 1e-12, `${what} z`);
        close(z.pValue, f.zTest.pValue, 1e-9, `${what} z p`);
      }
      const ref = [...p.counts, p.other, 0];
      const cur = [...w.counts, w.other, w.unseen];
      close(populationStabilityIndex(ref, cur), f.psi, 1e-9, `${what} PSI`);
      close(jensenShannonDistance(ref, cur), f.jensenShannon, 1e-9, `${what} JS`);
    }
  });

  const compare = (report: DriftReport, wanted: Json, what: string): void => {
    const all = [...report.features, ...report.predictions];
    expect(all.map((r) => [r.feature, r.role, r.test, r.method, r.drifted])).toEqual(
      expect.arrayContaining(wanted.features.map((r: Json) => [r.feature, r.role, r.test, r.method, r.drifted])),
    );
    expect(all).toHaveLength(wanted.features.length);
    for (const r of wanted.features) {
      const got = all.find((x) => x.feature === r.feature)!;
      close(got.score, r.score, 1e-9, `${what} ${r.feature} score`);
      if (r.adjustedPValue !== undefined) close(got.adjustedPValue!, r.adjustedPValue, 1e-9, `${what} ${r.feature} BH`);
    }
    expect([report.status, report.driftedFeatures, report.testedFeatures]).toEqual([wanted.status, wanted.driftedFeatures, wanted.testedFeatures]);
  };

  it('drift report on raw windows (exact tests), with and without Benjamini-Hochberg', () => {
    compare(computeDriftReport(c.inputs.exact), c.spec.reports.exact, `${name} exact`);
    compare(computeDriftReport(c.inputs.exact, { benjaminiHochberg: true }), c.spec.reports.exactBH, `${name} exact BH`);
  });

  it('drift report on window sketches (binned tests)', () => {
    compare(computeDriftReport(c.inputs.binned), c.spec.reports.binned, `${name} binned`);
  });
});

describe('the binned Wasserstein approximation', () => {
  it('stays within 0.02 reference std of the exact distance on every committed numeric feature, and within 5% from the 0.1 threshold up', () => {
    for (const name of CASES) {
      for (const [feature, f] of Object.entries(expected.cases[name].features as Record<string, Json>)) {
        if (f.type !== 'numeric') continue;
        const exact = f.wassersteinNormalized;
        const gap = Math.abs(f.wassersteinBinnedNormalized - exact);
        if (gap > 0.02 || (exact >= 0.1 && gap > 0.05 * exact)) throw new Error(`${name}/${feature}: binned ${f.wassersteinBinnedNormalized} vs exact ${exact}`);
      }
    }
  });
});
