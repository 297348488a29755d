/* Drift section of the monitoring benchmark: see README.md beside this file. */
import { spawnSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  buildNumericProfile,
  finiteValues,
  jensenShannonDistance,
  ksStatistics,
  ksTest,
  ksTwoSamplePValue,
  numericSample,
  populationStabilityIndex,
  sketchNumericWindow,
  type KsTestResult,
  type NumericProfile,
} from '@modelport/monitoring';

export interface DriftBenchOptions {
  readonly rows: number;
  readonly features: number;
  readonly reps: number;
  readonly bins: number;
  /** Also time exact KS with the built-in Float64Array sort, to show what the radix sort buys. */
  readonly builtinSortReps: number;
}

const root = resolve(__dirname, '..', '..', '..', '..');
const PYTHON_SCRIPT = join(root, 'tools/bench/monitoring/drift_bench.py');
const HEADER_BYTES = 32;
const MAGIC = 'MPDRIFT1';

const print = (line = ''): void => void process.stdout.write(`${line}\n`);

/** xoshiro128** seeded through splitmix32: fast, deterministic, the same stream on every machine. */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  const split = (): number => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = split();
  let b = split();
  let c = split();
  let d = split();
  return () => {
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return r;
  };
}

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/** Fills a column with normal deviates (Box-Muller on 53-bit uniforms). */
function fillNormal(out: Float64Array, next: () => number, mean: number, sd: number): void {
  for (let i = 0; i < out.length; i += 2) {
    const u1 = ((next() >>> 5) * 67108864 + (next() >>> 6) + 1) * 2 ** -53; // (0, 1]
    const u2 = ((next() >>> 5) * 67108864 + (next() >>> 6)) * 2 ** -53; // [0, 1)
    const r = Math.sqrt(-2 * Math.log(u1));
    out[i] = mean + sd * r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < out.length) out[i + 1] = mean + sd * r * Math.sin(2 * Math.PI * u2);
  }
}

/**
 * Feature j: reference N(j, 1 + j/10); the window keeps it (j % 3 == 0), shifts the mean by 0.01 sd
 * (j % 3 == 1) or widens the spread by 2% (j % 3 == 2), so the p-values cover "no drift" and "drift".
 */
function featureData(j: number, rows: number): { reference: Float64Array; window: Float64Array } {
  const sd = 1 + j / 10;
  const next = generator(0x5eed + j);
  const reference = new Float64Array(rows);
  const window = new Float64Array(rows);
  fillNormal(reference, next, j, sd);
  fillNormal(window, next, j + (j % 3 === 1 ? 0.01 * sd : 0), sd * (j % 3 === 2 ? 1.02 : 1));
  return { reference, window };
}

/** Writes the data (header, reference columns, window columns; float64 little-endian) for Python. */
function writeData(path: string, data: { reference: Float64Array; window: Float64Array }[], rows: number): void {
  const fd = openSync(path, 'w');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    header.write(MAGIC, 0, 'latin1');
    header.writeUInt32LE(rows, 8);
    header.writeUInt32LE(data.length, 12);
    writeSync(fd, header);
    for (const side of ['reference', 'window'] as const) {
      for (const f of data) writeSync(fd, new Uint8Array(f[side].buffer, f[side].byteOffset, f[side].byteLength));
    }
  } finally {
    closeSync(fd);
  }
}

const p50 = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const now = (): number => Number(process.hrtime.bigint()) / 1e6;

interface FeatureResult {
  readonly ks: KsTestResult;
  readonly psi: number;
  readonly js: number;
}

interface PythonResult {
  readonly versions: Record<string, string>;
  readonly ksMs: number[];
  readonly binnedMs: number[];
  /** One pass of ks_2samp's two parts, timed apart. */
  readonly ksStatisticMs: number;
  readonly ksPValueMs: number;
  readonly ks: { statistic: number; pValue: number }[];
  readonly psi: number[];
  readonly js: number[];
}

/** Exact KS per feature as a user runs it: drop missing values, sort both samples, merge, p-value. */
function exactKs(data: { reference: Float64Array; window: Float64Array }[]): KsTestResult[] {
  return data.map((f, j) => ksTest(numericSample(`f${j}`, f.reference), numericSample(`f${j}`, f.window)));
}

/** The same two parts timed apart: the statistic (copy, sort both, merge) and the p-value. */
function exactKsParts(data: { reference: Float64Array; window: Float64Array }[]): { statisticMs: number; pValueMs: number } {
  let statisticMs = 0;
  let pValueMs = 0;
  data.forEach((f, j) => {
    const t0 = now();
    const a = numericSample(`f${j}`, f.reference).sorted;
    const b = numericSample(`f${j}`, f.window).sorted;
    const { plus, minus } = ksStatistics(a, b);
    const t1 = now();
    ksTwoSamplePValue(a.length, b.length, minus > plus ? minus : plus);
    statisticMs += t1 - t0;
    pValueMs += now() - t1;
  });
  return { statisticMs, pValueMs };
}

/** The same with the built-in typed-array sort instead of the radix sort (for the README's comparison). */
function exactKsBuiltinSort(data: { reference: Float64Array; window: Float64Array }[]): void {
  for (const [j, f] of data.entries()) {
    const a = finiteValues(`f${j}`, f.reference).values.sort();
    const b = finiteValues(`f${j}`, f.window).values.sort();
    const { plus, minus } = ksStatistics(a, b);
    ksTwoSamplePValue(a.length, b.length, minus > plus ? minus : plus);
  }
}

/** Binned PSI and Jensen-Shannon per feature: count the window on the reference profile's bins, then both statistics. */
function binned(data: { window: Float64Array }[], profiles: NumericProfile[]): { psi: number; js: number }[] {
  return data.map((f, j) => {
    const window = sketchNumericWindow(profiles[j]!, f.window);
    return { psi: populationStabilityIndex(profiles[j]!.counts, window.counts), js: jensenShannonDistance(profiles[j]!.counts, window.counts) };
  });
}

function maxRelative(pairs: [number, number][]): number {
  let max = 0;
  for (const [a, b] of pairs) {
    const err = Math.abs(a - b);
    if (err > 1e-300) max = Math.max(max, err / Math.max(Math.abs(b), 1e-300));
  }
  return max;
}

const seconds = (ms: number): string => `${(ms / 1000).toFixed(3)} s`;

export function runDriftBench(options: DriftBenchOptions): void {
  const { rows, features, reps, bins } = options;
  print(`## Drift: ${rows.toLocaleString('en-US')} rows x ${features} features, reference and window each (float64)`);
  let t = now();
  const data = Array.from({ length: features }, (_, j) => featureData(j, rows));
  print(`generated in ${seconds(now() - t)} (seeded xoshiro128**, Box-Muller)`);
  const dir = mkdtempSync(join(tmpdir(), 'modelport-bench-drift-'));
  try {
    const file = join(dir, 'drift.f64');
    t = now();
    writeData(file, data, rows);
    print(`written to ${file} (${((HEADER_BYTES + 2 * rows * features * 8) / 2 ** 20).toFixed(0)} MiB) in ${seconds(now() - t)}`);

    // Profiles (quantile edges) are built once per reference, outside the timings, as they are in production.
    const profiles = data.map((f, j) => buildNumericProfile(`f${j}`, f.reference, { bins }));
    const edgesPath = join(dir, 'edges.json');
    const fd = openSync(edgesPath, 'w');
    writeSync(fd, JSON.stringify(profiles.map((p) => ({ edges: p.edges, counts: p.counts }))));
    closeSync(fd);

    const ksMs: number[] = [];
    const binnedMs: number[] = [];
    let ours: FeatureResult[] = [];
    for (let r = 0; r < reps; r++) {
      t = now();
      const ks = exactKs(data);
      ksMs.push(now() - t);
      t = now();
      const b = binned(data, profiles);
      binnedMs.push(now() - t);
      ours = ks.map((k, j) => ({ ks: k, psi: b[j]!.psi, js: b[j]!.js }));
    }
    const parts = exactKsParts(data);
    const builtinMs: number[] = [];
    for (let r = 0; r < options.builtinSortReps; r++) {
      t = now();
      exactKsBuiltinSort(data);
      builtinMs.push(now() - t);
    }

    print(`running NumPy/SciPy (${PYTHON_SCRIPT}) on the same file, ${reps} repetitions...`);
    const child = spawnSync('python3', [PYTHON_SCRIPT, file, edgesPath, String(reps)], { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 });
    if (child.status !== 0) throw new Error(`python3 drift_bench.py failed (${child.status}): ${child.stderr || child.error}`);
    const py = JSON.parse(child.stdout) as PythonResult;

    const ksRatio = p50(ksMs) / p50(py.ksMs);
    const binnedRatio = p50(binnedMs) / p50(py.binnedMs);
    print();
    print(`Node ${process.version}; Python ${py.versions['python']}, NumPy ${py.versions['numpy']}, SciPy ${py.versions['scipy']}; ${reps} repetitions, p50 of each side's total over ${features} features`);
    print();
    print('| computation | Modelport (TypeScript) | NumPy/SciPy | ratio Modelport / SciPy |');
    print('|---|---:|---:|---:|');
    print(`| exact KS: sort both, merge, p-value (ks_2samp) | ${seconds(p50(ksMs))} | ${seconds(p50(py.ksMs))} | **${ksRatio.toFixed(2)}x** (goal <= 1.5x: ${ksRatio <= 1.5 ? 'met' : 'NOT met'}) |`);
    print(`| - of which the statistic, one pass: copy, sort both, merge (SciPy: sort both, searchsorted) | ${seconds(parts.statisticMs)} | ${seconds(py.ksStatisticMs)} | ${(parts.statisticMs / py.ksStatisticMs).toFixed(2)}x |`);
    print(`| - of which the p-value, one pass: kstwo.sf(D, round(n1 n2 / (n1 + n2))) | ${seconds(parts.pValueMs)} | ${seconds(py.ksPValueMs)} | ${(parts.pValueMs / py.ksPValueMs).toFixed(2)}x |`);
    if (builtinMs.length) {
      print(`| (exact KS with Float64Array.prototype.sort instead of the radix sort) | ${seconds(p50(builtinMs))} | | ${(p50(builtinMs) / p50(py.ksMs)).toFixed(2)}x |`);
    }
    print(`| binned PSI + Jensen-Shannon, ${bins} bins: count the window, both statistics | ${seconds(p50(binnedMs))} | ${seconds(p50(py.binnedMs))} | ${binnedRatio.toFixed(2)}x |`);

    print();
    print(`per repetition, Modelport KS: ${ksMs.map((x) => x.toFixed(0)).join(', ')} ms; SciPy KS: ${py.ksMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    print(`per repetition, Modelport binned: ${binnedMs.map((x) => x.toFixed(0)).join(', ')} ms; NumPy binned: ${py.binnedMs.map((x) => x.toFixed(0)).join(', ')} ms`);
    const dMax = maxRelative(ours.map((o, j) => [o.ks.statistic, py.ks[j]!.statistic]));
    const pMax = maxRelative(ours.map((o, j) => [o.ks.pValue, py.ks[j]!.pValue]));
    const psiMax = maxRelative(ours.map((o, j) => [o.psi, py.psi[j]!]));
    const jsMax = maxRelative(ours.map((o, j) => [o.js, py.js[j]!]));
    print(`same results as SciPy: largest relative difference KS D ${dMax.toExponential(1)}, KS p ${pMax.toExponential(1)}, PSI ${psiMax.toExponential(1)}, JS ${jsMax.toExponential(1)}`);
    const drifted = ours.filter((o) => o.ks.pValue < 0.05).length;
    print(`KS p < 0.05 on ${drifted} of ${features} features (methods: ${[...new Set(ours.map((o) => o.ks.method))].join(', ')})`);
    if (dMax > 1e-12 || pMax > 1e-9 || psiMax > 1e-9 || jsMax > 1e-9) throw new Error('Modelport and SciPy disagree (see the line above)');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
