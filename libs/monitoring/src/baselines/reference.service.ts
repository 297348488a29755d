import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { parse as parseCsv } from 'csv-parse';
import type { DataSource } from 'typeorm';
import { isUuid } from '@modelport/database';
import { assertCan, type Caller } from '@modelport/governance';
import { isModelportError } from '@modelport/errors';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { DeploymentService } from '@modelport/serving';
import { stagingKey, type ArtifactStore } from '@modelport/storage';
import { buildCategoricalProfile, buildNumericProfile, type CategoricalProfile, type NumericProfile } from '../drift';
import { invalidAlertArgument } from '../alerts/domain/alert.errors';

export const COMPUTE_REFERENCE_PROFILE_JOB = 'monitoring.compute-reference-profile';
/** Most rows profiled from one reference file (more is refused, not sampled silently). */
export const MAX_REFERENCE_ROWS = 2_000_000;
export const MAX_REFERENCE_COLUMNS = 500;

export interface ColumnProfile {
  readonly name: string;
  readonly role: 'feature' | 'prediction';
  readonly profile: NumericProfile | CategoricalProfile;
}

export interface ReferenceProfileRow {
  readonly id: string;
  readonly deploymentId: string;
  readonly projectId: string;
  readonly modelVersionId: string;
  readonly status: 'PENDING' | 'READY' | 'FAILED';
  readonly failure: string | null;
  readonly format: 'csv' | 'jsonl';
  readonly featureColumns: readonly string[];
  readonly predictionColumns: readonly string[];
  readonly categoricalColumns: readonly string[];
  readonly rowCount: number | null;
  readonly profiles: readonly ColumnProfile[] | null;
  readonly createdAt: Date;
  readonly completedAt: Date | null;
}

export interface CreateReferenceInput {
  readonly deploymentId: string;
  /** An upload (createArtifactUpload + PUT) of the deployment's project holding the file. */
  readonly uploadId: string;
  readonly format: string;
  /** The feature columns, in the order of the model's input columns. */
  readonly featureColumns: readonly string[];
  /** Columns holding the model's predictions on the reference rows (named like its outputs). */
  readonly predictionColumns?: readonly string[] | null;
  /** Columns profiled as categories; every other column must hold numbers (or be empty: missing). */
  readonly categoricalColumns?: readonly string[] | null;
}

interface Row {
  id: string;
  deployment_id: string;
  project_id: string;
  model_version_id: string;
  status: ReferenceProfileRow['status'];
  failure: string | null;
  format: 'csv' | 'jsonl';
  feature_columns: string[];
  prediction_columns: string[];
  categorical_columns: string[];
  row_count: number | null;
  profiles: ColumnProfile[] | null;
  upload_id: string;
  created_at: Date;
  completed_at: Date | null;
}

const fromRow = (r: Row): ReferenceProfileRow => ({
  id: r.id,
  deploymentId: r.deployment_id,
  projectId: r.project_id,
  modelVersionId: r.model_version_id,
  status: r.status,
  failure: r.failure,
  format: r.format,
  featureColumns: r.feature_columns,
  predictionColumns: r.prediction_columns,
  categoricalColumns: r.categorical_columns,
  rowCount: r.row_count,
  profiles: r.profiles,
  createdAt: r.created_at,
  completedAt: r.completed_at,
});

function columnList(field: string, value: readonly string[] | null | undefined, required: boolean): string[] {
  const list = [...(value ?? [])];
  if (required && list.length === 0) throw invalidAlertArgument(field, `${field} must name at least one column of the reference file.`);
  if (list.length > MAX_REFERENCE_COLUMNS) throw invalidAlertArgument(field, `${field} names ${list.length} columns; at most ${MAX_REFERENCE_COLUMNS}.`);
  const bad = list.find((c) => typeof c !== 'string' || c.trim() === '' || c.length > 200);
  if (bad !== undefined) throw invalidAlertArgument(field, `${field} holds an empty or over-long column name.`);
  if (new Set(list).size !== list.length) throw invalidAlertArgument(field, `${field} names a column twice.`);
  return list;
}

/**
 * Reference data sets: a file uploaded through the artifact store is profiled by a job into one mergeable
 * profile per feature and prediction column (numbers: quantile bins and moments; categories: top values).
 * Drift of a deployment is measured against the latest READY profile of the version it serves.
 */
export class ReferenceService {
  constructor(
    private readonly db: DataSource,
    private readonly store: ArtifactStore,
    private readonly queue: Pick<JobQueue, 'enqueue'>,
    private readonly deployments: Pick<DeploymentService, 'get'>,
    private readonly logger: Logger,
  ) {}

  async create(caller: Caller, input: CreateReferenceInput): Promise<ReferenceProfileRow> {
    const deployment = await this.deployments.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const format = String(input.format ?? '').toLowerCase();
    if (format !== 'csv' && format !== 'jsonl') throw invalidAlertArgument('format', `format must be CSV or JSONL (got "${input.format}").`);
    const featureColumns = columnList('featureColumns', input.featureColumns, true);
    const predictionColumns = columnList('predictionColumns', input.predictionColumns, false);
    const categoricalColumns = columnList('categoricalColumns', input.categoricalColumns, false);
    const all = new Set([...featureColumns, ...predictionColumns]);
    if (all.size !== featureColumns.length + predictionColumns.length) throw invalidAlertArgument('predictionColumns', 'A column cannot be both a feature and a prediction.');
    const stray = categoricalColumns.filter((c) => !all.has(c));
    if (stray.length > 0) throw invalidAlertArgument('categoricalColumns', `categoricalColumns names ${stray.map((c) => `"${c}"`).join(', ')}, which are not feature or prediction columns.`);
    if (!isUuid(input.uploadId)) throw invalidAlertArgument('uploadId', `"${input.uploadId}" is not an upload id (a UUID).`);
    // The upload is used up here, in one statement, so two references (or a model version) cannot share it.
    const [claimed] = (await this.db.query(
      `UPDATE artifact_uploads SET status = 'CONSUMED', finished_at = now()
        WHERE id = $1 AND project_id = $2 AND status IN ('PENDING', 'RECEIVED') AND expires_at > now() RETURNING id, expected_sha256`,
      [input.uploadId, deployment.projectId],
    )) as [{ id: string; expected_sha256: string }[], number];
    if (claimed.length === 0) {
      throw invalidAlertArgument('uploadId', `Upload ${input.uploadId} is not an open upload of the deployment's project (unknown, used, expired or of another project); create a new one with createArtifactUpload.`);
    }
    const [row] = (await this.db.query(
      `INSERT INTO reference_profiles (deployment_id, project_id, model_version_id, status, upload_id, format, feature_columns, prediction_columns, categorical_columns, created_by)
       VALUES ($1, $2, $3, 'PENDING', $4, $5, $6, $7, $8, $9) RETURNING *`,
      [deployment.id, deployment.projectId, deployment.modelVersionId, input.uploadId, format, featureColumns, predictionColumns, categoricalColumns, caller.principal.userId],
    )) as Row[];
    await this.queue.enqueue(COMPUTE_REFERENCE_PROFILE_JOB, { profileId: row!.id, sha256: claimed[0]!.expected_sha256 }, { jobId: `reference-${row!.id}`, attempts: 1 });
    return fromRow(row!);
  }

  async get(caller: Caller, deploymentId: string, id?: string | null): Promise<ReferenceProfileRow | null> {
    const deployment = await this.deployments.get(caller, deploymentId);
    const rows = (await this.db.query(
      id
        ? `SELECT * FROM reference_profiles WHERE deployment_id = $1 AND id = $2`
        : `SELECT * FROM reference_profiles WHERE deployment_id = $1 ORDER BY created_at DESC LIMIT 1`,
      id ? [deployment.id, isUuid(id) ? id : '00000000-0000-0000-0000-000000000000'] : [deployment.id],
    )) as Row[];
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The profile drift is measured against: the latest READY one of the version the deployment serves now. */
  async active(deploymentId: string, modelVersionId: string): Promise<ReferenceProfileRow | null> {
    const rows = (await this.db.query(
      `SELECT * FROM reference_profiles WHERE deployment_id = $1 AND model_version_id = $2 AND status = 'READY' ORDER BY created_at DESC LIMIT 1`,
      [deploymentId, modelVersionId],
    )) as Row[];
    return rows[0] ? fromRow(rows[0]) : null;
  }

  /** The job: reads the file, checks it and profiles every column; a bad file marks the profile FAILED with the reason. */
  async compute(profileId: string, sha256: string): Promise<ReferenceProfileRow['status']> {
    const [row] = (await this.db.query(`SELECT * FROM reference_profiles WHERE id = $1`, [profileId])) as Row[];
    if (!row || row.status !== 'PENDING') return row?.status ?? 'FAILED';
    const key = stagingKey(row.upload_id);
    try {
      const stored = await this.store.hash(key);
      if (stored.sha256 !== sha256) throw new Error(`the uploaded file's sha256 is ${stored.sha256}, not the ${sha256} declared for the upload`);
      const columns = await this.read(await this.store.get(key), row);
      const categorical = new Set(row.categorical_columns);
      const profiles: ColumnProfile[] = [];
      for (const [role, names] of [['feature', row.feature_columns], ['prediction', row.prediction_columns]] as const) {
        for (const name of names) {
          const values = columns.values.get(name)!;
          profiles.push({ name, role, profile: categorical.has(name) ? buildCategoricalProfile(name, values) : buildNumericProfile(name, values) });
        }
      }
      await this.db.query(`UPDATE reference_profiles SET status = 'READY', profiles = $2, row_count = $3, completed_at = now() WHERE id = $1`, [profileId, JSON.stringify(profiles), columns.rows]);
      return 'READY';
    } catch (err) {
      const reason = isModelportError(err) || err instanceof Error ? err.message : String(err);
      this.logger.warn({ profile: profileId, reason }, 'reference profile failed');
      await this.db.query(`UPDATE reference_profiles SET status = 'FAILED', failure = $2, completed_at = now() WHERE id = $1`, [profileId, reason.slice(0, 4000)]);
      return 'FAILED';
    } finally {
      await this.store.delete(key).catch(() => undefined);
    }
  }

  /** The wanted columns of the file, as arrays of raw values (numbers and strings; empty cells null). */
  private async read(body: Readable, row: Row): Promise<{ rows: number; values: Map<string, unknown[]> }> {
    const wanted = [...row.feature_columns, ...row.prediction_columns];
    const values = new Map<string, unknown[]>(wanted.map((c) => [c, []]));
    let rows = 0;
    const add = (record: Record<string, unknown>) => {
      if (++rows > MAX_REFERENCE_ROWS) throw new Error(`the file has more than ${MAX_REFERENCE_ROWS} rows; profile a sample of it`);
      for (const c of wanted) values.get(c)!.push(record[c] === '' || record[c] === undefined ? null : record[c]);
    };
    const checkColumns = (present: readonly string[]) => {
      const missing = wanted.filter((c) => !present.includes(c));
      if (missing.length > 0) {
        throw new Error(`the file has no column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')}; its columns are ${present.map((c) => `"${c}"`).join(', ') || '(none)'}`);
      }
    };
    if (row.format === 'csv') {
      let header: string[] | null = null;
      const parser = body.pipe(
        parseCsv({
          columns: (h: string[]) => {
            header = h.map((c) => c.trim());
            checkColumns(header);
            return header;
          },
          skip_empty_lines: true,
          trim: true,
          relax_column_count: false,
          cast: (value: string, context: { header: boolean }) => (context.header || value === '' ? value : /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(value) ? Number(value) : value),
        }),
      );
      for await (const record of parser) add(record as Record<string, unknown>);
      if (header === null) throw new Error('the file is empty: a CSV reference needs a header line naming its columns');
    } else {
      const lines = createInterface({ input: body, crlfDelay: Infinity });
      let n = 0;
      let seen = false;
      for await (const text of lines) {
        n++;
        if (text.trim() === '') continue;
        let record: unknown;
        try {
          record = JSON.parse(text);
        } catch (err) {
          throw new Error(`line ${n} is not valid JSON (${(err as Error).message})`);
        }
        if (typeof record !== 'object' || record === null || Array.isArray(record)) throw new Error(`line ${n} is not a JSON object`);
        if (!seen) {
          checkColumns(Object.keys(record));
          seen = true;
        }
        add(record as Record<string, unknown>);
      }
      if (!seen) throw new Error('the file is empty: a JSON lines reference needs one object per row');
    }
    return { rows, values };
  }
}
