import { assertCan, type Caller } from '@modelport/governance';
import type { DataSource } from 'typeorm';
import { AccuracyError, AccuracyErrorCode } from './accuracy.errors';
import { NO_PREDICTIONS, planWindows, RESOLUTION_MS, WindowAccumulator, type AccuracyResolution, type AccuracyWindowResult, type PredictionCounts } from './accuracy-windows';
import type { ActualsService } from './actuals.service';
import type { DeploymentLookup, MonitoringSettingsService, MonitoringSettingsView } from './monitoring-settings.service';
import type { JoinedActual } from './scoring';

export interface AccuracyOptions {
  /** Most matched actuals one query scores (they are held in memory); a larger range is refused. */
  readonly maxActuals: number;
  /** Actuals read per round trip. */
  readonly pageRows: number;
}

export const DEFAULT_ACCURACY_OPTIONS: AccuracyOptions = { maxActuals: 500_000, pageRows: 5000 };

export interface AccuracyQuery {
  readonly deploymentId: string;
  readonly from: Date;
  readonly to: Date;
  readonly resolution: AccuracyResolution;
}

export interface DeploymentAccuracy {
  readonly deploymentId: string;
  readonly projectId: string;
  readonly from: Date;
  readonly to: Date;
  readonly resolution: AccuracyResolution;
  /** Null when the deployment has none: counts and timeliness are still given, metrics are not. */
  readonly settings: MonitoringSettingsView | null;
  readonly windows: AccuracyWindowResult[];
  /** The whole range as one window. */
  readonly total: AccuracyWindowResult;
  /** Actuals of the deployment (any time) that no prediction matched yet. */
  readonly unmatchedActuals: number;
}

interface Grid {
  /** Seconds from the epoch where bucket 0 starts. */
  readonly originSeconds: number;
  readonly sizeSeconds: number;
}

interface JoinedRow {
  bucket: string;
  at: string;
  id: string;
  row_index: number;
  value_number: number | null;
  value_label: string | null;
  delay_seconds: number;
  prediction_id: string | null;
  status: string | null;
  payload_stored: boolean | null;
  label_tensor: unknown;
  probability_tensor: unknown;
}

/**
 * Accuracy of a deployment per time window: its predictions joined to their actuals, scored with
 * the deployment's monitoring settings. Windows are by prediction time (the prediction's
 * received_at), so an actual that arrives late improves the window of its prediction.
 */
export class AccuracyService {
  constructor(
    private readonly db: DataSource,
    private readonly deployments: DeploymentLookup,
    private readonly settings: MonitoringSettingsService,
    private readonly actuals: ActualsService,
    private readonly options: AccuracyOptions = DEFAULT_ACCURACY_OPTIONS,
  ) {}

  /** Per-window accuracy of a deployment the caller may read (and whose predictions the caller may read). */
  async deploymentAccuracy(caller: Caller, query: AccuracyQuery): Promise<DeploymentAccuracy> {
    const deployment = await this.deployments.get(caller, query.deploymentId);
    assertCan(caller.ability, 'read', 'Prediction', { ...deployment });
    const windows = planWindows(query.from, query.to, query.resolution);
    const grid = { originSeconds: 0, sizeSeconds: RESOLUTION_MS[query.resolution] / 1000 };
    const result = await this.compute(deployment.id, query.from, query.to, grid, windows.map((w) => w.bucket));
    const [unmatched] = (await this.db.query(`SELECT count(*)::int AS n FROM actuals WHERE deployment_id = $1 AND prediction_id IS NULL`, [deployment.id])) as { n: number }[];
    return {
      deploymentId: deployment.id,
      projectId: deployment.projectId,
      from: query.from,
      to: query.to,
      resolution: query.resolution,
      settings: result.settings,
      windows: windows.map((w) => (result.byBucket.get(w.bucket) ?? new WindowAccumulator(result.settings)).result(w.start, w.end, result.counts.get(w.bucket) ?? NO_PREDICTIONS)),
      total: result.total.result(query.from, query.to, sumCounts([...result.counts.values()])),
      unmatchedActuals: unmatched?.n ?? 0,
    };
  }

  /**
   * The accuracy of one deployment over [from, to) as a single window, without an access check:
   * for jobs such as alert rules (ACCURACY reads a metric, MISSING_ACTUALS 1 - shareWithActuals).
   * With `modelVersionId`, only the predictions that version answered count (a champion beside its canaries).
   */
  async accuracyOver(deploymentId: string, from: Date, to: Date, modelVersionId: string | null = null): Promise<AccuracyWindowResult> {
    if (!(to.getTime() > from.getTime())) throw new AccuracyError(AccuracyErrorCode.INVALID_RANGE, 'to must be after from.');
    const grid = { originSeconds: from.getTime() / 1000, sizeSeconds: (to.getTime() - from.getTime()) / 1000 };
    const result = await this.compute(deploymentId, from, to, grid, [0], modelVersionId);
    return result.total.result(from, to, sumCounts([...result.counts.values()]));
  }

  private async compute(deploymentId: string, from: Date, to: Date, grid: Grid, buckets: readonly number[], modelVersionId: string | null = null) {
    await this.actuals.rematch(deploymentId);
    const settings = await this.settings.of(deploymentId);
    const [{ n: total } = { n: 0 }] = (await this.db.query(
      `SELECT count(*)::int AS n FROM actuals WHERE deployment_id = $1 AND prediction_id IS NOT NULL AND prediction_received_at >= $2 AND prediction_received_at < $3`,
      [deploymentId, from, to],
    )) as { n: number }[];
    if (total > this.options.maxActuals) {
      throw new AccuracyError(
        AccuracyErrorCode.INVALID_RANGE,
        `The range holds ${total} actuals; one query scores at most ${this.options.maxActuals}. Ask for a shorter range.`,
        { actuals: total, max: this.options.maxActuals },
      );
    }
    const bucketSql = `floor((extract(epoch from %s) - $2::numeric) / $3::numeric)::bigint`;
    const gridParams = [String(grid.originSeconds), String(grid.sizeSeconds)];

    // Every prediction counts, payload stored or not: the payload is a sample, counts are not.
    const counted = (await this.db.query(
      `SELECT ${bucketSql.replace('%s', 'received_at')} AS bucket,
              count(*) FILTER (WHERE status = 'ok')::int AS predictions,
              count(*) FILTER (WHERE status <> 'ok')::int AS failed
         FROM predictions WHERE deployment_id = $1 AND role = 'live' AND received_at >= $4 AND received_at < $5
          AND ($6::uuid IS NULL OR model_version_id = $6::uuid)
        GROUP BY 1`,
      [deploymentId, ...gridParams, from, to, modelVersionId],
    )) as { bucket: string; predictions: number; failed: number }[];

    const wanted = new Set(buckets);
    const byBucket = new Map<number, WindowAccumulator>();
    const withActuals = new Map<number, Set<string>>();
    const all = new WindowAccumulator(settings);
    let cursor: { at: string; id: string } | null = null;
    for (;;) {
      const rows = (await this.db.query(
        `SELECT ${bucketSql.replace('%s', 'a.prediction_received_at')} AS bucket,
                a.prediction_received_at::text AS at, a.id::text AS id, a.row_index, a.value_number, a.value_label,
                extract(epoch from a.received_at - a.prediction_received_at)::float8 AS delay_seconds,
                p.id::text AS prediction_id, p.status, p.payload_stored,
                jsonb_path_query_first(p.outputs, '$[*] ? (@.name == $n)', jsonb_build_object('n', $6::text)) AS label_tensor,
                CASE WHEN $7::text IS NULL THEN NULL
                     ELSE jsonb_path_query_first(p.outputs, '$[*] ? (@.name == $n)', jsonb_build_object('n', $7::text)) END AS probability_tensor
           FROM actuals a
           LEFT JOIN predictions p ON p.id = a.prediction_id AND p.deployment_id = a.deployment_id
          WHERE a.deployment_id = $1 AND a.prediction_id IS NOT NULL
            AND a.prediction_received_at >= $4 AND a.prediction_received_at < $5
            AND ($8::timestamptz IS NULL OR (a.prediction_received_at, a.id) > ($8::timestamptz, $9::bigint))
            AND ($11::uuid IS NULL OR p.model_version_id = $11::uuid)
          ORDER BY a.prediction_received_at, a.id
          LIMIT $10`,
        [deploymentId, ...gridParams, from, to, settings?.labelOutput ?? '', settings?.probabilityOutput ?? null, cursor?.at ?? null, cursor?.id ?? null, this.options.pageRows, modelVersionId],
      )) as JoinedRow[];
      for (const r of rows) {
        const bucket = Number(r.bucket);
        const joined: JoinedActual = {
          row: r.row_index,
          valueNumber: r.value_number,
          valueLabel: r.value_label,
          prediction: r.prediction_id
            ? { status: r.status!, payloadStored: r.payload_stored!, labelTensor: r.label_tensor, probabilityTensor: r.probability_tensor }
            : null,
        };
        all.add(joined, r.delay_seconds);
        if (!wanted.has(bucket)) continue;
        let window = byBucket.get(bucket);
        if (!window) byBucket.set(bucket, (window = new WindowAccumulator(settings)));
        window.add(joined, r.delay_seconds);
        if (r.prediction_id && r.status === 'ok') {
          let ids = withActuals.get(bucket);
          if (!ids) withActuals.set(bucket, (ids = new Set()));
          ids.add(r.prediction_id);
        }
      }
      if (rows.length < this.options.pageRows) break;
      const last = rows[rows.length - 1]!;
      cursor = { at: last.at, id: last.id };
    }

    const counts = new Map<number, PredictionCounts>();
    for (const c of counted) {
      const bucket = Number(c.bucket);
      counts.set(bucket, { predictions: c.predictions, failedPredictions: c.failed, predictionsWithActuals: withActuals.get(bucket)?.size ?? 0 });
    }
    return { settings, byBucket, counts, total: all };
  }
}

function sumCounts(counts: readonly PredictionCounts[]): PredictionCounts {
  return counts.reduce(
    (a, c) => ({
      predictions: a.predictions + c.predictions,
      failedPredictions: a.failedPredictions + c.failedPredictions,
      predictionsWithActuals: a.predictionsWithActuals + c.predictionsWithActuals,
    }),
    NO_PREDICTIONS,
  );
}
