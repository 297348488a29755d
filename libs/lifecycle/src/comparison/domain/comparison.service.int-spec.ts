import { randomUUID } from 'node:crypto';
import { MonitoringSettingsService } from '@modelport/monitoring';
import { silentLogger } from '@modelport/observability';
import { DeploymentErrorCode } from '@modelport/serving';
import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { callerOf, comparisonTestSchema, insertActuals, insertLog, linearQuantile, seedDeployment, SqlDeploymentLookup, type LogRow, type Seeded } from '../comparison.fixture';
import { ComparisonResolver } from '../graphql/comparison.resolver';
import { ComparisonErrorCode } from './comparison.errors';
import { ComparisonService, type ComparisonQuery } from './comparison.service';
import { UNCOMPARABLE } from './outputs';
import { ReplayService } from './replay.service';

const at = (hhmmss: string) => new Date(`2026-11-02T${hhmmss}Z`);
const second = (i: number) => new Date(at('09:00:00').getTime() + i * 1000);
const WINDOW = { from: at('09:00:00'), to: at('10:00:00') };

const binary = (label: number, p: number) => [
  { name: 'label', datatype: 'INT64', shape: [1], data: [label] },
  { name: 'probabilities', datatype: 'FP32', shape: [1, 2], data: [1 - p, p] },
];

describe('ComparisonService against PostgreSQL', () => {
  let db: TestDatabase;
  let lookup: SqlDeploymentLookup;
  let settings: MonitoringSettingsService;
  let service: ComparisonService;
  const rematched: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase(comparisonTestSchema);
    lookup = new SqlDeploymentLookup(db.dataSource);
    settings = new MonitoringSettingsService(db.dataSource, lookup);
    service = new ComparisonService(db.dataSource, lookup, settings, { rematch: async (id) => (rematched.push(id), 0) });
  });
  afterAll(() => db.drop());

  describe('a binary classifier with a shadow challenger (and a replay of it)', () => {
    let d: Seeded;
    let owner: ReturnType<typeof callerOf>;
    let query: ComparisonQuery;
    const championLatencies: number[] = [];
    const challengerLatencies: number[] = [];

    // Live i = 0..119: the champion predicts i % 2; the challenger agrees except when i % 10 == 0
    // (it then says 1 where the champion says 0). Actuals (i < 60) always side with the challenger.
    const champ = (i: number) => i % 2;
    const chall = (i: number) => (i % 10 === 0 ? 1 - champ(i) : champ(i));

    beforeAll(async () => {
      d = await seedDeployment(db.dataSource);
      const [v1, v2, v3] = d.versions as [string, string, string];
      owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
      await settings.set(owner, d.deploymentId, { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] });
      const live: LogRow[] = [];
      for (let i = 0; i < 120; i++) {
        live.push({ receivedAt: second(i), versionId: v1, latencyUs: 1000 + 10 * i, outputs: binary(champ(i), champ(i) ? 0.8 : 0.2) });
        championLatencies.push(1000 + 10 * i);
      }
      const liveIds = await insertLog(db.dataSource, d, live);
      const shadows: LogRow[] = liveIds.map((id, i) => ({
        receivedAt: second(i),
        versionId: v2,
        role: 'shadow',
        shadowOf: id,
        latencyUs: 1500 + 10 * i,
        outputs: binary(chall(i), chall(i) ? 0.7 : 0.3),
      }));
      challengerLatencies.push(...shadows.map((s) => s.latencyUs!));
      // A replay of the same challenger for i < 60 that always says 0.
      const replays: LogRow[] = liveIds.slice(0, 60).map((id, i) => ({ receivedAt: at('11:00:00'), versionId: v2, role: 'replay', shadowOf: id, latencyUs: 200 + i, outputs: binary(0, 0.4) }));
      // Another challenger's shadows: never part of this comparison.
      const others: LogRow[] = liveIds.slice(0, 30).map((id, i) => ({ receivedAt: second(i), versionId: v3, role: 'shadow', shadowOf: id, latencyUs: 9_000_000, status: 'error' }));
      await insertLog(db.dataSource, d, [...shadows, ...replays, ...others]);
      // Failed live requests and one without payload count for the champion's errors and requests, not as pairs.
      await insertLog(
        db.dataSource,
        d,
        Array.from({ length: 5 }, (_, k) => ({ receivedAt: second(1800 + k), versionId: v1, status: 'error' as const, latencyUs: 50, payloadStored: false })),
      );
      const [quiet] = await insertLog(db.dataSource, d, [{ receivedAt: second(2000), versionId: v1, latencyUs: 1000, payloadStored: false }]);
      championLatencies.push(1000);
      await insertLog(db.dataSource, d, [{ receivedAt: second(2000), versionId: v2, role: 'shadow', shadowOf: quiet!, latencyUs: 1500, payloadStored: false }]);
      challengerLatencies.push(1500);
      // Outside the window.
      const [early] = await insertLog(db.dataSource, d, [{ receivedAt: at('08:59:59'), versionId: v1, outputs: binary(1, 0.9) }]);
      await insertLog(db.dataSource, d, [{ receivedAt: at('08:59:59'), versionId: v2, role: 'shadow', shadowOf: early!, outputs: binary(0, 0.1) }]);
      await insertActuals(
        db.dataSource,
        d,
        liveIds.slice(0, 60).map((id, i) => ({ predictionId: id, receivedAt: second(i), value: chall(i) })),
      );
      await insertActuals(db.dataSource, d, [{ predictionId: early!, receivedAt: at('08:59:59'), value: 0 }]);
      query = { deploymentId: d.deploymentId, challengerVersionId: v2, ...WINDOW, source: 'SHADOW' };
    });

    it('gives agreement, label pairs, probability differences, accuracy deltas, errors and latency side by side, and the verdict', async () => {
      rematched.length = 0;
      const report = await service.compare(owner, query);
      expect(rematched).toEqual([d.deploymentId]);
      expect(report).toMatchObject({ deploymentId: d.deploymentId, projectId: d.projectId, task: 'classification', pairs: 120, comparedPairs: 120, rows: 120, unscorable: [], capped: false });
      expect(report.classification).toMatchObject({
        rows: 120,
        agreeing: 108,
        agreementRate: 0.9,
        confusion: [
          { champion: '1', challenger: '1', count: 60 },
          { champion: '0', challenger: '0', count: 48 },
          { champion: '0', challenger: '1', count: 12 },
        ],
        probabilityRows: 120,
      });
      // |0.7 - 0.8| = |0.3 - 0.2| = 0.1 where they agree, |0.7 - 0.2| = 0.5 where they do not.
      expect(report.classification!.meanAbsProbabilityDifference).toBeCloseTo((108 * 0.1 + 12 * 0.5) / 120, 12);
      expect(report.regression).toBeNull();
      expect(report.outputs).toBeNull();

      const accuracy = report.accuracy!;
      expect(accuracy.labelledRows).toBe(60);
      expect(accuracy.unscorable).toEqual([]);
      const { champion, challenger, delta } = accuracy.classification!;
      // Champion: 6 of the 60 labelled rows wrong (positives it called 0): 30 TP, 0 FP, 6 FN.
      expect(champion).toMatchObject({ accuracy: 0.9, precision: 1, recall: 30 / 36, averaging: 'binary' });
      expect(champion.f1).toBeCloseTo(60 / 66, 12);
      // ROC AUC: 30 positives at 0.8 and 6 at 0.2 against 24 negatives at 0.2 (ties count half).
      expect(champion.rocAuc).toBeCloseTo((30 * 24 + 0.5 * 6 * 24) / (36 * 24), 12);
      expect(challenger).toMatchObject({ accuracy: 1, precision: 1, recall: 1, f1: 1, rocAuc: 1 });
      expect(delta.accuracy).toBeCloseTo(0.1, 12);
      expect(delta.logLoss!).toBeLessThan(0);

      expect(report.champion).toEqual({
        requests: 126,
        errors: 5,
        errorRate: 5 / 126,
        latencyP50Ms: expect.closeTo(linearQuantile(championLatencies, 0.5) / 1000, 9),
        latencyP99Ms: expect.closeTo(linearQuantile(championLatencies, 0.99) / 1000, 9),
      });
      expect(report.challenger).toEqual({
        requests: 121,
        errors: 0,
        errorRate: 0,
        latencyP50Ms: expect.closeTo(linearQuantile(challengerLatencies, 0.5) / 1000, 9),
        latencyP99Ms: expect.closeTo(linearQuantile(challengerLatencies, 0.99) / 1000, 9),
      });
      expect(report.byChampionVersion).toHaveLength(1);
      expect(report.byChampionVersion[0]).toMatchObject({ championVersionId: d.versions[0], pairs: 120, service: report.champion, classification: report.classification });

      expect(report.verdict).toBe('CHALLENGER_BETTER');
      expect(report.evidence).toEqual([
        'pairs: 120 compared (at least 100 needed for a verdict).',
        expect.stringMatching(/^error rate: challenger 0\.00% of 121 requests vs champion 3\.97% of 126 \(-3\.97 points; worse above \+1\.00 points\)\.$/),
        expect.stringMatching(/^latency p99: challenger .* vs champion .* \(×1\.\d\d; worse above ×2\)\.$/),
        'agreement: 90.00% of 120 rows get the same label from both versions.',
        'accuracy on 60 labelled rows: challenger 1 vs champion 0.9000 (+0.1000; better or worse beyond ±0.01, with at least 50 labelled rows).',
      ]);
      expect(report.thresholds).toEqual({ minPairs: 100, minActuals: 50, maxErrorRateIncrease: 0.01, maxLatencyRatio: 2, accuracyTolerance: 0.01, rmseTolerance: 0.05 });
    });

    it('prefers the shadow answer with source ANY, and reads the replay rows with source REPLAY', async () => {
      const any = await service.compare(owner, { ...query, source: 'ANY' });
      expect(any).toMatchObject({ pairs: 120, verdict: 'CHALLENGER_BETTER', classification: { agreementRate: 0.9 } });
      expect(any.challenger.requests).toBe(121);

      const replay = await service.compare(owner, { ...query, source: 'REPLAY' });
      expect(replay).toMatchObject({ pairs: 60, verdict: 'INSUFFICIENT_DATA', classification: { rows: 60, agreeing: 30, agreementRate: 0.5 } });
      expect(replay.challenger).toMatchObject({ requests: 60, errors: 0, latencyP50Ms: linearQuantile(Array.from({ length: 60 }, (_, i) => 200 + i), 0.5) / 1000 });
      expect(replay.evidence[0]).toBe('pairs: 60 compared, fewer than the 100 needed for a verdict.');

      // The replayed version always says 0: right on 24 of the 60 labelled rows.
      const judged = await service.compare(owner, { ...query, source: 'REPLAY', thresholds: { minPairs: 50 } });
      expect(judged.accuracy!.classification!.challenger.accuracy).toBeCloseTo(0.4, 12);
      expect(judged.accuracy!.classification!.delta.accuracy).toBeCloseTo(-0.5, 12);
      expect(judged.verdict).toBe('CHALLENGER_WORSE');
      expect(judged.evidence).toContain('accuracy on 60 labelled rows: challenger 0.4000 vs champion 0.9000 (-0.5000; better or worse beyond ±0.01, with at least 50 labelled rows).');
    });

    it('gives every verdict as the thresholds move', async () => {
      const latency = await service.compare(owner, { ...query, thresholds: { maxLatencyRatio: 1.1 } });
      expect(latency.verdict).toBe('CHALLENGER_WORSE');
      expect(latency.evidence.find((e) => e.startsWith('latency p99'))).toMatch(/worse above ×1\.1\)/);

      const few = await service.compare(owner, { ...query, thresholds: { minPairs: 121 } });
      expect(few.verdict).toBe('INSUFFICIENT_DATA');
      expect(few.evidence[0]).toBe('pairs: 120 compared, fewer than the 121 needed for a verdict.');

      const unlabelled = await service.compare(owner, { ...query, thresholds: { minActuals: 61 } });
      expect(unlabelled.verdict).toBe('NO_WORSE');
      expect(unlabelled.evidence).toContain('actuals: 60 labelled rows (at least 61 needed to judge accuracy): agreement alone cannot show a challenger is better.');

      const tolerant = await service.compare(owner, { ...query, thresholds: { accuracyTolerance: 0.2 } });
      expect(tolerant.verdict).toBe('NO_WORSE');
    });

    it('reads pairs in pages and stops at the maximum of pairs, saying so', async () => {
      const paged = await new ComparisonService(db.dataSource, lookup, settings, null, { pageRows: 7 }).compare(owner, query);
      const whole = await service.compare(owner, query);
      expect(paged).toEqual(whole);

      const capped = await new ComparisonService(db.dataSource, lookup, settings, null, { pageRows: 7, maxPairs: 50 }).compare(owner, query);
      expect(capped).toMatchObject({ capped: true, pairs: 50, comparedPairs: 50, verdict: 'INSUFFICIENT_DATA' });
      // The first 50 live rows by time: i = 0, 10, 20, 30, 40 disagree.
      expect(capped.classification).toMatchObject({ rows: 50, agreeing: 45 });
      expect(capped.evidence[1]).toBe('capped: only the first 50 pairs of the window were read (at most 50 pairs and 2000000 rows per comparison); ask for a shorter window to see the rest.');

      const exact = await new ComparisonService(db.dataSource, lookup, settings, null, { pageRows: 60, maxPairs: 120 }).compare(owner, query);
      expect(exact).toMatchObject({ capped: false, pairs: 120 });
    });

    it('maps the report to the GraphQL objects', async () => {
      const resolver = new ComparisonResolver(service, new ReplayService(db.dataSource, { enqueue: async () => 'unused' }, lookup, { withVersion: async () => Promise.reject(new Error('unused')) }, { logger: silentLogger(), maxPageSize: 10 }));
      const object = await resolver.challengerComparison(owner, d.deploymentId, d.versions[1]!, WINDOW.from, WINDOW.to, 'SHADOW' as never, { minActuals: 61 });
      expect(object).toMatchObject({
        verdict: 'NO_WORSE',
        task: 'classification',
        source: 'SHADOW',
        pairs: 120,
        classification: { agreementRate: 0.9, confusion: [{ champion: '1', challenger: '1', count: 60 }, expect.anything(), expect.anything()] },
        accuracy: { labelledRows: 60, classification: { champion: { accuracy: 0.9, averaging: 'binary' }, delta: { averaging: null } }, regression: null },
        thresholds: { minActuals: 61, minPairs: 100 },
        byChampionVersion: [{ championVersionId: d.versions[0], pairs: 120, service: { requests: 126 } }],
      });
    });

    it('is NOT_FOUND for a deployment the caller may not read, and open to its viewers', async () => {
      const outsider = callerOf(randomUUID(), []);
      expect((await caught(service.compare(outsider, query))).code).toBe(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND);
      const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
      expect((await service.compare(viewer, query)).verdict).toBe('CHALLENGER_BETTER');
    });

    it('refuses bad input with a clear error', async () => {
      const cases: [Partial<ComparisonQuery>, string, RegExp][] = [
        [{ from: WINDOW.to, to: WINDOW.from }, ComparisonErrorCode.INVALID_WINDOW, /must be before to/],
        [{ from: WINDOW.from, to: WINDOW.from }, ComparisonErrorCode.INVALID_WINDOW, /empty or reversed/],
        [{ from: new Date('nope') }, ComparisonErrorCode.INVALID_WINDOW, /valid dates/],
        [{ challengerVersionId: d.foreignVersionId }, ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL, /is not a version of the model this deployment serves/],
        [{ challengerVersionId: 'v2' }, ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL, /"v2" is not a version/],
        [{ challengerVersionId: randomUUID() }, ComparisonErrorCode.VERSION_NOT_OF_DEPLOYMENT_MODEL, /not a version/],
        [{ source: 'BOTH' as never }, ComparisonErrorCode.INVALID_ARGUMENT, /source must be one of SHADOW, REPLAY, ANY \(got BOTH\)/],
        [{ thresholds: { minPairs: 0 } }, ComparisonErrorCode.INVALID_ARGUMENT, /thresholds\.minPairs must be a whole number from 1 to 1000000 \(got 0\)/],
        [{ thresholds: { maxLatencyRatio: Number.NaN } }, ComparisonErrorCode.INVALID_ARGUMENT, /thresholds\.maxLatencyRatio must be a number from 1 to 1000/],
        [{ thresholds: { minPairs: 2.5 } }, ComparisonErrorCode.INVALID_ARGUMENT, /whole number/],
      ];
      for (const [change, code, message] of cases) {
        const error = await caught(service.compare(owner, { ...query, ...change }));
        expect([error.code, error.kind, error.message]).toEqual([code, 'BAD_USER_INPUT', expect.stringMatching(message)]);
      }
    });
  });

  describe('a regression model answering batches, with a challenger that sometimes fails', () => {
    let d: Seeded;
    let owner: ReturnType<typeof callerOf>;
    let query: ComparisonQuery;
    // Row k = 2i + r of the 100 two-row predictions: the challenger says champion + diff(k).
    const diff = (k: number) => (k % 20) / 10 - 0.5;
    const diffs = Array.from({ length: 200 }, (_, k) => diff(k));

    beforeAll(async () => {
      d = await seedDeployment(db.dataSource);
      const [v1, v2] = d.versions as [string, string];
      owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
      await settings.set(owner, d.deploymentId, { task: 'regression', labelOutput: 'value' });
      const value = (values: number[]) => [{ name: 'value', datatype: 'FP64', shape: [values.length, 1], data: values }];
      const champion = (i: number) => [i, i + 0.5];
      const live = Array.from({ length: 103 }, (_, i) => ({ receivedAt: second(i), versionId: v1, inputRows: 2, outputs: value(champion(i)) }));
      const ids = await insertLog(db.dataSource, d, live);
      await insertLog(
        db.dataSource,
        d,
        ids.map((id, i) =>
          i < 100
            ? { receivedAt: second(i), versionId: v2, role: 'shadow' as const, shadowOf: id, inputRows: 2, outputs: value(champion(i).map((v, r) => v + diff(2 * i + r))) }
            : { receivedAt: second(i), versionId: v2, role: 'shadow' as const, shadowOf: id, status: 'error' as const, payloadStored: false },
        ),
      );
      // Actuals for the first 60 predictions, both rows: the champion is off by exactly -1.
      await insertActuals(
        db.dataSource,
        d,
        ids.slice(0, 60).flatMap((id, i) => champion(i).map((v, row) => ({ predictionId: id, receivedAt: second(i), row, value: v + 1 }))),
      );
      query = { deploymentId: d.deploymentId, challengerVersionId: v2, ...WINDOW, source: 'ANY' };
    });

    it('gives the distribution of challenger - champion over batch rows, RMSE deltas, and CHALLENGER_WORSE for its errors', async () => {
      const report = await service.compare(owner, query);
      expect(report).toMatchObject({ task: 'regression', pairs: 103, comparedPairs: 100, rows: 200, unscorable: [{ reason: UNCOMPARABLE.challengerFailed, count: 3 }], classification: null });
      const mean = diffs.reduce((a, b) => a + b, 0) / 200;
      const std = Math.sqrt(diffs.reduce((a, b) => a + (b - mean) ** 2, 0) / 200);
      const abs = diffs.map(Math.abs);
      const r = report.regression!;
      expect(r.rows).toBe(200);
      expect(r.meanDifference).toBeCloseTo(0.45, 9);
      expect(r.meanDifference).toBeCloseTo(mean, 9);
      expect(r.stdDifference).toBeCloseTo(std, 9);
      expect(r.p50AbsDifference).toBeCloseTo(linearQuantile(abs, 0.5), 9);
      expect(r.p90AbsDifference).toBeCloseTo(linearQuantile(abs, 0.9), 9);
      expect(r.p99AbsDifference).toBeCloseTo(linearQuantile(abs, 0.99), 9);
      expect(r.maxAbsDifference).toBeCloseTo(1.4, 9);

      // 120 labelled rows (60 predictions × 2): champion errors are all -1, the challenger's diff - 1.
      const accuracy = report.accuracy!;
      expect(accuracy.labelledRows).toBe(120);
      const errors = diffs.slice(0, 120).map((x) => x - 1);
      const rmse = Math.sqrt(errors.reduce((a, e) => a + e * e, 0) / 120);
      expect(rmse).toBeCloseTo(Math.sqrt(0.635), 12);
      expect(accuracy.regression!.champion).toMatchObject({ rmse: expect.closeTo(1, 12), mae: expect.closeTo(1, 12) });
      expect(accuracy.regression!.challenger.rmse).toBeCloseTo(rmse, 9);
      expect(accuracy.regression!.challenger.mae).toBeCloseTo(errors.reduce((a, e) => a + Math.abs(e), 0) / 120, 9);
      expect(accuracy.regression!.delta.rmse).toBeCloseTo(rmse - 1, 9);

      expect(report.champion).toMatchObject({ requests: 103, errors: 0, errorRate: 0 });
      expect(report.challenger).toMatchObject({ requests: 103, errors: 3, errorRate: 3 / 103 });
      expect(report.verdict).toBe('CHALLENGER_WORSE');
      expect(report.evidence).toContain('error rate: challenger 2.91% of 103 requests vs champion 0.00% of 103 (+2.91 points; worse above +1.00 points).');
      expect(report.evidence).toContain(`difference (challenger - champion) over 200 rows: mean +0.4500, p99 of |difference| ${linearQuantile(abs, 0.99).toPrecision(4)}.`);
    });

    it('is CHALLENGER_BETTER on RMSE once its errors are tolerated', async () => {
      const report = await service.compare(owner, { ...query, thresholds: { maxErrorRateIncrease: 0.05 } });
      expect(report.verdict).toBe('CHALLENGER_BETTER');
      expect(report.evidence.find((e) => e.startsWith('RMSE'))).toMatch(/^RMSE on 120 labelled rows: challenger 0\.7969 vs champion 1 \(-20\.31%; better or worse beyond ±5\.00% of the champion's/);
      const strict = await service.compare(owner, { ...query, thresholds: { maxErrorRateIncrease: 0.05, rmseTolerance: 0.25 } });
      expect(strict.verdict).toBe('NO_WORSE');
    });

    it('stops at the maximum of rows, batch rows counted separately', async () => {
      const capped = await new ComparisonService(db.dataSource, lookup, settings, null, { maxRows: 50, pageRows: 9 }).compare(owner, query);
      expect(capped).toMatchObject({ capped: true, pairs: 25, rows: 50 });
    });
  });

  describe('a deployment without monitoring settings, across a promotion', () => {
    let d: Seeded;
    let owner: ReturnType<typeof callerOf>;

    beforeAll(async () => {
      d = await seedDeployment(db.dataSource);
      const [v1, v2, v3] = d.versions as [string, string, string];
      owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
      const score = (a: number, b: number, shape = [1, 2]) => ({ name: 'score', datatype: 'FP32', shape, data: [a, b] });
      const live = Array.from({ length: 32 }, (_, i) => ({
        receivedAt: second(i),
        versionId: i < 10 ? v3 : v1,
        outputs: [score(i, 1), { name: 'tag', datatype: 'BYTES', shape: [1], data: ['a'] }],
      }));
      const ids = await insertLog(db.dataSource, d, live);
      await insertLog(
        db.dataSource,
        d,
        ids.map((id, i) => ({
          receivedAt: second(i),
          versionId: v2,
          role: 'shadow' as const,
          shadowOf: id,
          outputs:
            i === 30
              ? [score(i, 1, [1, 3])]
              : i === 31
                ? [{ name: 'zzz', datatype: 'FP32', shape: [1], data: [0] }]
                : [score(i % 2 === 0 ? i + 0.5 : i, 1), { name: 'extra', datatype: 'FP32', shape: [1], data: [0] }],
        })),
      );
    });

    it('compares every common output elementwise, per champion version too, and judges at most NO_WORSE', async () => {
      const report = await service.compare(owner, { deploymentId: d.deploymentId, challengerVersionId: d.versions[1]!, ...WINDOW, source: 'SHADOW', thresholds: { minPairs: 5 } });
      expect(report).toMatchObject({
        task: null,
        pairs: 32,
        comparedPairs: 31,
        unscorable: [{ reason: UNCOMPARABLE.noCommonOutput, count: 1 }],
        classification: null,
        regression: null,
        accuracy: null,
        championOnlyOutputs: ['tag'],
        challengerOnlyOutputs: ['extra', 'zzz'],
      });
      expect(report.outputs).toEqual([
        { name: 'score', comparedPairs: 30, shapeDiffers: 1, elements: 60, equalElements: 45, equalShare: 0.75, numericElements: 60, meanAbsDifference: (15 * 0.5) / 60, maxAbsDifference: 0.5 },
      ]);
      expect(report.verdict).toBe('NO_WORSE');
      expect(report.evidence).toContain(
        'no monitoring settings: every output tensor both versions have was compared element by element, and accuracy cannot be judged; set the deployment monitoring settings to compare labels or values and accuracy.',
      );
      expect(report.byChampionVersion.map((v) => [v.championVersionId, v.pairs, v.comparedPairs, v.service.requests, v.outputs![0]!.comparedPairs])).toEqual([
        [d.versions[0], 22, 21, 22, 20],
        [d.versions[2], 10, 10, 10, 10],
      ]);
      expect(report.champion.requests).toBe(32);
    });

    it('reports the current champion and no pairs for a challenger without answers', async () => {
      const report = await service.compare(owner, { deploymentId: d.deploymentId, challengerVersionId: d.versions[0]!, ...WINDOW, source: 'ANY' });
      expect(report).toMatchObject({ pairs: 0, comparedPairs: 0, verdict: 'INSUFFICIENT_DATA', byChampionVersion: [], challenger: { requests: 0, errorRate: null, latencyP99Ms: null } });
      expect(report.champion.requests).toBe(22);
    });
  });
});
