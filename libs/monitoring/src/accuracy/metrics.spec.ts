import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classificationMetrics, LOG_LOSS_EPS, quantile, regressionMetrics, rocAuc } from './metrics';

// Inputs and NumPy reference values: tools/monitoring-reference/accuracy (reference.py writes expected.json from cases.json).
const dir = join(__dirname, '..', '..', '..', '..', 'tools', 'monitoring-reference', 'accuracy');
const casesBytes = readFileSync(join(dir, 'cases.json'));
const inputs = JSON.parse(casesBytes.toString('utf8')).cases as any[];
const reference = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as { cases_sha256: string; eps: number; cases: { name: string; kind: string; expected: Record<string, unknown> }[] };

/** Equal within 1e-12, relative to the value's size (summation order differs from NumPy's pairwise sums). */
function expectClose(name: string, actual: unknown, expected: unknown): void {
  if (expected === null || typeof expected === 'string') {
    expect({ name, value: actual }).toEqual({ name, value: expected });
    return;
  }
  expect(typeof actual).toBe('number');
  const tolerance = 1e-12 * Math.max(1, Math.abs(expected as number));
  if (Math.abs((actual as number) - (expected as number)) > tolerance) {
    throw new Error(`${name}: ${String(actual)} differs from the NumPy reference ${String(expected)}`);
  }
}

describe('accuracy metrics against the NumPy reference', () => {
  it('reads the expected values computed from these very inputs', () => {
    expect(reference.cases_sha256).toBe(createHash('sha256').update(casesBytes).digest('hex'));
    expect(reference.eps).toBe(LOG_LOSS_EPS);
    expect(reference.cases.map((c) => c.name)).toEqual(inputs.map((c) => c.name));
  });

  const cases = inputs.map((input, i) => [input.name as string, input, reference.cases[i]!.expected] as const);

  it.each(cases.filter(([, c]) => c.kind === 'classification'))('classification: %s', (name, c, expected) => {
    const got = classificationMetrics({
      actual: c.actual,
      predicted: c.predicted,
      positiveClass: c.positiveClass ?? null,
      classes: c.classes ?? null,
      positiveProbability: c.positiveProbability ?? null,
      probabilities: c.probabilities ?? null,
    });
    for (const key of Object.keys(expected)) expectClose(`${name}.${key}`, (got as unknown as Record<string, unknown>)[key], expected[key]);
  });

  it.each(cases.filter(([, c]) => c.kind === 'regression'))('regression: %s', (name, c, expected) => {
    const got = regressionMetrics(c.actual, c.predicted);
    for (const key of Object.keys(expected)) expectClose(`${name}.${key}`, (got as unknown as Record<string, unknown>)[key], expected[key]);
  });

  it.each(cases.filter(([, c]) => c.kind === 'quantile'))('quantile: %s', (name, c, expected) => {
    for (const q of c.q as number[]) expectClose(`${name}@${q}`, quantile(c.values, q), expected[String(q)]);
  });
});

describe('accuracy metric conventions', () => {
  it('ROC AUC is 1 for a perfect ranking, 0 for an inverted one and 0.5 when every score ties', () => {
    expect(rocAuc([false, false, true, true], [0.1, 0.2, 0.8, 0.9])).toBe(1);
    expect(rocAuc([true, true, false, false], [0.1, 0.2, 0.8, 0.9])).toBe(0);
    expect(rocAuc([true, false, true, false], [0.5, 0.5, 0.5, 0.5])).toBe(0.5);
    expect(rocAuc([true, true], [0.1, 0.9])).toBeNull();
  });

  it('clips probabilities of 0 and 1 so a confident mistake costs -log(eps), not infinity', () => {
    const m = classificationMetrics({ actual: ['1'], predicted: ['0'], positiveClass: '1', positiveProbability: [0] });
    expect(m.logLoss).toBeCloseTo(-Math.log(LOG_LOSS_EPS), 12);
  });

  it('has no multiclass ROC AUC or log loss without the class order of the probabilities', () => {
    const m = classificationMetrics({ actual: ['a', 'b'], predicted: ['a', 'a'], probabilities: [[0.9, 0.1], [0.6, 0.4]] });
    expect(m).toMatchObject({ rocAuc: null, logLoss: null, averaging: 'macro', accuracy: 0.5 });
  });

  it('refuses inputs of different lengths (a bug in the caller, not data)', () => {
    expect(() => classificationMetrics({ actual: ['a'], predicted: [] })).toThrow(/differ in length/);
    expect(() => regressionMetrics([1, 2], [1])).toThrow(/differ in length/);
    expect(() => quantile([1], 1.5)).toThrow(/within 0..1/);
  });
});
