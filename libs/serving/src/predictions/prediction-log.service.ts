import type { DataSource } from 'typeorm';
import { decodeCursor, isUuid, pageSize, toPage, type Page, type PageRequest } from '@modelport/database';
import { PredictionLogError, PredictionLogErrorCode } from './prediction-log.errors';
import { PREDICTION_STATUSES, type PredictionProtocol, type PredictionReceipt, type PredictionStatus } from './prediction-log.types';

export interface PredictionLogServiceOptions {
  /** Largest `first` that `list` accepts (the platform's MODELPORT_MAX_PAGE_SIZE). */
  readonly maxPageSize: number;
}

export interface PredictionListFilter extends PageRequest {
  /**
   * The deployments to list, already narrowed to those the caller may read: this service does
   * no access checks. An empty list gives an empty page.
   */
  readonly deploymentIds: readonly string[];
  readonly status?: PredictionStatus | null;
  /** Include inputs and outputs (when stored). Default false: pages stay small. */
  readonly includePayload?: boolean;
  /**
   * A condition over alias `p` (the predictions table) with named parameters, from the caller's access
   * rules (`accessFilter(ability, 'read', 'Prediction', 'p')`): only rows it keeps are listed.
   */
  readonly access?: { readonly sql: string; readonly params: Readonly<Record<string, unknown>> };
}

/** A `predictions` row as node-postgres returns it. */
interface PredictionRecord {
  id: string;
  received_at: Date;
  received_us?: string;
  deployment_id: string;
  deployment_name: string;
  project_id: string;
  model_id: string | null;
  model_version_id: string | null;
  model_version: number | null;
  artifact_sha256: string | null;
  plugin_id: string | null;
  plugin_version: string | null;
  request_id: string | null;
  protocol: PredictionProtocol;
  consumer_id: string | null;
  status: PredictionStatus;
  error_status: number | null;
  error_message: string | null;
  latency_us: number;
  input_rows: number | null;
  payload_stored: boolean;
  parameters: Record<string, unknown> | null;
  inputs?: unknown;
  outputs?: unknown;
}

const METADATA_COLUMNS =
  'p.id, p.received_at, p.deployment_id, p.deployment_name, p.project_id, p.model_id, p.model_version_id, p.model_version, ' +
  'p.artifact_sha256, p.plugin_id, p.plugin_version, p.request_id, p.protocol, p.consumer_id, p.status, p.error_status, ' +
  'p.error_message, p.latency_us, p.input_rows, p.payload_stored, p.parameters';

/** received_at in whole microseconds since the epoch: the cursor keeps PostgreSQL's full precision. */
const RECEIVED_US = '(extract(epoch FROM p.received_at) * 1000000)::bigint::text AS received_us';
const FROM_MICROS = (param: string) => `('epoch'::timestamptz + ${param}::float8 * interval '1 microsecond')`;

function toReceipt(r: PredictionRecord, withPayload: boolean): PredictionReceipt {
  return {
    id: r.id,
    receivedAt: r.received_at,
    deployment: { id: r.deployment_id, name: r.deployment_name },
    projectId: r.project_id,
    modelVersion:
      r.model_version_id === null
        ? null
        : { id: r.model_version_id, modelId: r.model_id, version: r.model_version, artifactSha256: r.artifact_sha256 },
    plugin: r.plugin_id === null ? null : { id: r.plugin_id, version: r.plugin_version },
    requestId: r.request_id,
    protocol: r.protocol,
    consumerId: r.consumer_id,
    status: r.status,
    error: r.status === 'ok' && r.error_status === null && r.error_message === null ? null : { status: r.error_status, message: r.error_message },
    latencyUs: r.latency_us,
    inputRows: r.input_rows,
    parameters: r.parameters,
    payloadStored: r.payload_stored,
    payload: withPayload && r.payload_stored ? { inputs: r.inputs ?? null, outputs: r.outputs ?? null } : null,
  };
}

/**
 * Reads the prediction log: one receipt by id, pages of a deployment's predictions newest first,
 * and the retention delete. Callers check access (the receipt names its project and deployment).
 */
export class PredictionLogService {
  constructor(
    private readonly db: DataSource,
    private readonly options: PredictionLogServiceOptions,
  ) {}

  /** The receipt of one prediction, with its payload when stored. PREDICTION_NOT_FOUND for unknown or malformed ids. */
  async get(id: string): Promise<PredictionReceipt> {
    if (!isUuid(id)) throw PredictionLogError.notFound(String(id));
    const rows: PredictionRecord[] = await this.db.query(`SELECT ${METADATA_COLUMNS}, p.inputs, p.outputs FROM predictions p WHERE p.id = $1`, [id]);
    const row = rows[0];
    if (!row) throw PredictionLogError.notFound(id);
    return toReceipt(row, true);
  }

  /**
   * Predictions of the given deployments, newest first (received_at, then id, descending),
   * keyset-paginated. Each deployment is read through its (deployment_id, received_at) index
   * with its own LIMIT, then the few rows are merged: the cost does not grow with the log.
   */
  async list(filter: PredictionListFilter): Promise<Page<PredictionReceipt>> {
    const limit = pageSize(filter.first, this.options.maxPageSize);
    const deploymentIds = [...new Set(filter.deploymentIds)];
    for (const id of deploymentIds) {
      if (!isUuid(id)) {
        throw new PredictionLogError(PredictionLogErrorCode.INVALID_ARGUMENT, `deploymentIds holds ${JSON.stringify(id)}, which is not a deployment id (a UUID).`);
      }
    }
    const status = filter.status ?? null;
    if (status !== null && !PREDICTION_STATUSES.includes(status)) {
      throw new PredictionLogError(PredictionLogErrorCode.INVALID_ARGUMENT, `status must be one of ${PREDICTION_STATUSES.join(', ')} (got ${JSON.stringify(status)}).`);
    }
    const after = filter.after ? decodeCursor(filter.after, 2, ['int', 'uuid']) : null;
    if (deploymentIds.length === 0) return { items: [], hasNextPage: false, endCursor: null };

    const withPayload = filter.includePayload === true;
    const params: unknown[] = [deploymentIds, limit + 1];
    const where = ['p.deployment_id = d.id', `p.role = 'live'`];
    if (status !== null) {
      params.push(status);
      where.push(`p.status = $${params.length}`);
    }
    if (filter.access) where.push(positional(filter.access, params));
    if (after !== null) {
      params.push(String(after[0]), after[1]);
      const at = FROM_MICROS(`$${params.length - 1}`);
      // The first condition is the one the index can use; the row comparison breaks ties on id.
      where.push(`p.received_at <= ${at}`, `(p.received_at, p.id) < (${at}, $${params.length}::uuid)`);
    }
    const rows: PredictionRecord[] = await this.db.query(
      `SELECT p.* FROM unnest($1::uuid[]) AS d(id)
       CROSS JOIN LATERAL (
         SELECT ${METADATA_COLUMNS}${withPayload ? ', p.inputs, p.outputs' : ''}, ${RECEIVED_US}
         FROM predictions p
         WHERE ${where.join(' AND ')}
         ORDER BY p.received_at DESC, p.id DESC
         LIMIT $2
       ) p
       ORDER BY p.received_at DESC, p.id DESC
       LIMIT $2`,
      params,
    );
    const page = toPage(rows, limit, (r) => [Number(r.received_us), r.id]);
    return { ...page, items: page.items.map((r) => toReceipt(r, withPayload)) };
  }

  /**
   * Deletes predictions received before `cutoff`, `batchSize` rows per statement (each its own
   * short transaction, so inserts and vacuum are never held up for long). Returns how many went.
   */
  async deleteOlderThan(cutoff: Date, batchSize: number, options: { onBatch?: (deleted: number) => void } = {}): Promise<number> {
    if (!(cutoff instanceof Date) || Number.isNaN(cutoff.getTime())) {
      throw new PredictionLogError(PredictionLogErrorCode.INVALID_ARGUMENT, 'cutoff must be a valid date.');
    }
    if (!Number.isInteger(batchSize) || batchSize < 1) {
      throw new PredictionLogError(PredictionLogErrorCode.INVALID_ARGUMENT, `batchSize must be a whole number of at least 1 (got ${batchSize}).`);
    }
    let total = 0;
    for (;;) {
      const [, deleted] = (await this.db.query(
        'DELETE FROM predictions WHERE id = ANY(ARRAY(SELECT id FROM predictions WHERE received_at < $1 LIMIT $2))',
        [cutoff.toISOString(), batchSize],
      )) as [unknown, number];
      total += deleted;
      options.onBatch?.(deleted);
      if (deleted < batchSize) return total;
    }
  }
}

/** A condition with `:name` parameters as one with `$n` ones, appending its values to `params`. */
function positional(where: { readonly sql: string; readonly params: Readonly<Record<string, unknown>> }, params: unknown[]): string {
  let sql = where.sql;
  // Longest names first, so :casl1_10 is not read as :casl1_1 followed by 0.
  for (const name of Object.keys(where.params).sort((a, b) => b.length - a.length)) {
    params.push(where.params[name]);
    sql = sql.replace(new RegExp(`(?<![:\\w]):${name}(?!\\w)`, 'g'), `$${params.length}`);
  }
  return sql;
}
