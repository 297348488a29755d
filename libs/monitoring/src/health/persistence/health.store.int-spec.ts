import { randomUUID } from 'node:crypto';
import { silentLogger } from '@modelport/observability';
import { PredictionLogWriter, servingMigrations, type PredictionLogRow } from '@modelport/serving';
import { createTestDatabase, type TestDatabase, seededRandom } from '@modelport/testing';
import { HealthRollupWriter } from '../domain/health-rollup.writer';
import { HealthService } from '../domain/health.service';
import { HealthResolution, NO_MODEL_VERSION } from '../domain/health.types';
import { LATENCY_RELATIVE_ERROR } from '../domain/latency-histogram';
import { RollupBatch } from '../domain/rollup-batch';
import { healthMigrations } from './health.migrations';
import { HealthStore } from './health.store';

const random = seededRandom;

const T0 = Date.UTC(2026, 10, 27, 10, 0, 0);
const deployments = [randomUUID(), randomUUID()];
const versions = [randomUUID(), randomUUID()];
const consumers = [randomUUID(), randomUUID(), randomUUID()];

/** Varied traffic over 5 minutes: two deployments, two versions, failures before a version was chosen, 4xx, 5xx, anonymous callers. */
function traffic(n: number, seed: number): PredictionLogRow[] {
  const rand = random(seed);
  return Array.from({ length: n }, (_, i) => {
    const kind = rand();
    const failedEarly = kind < 0.1;
    const error = kind < 0.25;
    return {
      id: randomUUID(),
      receivedAt: new Date(T0 + Math.floor(rand() * 5 * 60_000)),
      deploymentId: deployments[i % 2]!,
      deploymentName: i % 2 ? 'beta' : 'alpha',
      projectId: deployments[0]!,
      modelId: null,
      modelVersionId: failedEarly ? null : versions[Math.floor(rand() * 2)]!,
      modelVersion: null,
      artifactSha256: null,
      pluginId: null,
      pluginVersion: null,
      requestId: null,
      protocol: 'rest',
      consumerId: rand() < 0.1 ? null : consumers[Math.floor(rand() * 3)]!,
      status: error ? 'error' : 'ok',
      errorStatus: !error ? null : kind < 0.18 ? 400 + Math.floor(rand() * 30) : kind < 0.24 ? 503 : null,
      errorMessage: error ? 'failed' : null,
      latencyUs: error && kind < 0.18 ? rand() * 80 : Math.exp(Math.log(3000) + rand() * 3),
      inputRows: rand() < 0.2 ? null : 1 + Math.floor(rand() * 8),
      payloadStored: false,
      inputs: null,
      outputs: null,
      parameters: null,
    };
  });
}

describe('health rollups against PostgreSQL', () => {
  let db: TestDatabase;
  let store: HealthStore;
  const minuteRows = async () =>
    (await db.dataSource.query(
      `SELECT deployment_id, minute, model_version_key, requests::int, predictions::int, errors_4xx::int, errors_5xx::int, latency_sum_us::text, latency_max_us, latency_histogram::text AS h
       FROM deployment_health_minutes ORDER BY 1, 2, 3`,
    )) as Record<string, unknown>[];
  const consumerRows = async () => (await db.dataSource.query('SELECT * FROM deployment_consumer_minutes ORDER BY 1, 2, 3, 4')) as Record<string, unknown>[];
  const totals = async () =>
    (await db.dataSource.query('SELECT deployment_id, deployment_name, requests::int, predictions::int, errors_4xx::int, errors_5xx::int, last_minute FROM deployment_health_totals ORDER BY 1')) as Record<
      string,
      unknown
    >[];

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [], migrations: [...servingMigrations.filter((m) => m.name.includes('PredictionLog') || m.name.includes('PredictionRoles')), ...healthMigrations] });
    store = new HealthStore(db.dataSource);
  });
  afterEach(() =>
    db.dataSource.query('TRUNCATE predictions, deployment_health_minutes, deployment_consumer_minutes, deployment_health_totals, health_rollup_ledger'),
  );
  afterAll(() => db?.drop());

  it('two replicas writing the same minutes at once count every logged row exactly once, as a rebuild from the log does', async () => {
    const replicas = [0, 1].map(() => {
      const log = new PredictionLogWriter(db.dataSource, silentLogger(), { bufferRows: 5000, batchRows: 100, flushIntervalMs: 10 });
      const rollup = new HealthRollupWriter(store, silentLogger());
      log.onFlushed((rows) => rollup.record(rows));
      return { log, rollup };
    });
    const rows = traffic(6000, 11);
    rows.forEach((row, i) => expect(replicas[i % 2]!.log.tryAppend(row)).toBe(true));
    for (const r of replicas) {
      await r.log.close();
      await r.rollup.close();
    }
    const [{ n }] = (await db.dataSource.query('SELECT count(*)::int AS n FROM predictions')) as { n: number }[];
    expect(n).toBe(6000);
    expect(replicas.reduce((sum, r) => sum + r.rollup.stats().writtenRows, 0)).toBe(6000);

    const live = { minutes: await minuteRows(), consumers: await consumerRows(), totals: await totals() };
    expect(live.minutes.reduce((sum, m) => sum + (m['requests'] as number), 0)).toBe(6000);
    // Exact figures straight from the log.
    const exact = (await db.dataSource.query(
      `SELECT deployment_id, date_bin('1 minute', received_at, TIMESTAMPTZ 'epoch') AS minute, coalesce(model_version_id, '${NO_MODEL_VERSION}') AS model_version_key,
              count(*)::int AS requests, coalesce(sum(coalesce(input_rows, 1)) FILTER (WHERE status = 'ok'), 0)::int AS predictions,
              count(*) FILTER (WHERE error_status BETWEEN 400 AND 499)::int AS errors_4xx,
              count(*) FILTER (WHERE status = 'error' AND (error_status IS NULL OR error_status >= 500))::int AS errors_5xx,
              sum(latency_us)::text AS latency_sum_us, max(latency_us) AS latency_max_us
       FROM predictions GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`,
    )) as Record<string, unknown>[];
    expect(live.minutes.map(({ h: _h, ...m }) => m)).toEqual(exact);

    // A rebuild from the log gives the same rows, histograms included, and leaves the totals as they are.
    const rebuilt = await store.backfill(new Date(T0), new Date(T0 + 5 * 60_000), null);
    expect(rebuilt).toMatchObject({ minutes: exact.length, requests: 6000 });
    expect(await minuteRows()).toEqual(live.minutes);
    expect(await consumerRows()).toEqual(live.consumers);
    expect(await totals()).toEqual(live.totals);
    expect(live.totals.map((t) => [t['deployment_name'], t['requests']]).sort()).toEqual([
      ['alpha', 3000],
      ['beta', 3000],
    ]);
  });

  it('a series equals exact figures from the log: counts, rates and distinct consumers exactly, quantiles within 2%', async () => {
    const rows = traffic(3000, 5);
    const log = new PredictionLogWriter(db.dataSource, silentLogger(), { bufferRows: 5000, batchRows: 500, flushIntervalMs: 10 });
    const rollup = new HealthRollupWriter(store, silentLogger());
    log.onFlushed((r) => rollup.record(r));
    for (const row of rows) log.tryAppend(row);
    await log.close();
    await rollup.close();
    const service = new HealthService(store, { get: async (_c, id) => ({ id }) });
    for (const [resolution, modelVersionId] of [
      [HealthResolution.MINUTE, null],
      [HealthResolution.FIVE_MINUTES, versions[1]!],
      [HealthResolution.HOUR, null],
    ] as const) {
      const series = await service.series({} as never, { deploymentId: deployments[0]!, from: new Date(T0), to: new Date(T0 + 5 * 60_000), resolution, modelVersionId });
      for (const point of [...series.points.map((p) => ({ from: p.start, to: p.end, figures: p })), { from: series.window.from, to: series.window.to, figures: series.totals }]) {
        const [exact] = (await db.dataSource.query(
          `SELECT count(*)::int AS requests, coalesce(sum(coalesce(input_rows, 1)) FILTER (WHERE status = 'ok'), 0)::int AS predictions,
                  count(*) FILTER (WHERE error_status BETWEEN 400 AND 499)::int AS errors_4xx,
                  count(*) FILTER (WHERE status = 'error' AND (error_status IS NULL OR error_status >= 500))::int AS errors_5xx,
                  count(DISTINCT consumer_id)::int AS consumers, max(latency_us) AS max_us,
                  percentile_disc(ARRAY[0.5, 0.9, 0.95, 0.99]) WITHIN GROUP (ORDER BY latency_us) AS q
           FROM predictions WHERE deployment_id = $1 AND received_at >= $2 AND received_at < $3 AND ($4::uuid IS NULL OR model_version_id = $4)`,
          [deployments[0], point.from, point.to, modelVersionId],
        )) as { requests: number; predictions: number; errors_4xx: number; errors_5xx: number; consumers: number; max_us: number | null; q: number[] | null }[];
        const f = point.figures;
        expect([f.requests, f.predictions, f.errors4xx, f.errors5xx, f.distinctConsumers, f.latencyMaxUs]).toEqual([
          exact!.requests,
          exact!.predictions,
          exact!.errors_4xx,
          exact!.errors_5xx,
          exact!.consumers,
          exact!.requests ? exact!.max_us : null,
        ]);
        if (exact!.requests > 0) expect(f.errorRate).toBeCloseTo((exact!.errors_4xx + exact!.errors_5xx) / exact!.requests, 12);
        const estimates = [f.latencyP50Us, f.latencyP90Us, f.latencyP95Us, f.latencyP99Us];
        (exact!.q ?? [null, null, null, null]).forEach((q, i) => {
          if (q === null) return expect(estimates[i]).toBeNull();
          expect(Math.abs(estimates[i]! - q)).toBeLessThanOrEqual(LATENCY_RELATIVE_ERROR * q);
        });
      }
    }
  });

  it('applies a write id once: a retry of a committed write changes nothing', async () => {
    const batch = new RollupBatch();
    batch.add(traffic(50, 3));
    const id = randomUUID();
    expect(await store.apply(id, batch, 5000)).toBe(true);
    const before = { minutes: await minuteRows(), totals: await totals() };
    expect(await store.apply(id, batch, 5000)).toBe(false);
    expect({ minutes: await minuteRows(), totals: await totals() }).toEqual(before);
    expect(await store.apply(randomUUID(), batch, 5000)).toBe(true);
    expect((await totals()).reduce((n, t) => n + (t['requests'] as number), 0)).toBe(100);
    await db.dataSource.query(`UPDATE health_rollup_ledger SET applied_at = now() - interval '2 days' WHERE id = $1`, [id]);
    expect(await store.sweepLedger(24 * 3600_000)).toBe(1);
  });

  it('monitoring_histogram_add adds histograms over any subscript ranges, and the aggregate sums them', async () => {
    const [row] = (await db.dataSource.query(
      `SELECT monitoring_histogram_add('[3:5]={1,2,3}', '[5:8]={10,0,0,4}')::text AS a,
              monitoring_histogram_add(NULL, '[2:2]={1}')::text AS b,
              monitoring_histogram_add('{}', '[2:2]={1}')::text AS c,
              (SELECT monitoring_histogram_sum(h)::text FROM (VALUES ('[1:1]={1}'::int[]), ('[9:10]={2,2}'::int[]), (NULL)) AS v(h)) AS d,
              monitoring_latency_bucket(0) AS b0, monitoring_latency_bucket(50) AS b50, monitoring_latency_bucket(51) AS b51, monitoring_latency_bucket(2147483647) AS bmax`,
    )) as Record<string, unknown>[];
    expect(row).toEqual({ a: '[3:8]={1,2,13,0,0,4}', b: '[2:2]={1}', c: '[2:2]={1}', d: '{1,0,0,0,0,0,0,0,2,2}', b0: 0, b50: 50, b51: 50, bmax: 915 });
  });

  it('backfill repairs minutes the rollups missed or counted twice, and moves the totals by the difference', async () => {
    const rows = traffic(400, 9);
    const log = new PredictionLogWriter(db.dataSource, silentLogger(), { bufferRows: 1000, batchRows: 100, flushIntervalMs: 10 });
    const rollup = new HealthRollupWriter(store, silentLogger());
    log.onFlushed((r) => rollup.record(r));
    for (const row of rows) log.tryAppend(row);
    await log.close();
    await rollup.close();
    const good = { minutes: await minuteRows(), consumers: await consumerRows(), totals: await totals() };
    // Damage as it happens: a crash lost the rollup write of rows already in the log (minutes and totals),
    // and a write was applied twice (minutes and totals); the consumer sets of the lost write are gone too.
    await db.dataSource.query(
      `WITH gone AS (DELETE FROM deployment_health_minutes WHERE minute = $1 AND deployment_id = $2 RETURNING *),
            g AS (SELECT deployment_id, sum(requests) AS r, sum(predictions) AS p, sum(errors_4xx) AS e4, sum(errors_5xx) AS e5 FROM gone GROUP BY 1)
       UPDATE deployment_health_totals t SET requests = t.requests - g.r, predictions = t.predictions - g.p, errors_4xx = t.errors_4xx - g.e4, errors_5xx = t.errors_5xx - g.e5
       FROM g WHERE t.deployment_id = g.deployment_id`,
      [new Date(T0), deployments[0]],
    );
    await db.dataSource.query(`DELETE FROM deployment_consumer_minutes WHERE minute = $1 AND deployment_id = $2`, [new Date(T0), deployments[0]]);
    await db.dataSource.query(
      `WITH twice AS (
         UPDATE deployment_health_minutes SET requests = requests * 2, predictions = predictions * 2, errors_4xx = errors_4xx * 2, errors_5xx = errors_5xx * 2,
                latency_sum_us = latency_sum_us * 2, latency_histogram = monitoring_histogram_add(latency_histogram, latency_histogram)
         WHERE minute = $1 RETURNING deployment_id, requests / 2 AS r, predictions / 2 AS p, errors_4xx / 2 AS e4, errors_5xx / 2 AS e5),
            g AS (SELECT deployment_id, sum(r) AS r, sum(p) AS p, sum(e4) AS e4, sum(e5) AS e5 FROM twice GROUP BY 1)
       UPDATE deployment_health_totals t SET requests = t.requests + g.r, predictions = t.predictions + g.p, errors_4xx = t.errors_4xx + g.e4, errors_5xx = t.errors_5xx + g.e5
       FROM g WHERE t.deployment_id = g.deployment_id`,
      [new Date(T0 + 60_000)],
    );
    expect(await minuteRows()).not.toEqual(good.minutes);
    expect(await totals()).not.toEqual(good.totals);
    await store.backfill(new Date(T0), new Date(T0 + 2 * 60_000), null);
    expect(await minuteRows()).toEqual(good.minutes);
    expect(await consumerRows()).toEqual(good.consumers);
    expect(await totals()).toEqual(good.totals);
    // One deployment's window leaves the other's rows alone.
    await db.dataSource.query(`DELETE FROM deployment_health_minutes WHERE deployment_id = $1`, [deployments[1]]);
    await store.backfill(new Date(T0), new Date(T0 + 5 * 60_000), deployments[0]!);
    expect((await minuteRows()).filter((m) => m['deployment_id'] === deployments[1])).toEqual([]);
  });
});
