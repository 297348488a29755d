import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { accuracyTestSchema, callerOf, insertPredictions, manualClock, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../accuracy.fixture';
import { AccuracyErrorCode } from './accuracy.errors';
import { ActualsService, DEFAULT_ACTUALS_OPTIONS, type ActualsOptions } from './actuals.service';
import { MonitoringSettingsService } from './monitoring-settings.service';

const T0 = new Date('2026-11-02T09:00:00Z');
const minutes = (m: number) => new Date(T0.getTime() + m * 60_000);
const label = (values: unknown[]) => [{ name: 'label', datatype: 'INT64', shape: [values.length], data: values }];
const lines = (...objects: unknown[]) => objects.map((o) => (typeof o === 'string' ? o : JSON.stringify(o))).join('\n') + '\n';

describe('ActualsService against PostgreSQL', () => {
  let db: TestDatabase;
  let d: SeededDeployment;
  let owner: ReturnType<typeof callerOf>;
  const clock = manualClock(minutes(30));
  let settings: MonitoringSettingsService;

  const service = (options: Partial<ActualsOptions> = {}) => new ActualsService(db.dataSource, new SqlDeploymentLookup(db.dataSource), settings, { ...DEFAULT_ACTUALS_OPTIONS, ...options }, clock);
  const stored = async (deploymentId = d.deploymentId) =>
    (await db.dataSource.query(
      `SELECT association_id, row_index, prediction_id::text AS prediction_id, value_number, value_label FROM actuals WHERE deployment_id = $1 ORDER BY id`,
      [deploymentId],
    )) as { association_id: string; row_index: number; prediction_id: string | null; value_number: number | null; value_label: string | null }[];

  beforeAll(async () => {
    db = await createTestDatabase(accuracyTestSchema);
    settings = new MonitoringSettingsService(db.dataSource, new SqlDeploymentLookup(db.dataSource), clock);
  });
  afterAll(() => db.drop());
  beforeEach(async () => {
    d = await seedDeployment(db.dataSource);
    owner = callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]);
  });

  it('matches actuals by prediction id and by request id, stores unknown ids unmatched, and keeps the first of duplicates', async () => {
    const [p1, p2, p3] = await insertPredictions(db.dataSource, d, [
      { receivedAt: minutes(1), requestId: 'order-1', outputs: label([1]) },
      { receivedAt: minutes(2), requestId: 'order-2', outputs: label([0]) },
      { receivedAt: minutes(3), outputs: label([1]) },
    ]);
    const actuals = service();
    const first = await actuals.submit(owner, d.deploymentId, [
      { associationId: p1!, value: 1 },
      { associationId: 'order-2', value: 'cat' },
      { associationId: p3!.toUpperCase(), value: true, actualAt: minutes(20) },
      { associationId: 'order-404', value: 0 },
      { associationId: 'order-2', value: 'dog' },
    ]);
    expect(first).toEqual({ deploymentId: d.deploymentId, projectId: d.projectId, accepted: 3, duplicates: ['order-2'], unknown: ['order-404'] });
    expect(await stored()).toEqual([
      { association_id: p1, row_index: 0, prediction_id: p1, value_number: 1, value_label: null },
      { association_id: 'order-2', row_index: 0, prediction_id: p2, value_number: null, value_label: 'cat' },
      { association_id: p3!.toUpperCase(), row_index: 0, prediction_id: p3, value_number: null, value_label: 'true' },
      { association_id: 'order-404', row_index: 0, prediction_id: null, value_number: 0, value_label: null },
    ]);

    // Again by id, and the same prediction by its other id: both duplicates, the first values stay.
    const second = await actuals.submit(owner, d.deploymentId, [
      { associationId: p1!, value: 0 },
      { associationId: 'order-1', value: 0 },
      { associationId: 'order-404', value: 1 },
    ]);
    expect(second).toMatchObject({ accepted: 0, duplicates: [p1, 'order-1', 'order-404'], unknown: [] });
    expect((await stored()).map((r) => r.value_number ?? r.value_label)).toEqual([1, 'cat', 'true', 0]);

    const page = await actuals.unmatched(owner, d.deploymentId, { first: 10 });
    expect(page.items.map((u) => [u.associationId, u.value, u.row])).toEqual([['order-404', 0, 0]]);
  });

  it('prefers the prediction id over a request id, and the latest successful prediction among those sharing a request id', async () => {
    const byId = randomUUID();
    const [, , olderOk, newerOk] = await insertPredictions(db.dataSource, d, [
      { id: byId, receivedAt: minutes(1), outputs: label([1]) },
      // Another prediction whose client sent the first one's id as its request id.
      { receivedAt: minutes(2), requestId: byId, outputs: label([0]) },
      { receivedAt: minutes(3), requestId: 'retried', outputs: label([1]) },
      { receivedAt: minutes(4), requestId: 'retried', outputs: label([0]) },
      { receivedAt: minutes(5), requestId: 'retried', status: 'error' },
    ]);
    expect(olderOk).toBeDefined();
    await service().submit(owner, d.deploymentId, [
      { associationId: byId, value: 1 },
      { associationId: 'retried', value: 0 },
    ]);
    expect((await stored()).map((r) => r.prediction_id)).toEqual([byId, newerOk]);
  });

  it('matches an actual that arrived before its prediction was logged, when the prediction shows up', async () => {
    const actuals = service();
    expect(await actuals.submit(owner, d.deploymentId, [{ associationId: 'late-1', value: 1 }])).toMatchObject({ accepted: 0, unknown: ['late-1'] });
    const [late] = await insertPredictions(db.dataSource, d, [{ receivedAt: minutes(29), requestId: 'late-1', outputs: label([1]) }]);
    // Sending it again reports the duplicate (the first stays) and matches the stored one.
    expect(await actuals.submit(owner, d.deploymentId, [{ associationId: 'late-1', value: 0 }])).toMatchObject({ duplicates: ['late-1'] });
    expect(await stored()).toEqual([expect.objectContaining({ association_id: 'late-1', prediction_id: late, value_number: 1 })]);
    expect((await actuals.unmatched(owner, d.deploymentId, {})).items).toEqual([]);
  });

  it('rematch matches stored unknown ids in one pass, one actual per prediction row', async () => {
    const actuals = service();
    await actuals.submit(owner, d.deploymentId, [
      { associationId: 'r-a', value: 1 },
      { associationId: 'r-b', value: 0 },
    ]);
    const [pa] = await insertPredictions(db.dataSource, d, [{ receivedAt: minutes(10), requestId: 'r-a', outputs: label([1]) }]);
    expect(await actuals.rematch(d.deploymentId)).toBe(1);
    expect((await stored()).map((r) => [r.association_id, r.prediction_id])).toEqual([
      ['r-a', pa],
      ['r-b', null],
    ]);
    expect(await actuals.rematch(d.deploymentId)).toBe(0);

    // A prediction id sent before its row was written: matched by id once the row is there.
    const early = randomUUID();
    expect(await actuals.submit(owner, d.deploymentId, [{ associationId: early, value: 1 }])).toMatchObject({ unknown: [early] });
    await insertPredictions(db.dataSource, d, [{ id: early, receivedAt: minutes(11), outputs: label([1]) }]);
    expect(await actuals.rematch(d.deploymentId)).toBe(1);
    expect((await stored()).find((r) => r.association_id === early)?.prediction_id).toBe(early);
  });

  it('needs the row of a batch prediction and refuses rows outside it', async () => {
    const [batch] = await insertPredictions(db.dataSource, d, [{ receivedAt: minutes(1), requestId: 'batch', inputRows: 3, outputs: label([1, 0, 1]) }]);
    const actuals = service();
    const noRow = await caught(actuals.submit(owner, d.deploymentId, [{ associationId: 'batch', value: 1 }]));
    expect(noRow.code).toBe(AccuracyErrorCode.INVALID_ACTUAL);
    expect(noRow.message).toBe(`actuals[0]: Prediction ${batch} holds a batch of 3 rows: say which one this actual is for with row (0 to 2).`);
    const outside = await caught(actuals.submit(owner, d.deploymentId, [{ associationId: 'batch', value: 1, row: 0 }, { associationId: 'batch', value: 1, row: 3 }]));
    expect(outside.message).toMatch(/^actuals\[1\]: row 3 is outside prediction .* whose batch has 3 rows/);
    expect(outside.details).toMatchObject({ index: 1 });
    expect(await stored()).toEqual([]);
    expect(await actuals.submit(owner, d.deploymentId, [{ associationId: 'batch', value: 1, row: 0 }, { associationId: batch!, value: 0, row: 2 }, { associationId: 'batch', value: 1, row: 2 }])).toMatchObject({
      accepted: 2,
      duplicates: ['batch'],
    });
  });

  it('refuses a whole call for one invalid actual, and calls over the limit', async () => {
    const actuals = service({ maxPerCall: 3 });
    const err = await caught(actuals.submit(owner, d.deploymentId, [{ associationId: 'a', value: 1 }, { associationId: 'b', value: null }]));
    expect([err.code, err.kind, err.message, err.details]).toEqual([
      AccuracyErrorCode.INVALID_ACTUAL,
      'BAD_USER_INPUT',
      expect.stringMatching(/^actuals\[1\]: value is missing/),
      { index: 1 },
    ]);
    const many = await caught(actuals.submit(owner, d.deploymentId, Array.from({ length: 4 }, (_, i) => ({ associationId: `x${i}`, value: 1 }))));
    expect([many.code, many.message]).toEqual([AccuracyErrorCode.TOO_MANY_ACTUALS, expect.stringMatching(/4 actuals in one call; at most 3\. .*NDJSON/)]);
    expect(await stored()).toEqual([]);
  });

  it('refuses labels for a deployment monitored as a regression', async () => {
    await settings.set(owner, d.deploymentId, { task: 'regression', labelOutput: 'prediction' });
    const err = await caught(service().submit(owner, d.deploymentId, [{ associationId: 'a', value: 'high' }]));
    expect(err.message).toMatch(/^actuals\[0\]: The deployment is monitored as a regression: value must be a number/);
  });

  it('needs predict on the deployment; others do not see it at all', async () => {
    const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
    const stranger = callerOf(randomUUID(), [[randomUUID(), 'admin']]);
    expect((await caught(service().submit(viewer, d.deploymentId, [{ associationId: 'a', value: 1 }]))).code).toBe('FORBIDDEN');
    expect((await caught(service().submit(stranger, d.deploymentId, [{ associationId: 'a', value: 1 }]))).code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await caught(service().ingestNdjson(viewer, d.deploymentId, Readable.from([lines({ associationId: 'a', value: 1 })])))).code).toBe('FORBIDDEN');
    expect((await caught(service().unmatched(stranger, d.deploymentId, {}))).code).toBe('DEPLOYMENT_NOT_FOUND');
    expect(await stored()).toEqual([]);
  });

  describe('NDJSON', () => {
    it('keeps the good lines and reports unknown ids, duplicates and bad lines by line number', async () => {
      const [p1, p2] = await insertPredictions(db.dataSource, d, [
        { receivedAt: minutes(1), requestId: 'n-1', outputs: label([1]) },
        { receivedAt: minutes(2), requestId: 'n-2', outputs: label([0]) },
      ]);
      const body = lines(
        { associationId: p1, value: 1 },
        '{"associationId": "n-2", "value": ',
        '',
        { associationId: 'n-2', value: 0, actualAt: '2026-11-02T09:10:00Z' },
        { associationId: 'nobody', value: 1 },
        { associationId: 'n-2', value: 1 },
        { associationId: 'n-3', value: 1, extra: true },
        '[1]',
        { associationId: '', value: 1 },
        { associationId: 'n-1', value: 0 },
      );
      const report = await service().ingestNdjson(owner, d.deploymentId, Readable.from([body]));
      expect(report).toMatchObject({
        accepted: 2,
        unknown: [{ line: 5, associationId: 'nobody' }],
        duplicates: [
          { line: 6, associationId: 'n-2' },
          { line: 10, associationId: 'n-1' },
        ],
        errors: [
          { line: 2, message: expect.stringMatching(/^Not valid JSON/) },
          { line: 7, message: expect.stringMatching(/Unknown field "extra"/) },
          { line: 8, message: expect.stringMatching(/one JSON object/) },
          { line: 9, message: expect.stringMatching(/associationId must be a non-empty string/) },
        ],
        duplicateCount: 2,
        unknownCount: 1,
        errorCount: 4,
        lines: 10,
        truncated: null,
        failure: null,
      });
      expect((await stored()).map((r) => [r.association_id, r.prediction_id])).toEqual([
        [p1, p1],
        ['n-2', p2],
        ['nobody', null],
      ]);
    });

    it('streams a large body in batches, and counts past the reported list limit', async () => {
      const ids = await insertPredictions(
        db.dataSource,
        d,
        Array.from({ length: 60 }, (_, i) => ({ receivedAt: minutes(i % 30), requestId: `bulk-${i}`, outputs: label([i % 2]) })),
      );
      const body = Array.from({ length: 100 }, (_, i) => JSON.stringify({ associationId: `bulk-${i}`, value: i % 2 }) + '\n');
      const chunks = body.map((l) => Buffer.from(l));
      const report = await service({ batchRows: 7, maxReported: 5 }).ingestNdjson(owner, d.deploymentId, Readable.from(chunks));
      expect([report.accepted, report.unknownCount, report.unknown.length, report.lines]).toEqual([60, 40, 5, 100]);
      expect(report.unknown.map((u) => u.line)).toEqual([61, 62, 63, 64, 65]);
      expect((await stored()).filter((r) => r.prediction_id !== null).map((r) => r.prediction_id)).toEqual(ids);
    });

    it('over the byte limit: stores the complete lines before it and says from which line to resend', async () => {
      await insertPredictions(db.dataSource, d, [
        { receivedAt: minutes(1), requestId: 'big-1', outputs: label([1]) },
        { receivedAt: minutes(1), requestId: 'big-2', outputs: label([1]) },
      ]);
      const line1 = lines({ associationId: 'big-1', value: 1 });
      let pulled = 0;
      const endless = Readable.from(
        (function* () {
          yield Buffer.from(line1 + '{"associationId":"oops"\n' + lines({ associationId: 'big-2', value: 0 }));
          for (;;) {
            pulled++;
            yield Buffer.alloc(1024, 0x20);
          }
        })(),
      );
      const report = await service({ ndjson: { maxBytes: 4096, maxLineBytes: 1024 } }).ingestNdjson(owner, d.deploymentId, endless);
      endless.destroy();
      expect(report.truncated).toEqual({ fromLine: 4, maxBytes: 4096 });
      expect([report.accepted, report.errorCount, report.lines]).toEqual([2, 1, 3]);
      expect(report.errors).toEqual([{ line: 2, message: expect.stringMatching(/Not valid JSON/) }]);
      expect(pulled).toBeLessThan(10);
      expect((await stored()).map((r) => r.association_id)).toEqual(['big-1', 'big-2']);
    });

    it('reports a failure part-way with the line to resend from; earlier batches stay stored', async () => {
      await insertPredictions(db.dataSource, d, [{ receivedAt: minutes(1), requestId: 'f-1', outputs: label([1]) }]);
      const failing = Readable.from(
        (async function* () {
          yield lines({ associationId: 'f-1', value: 1 }, { associationId: 'f-2', value: 1 });
          yield lines({ associationId: 'f-3', value: 1 });
          throw new Error('client went away');
        })(),
      );
      const report = await service({ batchRows: 2 }).ingestNdjson(owner, d.deploymentId, failing);
      expect(report.failure).toEqual({ fromLine: 3, error: expect.objectContaining({ message: 'client went away' }) });
      expect([report.accepted, report.unknownCount]).toEqual([1, 1]);
      expect((await stored()).map((r) => r.association_id)).toEqual(['f-1', 'f-2']);
    });
  });
});
