import type { MigrationInterface, QueryRunner } from 'typeorm';
import type { MigrationClass } from '@modelport/database';

/**
 * The latency bucket bounds of health histograms as this migration defines them: T[0] = 1 µs,
 * T[k] = floor(T[k-1] * 102 / 100) + 1 up to the largest int4 (915 bounds, 916 buckets). Frozen
 * here on purpose (a migration never changes); latency-histogram.spec.ts checks that the domain's
 * bounds are the same.
 */
export function migrationLatencyBounds(): number[] {
  const bounds = [1];
  for (;;) {
    const next = Math.floor((bounds[bounds.length - 1]! * 102) / 100) + 1;
    if (next > 2_147_483_647) return bounds;
    bounds.push(next);
  }
}

/**
 * Service health rollups, updated from the prediction log as its batches commit (see
 * health-rollup.writer.ts and README.md in libs/monitoring/src/health).
 *
 * * `deployment_health_minutes`: one row per deployment, minute and model version (the nil UUID
 *   for requests that failed before a version was chosen): counts, latency sum and maximum, and
 *   the latency histogram as an int4[] whose subscripts are bucket numbers, stored only from the
 *   lowest to the highest non-empty bucket (e.g. `[52:60]={1,0,...}`). Rows merge by addition.
 * * `deployment_consumer_minutes`: the distinct callers per deployment, minute and version, as a
 *   set (ON CONFLICT DO NOTHING); distinct counts over any window are exact.
 * * `deployment_health_totals`: running totals per deployment since its first request, for the
 *   Prometheus counters (they must never go down, whatever the retention of minute rows).
 * * `health_rollup_ledger`: ids of rollup writes already applied, so that a write retried after
 *   its COMMIT's answer was lost is not counted twice. Rows older than a day are swept.
 *
 * No foreign keys, like the prediction log: rollups outlive deleted deployments and versions.
 */
export class MonitoringHealthRollups1795801475000 implements MigrationInterface {
  name = 'MonitoringHealthRollups1795801475000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`CREATE TABLE deployment_health_minutes (
      deployment_id uuid NOT NULL,
      minute timestamptz NOT NULL,
      model_version_key uuid NOT NULL,
      requests bigint NOT NULL CHECK (requests >= 0),
      predictions bigint NOT NULL CHECK (predictions >= 0),
      errors_4xx bigint NOT NULL CHECK (errors_4xx >= 0),
      errors_5xx bigint NOT NULL CHECK (errors_5xx >= 0),
      latency_sum_us bigint NOT NULL CHECK (latency_sum_us >= 0),
      latency_max_us integer NOT NULL CHECK (latency_max_us >= 0),
      latency_histogram integer[] NOT NULL,
      PRIMARY KEY (deployment_id, minute, model_version_key)
    )`);
    await q.query(`CREATE TABLE deployment_consumer_minutes (
      deployment_id uuid NOT NULL,
      minute timestamptz NOT NULL,
      model_version_key uuid NOT NULL,
      consumer_id uuid NOT NULL,
      PRIMARY KEY (deployment_id, minute, model_version_key, consumer_id)
    )`);
    await q.query(`CREATE TABLE deployment_health_totals (
      deployment_id uuid PRIMARY KEY,
      deployment_name text NOT NULL,
      requests bigint NOT NULL CHECK (requests >= 0),
      predictions bigint NOT NULL CHECK (predictions >= 0),
      errors_4xx bigint NOT NULL CHECK (errors_4xx >= 0),
      errors_5xx bigint NOT NULL CHECK (errors_5xx >= 0),
      last_minute timestamptz NOT NULL
    )`);
    await q.query(`CREATE TABLE health_rollup_ledger (
      id uuid PRIMARY KEY,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    // Element-wise sum of two histograms, whatever subscript ranges they cover. Not strict: NULL
    // (or empty) is the empty histogram, which also makes it the state function of the aggregate.
    await q.query(`CREATE FUNCTION monitoring_histogram_add(a integer[], b integer[]) RETURNS integer[]
      LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
      DECLARE
        low integer;
        r integer[];
      BEGIN
        IF a IS NULL OR cardinality(a) = 0 THEN RETURN b; END IF;
        IF b IS NULL OR cardinality(b) = 0 THEN RETURN a; END IF;
        low := least(array_lower(a, 1), array_lower(b, 1));
        r := array_fill(0, ARRAY[greatest(array_upper(a, 1), array_upper(b, 1)) - low + 1], ARRAY[low]);
        FOR i IN array_lower(a, 1) .. array_upper(a, 1) LOOP r[i] := a[i]; END LOOP;
        FOR i IN array_lower(b, 1) .. array_upper(b, 1) LOOP r[i] := r[i] + b[i]; END LOOP;
        RETURN r;
      END $$`);
    await q.query(`CREATE AGGREGATE monitoring_histogram_sum(integer[]) (SFUNC = monitoring_histogram_add, STYPE = integer[], PARALLEL = SAFE)`);
    // The bucket of a latency in µs: how many bounds are <= it (0 for 0 µs).
    await q.query(
      `CREATE FUNCTION monitoring_latency_bucket(us integer) RETURNS integer LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT width_bucket(us, '{${migrationLatencyBounds().join(',')}}'::integer[]) $$`,
    );
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query('DROP FUNCTION monitoring_latency_bucket(integer)');
    await q.query('DROP AGGREGATE monitoring_histogram_sum(integer[])');
    await q.query('DROP FUNCTION monitoring_histogram_add(integer[], integer[])');
    await q.query('DROP TABLE health_rollup_ledger');
    await q.query('DROP TABLE deployment_health_totals');
    await q.query('DROP TABLE deployment_consumer_minutes');
    await q.query('DROP TABLE deployment_health_minutes');
  }
}

export const healthMigrations: MigrationClass[] = [MonitoringHealthRollups1795801475000];
