import type { DataSource } from 'typeorm';
import { accessFilter, asSubject, assertCan, type Caller } from '@modelport/governance';
import type { RefreshDeploymentLookup } from './refresh.ports';
import { invalidRefreshArgument, RefreshError, RefreshErrorCode } from './refresh.errors';

/** The longest range one export covers. */
export const MAX_LABELLED_DATA_DAYS = 366;
/** Rows read per query while streaming. */
export const LABELLED_DATA_BATCH = 500;

const DAY_MS = 86_400_000;
const PAYLOAD_FIELDS = ['inputs', 'outputs'] as const;

/** One line of the export. */
export interface LabelledPrediction {
  readonly predictionId: string;
  readonly receivedAt: string;
  readonly inputs: unknown;
  readonly outputs: unknown;
  readonly actuals: { row: number; value: number | string }[];
}

interface Row {
  id: string;
  received_at: Date;
  /** received_at to the microsecond, for the keyset (a Date keeps milliseconds only). */
  cursor_at: string;
  inputs: unknown;
  outputs: unknown;
  actuals: { row: number; value: number | string }[];
  project_id: string;
  deployment_id: string;
  deployment_name: string;
  model_id: string | null;
  model_version_id: string | null;
  model_version: number | null;
  consumer_id: string | null;
  status: string;
  protocol: string;
  latency_us: number;
  error_status: number | null;
  error_message: string | null;
  request_id: string | null;
  plugin_id: string | null;
}

function parseTime(field: 'from' | 'to', value: unknown): Date {
  const at = typeof value === 'string' && value.trim() !== '' ? new Date(value) : new Date(Number.NaN);
  if (Number.isNaN(at.getTime())) throw invalidRefreshArgument(field, `${field} must be an ISO 8601 date-time such as 2026-11-02T00:00:00Z (got ${JSON.stringify(value ?? null)}).`);
  return at;
}

/** The attributes access rules test on a logged prediction (as serving's predictionSubject names them). */
function subjectOf(r: Row): Record<string, unknown> {
  return {
    id: r.id,
    projectId: r.project_id,
    deploymentId: r.deployment_id,
    deploymentName: r.deployment_name,
    modelId: r.model_id,
    modelVersionId: r.model_version_id,
    modelVersion: r.model_version,
    consumerId: r.consumer_id,
    status: r.status,
    protocol: r.protocol,
    latencyUs: r.latency_us,
    errorStatus: r.error_status,
    errorMessage: r.error_message,
    requestId: r.request_id,
    pluginId: r.plugin_id,
    receivedAt: r.received_at,
  };
}

/**
 * The labelled data of a deployment for retraining: every live prediction in [from, to) with a stored
 * payload and at least one actual, oldest first, as NDJSON lines. Needs read on the deployment and on its
 * predictions' inputs and outputs (a field rule hiding payloads refuses the export; a rule hiding some rows'
 * payloads leaves those rows out).
 */
export class LabelledDataService {
  constructor(
    private readonly db: DataSource,
    private readonly deployments: RefreshDeploymentLookup,
    private readonly batchSize = LABELLED_DATA_BATCH,
  ) {}

  /** Checks the request before any byte is sent; the lines are read lazily, one batch at a time. */
  async open(caller: Caller, deploymentId: string, range: { from?: unknown; to?: unknown }): Promise<AsyncGenerator<string>> {
    const deployment = await this.deployments.get(caller, deploymentId);
    const from = parseTime('from', range.from);
    const to = parseTime('to', range.to);
    if (to.getTime() <= from.getTime()) throw invalidRefreshArgument('to', `to (${to.toISOString()}) must be after from (${from.toISOString()}).`);
    if (to.getTime() - from.getTime() > MAX_LABELLED_DATA_DAYS * DAY_MS) {
      throw invalidRefreshArgument('from', `One export covers at most ${MAX_LABELLED_DATA_DAYS} days; ask for a shorter range (several requests for more).`);
    }
    assertCan(caller.ability, 'read', 'Prediction', { projectId: deployment.projectId, deploymentId: deployment.id, deploymentName: deployment.name });
    const subject = asSubject('Prediction', { projectId: deployment.projectId, deploymentId: deployment.id, deploymentName: deployment.name });
    const hidden = PAYLOAD_FIELDS.filter((f) => !caller.ability.can('read', subject, f));
    if (hidden.length > 0) {
      throw new RefreshError(
        RefreshErrorCode.PAYLOAD_HIDDEN,
        `Your access rules hide the ${hidden.join(' and ')} of this deployment's predictions, which labelled data is made of. Ask an admin of the project for a role that may read prediction payloads.`,
        { fields: hidden },
      );
    }
    return this.lines(caller, deployment.id, from, to);
  }

  private async *lines(caller: Caller, deploymentId: string, from: Date, to: Date): AsyncGenerator<string> {
    // Row rules in SQL (as the prediction list applies them), field rules per row below.
    const access = accessFilter(caller.ability, 'read', 'Prediction', 'p');
    let after: { at: string; id: string } | null = null;
    for (;;) {
      const qb = this.db
        .createQueryBuilder()
        .select([
          'p.id AS id',
          'p.received_at AS received_at',
          'p.inputs AS inputs',
          'p.outputs AS outputs',
          'p.project_id AS project_id',
          'p.deployment_id AS deployment_id',
          'p.deployment_name AS deployment_name',
          'p.model_id AS model_id',
          'p.model_version_id AS model_version_id',
          'p.model_version AS model_version',
          'p.consumer_id AS consumer_id',
          'p.status AS status',
          'p.protocol AS protocol',
          'p.latency_us AS latency_us',
          'p.error_status AS error_status',
          'p.error_message AS error_message',
          'p.request_id AS request_id',
          'p.plugin_id AS plugin_id',
        ])
        .addSelect('p.received_at::text', 'cursor_at')
        .addSelect(
          `(SELECT json_agg(json_build_object('row', a.row_index, 'value', coalesce(to_jsonb(a.value_number), to_jsonb(a.value_label))) ORDER BY a.row_index)
              FROM actuals a WHERE a.prediction_id = p.id)`,
          'actuals',
        )
        .from('predictions', 'p')
        .where('p.deployment_id = :deploymentId', { deploymentId })
        .andWhere(`p.role = 'live' AND p.status = 'ok' AND p.payload_stored AND p.inputs IS NOT NULL`)
        .andWhere('p.received_at >= :from AND p.received_at < :to', { from, to })
        .andWhere('EXISTS (SELECT 1 FROM actuals a WHERE a.prediction_id = p.id)')
        .andWhere(access.sql, access.params)
        .orderBy('p.received_at', 'ASC')
        .addOrderBy('p.id', 'ASC')
        .limit(this.batchSize);
      if (after) qb.andWhere('(p.received_at, p.id) > (CAST(:afterAt AS timestamptz), CAST(:afterId AS uuid))', { afterAt: after.at, afterId: after.id });
      const rows: Row[] = await qb.getRawMany();
      for (const r of rows) {
        const subject = asSubject('Prediction', subjectOf(r));
        if (PAYLOAD_FIELDS.some((f) => !caller.ability.can('read', subject, f))) continue;
        const line: LabelledPrediction = { predictionId: r.id, receivedAt: r.received_at.toISOString(), inputs: r.inputs, outputs: r.outputs, actuals: r.actuals ?? [] };
        yield JSON.stringify(line);
      }
      if (rows.length < this.batchSize) return;
      const last = rows[rows.length - 1]!;
      after = { at: last.cursor_at, id: last.id };
    }
  }
}
