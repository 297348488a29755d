import { decodeCursor, isUuid, pageSize, sqlState, toPage, type Page, type PageRequest } from '@modelport/database';
import { isModelportError } from '@modelport/errors';
import { assertCan, systemClock, type Caller, type Clock } from '@modelport/governance';
import type { DataSource } from 'typeorm';
import { AccuracyError, AccuracyErrorCode } from './accuracy.errors';
import { normalizeActual, parseActualLine, type ActualSubmission, type NormalizedActual } from './actual-input';
import type { MonitoringSettings } from './monitoring-settings';
import type { DeploymentLookup, DeploymentRef, MonitoringSettingsService } from './monitoring-settings.service';
import { ndjsonLines, type NdjsonLimits } from './ndjson-lines';

/** Most actuals in one submitActuals call; bulk goes through the NDJSON endpoint. */
export const ACTUALS_MAX_PER_CALL = 1000;
/** Bytes of one NDJSON request read at most (the complete lines within them are processed). */
export const ACTUALS_MAX_BODY_BYTES = 32 * 1024 * 1024;
/** Longest NDJSON line: one actual with the longest association id and label is far shorter. */
export const ACTUALS_MAX_LINE_BYTES = 16 * 1024;

export interface ActualsOptions {
  readonly maxPerCall: number;
  /** NDJSON lines stored per database round trip. */
  readonly batchRows: number;
  readonly ndjson: NdjsonLimits;
  /** Entries per list (duplicates, unknown, errors) in an NDJSON answer; the counts are always complete. */
  readonly maxReported: number;
  readonly maxPageSize: number;
  /** Unmatched actuals received this recently are retried against the log (at most `limit` per pass). */
  readonly rematch: { readonly lookbackMs: number; readonly limit: number };
}

export const DEFAULT_ACTUALS_OPTIONS: ActualsOptions = {
  maxPerCall: ACTUALS_MAX_PER_CALL,
  batchRows: 1000,
  ndjson: { maxBytes: ACTUALS_MAX_BODY_BYTES, maxLineBytes: ACTUALS_MAX_LINE_BYTES },
  maxReported: 10_000,
  maxPageSize: 100,
  rematch: { lookbackMs: 7 * 24 * 3600_000, limit: 10_000 },
};

export interface SubmitActualsResult {
  readonly deploymentId: string;
  readonly projectId: string;
  /** Stored and matched to a prediction. */
  readonly accepted: number;
  /** Association ids that already had an actual (in this deployment, or earlier in the same call): not stored, the first one stays. */
  readonly duplicates: string[];
  /** Association ids no prediction of the deployment has (yet): stored unmatched, matched if the prediction is logged later. */
  readonly unknown: string[];
}

export interface LineRef {
  readonly line: number;
  readonly associationId: string;
}

export interface NdjsonIngestReport {
  readonly deploymentId: string;
  accepted: number;
  readonly duplicates: LineRef[];
  readonly unknown: LineRef[];
  readonly errors: { line: number; message: string }[];
  duplicateCount: number;
  unknownCount: number;
  errorCount: number;
  /** Lines read (blank ones included). */
  lines: number;
  /** Set when the body went over the byte limit: lines from `fromLine` on were not read. */
  truncated: { readonly fromLine: number; readonly maxBytes: number } | null;
  /** Set when storing failed part-way: the lines before `fromLine` were processed as reported. */
  failure: { readonly fromLine: number; readonly error: unknown } | null;
}

export interface UnmatchedActual {
  readonly id: string;
  readonly associationId: string;
  readonly row: number;
  readonly value: number | string;
  readonly actualAt: Date | null;
  readonly receivedAt: Date;
}

interface Ingestion {
  readonly deployment: DeploymentRef;
  readonly settings: MonitoringSettings | null;
  readonly caller: Caller;
  readonly receivedAt: Date;
}

/** One actual to store, with `ref` = its index (GraphQL) or line number (NDJSON). */
interface Item {
  readonly ref: number;
  readonly actual: NormalizedActual;
}

type Outcome =
  | { readonly ref: number; readonly associationId: string; readonly status: 'accepted' | 'unknown' | 'duplicate' }
  | { readonly ref: number; readonly associationId: string; readonly status: 'error'; readonly message: string };

interface Planned {
  readonly ref: number;
  readonly actual: NormalizedActual;
  readonly row: number;
  readonly predictionId: string | null;
}

interface Resolved {
  readonly id: string;
  readonly inputRows: number | null;
}

const UUID_TEXT = `'^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$'`;

/**
 * Actuals: observed outcomes, submitted by association id and joined to the prediction log.
 *
 * An association id is the prediction's id (the `prediction_id` every answer carries) or the V2
 * request `id` the client sent. The prediction id takes precedence: an id that is the id of a
 * prediction of this deployment means that prediction; otherwise it is looked up as a request
 * id, and when several predictions of the deployment carry that request id (retries, reused
 * ids), the latest successful one is chosen.
 *
 * Duplicates: the first actual of an association id (and row) is kept; later ones are reported
 * and not stored; so is a second actual for the same prediction row under another id. Unknown
 * ids are stored unmatched and reported; they are matched when the prediction shows up in the
 * log later (the log is written in batches, and later still after a database outage).
 */
export class ActualsService {
  constructor(
    private readonly db: DataSource,
    private readonly deployments: DeploymentLookup,
    private readonly settings: MonitoringSettingsService,
    private readonly options: ActualsOptions = DEFAULT_ACTUALS_OPTIONS,
    private readonly clock: Clock = systemClock,
  ) {}

  /**
   * Stores a small batch of actuals (GraphQL). All or nothing: one invalid actual refuses the
   * call with INVALID_ACTUAL naming it by index, and nothing is stored.
   */
  async submit(caller: Caller, deploymentId: string, actuals: readonly ActualSubmission[]): Promise<SubmitActualsResult> {
    const ingestion = await this.open(caller, deploymentId);
    if (actuals.length > this.options.maxPerCall) {
      throw new AccuracyError(
        AccuracyErrorCode.TOO_MANY_ACTUALS,
        `${actuals.length} actuals in one call; at most ${this.options.maxPerCall}. Split them, or stream them as NDJSON to POST /v1/deployments/${deploymentId}/actuals.`,
        { max: this.options.maxPerCall },
      );
    }
    const items = actuals.map((raw, index) => {
      try {
        return { ref: index, actual: normalizeActual(raw, ingestion.receivedAt) };
      } catch (err) {
        throw atIndex(err, index);
      }
    });
    const { planned, outcomes } = await this.plan(ingestion, items);
    const refused = outcomes.find((o) => o.status === 'error');
    if (refused && refused.status === 'error') throw atIndex(new AccuracyError(AccuracyErrorCode.INVALID_ACTUAL, refused.message), refused.ref);
    outcomes.push(...(await this.insert(ingestion, planned)));
    outcomes.sort((a, b) => a.ref - b.ref);
    return {
      deploymentId: ingestion.deployment.id,
      projectId: ingestion.deployment.projectId,
      accepted: outcomes.filter((o) => o.status === 'accepted').length,
      duplicates: outcomes.filter((o) => o.status === 'duplicate').map((o) => o.associationId),
      unknown: outcomes.filter((o) => o.status === 'unknown').map((o) => o.associationId),
    };
  }

  /**
   * Stores actuals streamed as NDJSON, one JSON object per line, in batches as they arrive (the
   * body is never held whole). Good lines are kept; bad ones are reported by line number. Access
   * is checked before the first byte is read. Over the byte limit, reading stops: the complete
   * lines before it are stored and `truncated` says from which line to resend.
   */
  async ingestNdjson(caller: Caller, deploymentId: string, body: AsyncIterable<Uint8Array | string>): Promise<NdjsonIngestReport> {
    const ingestion = await this.open(caller, deploymentId);
    const report: NdjsonIngestReport = {
      deploymentId: ingestion.deployment.id,
      accepted: 0,
      duplicates: [],
      unknown: [],
      errors: [],
      duplicateCount: 0,
      unknownCount: 0,
      errorCount: 0,
      lines: 0,
      truncated: null,
      failure: null,
    };
    let pending: Item[] = [];
    let inFlight: Item[] = [];
    const flush = async () => {
      inFlight = pending;
      pending = [];
      if (inFlight.length) this.record(report, await this.store(ingestion, inFlight));
      inFlight = [];
    };
    try {
      for await (const event of ndjsonLines(body, this.options.ndjson)) {
        if (event.kind === 'limit') {
          report.truncated = { fromLine: event.line, maxBytes: this.options.ndjson.maxBytes };
          report.lines = event.line - 1;
          break;
        }
        report.lines = event.line;
        if (event.kind === 'invalid') {
          this.record(report, [{ ref: event.line, associationId: '', status: 'error', message: event.message }]);
          continue;
        }
        try {
          pending.push({ ref: event.line, actual: parseActualLine(event.text, ingestion.receivedAt) });
        } catch (err) {
          if (!(err instanceof AccuracyError)) throw err;
          this.record(report, [{ ref: event.line, associationId: '', status: 'error', message: err.message }]);
        }
        if (pending.length >= this.options.batchRows) await flush();
      }
      await flush();
    } catch (err) {
      // Every batch before the failed one is stored as reported; the failed batch is not (one statement).
      report.failure = { fromLine: inFlight[0]?.ref ?? pending[0]?.ref ?? report.lines + 1, error: err };
    }
    for (const list of [report.duplicates, report.unknown, report.errors]) list.sort((a, b) => a.line - b.line);
    return report;
  }

  /**
   * Matches unmatched actuals of the deployment whose prediction has appeared in the log since
   * (received within the lookback, at most `limit` per pass; with associationIds, only those).
   * Best effort: a concurrent change leaves the rest for the next pass. Returns how many matched.
   */
  async rematch(deploymentId: string, associationIds?: readonly string[]): Promise<number> {
    const since = new Date(this.clock.now().getTime() - this.options.rematch.lookbackMs);
    try {
      const [, count] = (await this.db.query(
        `WITH candidates AS (
           SELECT a.id, a.association_id, a.row_index FROM actuals a
            WHERE a.deployment_id = $1 AND a.prediction_id IS NULL AND a.received_at >= $2
              AND ($4::text[] IS NULL OR a.association_id = ANY($4::text[]))
            ORDER BY a.received_at DESC LIMIT $3
         ), found AS (
           SELECT DISTINCT ON (m.id, c.row_index) c.id, c.row_index, m.id AS prediction_id, m.received_at
             FROM candidates c
             CROSS JOIN LATERAL (
               SELECT p.id, p.received_at FROM predictions p
                WHERE p.deployment_id = $1 AND p.role = 'live'
                  AND (p.id = CASE WHEN c.association_id ~ ${UUID_TEXT} THEN c.association_id::uuid END OR p.request_id = c.association_id)
                ORDER BY (p.id::text = lower(c.association_id)) DESC, (p.status = 'ok') DESC, p.received_at DESC, p.id DESC
                LIMIT 1
             ) m
            ORDER BY m.id, c.row_index, c.id
         )
         UPDATE actuals a SET prediction_id = f.prediction_id, prediction_received_at = f.received_at
           FROM found f
          WHERE a.id = f.id AND a.prediction_id IS NULL
            AND NOT EXISTS (SELECT 1 FROM actuals x WHERE x.prediction_id = f.prediction_id AND x.row_index = f.row_index)`,
        [deploymentId, since, this.options.rematch.limit, associationIds ? [...associationIds] : null],
      )) as [unknown, number];
      return count ?? 0;
    } catch (err) {
      if (sqlState(err) === '23505') return 0;
      throw err;
    }
  }

  /** Actuals of the deployment no prediction matched (yet), newest first. */
  async unmatched(caller: Caller, deploymentId: string, page: PageRequest): Promise<Page<UnmatchedActual>> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'read', 'Prediction', { ...deployment });
    const limit = pageSize(page.first, this.options.maxPageSize);
    const after = page.after ? String(decodeCursor(page.after, 1, ['int'])[0]) : null;
    const rows = (await this.db.query(
      `SELECT id::text AS id, association_id, row_index, value_number, value_label, actual_at, received_at
         FROM actuals WHERE deployment_id = $1 AND prediction_id IS NULL AND ($2::bigint IS NULL OR id < $2::bigint)
        ORDER BY id DESC LIMIT $3`,
      [deployment.id, after, limit + 1],
    )) as { id: string; association_id: string; row_index: number; value_number: number | null; value_label: string | null; actual_at: Date | null; received_at: Date }[];
    return toPage(
      rows.map((r) => ({ id: r.id, associationId: r.association_id, row: r.row_index, value: r.value_label ?? r.value_number!, actualAt: r.actual_at, receivedAt: r.received_at })),
      limit,
      (r) => [Number(r.id)],
    );
  }

  // ---- internals -------------------------------------------------------------------------

  /** Access (predict on the deployment, as for sending it predictions) and what ingestion needs. */
  private async open(caller: Caller, deploymentId: string): Promise<Ingestion> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'predict', 'Deployment', { ...deployment });
    return { deployment, settings: await this.settings.of(deployment.id), caller, receivedAt: this.clock.now() };
  }

  private async store(ingestion: Ingestion, items: readonly Item[]): Promise<Outcome[]> {
    const { planned, outcomes } = await this.plan(ingestion, items);
    return [...outcomes, ...(await this.insert(ingestion, planned))].sort((a, b) => a.ref - b.ref);
  }

  /** Resolves association ids, checks rows and values, and removes duplicates within the batch. */
  private async plan(ingestion: Ingestion, items: readonly Item[]): Promise<{ planned: Planned[]; outcomes: Outcome[] }> {
    const resolved = await this.resolve(ingestion.deployment.id, [...new Set(items.map((i) => i.actual.associationId))]);
    const planned: Planned[] = [];
    const outcomes: Outcome[] = [];
    const seenIds = new Set<string>();
    const seenRows = new Set<string>();
    for (const { ref, actual } of items) {
      const associationId = actual.associationId;
      const prediction = resolved.get(associationId) ?? null;
      const problem = this.problem(ingestion.settings, actual, prediction);
      if (problem) {
        outcomes.push({ ref, associationId, status: 'error', message: problem });
        continue;
      }
      const row = actual.row ?? 0;
      const idKey = `${row}:${associationId}`;
      const rowKey = prediction ? `${row}:${prediction.id}` : null;
      if (seenIds.has(idKey) || (rowKey && seenRows.has(rowKey))) {
        outcomes.push({ ref, associationId, status: 'duplicate' });
        continue;
      }
      seenIds.add(idKey);
      if (rowKey) seenRows.add(rowKey);
      planned.push({ ref, actual, row, predictionId: prediction?.id ?? null });
    }
    return { planned, outcomes };
  }

  private problem(settings: MonitoringSettings | null, actual: NormalizedActual, prediction: Resolved | null): string | null {
    if (settings?.task === 'regression' && actual.valueNumber === null) {
      return 'The deployment is monitored as a regression: value must be a number (change the monitoring settings if it is a classification).';
    }
    const rows = prediction?.inputRows ?? null;
    if (prediction && rows !== null && rows > 1 && actual.row === null) {
      return `Prediction ${prediction.id} holds a batch of ${rows} rows: say which one this actual is for with row (0 to ${rows - 1}).`;
    }
    if (prediction && rows !== null && actual.row !== null && actual.row >= Math.max(rows, 1)) {
      return `row ${actual.row} is outside prediction ${prediction.id}, whose batch has ${rows} row${rows === 1 ? '' : 's'} (rows count from 0).`;
    }
    return null;
  }

  /** The prediction each association id means (see the class comment for the precedence). */
  private async resolve(deploymentId: string, associationIds: readonly string[]): Promise<Map<string, Resolved>> {
    const out = new Map<string, Resolved>();
    const uuids = associationIds.filter(isUuid);
    if (uuids.length) {
      const rows = (await this.db.query(`SELECT id::text AS id, input_rows FROM predictions WHERE deployment_id = $1 AND role = 'live' AND id = ANY($2::uuid[])`, [
        deploymentId,
        uuids.map((u) => u.toLowerCase()),
      ])) as { id: string; input_rows: number | null }[];
      const byId = new Map(rows.map((r) => [r.id, r]));
      for (const u of uuids) {
        const r = byId.get(u.toLowerCase());
        if (r) out.set(u, { id: r.id, inputRows: r.input_rows });
      }
    }
    const rest = associationIds.filter((a) => !out.has(a));
    if (rest.length) {
      const rows = (await this.db.query(
        `SELECT DISTINCT ON (request_id) request_id, id::text AS id, input_rows FROM predictions
          WHERE deployment_id = $1 AND role = 'live' AND request_id = ANY($2::text[])
          ORDER BY request_id, (status = 'ok') DESC, received_at DESC, id DESC`,
        [deploymentId, rest],
      )) as { request_id: string; id: string; input_rows: number | null }[];
      for (const r of rows) out.set(r.request_id, { id: r.id, inputRows: r.input_rows });
    }
    return out;
  }

  /** One INSERT for the batch; conflicts with stored actuals are the duplicates. */
  private async insert(ingestion: Ingestion, planned: readonly Planned[]): Promise<Outcome[]> {
    if (planned.length === 0) return [];
    const inserted = (await this.db.query(
      `INSERT INTO actuals (deployment_id, association_id, row_index, prediction_id, prediction_received_at, value_number, value_label, actual_at, received_at, submitted_by)
       SELECT $1, u.association_id, u.row_index, p.id, p.received_at, u.value_number, u.value_label, u.actual_at, $2, $3
         FROM unnest($4::text[], $5::int4[], $6::uuid[], $7::float8[], $8::text[], $9::timestamptz[]) WITH ORDINALITY
              AS u(association_id, row_index, prediction_id, value_number, value_label, actual_at, ord)
         LEFT JOIN predictions p ON p.id = u.prediction_id AND p.deployment_id = $1
        ORDER BY u.ord
       ON CONFLICT DO NOTHING
       RETURNING association_id, row_index, prediction_id::text AS prediction_id`,
      [
        ingestion.deployment.id,
        ingestion.receivedAt,
        ingestion.caller.principal.userId,
        planned.map((p) => p.actual.associationId),
        planned.map((p) => p.row),
        planned.map((p) => p.predictionId),
        planned.map((p) => p.actual.valueNumber),
        planned.map((p) => p.actual.valueLabel),
        planned.map((p) => p.actual.actualAt),
      ],
    )) as { association_id: string; row_index: number; prediction_id: string | null }[];
    const stored = new Map(inserted.map((r) => [`${r.row_index}:${r.association_id}`, r.prediction_id]));
    const outcomes: Outcome[] = planned.map(({ ref, actual, row }) => {
      const key = `${row}:${actual.associationId}`;
      if (!stored.has(key)) return { ref, associationId: actual.associationId, status: 'duplicate' };
      return { ref, associationId: actual.associationId, status: stored.get(key) ? 'accepted' : 'unknown' };
    });
    // A duplicate of an actual stored unmatched earlier: its prediction may have been logged since.
    const retry = outcomes.filter((o) => o.status === 'duplicate').map((o) => o.associationId);
    if (retry.length) await this.rematch(ingestion.deployment.id, retry);
    return outcomes;
  }

  private record(report: NdjsonIngestReport, outcomes: readonly Outcome[]): void {
    const max = this.options.maxReported;
    for (const o of outcomes) {
      switch (o.status) {
        case 'accepted':
          report.accepted++;
          break;
        case 'duplicate':
          if (report.duplicateCount++ < max) report.duplicates.push({ line: o.ref, associationId: o.associationId });
          break;
        case 'unknown':
          if (report.unknownCount++ < max) report.unknown.push({ line: o.ref, associationId: o.associationId });
          break;
        case 'error':
          if (report.errorCount++ < max) report.errors.push({ line: o.ref, message: o.message });
          break;
      }
    }
  }
}

/** Names the offending actual of a GraphQL call: `actuals[3]: ...`. */
function atIndex(err: unknown, index: number): unknown {
  if (!isModelportError(err) || err.code !== AccuracyErrorCode.INVALID_ACTUAL) return err;
  return new AccuracyError(AccuracyErrorCode.INVALID_ACTUAL, `actuals[${index}]: ${err.message}`, { ...err.details, index });
}
