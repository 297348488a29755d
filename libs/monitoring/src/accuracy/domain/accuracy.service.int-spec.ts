import { randomUUID } from 'node:crypto';
import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { accuracyTestSchema, callerOf, insertPredictions, manualClock, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../accuracy.fixture';
import { classificationMetrics, regressionMetrics } from '../metrics';
import { AccuracyErrorCode } from './accuracy.errors';
import { AccuracyService, DEFAULT_ACCURACY_OPTIONS } from './accuracy.service';
import { ActualsService, DEFAULT_ACTUALS_OPTIONS } from './actuals.service';
import { MonitoringSettingsService } from './monitoring-settings.service';
import { UNSCORABLE } from './scoring';

const at = (hhmm: string) => new Date(`2026-11-02T${hhmm}:00Z`);
const binaryOutputs = (labels: number[], probabilities: number[][]) => [
  { name: 'label', datatype: 'INT64', shape: [labels.length], data: labels },
  { name: 'probabilities', datatype: 'FP32', shape: [probabilities.length, 2], data: probabilities.flat() },
];

describe('AccuracyService against PostgreSQL', () => {
  let db: TestDatabase;
  const clock = manualClock(at('10:05'));
  let settings: MonitoringSettingsService;
  let actuals: ActualsService;
  let accuracy: AccuracyService;

  beforeAll(async () => {
    db = await createTestDatabase(accuracyTestSchema);
    const lookup = new SqlDeploymentLookup(db.dataSource);
    settings = new MonitoringSettingsService(db.dataSource, lookup, clock);
    actuals = new ActualsService(db.dataSource, lookup, settings, DEFAULT_ACTUALS_OPTIONS, clock);
    accuracy = new AccuracyService(db.dataSource, lookup, settings, actuals);
  });
  afterAll(() => db.drop());

  describe('a binary classifier', () => {
    let d: SeededDeployment;
    let owner: ReturnType<typeof callerOf>;
    const ids: Record<string, string> = {};

    beforeAll(async () => {
      d = await seedDeployment(db.dataSource);
      owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
      await settings.set(owner, d.deploymentId, { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] });
      const rows = await insertPredictions(db.dataSource, d, [
        { receivedAt: at('08:15'), requestId: 'before-range', outputs: binaryOutputs([1], [[0.1, 0.9]]) },
        { receivedAt: at('08:45'), requestId: 'p0', outputs: binaryOutputs([0], [[0.6, 0.4]]) },
        { receivedAt: at('09:05'), requestId: 'p1', outputs: binaryOutputs([1], [[0.2, 0.8]]) },
        { receivedAt: at('09:10'), requestId: 'p2', outputs: binaryOutputs([0], [[0.7, 0.3]]) },
        { receivedAt: at('09:15'), requestId: 'p3', outputs: binaryOutputs([1], [[0.4, 0.6]]) },
        { receivedAt: at('09:20'), requestId: 'p4', outputs: binaryOutputs([0], [[0.9, 0.1]]) },
        { receivedAt: at('09:25'), requestId: 'p5', outputs: null },
        { receivedAt: at('09:30'), requestId: 'p6', status: 'error' },
        { receivedAt: at('09:40'), requestId: 'p7', outputs: binaryOutputs([1], [[0.3, 0.7]]) },
        { receivedAt: at('10:00'), requestId: 'p8', inputRows: 2, outputs: binaryOutputs([1, 1], [[0.1, 0.9], [0.45, 0.55]]) },
        { receivedAt: at('10:30'), requestId: 'p9', outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }] },
      ]);
      ['before-range', 'p0', 'p1', 'p2', 'p3', 'p4', 'p5', 'p6', 'p7', 'p8', 'p9'].forEach((k, i) => (ids[k] = rows[i]!));
      clock.set(at('10:05'));
      const submitted = await actuals.submit(owner, d.deploymentId, [
        { associationId: 'before-range', value: 1 },
        { associationId: 'p0', value: 0 },
        { associationId: 'p1', value: 1 },
        { associationId: 'p2', value: 1 },
        { associationId: 'p3', value: 0 },
        { associationId: 'p4', value: '0' },
        { associationId: 'p5', value: 1 },
        { associationId: 'p6', value: 1 },
      ]);
      expect(submitted).toMatchObject({ accepted: 8, duplicates: [], unknown: [] });
      clock.set(at('11:00'));
      await actuals.submit(owner, d.deploymentId, [
        { associationId: 'p8', value: 1, row: 0 },
        { associationId: 'p8', value: 0, row: 1 },
        { associationId: 'p9', value: 1 },
        { associationId: 'not-yet', value: 1 },
      ]);
    });

    it('gives counts, metrics and timeliness per aligned window, clipped to the range', async () => {
      const result = await accuracy.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('08:30'), to: at('12:00'), resolution: 'hour' });
      expect(result.settings).toMatchObject({ task: 'classification', positiveClass: '1' });
      expect(result.windows.map((w) => [w.start.toISOString(), w.end.toISOString()])).toEqual([
        ['2026-11-02T08:30:00.000Z', '2026-11-02T09:00:00.000Z'],
        ['2026-11-02T09:00:00.000Z', '2026-11-02T10:00:00.000Z'],
        ['2026-11-02T10:00:00.000Z', '2026-11-02T11:00:00.000Z'],
        ['2026-11-02T11:00:00.000Z', '2026-11-02T12:00:00.000Z'],
      ]);
      const [early, nine, ten, eleven] = result.windows;

      expect(early!.counts).toEqual({ predictions: 1, failedPredictions: 0, predictionsWithActuals: 1, actuals: 1, scored: 1, withoutPayload: 0, unscorable: 0 });

      // 09:00-10:00: p1..p4 scored; p5 has no payload; p6 failed; p7 has no actual.
      expect(nine!.counts).toEqual({ predictions: 6, failedPredictions: 1, predictionsWithActuals: 5, actuals: 6, scored: 4, withoutPayload: 1, unscorable: 1 });
      expect(nine!.unscorable).toEqual([{ reason: UNSCORABLE.predictionFailed, count: 1 }]);
      const expected = classificationMetrics({ actual: ['1', '1', '0', '0'], predicted: ['1', '0', '1', '0'], positiveClass: '1', positiveProbability: [0.8, 0.3, 0.6, 0.1] });
      expect(nine!.classification).toEqual(expected);
      expect(nine!.classification).toMatchObject({ accuracy: 0.5, precision: 0.5, recall: 0.5, f1: 0.5, rocAuc: 0.75, averaging: 'binary' });
      expect(nine!.regression).toBeNull();
      // Actuals received at 10:05 for predictions at 09:05 ... 09:30: 3600, 3300, 3000, 2700, 2400, 2100 s.
      expect(nine!.timeliness).toEqual({ shareWithActuals: 5 / 6, medianDelaySeconds: 2850, p90DelaySeconds: 3450 });

      // 10:00-11:00: both rows of the batch p8 (10:00 is in this window), and p9 without its probability output.
      expect(ten!.counts).toEqual({ predictions: 2, failedPredictions: 0, predictionsWithActuals: 2, actuals: 3, scored: 2, withoutPayload: 0, unscorable: 1 });
      expect(ten!.unscorable).toEqual([{ reason: UNSCORABLE.outputMissing('probabilities'), count: 1 }]);
      expect(ten!.classification).toMatchObject({ accuracy: 0.5, precision: 0.5, recall: 1, rocAuc: 1 });
      expect(ten!.timeliness).toEqual({ shareWithActuals: 1, medianDelaySeconds: 3600, p90DelaySeconds: 3600 });

      expect(eleven!.counts).toEqual({ predictions: 0, failedPredictions: 0, predictionsWithActuals: 0, actuals: 0, scored: 0, withoutPayload: 0, unscorable: 0 });
      expect(eleven!.classification).toMatchObject({ accuracy: null, rocAuc: null });
      expect(eleven!.timeliness.shareWithActuals).toBeNull();

      // The whole range, and the actual no prediction has yet.
      expect(result.total.counts).toEqual({ predictions: 9, failedPredictions: 1, predictionsWithActuals: 8, actuals: 10, scored: 7, withoutPayload: 1, unscorable: 2 });
      expect(result.total.classification).toEqual(
        classificationMetrics({
          actual: ['0', '1', '1', '0', '0', '1', '0'],
          predicted: ['0', '1', '0', '1', '0', '1', '1'],
          positiveClass: '1',
          positiveProbability: [0.4, 0.8, 0.3, 0.6, 0.1, 0.9, 0.55],
        }),
      );
      expect(result.unmatchedActuals).toBe(1);
    });

    it('scores one window without alignment or access check, for alert rules', async () => {
      // 09:12-10:12: p3, p4 and both rows of p8 scored; p5 without payload; p6 failed; p7 without actual.
      const w = await accuracy.accuracyOver(d.deploymentId, at('09:12'), at('10:12'));
      expect(w.counts).toEqual({ predictions: 5, failedPredictions: 1, predictionsWithActuals: 4, actuals: 6, scored: 4, withoutPayload: 1, unscorable: 1 });
      expect(w.classification).toEqual(classificationMetrics({ actual: ['0', '0', '1', '0'], predicted: ['1', '0', '1', '1'], positiveClass: '1', positiveProbability: [0.6, 0.1, 0.9, 0.55] }));
      expect(w.timeliness.shareWithActuals).toBe(4 / 5);
    });

    it("scores one version's predictions alone when asked (a champion beside its canary)", async () => {
      const v = await seedDeployment(db.dataSource);
      const vOwner = callerOf(v.ownerId, [[v.projectId, 'ml-engineer']]);
      await settings.set(vOwner, v.deploymentId, { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', positiveClass: '1', classes: ['0', '1'] });
      const [champion, canary] = [randomUUID(), randomUUID()];
      await insertPredictions(db.dataSource, v, [
        { receivedAt: at('09:05'), requestId: 'c1', modelVersionId: champion, outputs: binaryOutputs([1], [[0.2, 0.8]]) },
        { receivedAt: at('09:10'), requestId: 'c2', modelVersionId: champion, outputs: binaryOutputs([0], [[0.7, 0.3]]) },
        { receivedAt: at('09:15'), requestId: 'k1', modelVersionId: canary, outputs: binaryOutputs([0], [[0.6, 0.4]]) },
        { receivedAt: at('09:20'), requestId: 'k2', modelVersionId: canary, outputs: binaryOutputs([1], [[0.1, 0.9]]) },
        { receivedAt: at('09:25'), requestId: 'k3', modelVersionId: canary, status: 'error' },
      ]);
      clock.set(at('10:05'));
      await actuals.submit(vOwner, v.deploymentId, [
        { associationId: 'c1', value: 1 },
        { associationId: 'c2', value: 0 },
        { associationId: 'k1', value: 1 },
        { associationId: 'k2', value: 0 },
      ]);
      const all = await accuracy.accuracyOver(v.deploymentId, at('09:00'), at('10:00'));
      expect(all.counts).toMatchObject({ predictions: 4, failedPredictions: 1, scored: 4 });
      expect(all.classification).toMatchObject({ accuracy: 0.5 });
      const mine = await accuracy.accuracyOver(v.deploymentId, at('09:00'), at('10:00'), champion);
      expect(mine.counts).toMatchObject({ predictions: 2, failedPredictions: 0, predictionsWithActuals: 2, actuals: 2, scored: 2 });
      expect(mine.classification).toMatchObject({ accuracy: 1 });
      const theirs = await accuracy.accuracyOver(v.deploymentId, at('09:00'), at('10:00'), canary);
      expect(theirs.counts).toMatchObject({ predictions: 2, failedPredictions: 1, scored: 2 });
      expect(theirs.classification).toMatchObject({ accuracy: 0 });
    });

    it('counts a prediction that reached the log after its actual, and one that retention deleted', async () => {
      await insertPredictions(db.dataSource, d, [{ receivedAt: at('11:30'), requestId: 'not-yet', outputs: binaryOutputs([1], [[0.2, 0.8]]) }]);
      await db.dataSource.query(`DELETE FROM predictions WHERE id = $1`, [ids['p0']]);
      const result = await accuracy.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('08:30'), to: at('12:00'), resolution: 'hour' });
      expect(result.windows[3]!.counts).toMatchObject({ predictions: 1, predictionsWithActuals: 1, actuals: 1, scored: 1 });
      expect(result.windows[3]!.classification).toMatchObject({ accuracy: 1 });
      expect(result.windows[0]!.counts).toMatchObject({ predictions: 0, actuals: 1, scored: 0, unscorable: 1 });
      expect(result.windows[0]!.unscorable).toEqual([{ reason: UNSCORABLE.predictionGone, count: 1 }]);
      expect(result.unmatchedActuals).toBe(0);
    });

    it('lets viewers read it; others do not see the deployment', async () => {
      const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
      const stranger = callerOf(randomUUID(), [[randomUUID(), 'admin']]);
      const query = { deploymentId: d.deploymentId, from: at('09:00'), to: at('10:00'), resolution: 'hour' as const };
      expect((await accuracy.deploymentAccuracy(viewer, query)).windows).toHaveLength(1);
      expect((await caught(accuracy.deploymentAccuracy(stranger, query))).code).toBe('DEPLOYMENT_NOT_FOUND');
    });

    it('refuses ranges it cannot answer', async () => {
      const tooMany = await caught(accuracy.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('00:00'), to: new Date('2026-11-04T00:00:00Z'), resolution: 'minute' }));
      expect([tooMany.code, tooMany.kind, tooMany.message]).toEqual([AccuracyErrorCode.INVALID_RANGE, 'BAD_USER_INPUT', expect.stringMatching(/2880 minute windows; at most 1000/)]);
      const small = new AccuracyService(db.dataSource, new SqlDeploymentLookup(db.dataSource), settings, actuals, { ...DEFAULT_ACCURACY_OPTIONS, maxActuals: 3 });
      const big = await caught(small.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('08:00'), to: at('12:00'), resolution: 'hour' }));
      expect([big.code, big.message]).toEqual([AccuracyErrorCode.INVALID_RANGE, expect.stringMatching(/holds 1[0-9] actuals; one query scores at most 3\. Ask for a shorter range/)]);
    });
  });

  it('pages through many actuals and scores a regression', async () => {
    const d = await seedDeployment(db.dataSource);
    const owner = callerOf(d.ownerId, [[d.projectId, 'admin']]);
    await settings.set(owner, d.deploymentId, { task: 'regression', labelOutput: 'prediction' });
    const n = 230;
    const truth = Array.from({ length: n }, (_, i) => (i % 17) - 3 + i / 10);
    const predicted = truth.map((y, i) => y + ((i * 7) % 5) - 2);
    // Three predictions share each millisecond, so keyset paging over (time, id) must neither skip nor repeat.
    const rows = await insertPredictions(
      db.dataSource,
      d,
      predicted.map((v, i) => ({ receivedAt: new Date(at('09:00').getTime() + Math.floor(i / 3)), requestId: `r${i}`, outputs: [{ name: 'prediction', datatype: 'FP32', shape: [1, 1], data: [v] }] })),
    );
    expect(rows).toHaveLength(n);
    clock.set(at('09:30'));
    await actuals.submit(owner, d.deploymentId, truth.map((y, i) => ({ associationId: `r${i}`, value: y })));
    const paged = new AccuracyService(db.dataSource, new SqlDeploymentLookup(db.dataSource), settings, actuals, { ...DEFAULT_ACCURACY_OPTIONS, pageRows: 50 });
    const result = await paged.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('09:00'), to: at('10:00'), resolution: 'day' });
    expect(result.windows).toHaveLength(1);
    expect(result.windows[0]!.counts).toMatchObject({ predictions: n, actuals: n, scored: n });
    const expected = regressionMetrics(truth, predicted);
    for (const key of ['rmse', 'mae', 'mape', 'r2'] as const) expect(result.windows[0]!.regression![key]).toBeCloseTo(expected[key]!, 12);
    expect(result.windows[0]!.classification).toBeNull();
  });

  it('without settings still gives counts and timeliness, and says why nothing is scored', async () => {
    const d = await seedDeployment(db.dataSource);
    const owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
    await insertPredictions(db.dataSource, d, [{ receivedAt: at('09:00'), requestId: 'a', outputs: binaryOutputs([1], [[0.5, 0.5]]) }]);
    clock.set(at('09:01'));
    await actuals.submit(owner, d.deploymentId, [{ associationId: 'a', value: 1 }]);
    const result = await accuracy.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('09:00'), to: at('10:00'), resolution: 'hour' });
    expect(result.settings).toBeNull();
    expect(result.windows[0]).toMatchObject({
      counts: { predictions: 1, actuals: 1, scored: 0, unscorable: 1 },
      unscorable: [{ reason: UNSCORABLE.noSettings, count: 1 }],
      classification: null,
      regression: null,
      timeliness: { shareWithActuals: 1, medianDelaySeconds: 60, p90DelaySeconds: 60 },
    });
  });

  it('scores a multiclass model with string labels by macro averages', async () => {
    const d = await seedDeployment(db.dataSource);
    const owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
    const classes = ['setosa', 'versicolor', 'virginica'];
    await settings.set(owner, d.deploymentId, { task: 'classification', labelOutput: 'label', probabilityOutput: 'probabilities', classes });
    const probs = [
      [0.8, 0.1, 0.1],
      [0.2, 0.5, 0.3],
      [0.1, 0.3, 0.6],
      [0.3, 0.4, 0.3],
    ];
    const predicted = ['setosa', 'versicolor', 'virginica', 'versicolor'];
    const truth = ['setosa', 'virginica', 'virginica', 'versicolor'];
    await insertPredictions(
      db.dataSource,
      d,
      probs.map((p, i) => ({
        receivedAt: at('09:10'),
        requestId: `m${i}`,
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [1], data: [predicted[i]] },
          { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: p },
        ],
      })),
    );
    await actuals.submit(owner, d.deploymentId, truth.map((y, i) => ({ associationId: `m${i}`, value: y })));
    const result = await accuracy.deploymentAccuracy(owner, { deploymentId: d.deploymentId, from: at('09:00'), to: at('10:00'), resolution: 'hour' });
    expect(result.windows[0]!.classification).toEqual(classificationMetrics({ actual: truth, predicted, classes, probabilities: probs }));
    expect(result.windows[0]!.classification).toMatchObject({ accuracy: 0.75, averaging: 'macro' });
  });
});
