import type { DataSource } from 'typeorm';
import { NO_MODEL_VERSION, type HealthWindow } from '../domain/health.types';
import type { RollupBatch } from '../domain/rollup-batch';

/** One point's sums, as read from the minute rows. */
export interface BinRow {
  readonly start: Date;
  readonly requests: number;
  readonly predictions: number;
  readonly errors4xx: number;
  readonly errors5xx: number;
  readonly latencySumUs: number;
  readonly latencyMaxUs: number;
}

export interface SeriesRows {
  readonly bins: readonly BinRow[];
  /** Non-empty histogram buckets per point. */
  readonly buckets: readonly { readonly start: Date; readonly bucket: number; readonly count: number }[];
  readonly consumers: readonly { readonly start: Date; readonly consumers: number }[];
  /** Distinct consumers over the whole window (not the sum of the points'). */
  readonly totalConsumers: number;
}

/** What /metrics shows, per deployment name. */
export interface MetricsSnapshot {
  readonly totals: readonly { readonly name: string; readonly requests: number; readonly predictions: number; readonly errors4xx: number; readonly errors5xx: number }[];
  readonly recentBuckets: readonly { readonly name: string; readonly bucket: number; readonly count: number }[];
  readonly recentMax: readonly { readonly name: string; readonly latencyMaxUs: number }[];
  readonly recentConsumers: readonly { readonly name: string; readonly consumers: number }[];
}

export interface BackfillResult {
  /** The window rebuilt, aligned outward to whole minutes. */
  readonly from: Date;
  readonly to: Date;
  /** Minute rows written (deployment, minute, version). */
  readonly minutes: number;
  /** Requests found in the prediction log, i.e. now counted in the rebuilt minutes. */
  readonly requests: number;
}

const BACKFILL_LOCK = 7_311_401;

const UPSERT_MINUTES_SQL = `
  INSERT INTO deployment_health_minutes AS h
    (deployment_id, minute, model_version_key, requests, predictions, errors_4xx, errors_5xx, latency_sum_us, latency_max_us, latency_histogram)
  SELECT d, m, v, r, p, e4, e5, s, mx, hist::integer[]
  FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::int8[], $5::int8[], $6::int8[], $7::int8[], $8::int8[], $9::int4[], $10::text[])
    AS u(d, m, v, r, p, e4, e5, s, mx, hist)
  ORDER BY d, m, v
  ON CONFLICT (deployment_id, minute, model_version_key) DO UPDATE SET
    requests = h.requests + excluded.requests,
    predictions = h.predictions + excluded.predictions,
    errors_4xx = h.errors_4xx + excluded.errors_4xx,
    errors_5xx = h.errors_5xx + excluded.errors_5xx,
    latency_sum_us = h.latency_sum_us + excluded.latency_sum_us,
    latency_max_us = greatest(h.latency_max_us, excluded.latency_max_us),
    latency_histogram = monitoring_histogram_add(h.latency_histogram, excluded.latency_histogram)`;

const INSERT_CONSUMERS_SQL = `
  INSERT INTO deployment_consumer_minutes (deployment_id, minute, model_version_key, consumer_id)
  SELECT d, m, v, c FROM unnest($1::uuid[], $2::timestamptz[], $3::uuid[], $4::uuid[]) AS u(d, m, v, c)
  ORDER BY d, m, v, c
  ON CONFLICT DO NOTHING`;

const UPSERT_TOTALS_SQL = `
  INSERT INTO deployment_health_totals AS t (deployment_id, deployment_name, requests, predictions, errors_4xx, errors_5xx, last_minute)
  SELECT d, n, r, p, e4, e5, m FROM unnest($1::uuid[], $2::text[], $3::int8[], $4::int8[], $5::int8[], $6::int8[], $7::timestamptz[]) AS u(d, n, r, p, e4, e5, m)
  ORDER BY d
  ON CONFLICT (deployment_id) DO UPDATE SET
    deployment_name = excluded.deployment_name,
    requests = t.requests + excluded.requests,
    predictions = t.predictions + excluded.predictions,
    errors_4xx = t.errors_4xx + excluded.errors_4xx,
    errors_5xx = t.errors_5xx + excluded.errors_5xx,
    last_minute = greatest(t.last_minute, excluded.last_minute)`;

/** The same figures as RollupBatch, computed from the prediction log (a window, optionally one deployment). */
const REBUILD_SQL = `
  CREATE TEMP TABLE health_rebuilt ON COMMIT DROP AS
  WITH rows AS MATERIALIZED (
    SELECT deployment_id AS d, date_bin('1 minute', received_at, TIMESTAMPTZ 'epoch') AS m, coalesce(model_version_id, '${NO_MODEL_VERSION}'::uuid) AS v,
           deployment_name, received_at, status, error_status, latency_us, input_rows
    FROM predictions
    WHERE received_at >= $1 AND received_at < $2 AND ($3::uuid IS NULL OR deployment_id = $3) AND role = 'live'
  ), figures AS (
    SELECT d, m, v,
           count(*) AS requests,
           coalesce(sum(coalesce(input_rows, 1)) FILTER (WHERE status = 'ok'), 0) AS predictions,
           count(*) FILTER (WHERE status = 'error' AND error_status BETWEEN 400 AND 499) AS errors_4xx,
           count(*) FILTER (WHERE status = 'error' AND (error_status IS NULL OR error_status NOT BETWEEN 400 AND 499)) AS errors_5xx,
           sum(latency_us) AS latency_sum_us,
           max(latency_us) AS latency_max_us,
           (array_agg(deployment_name ORDER BY received_at DESC))[1] AS name
    FROM rows GROUP BY d, m, v
  ), buckets AS (
    SELECT d, m, v, monitoring_latency_bucket(latency_us) AS k, count(*)::integer AS c FROM rows GROUP BY d, m, v, k
  ), histograms AS (
    SELECT d, m, v, monitoring_histogram_sum(array_fill(c, ARRAY[1], ARRAY[k])) AS histogram FROM buckets GROUP BY d, m, v
  )
  SELECT f.*, h.histogram FROM figures f JOIN histograms h USING (d, m, v)`;

const INSTANT = (p: string) => `date_bin(${p}::interval, minute, TIMESTAMPTZ 'epoch')`;

/**
 * The SQL of health rollups: the additive upserts a rollup write makes, the reads behind series
 * and /metrics (which never touch the prediction log), and the rebuild from the prediction log.
 */
export class HealthStore {
  constructor(private readonly db: DataSource) {}

  /**
   * Applies one batch in one transaction: ledger entry, minute rows, consumers, totals. Returns
   * false (and changes nothing) when `writeId` was applied before: a retry whose earlier try
   * committed without its answer arriving.
   */
  async apply(writeId: string, batch: RollupBatch, statementTimeoutMs: number): Promise<boolean> {
    const minutes = batch.minutes();
    const totals = batch.totals();
    const consumers: [string[], string[], string[], string[]] = [[], [], [], []];
    for (const m of minutes) {
      const minute = new Date(m.minute).toISOString();
      for (const c of [...m.consumers].sort()) {
        consumers[0].push(m.deploymentId);
        consumers[1].push(minute);
        consumers[2].push(m.modelVersionKey);
        consumers[3].push(c);
      }
    }
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.floor(statementTimeoutMs))}`);
      const fresh = (await runner.query('INSERT INTO health_rollup_ledger (id) VALUES ($1) ON CONFLICT DO NOTHING RETURNING id', [writeId])) as unknown[];
      if (fresh.length === 0) {
        await runner.commitTransaction();
        return false;
      }
      await runner.query(UPSERT_MINUTES_SQL, [
        minutes.map((m) => m.deploymentId),
        minutes.map((m) => new Date(m.minute).toISOString()),
        minutes.map((m) => m.modelVersionKey),
        minutes.map((m) => m.requests),
        minutes.map((m) => m.predictions),
        minutes.map((m) => m.errors4xx),
        minutes.map((m) => m.errors5xx),
        minutes.map((m) => m.latencySumUs),
        minutes.map((m) => m.latencyMaxUs),
        minutes.map((m) => m.histogram.toSqlArray()),
      ]);
      if (consumers[0].length > 0) await runner.query(INSERT_CONSUMERS_SQL, consumers);
      await runner.query(UPSERT_TOTALS_SQL, [
        totals.map((t) => t.deploymentId),
        totals.map((t) => labelText(t.deploymentName)),
        totals.map((t) => t.requests),
        totals.map((t) => t.predictions),
        totals.map((t) => t.errors4xx),
        totals.map((t) => t.errors5xx),
        totals.map((t) => new Date(t.lastMinute).toISOString()),
      ]);
      await runner.commitTransaction();
      return true;
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }

  /** Forgets ledger entries older than `olderThanMs` (retries never come that late). */
  async sweepLedger(olderThanMs: number): Promise<number> {
    // TypeORM answers a DELETE with [rows, rowCount].
    const [, deleted] = (await this.db.query('DELETE FROM health_rollup_ledger WHERE applied_at < now() - make_interval(secs => $1)', [olderThanMs / 1000])) as [unknown, number];
    return deleted;
  }

  /** Sums per point of one deployment's window (all versions, or one). */
  async seriesRows(deploymentId: string, window: HealthWindow): Promise<SeriesRows> {
    const params = [deploymentId, window.from.toISOString(), window.to.toISOString(), `${window.stepSeconds} seconds`, window.modelVersionId];
    const where = 'deployment_id = $1 AND minute >= $2 AND minute < $3 AND ($5::uuid IS NULL OR model_version_key = $5)';
    // Four indexed range reads of the same minute rows, run side by side.
    const [bins, buckets, consumers, total] = (await Promise.all([
      this.db.query(
        `SELECT ${INSTANT('$4')} AS start, sum(requests)::float8 AS requests, sum(predictions)::float8 AS predictions,
                sum(errors_4xx)::float8 AS errors_4xx, sum(errors_5xx)::float8 AS errors_5xx,
                sum(latency_sum_us)::float8 AS latency_sum_us, max(latency_max_us) AS latency_max_us
         FROM deployment_health_minutes WHERE ${where} GROUP BY 1`,
        params,
      ),
      this.db.query(
        `SELECT ${INSTANT('$4')} AS start, s.k AS bucket, sum(latency_histogram[s.k])::float8 AS count
         FROM deployment_health_minutes CROSS JOIN LATERAL generate_subscripts(latency_histogram, 1) AS s(k)
         WHERE ${where} AND latency_histogram[s.k] <> 0 GROUP BY 1, 2`,
        params,
      ),
      this.db.query(
        `SELECT ${INSTANT('$4')} AS start, count(DISTINCT consumer_id)::int AS consumers FROM deployment_consumer_minutes WHERE ${where} GROUP BY 1`,
        params,
      ),
      this.db.query(`SELECT count(DISTINCT consumer_id)::int AS consumers FROM deployment_consumer_minutes WHERE ${where.replaceAll('$5', '$4')}`, [
        deploymentId,
        window.from.toISOString(),
        window.to.toISOString(),
        window.modelVersionId,
      ]),
    ])) as [Record<string, unknown>[], Record<string, unknown>[], Record<string, unknown>[], { consumers: number }[]];
    return {
      bins: bins.map((r) => ({
        start: r['start'] as Date,
        requests: r['requests'] as number,
        predictions: r['predictions'] as number,
        errors4xx: r['errors_4xx'] as number,
        errors5xx: r['errors_5xx'] as number,
        latencySumUs: r['latency_sum_us'] as number,
        latencyMaxUs: r['latency_max_us'] as number,
      })),
      buckets: buckets.map((r) => ({ start: r['start'] as Date, bucket: r['bucket'] as number, count: r['count'] as number })),
      consumers: consumers.map((r) => ({ start: r['start'] as Date, consumers: r['consumers'] as number })),
      totalConsumers: total[0]?.consumers ?? 0,
    };
  }

  /**
   * What /metrics shows: running totals of deployments with requests since `activeSince`, and
   * latency and consumers over the minutes since `recentSince`. Reads only rollup rows.
   */
  async metricsSnapshot(activeSince: Date, recentSince: Date): Promise<MetricsSnapshot> {
    const active = activeSince.toISOString();
    const recent = recentSince.toISOString();
    const [totals, recentBuckets, recentMax, recentConsumers] = (await Promise.all([
      this.db.query(
        `SELECT deployment_name AS name, sum(requests)::float8 AS requests, sum(predictions)::float8 AS predictions,
                sum(errors_4xx)::float8 AS errors_4xx, sum(errors_5xx)::float8 AS errors_5xx
         FROM deployment_health_totals WHERE last_minute >= $1 GROUP BY deployment_name ORDER BY deployment_name`,
        [active],
      ),
      this.db.query(
        `SELECT t.deployment_name AS name, s.k AS bucket, sum(h.latency_histogram[s.k])::float8 AS count
         FROM deployment_health_totals t
         JOIN deployment_health_minutes h ON h.deployment_id = t.deployment_id AND h.minute >= $1
         CROSS JOIN LATERAL generate_subscripts(h.latency_histogram, 1) AS s(k)
         WHERE t.last_minute >= $1 AND h.latency_histogram[s.k] <> 0
         GROUP BY 1, 2`,
        [recent],
      ),
      this.db.query(
        `SELECT t.deployment_name AS name, max(h.latency_max_us) AS latency_max_us
         FROM deployment_health_totals t JOIN deployment_health_minutes h ON h.deployment_id = t.deployment_id AND h.minute >= $1
         WHERE t.last_minute >= $1 GROUP BY 1`,
        [recent],
      ),
      this.db.query(
        `SELECT t.deployment_name AS name, count(DISTINCT c.consumer_id)::int AS consumers
         FROM deployment_health_totals t JOIN deployment_consumer_minutes c ON c.deployment_id = t.deployment_id AND c.minute >= $1
         WHERE t.last_minute >= $1 GROUP BY 1`,
        [recent],
      ),
    ])) as Record<string, unknown>[][];
    return {
      totals: totals.map((r) => ({
        name: r['name'] as string,
        requests: r['requests'] as number,
        predictions: r['predictions'] as number,
        errors4xx: r['errors_4xx'] as number,
        errors5xx: r['errors_5xx'] as number,
      })),
      recentBuckets: recentBuckets.map((r) => ({ name: r['name'] as string, bucket: r['bucket'] as number, count: r['count'] as number })),
      recentMax: recentMax.map((r) => ({ name: r['name'] as string, latencyMaxUs: r['latency_max_us'] as number })),
      recentConsumers: recentConsumers.map((r) => ({ name: r['name'] as string, consumers: r['consumers'] as number })),
    };
  }

  /**
   * Recomputes the rollups of [from, to) (whole minutes) from the prediction log, for every
   * deployment or one: replaces the minute and consumer rows and corrects the running totals by
   * the difference. Live rollup writes wait while it runs (table locks), and rebuilds run one at a
   * time. Only for windows whose rows are all in the log and whose rollup writes have all landed
   * (see README.md): rows still on their way would be counted twice, and minutes past the log's
   * retention would be emptied.
   */
  async backfill(from: Date, to: Date, deploymentId: string | null): Promise<BackfillResult> {
    const params = [from.toISOString(), to.toISOString(), deploymentId];
    const scope = 'minute >= $1 AND minute < $2 AND ($3::uuid IS NULL OR deployment_id = $3)';
    const runner = this.db.createQueryRunner();
    try {
      await runner.connect();
      await runner.startTransaction();
      await runner.query('SELECT pg_advisory_xact_lock($1)', [BACKFILL_LOCK]);
      await runner.query('LOCK TABLE deployment_health_minutes, deployment_consumer_minutes, deployment_health_totals IN SHARE ROW EXCLUSIVE MODE');
      await runner.query(REBUILD_SQL, params);
      // Totals move by what the rebuild changes: new sums minus the old minute rows' sums.
      await runner.query(
        `WITH old AS (
           SELECT deployment_id AS d, sum(requests) AS r, sum(predictions) AS p, sum(errors_4xx) AS e4, sum(errors_5xx) AS e5
           FROM deployment_health_minutes WHERE ${scope} GROUP BY 1
         ), fresh AS (
           SELECT d, sum(requests) AS r, sum(predictions) AS p, sum(errors_4xx) AS e4, sum(errors_5xx) AS e5, max(m) AS last,
                  (array_agg(name ORDER BY m DESC))[1] AS name
           FROM health_rebuilt GROUP BY 1
         ), diff AS (
           SELECT coalesce(fresh.d, old.d) AS d, fresh.name,
                  coalesce(fresh.r, 0) - coalesce(old.r, 0) AS r, coalesce(fresh.p, 0) - coalesce(old.p, 0) AS p,
                  coalesce(fresh.e4, 0) - coalesce(old.e4, 0) AS e4, coalesce(fresh.e5, 0) - coalesce(old.e5, 0) AS e5, fresh.last
           FROM fresh FULL JOIN old ON fresh.d = old.d
         ), updated AS (
           UPDATE deployment_health_totals t SET
             deployment_name = coalesce(diff.name, t.deployment_name),
             requests = greatest(0, t.requests + diff.r), predictions = greatest(0, t.predictions + diff.p),
             errors_4xx = greatest(0, t.errors_4xx + diff.e4), errors_5xx = greatest(0, t.errors_5xx + diff.e5),
             last_minute = greatest(t.last_minute, coalesce(diff.last, t.last_minute))
           FROM diff WHERE t.deployment_id = diff.d
           RETURNING t.deployment_id
         )
         INSERT INTO deployment_health_totals (deployment_id, deployment_name, requests, predictions, errors_4xx, errors_5xx, last_minute)
         SELECT d, name, r, p, e4, e5, last FROM diff
         WHERE last IS NOT NULL AND d NOT IN (SELECT deployment_id FROM updated) AND d NOT IN (SELECT deployment_id FROM deployment_health_totals)`,
        params,
      );
      await runner.query(`DELETE FROM deployment_health_minutes WHERE ${scope}`, params);
      await runner.query(`DELETE FROM deployment_consumer_minutes WHERE ${scope}`, params);
      await runner.query(
        `INSERT INTO deployment_health_minutes
           (deployment_id, minute, model_version_key, requests, predictions, errors_4xx, errors_5xx, latency_sum_us, latency_max_us, latency_histogram)
         SELECT d, m, v, requests, predictions, errors_4xx, errors_5xx, latency_sum_us, latency_max_us, histogram FROM health_rebuilt ORDER BY d, m, v`,
      );
      await runner.query(
        `INSERT INTO deployment_consumer_minutes (deployment_id, minute, model_version_key, consumer_id)
         SELECT DISTINCT deployment_id, date_bin('1 minute', received_at, TIMESTAMPTZ 'epoch'), coalesce(model_version_id, '${NO_MODEL_VERSION}'::uuid), consumer_id
         FROM predictions
         WHERE received_at >= $1 AND received_at < $2 AND ($3::uuid IS NULL OR deployment_id = $3) AND role = 'live' AND consumer_id IS NOT NULL`,
        params,
      );
      const [summary] = (await runner.query('SELECT count(*)::int AS minutes, coalesce(sum(requests), 0)::float8 AS requests FROM health_rebuilt')) as {
        minutes: number;
        requests: number;
      }[];
      await runner.commitTransaction();
      return { from, to, minutes: summary!.minutes, requests: summary!.requests };
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release().catch(() => undefined);
    }
  }
}

/** A deployment name as a label value: at most 1024 characters, no NUL (which text cannot hold). */
function labelText(name: string): string {
  const cut = name.length > 1024 ? name.slice(0, 1024) : name;
  return cut.includes('\u0000') ? cut.replaceAll('\u0000', '\uFFFD') : cut;
}
