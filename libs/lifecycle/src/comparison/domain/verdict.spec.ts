import { ComparisonErrorCode } from './comparison.errors';
import type { PairFigures } from './pair-figures';
import { decideVerdict, DEFAULT_VERDICT_THRESHOLDS, resolveThresholds, type ServiceFigures, type VerdictInput } from './verdict';

const service = (requests: number, errors: number, p99: number | null): ServiceFigures => ({
  requests,
  errors,
  errorRate: requests ? errors / requests : null,
  latencyP50Ms: p99 === null ? null : p99 / 2,
  latencyP99Ms: p99,
});

const metrics = (accuracy: number) => ({ accuracy, precision: null, recall: null, f1: null, rocAuc: null, logLoss: null, averaging: 'binary' as const });

function figures(compared: number, accuracy: { rows: number; champion: number; challenger: number } | null = null): PairFigures {
  return {
    pairs: compared,
    comparedPairs: compared,
    rows: compared,
    unscorable: [],
    classification: { rows: compared, agreeing: compared, agreementRate: compared ? 1 : null, confusion: [], probabilityRows: 0, meanAbsProbabilityDifference: null },
    regression: null,
    outputs: null,
    championOnlyOutputs: [],
    challengerOnlyOutputs: [],
    accuracy: accuracy && {
      labelledRows: accuracy.rows,
      unscorable: [],
      regression: null,
      classification: { champion: metrics(accuracy.champion), challenger: metrics(accuracy.challenger), delta: { ...metrics(accuracy.challenger - accuracy.champion) } },
    },
  };
}

const input = (over: Partial<VerdictInput> = {}): VerdictInput => ({
  task: 'classification',
  figures: figures(200, { rows: 80, champion: 0.8, challenger: 0.8 }),
  champion: service(1000, 10, 10),
  challenger: service(1000, 10, 10),
  cappedAt: null,
  ...over,
});

const verdictOf = (over: Partial<VerdictInput>) => decideVerdict(input(over), DEFAULT_VERDICT_THRESHOLDS).verdict;

describe('decideVerdict', () => {
  it('is NO_WORSE when nothing moves beyond its threshold', () => {
    expect(verdictOf({})).toBe('NO_WORSE');
    // Exactly one point more errors, exactly twice the latency, accuracy exactly at the tolerance: not worse.
    expect(verdictOf({ challenger: service(1000, 20, 20), figures: figures(200, { rows: 80, champion: 0.8, challenger: 0.79 }) })).toBe('NO_WORSE');
  });

  it('is INSUFFICIENT_DATA below minPairs, whatever else', () => {
    expect(verdictOf({ figures: figures(99, { rows: 80, champion: 0.5, challenger: 0.9 }) })).toBe('INSUFFICIENT_DATA');
    expect(verdictOf({ figures: figures(99), challenger: service(1000, 500, 100) })).toBe('INSUFFICIENT_DATA');
  });

  it('is CHALLENGER_WORSE on errors, latency or accuracy beyond their thresholds', () => {
    const errors = decideVerdict(input({ challenger: service(1000, 21, 10) }), DEFAULT_VERDICT_THRESHOLDS);
    expect(errors.verdict).toBe('CHALLENGER_WORSE');
    expect(errors.evidence).toContain('error rate: challenger 2.10% of 1000 requests vs champion 1.00% of 1000 (+1.10 points; worse above +1.00 points).');
    const latency = decideVerdict(input({ challenger: service(1000, 10, 20.5) }), DEFAULT_VERDICT_THRESHOLDS);
    expect(latency.verdict).toBe('CHALLENGER_WORSE');
    expect(latency.evidence).toContain('latency p99: challenger 20.500 ms vs champion 10.000 ms (×2.05; worse above ×2).');
    expect(verdictOf({ champion: service(1000, 0, 0), challenger: service(1000, 0, 0.001) })).toBe('CHALLENGER_WORSE');
    expect(verdictOf({ figures: figures(200, { rows: 80, champion: 0.8, challenger: 0.78 }) })).toBe('CHALLENGER_WORSE');
    // Worse latency outweighs better accuracy.
    expect(verdictOf({ challenger: service(1000, 10, 30), figures: figures(200, { rows: 80, champion: 0.8, challenger: 0.9 }) })).toBe('CHALLENGER_WORSE');
  });

  it('is CHALLENGER_BETTER only with enough labelled rows', () => {
    expect(verdictOf({ figures: figures(200, { rows: 50, champion: 0.8, challenger: 0.82 }) })).toBe('CHALLENGER_BETTER');
    const few = decideVerdict(input({ figures: figures(200, { rows: 49, champion: 0.8, challenger: 0.99 }) }), DEFAULT_VERDICT_THRESHOLDS);
    expect(few.verdict).toBe('NO_WORSE');
    expect(few.evidence).toContain('actuals: 49 labelled rows (at least 50 needed to judge accuracy): agreement alone cannot show a challenger is better.');
    // Nor can a few labelled rows make it worse.
    expect(verdictOf({ figures: figures(200, { rows: 49, champion: 0.99, challenger: 0.1 }) })).toBe('NO_WORSE');
    expect(verdictOf({ figures: figures(200) })).toBe('NO_WORSE');
  });

  it('judges a regression by RMSE relative to the champion', () => {
    const regression = (champion: number, challenger: number): PairFigures => ({
      ...figures(200),
      classification: null,
      accuracy: {
        labelledRows: 60,
        unscorable: [],
        classification: null,
        regression: {
          champion: { rmse: champion, mae: null, mape: null, r2: null },
          challenger: { rmse: challenger, mae: null, mape: null, r2: null },
          delta: { rmse: challenger - champion, mae: null, mape: null, r2: null },
        },
      },
    });
    expect(verdictOf({ task: 'regression', figures: regression(2, 2.09) })).toBe('NO_WORSE');
    expect(verdictOf({ task: 'regression', figures: regression(2, 2.11) })).toBe('CHALLENGER_WORSE');
    expect(verdictOf({ task: 'regression', figures: regression(2, 1.89) })).toBe('CHALLENGER_BETTER');
    expect(verdictOf({ task: 'regression', figures: regression(0, 0.1) })).toBe('CHALLENGER_WORSE');
    expect(verdictOf({ task: 'regression', figures: regression(0, 0) })).toBe('NO_WORSE');
    expect(decideVerdict(input({ task: 'regression', figures: regression(2, 1.5) }), DEFAULT_VERDICT_THRESHOLDS).evidence).toContain(
      "RMSE on 60 labelled rows: challenger 1.500 vs champion 2 (-25.00%; better or worse beyond ±5.00% of the champion's, with at least 50 labelled rows).",
    );
  });

  it('without monitoring settings is at most NO_WORSE and says why', () => {
    const result = decideVerdict(input({ task: null, figures: { ...figures(200), classification: null, accuracy: null } }), DEFAULT_VERDICT_THRESHOLDS);
    expect(result.verdict).toBe('NO_WORSE');
    expect(result.evidence.some((e) => e.startsWith('no monitoring settings:'))).toBe(true);
  });

  it('says when the comparison was capped', () => {
    const result = decideVerdict(input({ cappedAt: { pairs: 200, maxPairs: 200, maxRows: 1000 } }), DEFAULT_VERDICT_THRESHOLDS);
    expect(result.evidence[1]).toBe('capped: only the first 200 pairs of the window were read (at most 200 pairs and 1000 rows per comparison); ask for a shorter window to see the rest.');
  });
});

describe('resolveThresholds', () => {
  it('keeps the defaults for what is not given', () => {
    expect(resolveThresholds(null)).toEqual(DEFAULT_VERDICT_THRESHOLDS);
    expect(resolveThresholds({ minPairs: 10, accuracyTolerance: null })).toEqual({ ...DEFAULT_VERDICT_THRESHOLDS, minPairs: 10 });
  });

  it('refuses values out of range, naming the field', () => {
    for (const [overrides, field] of [
      [{ minPairs: 0 }, 'thresholds.minPairs'],
      [{ minActuals: 1.5 }, 'thresholds.minActuals'],
      [{ maxErrorRateIncrease: -0.1 }, 'thresholds.maxErrorRateIncrease'],
      [{ maxLatencyRatio: 0.5 }, 'thresholds.maxLatencyRatio'],
      [{ accuracyTolerance: Infinity }, 'thresholds.accuracyTolerance'],
      [{ rmseTolerance: 11 }, 'thresholds.rmseTolerance'],
      [{ colour: 1 } as never, 'thresholds.colour'],
    ] as const) {
      let error: unknown;
      try {
        resolveThresholds(overrides);
      } catch (err) {
        error = err;
      }
      expect(error).toMatchObject({ code: ComparisonErrorCode.INVALID_ARGUMENT, kind: 'BAD_USER_INPUT', details: { field } });
    }
  });
});
