import type { DataSource, EntityManager } from 'typeorm';
import { decodeCursor, isUuid, pageSize, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import { isModelportError } from '@modelport/errors';
import { assertCan, systemClock, type Caller, type Clock } from '@modelport/governance';
import type { Logger } from '@modelport/observability';
import type { JobContext, JobOptions, JobQueue } from '@modelport/queue';
import { ReplayRunEntity, type ReplayRunState } from '../persistence/replay-run.entity';
import { ComparisonError, ComparisonErrorCode, invalidComparisonArgument } from './comparison.errors';
import type { ComparedDeployment, ComparisonDeploymentLookup, JsonTensor, ReplayScorer, ScoreFunction } from './comparison.ports';
import { assertVersionOfModel, checkWindow } from './comparison.service';
import { replayPredictionId } from './replay-id';

export const REPLAY_JOB = 'lifecycle.replay';
export const MAX_REPLAY_ROWS = 1_000_000;
/** Error messages are cut to this many characters, as the prediction log cuts them. */
const MAX_ERROR_MESSAGE = 8192;
const MAX_LATENCY_US = 2_147_483_647;

export interface ReplayOptions {
  readonly logger: Logger;
  /** Hard maximum of replayRuns pages. */
  readonly maxPageSize: number;
  /** Live predictions scored and written per batch (one transaction each; progress is updated per batch). */
  readonly batchRows?: number;
  /** Tries of the job; the run is FAILED when the last one fails. Default 3. */
  readonly jobAttempts?: number;
  readonly backoff?: JobOptions['backoff'];
  readonly clock?: Clock;
}

export interface StartReplayInput {
  readonly deploymentId: string;
  readonly versionId: string;
  readonly from: Date;
  readonly to: Date;
  readonly maxRows: number;
}

export interface ReplayJobData {
  readonly runId: string;
}

/** What a job try ended with (the job's return value). */
export interface ReplayJobResult {
  readonly runId: string;
  readonly state: ReplayRunState | 'GONE';
  readonly total: number | null;
  readonly done: number;
  readonly failed: number;
}

interface LiveRow {
  id: string;
  at: string;
  inputs: unknown;
  protocol: string;
  input_rows: number | null;
  deployment_name: string;
}

interface VersionInfo {
  readonly id: string;
  readonly modelId: string;
  readonly version: number;
  readonly artifactSha256: string;
}

const ACTIVE: readonly ReplayRunState[] = ['QUEUED', 'RUNNING'];

/**
 * Replays: a model version scores the stored inputs of a deployment's live predictions over a past
 * window in a background job, writing its answers to the prediction log as `replay` rows paired
 * with the live ones (`shadow_of`), so ComparisonService can judge the version before it sees live
 * traffic. Runs are resumable: each replay row's id is derived from the run and the live
 * prediction, so a retried job skips what it wrote before.
 */
export class ReplayService {
  private readonly clock: Clock;
  private readonly batchRows: number;
  private readonly attempts: number;
  private readonly log: Logger;

  constructor(
    private readonly db: DataSource,
    private readonly queue: Pick<JobQueue, 'enqueue'>,
    private readonly deployments: ComparisonDeploymentLookup,
    private readonly scorer: ReplayScorer,
    private readonly options: ReplayOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.batchRows = options.batchRows ?? 100;
    this.attempts = options.jobAttempts ?? 3;
    this.log = options.logger.child({ component: 'replay' });
  }

  /** Queues a replay; needs update on the deployment. */
  async start(caller: Caller, input: StartReplayInput): Promise<ReplayRunEntity> {
    const deployment = await this.deployments.get(caller, input.deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    checkWindow(input.from, input.to);
    const now = this.clock.now();
    if (input.to.getTime() > now.getTime()) {
      throw new ComparisonError(
        ComparisonErrorCode.INVALID_WINDOW,
        `to (${input.to.toISOString()}) is in the future: a replay reads predictions already logged, so end the window at or before now (${now.toISOString()}).`,
        { field: 'to' },
      );
    }
    if (!Number.isInteger(input.maxRows) || input.maxRows < 1 || input.maxRows > MAX_REPLAY_ROWS) {
      throw invalidComparisonArgument('maxRows', `maxRows must be a whole number from 1 to ${MAX_REPLAY_ROWS} (got ${String(input.maxRows)}).`);
    }
    const version = await assertVersionOfModel(this.db, deployment, input.versionId, 'versionId');
    if (version.id === deployment.modelVersionId) {
      throw new ComparisonError(
        ComparisonErrorCode.VERSION_IS_CHAMPION,
        `Version ${version.version} (${version.id}) is the deployment's champion: its live predictions are its own answers already. Replay another version of the model.`,
        { field: 'versionId' },
      );
    }
    let run: ReplayRunEntity;
    try {
      run = await this.db.getRepository(ReplayRunEntity).save({
        deploymentId: deployment.id,
        projectId: deployment.projectId,
        versionId: version.id,
        championVersionId: deployment.modelVersionId,
        windowFrom: input.from,
        windowTo: input.to,
        maxRows: input.maxRows,
        state: 'QUEUED',
        total: null,
        done: 0,
        failed: 0,
        error: null,
        createdBy: caller.principal.userId,
        createdAt: now,
        startedAt: null,
        finishedAt: null,
        updatedAt: now,
      });
    } catch (err) {
      if (uniqueViolation(err) !== 'replay_runs_one_active') throw err;
      const active = await this.db.getRepository(ReplayRunEntity).findOneBy({ deploymentId: deployment.id, versionId: version.id, state: 'RUNNING' });
      const queued = active ?? (await this.db.getRepository(ReplayRunEntity).findOneBy({ deploymentId: deployment.id, versionId: version.id, state: 'QUEUED' }));
      throw new ComparisonError(
        ComparisonErrorCode.REPLAY_ALREADY_RUNNING,
        `A replay of version ${version.version} on this deployment is already ${queued ? `${queued.state.toLowerCase()} (run ${queued.id})` : 'queued'}; wait for it or cancel it (cancelReplay) first.`,
        { runId: queued?.id ?? null },
      );
    }
    try {
      await this.queue.enqueue<ReplayJobData>(REPLAY_JOB, { runId: run.id }, { jobId: `lifecycle-replay-${run.id}`, attempts: this.attempts, backoff: this.options.backoff });
    } catch (err) {
      await this.finish(run.id, 'FAILED', `The replay could not be queued: ${(err as Error).message}`);
      throw err;
    }
    return run;
  }

  /** A run of a deployment the caller may read; REPLAY_RUN_NOT_FOUND otherwise. */
  async get(caller: Caller, id: string): Promise<ReplayRunEntity> {
    return (await this.visible(caller, id)).run;
  }

  /** The runs of a deployment, newest first. */
  async list(caller: Caller, deploymentId: string, page: PageRequest = {}): Promise<Page<ReplayRunEntity>> {
    const deployment = await this.deployments.get(caller, deploymentId);
    const limit = pageSize(page.first, this.options.maxPageSize);
    const after = page.after ? decodeCursor(page.after, 2, ['string', 'uuid']) : null;
    if (after && !Number.isFinite(new Date(after[0] as string).getTime())) {
      throw invalidComparisonArgument('after', 'The `after` cursor is not one this API returned; pass an endCursor from a previous page.');
    }
    const qb = this.db
      .getRepository(ReplayRunEntity)
      .createQueryBuilder('r')
      .where('r.deployment_id = :deploymentId', { deploymentId: deployment.id })
      .orderBy('r.created_at', 'DESC')
      .addOrderBy('r.id', 'DESC')
      .limit(limit + 1);
    if (after) qb.andWhere('(r.created_at, r.id) < (CAST(:at AS timestamptz), CAST(:id AS uuid))', { at: after[0], id: after[1] });
    return toPage(await qb.getMany(), limit, (r) => [r.createdAt.toISOString(), r.id]);
  }

  /**
   * Stops a queued or running replay (needs update on the deployment). The rows written so far are
   * kept; the job stops before its next batch. Cancelling a cancelled run returns it as it is.
   */
  async cancel(caller: Caller, id: string): Promise<ReplayRunEntity> {
    const { run, deployment } = await this.visible(caller, id);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const cancelled = await this.finish(run.id, 'CANCELLED', null);
    if (cancelled) return cancelled;
    const current = (await this.db.getRepository(ReplayRunEntity).findOneBy({ id: run.id }))!;
    if (current.state === 'CANCELLED') return current;
    throw new ComparisonError(ComparisonErrorCode.REPLAY_FINISHED, `Replay run ${run.id} has already ${current.state === 'SUCCEEDED' ? 'succeeded' : 'failed'}; there is nothing to cancel.`, {
      state: current.state,
    });
  }

  /** The job processor: one try of a run, marking it FAILED when the last try fails. */
  async runJob(job: Pick<JobContext<ReplayJobData>, 'data' | 'attempt' | 'updateProgress'>): Promise<ReplayJobResult> {
    const { runId } = job.data;
    try {
      return await this.process(runId, (p) => job.updateProgress(p));
    } catch (err) {
      const final = job.attempt >= this.attempts;
      const message = cut(`${(err as Error).message ?? String(err)}`);
      this.log.warn({ runId, attempt: job.attempt, final, err }, final ? 'Replay failed' : 'Replay try failed; it will be tried again');
      if (final) await this.finish(runId, 'FAILED', message);
      else await this.db.query(`UPDATE replay_runs SET error = $2, updated_at = $3 WHERE id = $1 AND state = ANY($4::text[])`, [runId, message, this.clock.now(), ACTIVE]);
      throw err;
    }
  }

  /**
   * Runs (or resumes) a replay: counts the eligible live predictions (stored inputs, served by
   * another version) once, then scores them in (received_at, id) order, batch by batch, skipping
   * those the run wrote before. Stops before the next batch once the run is cancelled.
   */
  async process(runId: string, onProgress: (percent: number) => Promise<void> = async () => undefined): Promise<ReplayJobResult> {
    const run = isUuid(runId) ? await this.db.getRepository(ReplayRunEntity).findOneBy({ id: runId }) : null;
    if (!run) return { runId, state: 'GONE', total: null, done: 0, failed: 0 };
    if (!ACTIVE.includes(run.state)) return result(run);

    const [deployment] = (await this.db.query(`SELECT deleted_at FROM deployments WHERE id = $1`, [run.deploymentId])) as { deleted_at: Date | null }[];
    if (!deployment || deployment.deleted_at) return result((await this.finish(run.id, 'FAILED', 'The deployment was deleted; the replay stopped.')) ?? run);
    const [version] = (await this.db.query(`SELECT id::text AS id, model_id::text AS "modelId", version, artifact_sha256 AS "artifactSha256" FROM model_versions WHERE id = $1`, [
      run.versionId,
    ])) as VersionInfo[];
    if (!version) return result((await this.finish(run.id, 'FAILED', 'The model version was deleted; the replay stopped.')) ?? run);

    const total = run.total ?? (await this.countEligible(run));
    const [[started]] = (await this.db.query(
      `UPDATE replay_runs SET state = 'RUNNING', started_at = coalesce(started_at, $2), total = $3, updated_at = $2
        WHERE id = $1 AND state = ANY($4::text[]) RETURNING done, failed`,
      [run.id, this.clock.now(), total, ACTIVE],
    )) as [{ done: number; failed: number }[], number];
    if (!started) return result((await this.db.getRepository(ReplayRunEntity).findOneBy({ id: run.id })) ?? run);
    this.log.info({ runId: run.id, deploymentId: run.deploymentId, versionId: run.versionId, total, done: started.done }, 'Replay running');

    const progress = { done: started.done, failed: started.failed };
    let processed = 0;
    let stopped = false;
    if (progress.done < total) {
      stopped = await this.scorer.withVersion(run.deploymentId, run.versionId, async (score) => {
        let cursor: { at: string; id: string } | null = null;
        while (processed < total && progress.done < total) {
          const page = await this.eligiblePage(run, cursor, Math.min(this.batchRows, total - processed));
          if (page.length === 0) break;
          processed += page.length;
          cursor = { at: page[page.length - 1]!.at, id: page[page.length - 1]!.id };
          const ids = page.map((l) => replayPredictionId(run.id, l.id));
          const existing = new Set(((await this.db.query(`SELECT id::text AS id FROM predictions WHERE id = ANY($1::uuid[])`, [ids])) as { id: string }[]).map((r) => r.id));
          const todo = page.filter((_, i) => !existing.has(ids[i]!));
          if (todo.length === 0) continue;
          if ((await this.stateOf(run.id)) !== 'RUNNING') return true;
          const rows: object[] = [];
          for (const live of todo) rows.push(await this.replayRow(run, version, live, score));
          const committed = await this.commitBatch(run.id, rows);
          if (!committed) return true;
          progress.done = committed.done;
          progress.failed = committed.failed;
          await onProgress(Math.min(100, Math.round((progress.done / total) * 100)));
        }
        return false;
      });
    }
    if (stopped) return result((await this.db.getRepository(ReplayRunEntity).findOneBy({ id: run.id })) ?? run);
    // Fewer eligible rows than counted (retention deleted some meanwhile): the total is what there was.
    const finalTotal = progress.done < total && processed < total ? Math.max(processed, progress.done) : total;
    const finished = await this.finish(run.id, 'SUCCEEDED', null, finalTotal);
    if (finished) this.log.info({ runId: run.id, total: finished.total, done: finished.done, failed: finished.failed }, 'Replay succeeded');
    return result(finished ?? (await this.db.getRepository(ReplayRunEntity).findOneBy({ id: run.id })) ?? run);
  }

  // ---- internals -------------------------------------------------------------------------

  private async visible(caller: Caller, id: string): Promise<{ run: ReplayRunEntity; deployment: ComparedDeployment }> {
    const notFound = () => new ComparisonError(ComparisonErrorCode.REPLAY_RUN_NOT_FOUND, `No replay run "${id}" is visible to you.`);
    const run = isUuid(id) ? await this.db.getRepository(ReplayRunEntity).findOneBy({ id }) : null;
    if (!run) throw notFound();
    try {
      return { run, deployment: await this.deployments.get(caller, run.deploymentId) };
    } catch (err) {
      if (isModelportError(err) && err.kind === 'NOT_FOUND') throw notFound();
      throw err;
    }
  }

  /** Moves an active run to a final state; null when it was no longer active. */
  private async finish(runId: string, state: 'SUCCEEDED' | 'FAILED' | 'CANCELLED', error: string | null, total?: number): Promise<ReplayRunEntity | null> {
    const now = this.clock.now();
    const [rows] = (await this.db.query(
      `UPDATE replay_runs SET state = $2, error = $3, finished_at = $4, updated_at = $4, total = coalesce($5::int, total)
        WHERE id = $1 AND state = ANY($6::text[]) RETURNING id`,
      [runId, state, error, now, total ?? null, ACTIVE],
    )) as [{ id: string }[], number];
    if (!rows.length) return null;
    return this.db.getRepository(ReplayRunEntity).findOneBy({ id: runId });
  }

  private async stateOf(runId: string): Promise<ReplayRunState | null> {
    const [row] = (await this.db.query(`SELECT state FROM replay_runs WHERE id = $1`, [runId])) as { state: ReplayRunState }[];
    return row?.state ?? null;
  }

  private eligibleWhere(): string {
    return `l.deployment_id = $1 AND l.role = 'live' AND l.payload_stored AND l.inputs IS NOT NULL
        AND l.received_at >= $2 AND l.received_at < $3 AND l.model_version_id IS DISTINCT FROM $4::uuid`;
  }

  private async countEligible(run: ReplayRunEntity): Promise<number> {
    const [row] = (await this.db.query(`SELECT count(*)::int AS n FROM (SELECT 1 FROM predictions l WHERE ${this.eligibleWhere()} LIMIT $5) s`, [
      run.deploymentId,
      run.windowFrom,
      run.windowTo,
      run.versionId,
      run.maxRows,
    ])) as { n: number }[];
    return row?.n ?? 0;
  }

  private async eligiblePage(run: ReplayRunEntity, cursor: { at: string; id: string } | null, limit: number): Promise<LiveRow[]> {
    return (await this.db.query(
      `SELECT l.id::text AS id, l.received_at::text AS at, l.inputs, l.protocol, l.input_rows, l.deployment_name
         FROM predictions l
        WHERE ${this.eligibleWhere()}
          AND ($5::timestamptz IS NULL OR (l.received_at, l.id) > ($5::timestamptz, $6::uuid))
        ORDER BY l.received_at, l.id
        LIMIT $7`,
      [run.deploymentId, run.windowFrom, run.windowTo, run.versionId, cursor?.at ?? null, cursor?.id ?? null, limit],
    )) as LiveRow[];
  }

  /** Scores one live prediction's inputs; a failure becomes an error row, never a failed job. */
  private async replayRow(run: ReplayRunEntity, version: VersionInfo, live: LiveRow, score: ScoreFunction): Promise<object> {
    const started = process.hrtime.bigint();
    let outputs: unknown = null;
    let status: 'ok' | 'error' = 'ok';
    let errorStatus: number | null = null;
    let errorMessage: string | null = null;
    try {
      if (!Array.isArray(live.inputs)) throw new Error('The stored inputs are not a list of V2 tensors, so they cannot be replayed.');
      const answer: unknown = await score(live.inputs as JsonTensor[]);
      if (!Array.isArray(answer)) throw new Error('The version answered without a list of output tensors.');
      outputs = answer;
    } catch (err) {
      status = 'error';
      errorStatus = isModelportError(err) ? err.httpStatus : 500;
      errorMessage = cut(err instanceof Error ? err.message : String(err));
    }
    const latencyUs = Math.min(MAX_LATENCY_US, Number((process.hrtime.bigint() - started) / 1000n));
    return {
      id: replayPredictionId(run.id, live.id),
      received_at: this.clock.now().toISOString(),
      deployment_id: run.deploymentId,
      deployment_name: live.deployment_name,
      project_id: run.projectId,
      model_id: version.modelId,
      model_version_id: version.id,
      model_version: version.version,
      artifact_sha256: version.artifactSha256,
      protocol: live.protocol,
      status,
      error_status: errorStatus,
      error_message: errorMessage,
      latency_us: latencyUs,
      input_rows: live.input_rows,
      outputs,
      parameters: { replay_run_id: run.id },
      shadow_of: live.id,
    };
  }

  /**
   * Writes one batch and its progress in one transaction, unless the run is no longer RUNNING
   * (cancelled): then nothing is written and null is returned. Rows already there are skipped.
   */
  private async commitBatch(runId: string, rows: readonly object[]): Promise<{ done: number; failed: number } | null> {
    return this.db.transaction(async (tx: EntityManager) => {
      const [lock] = (await tx.query(`SELECT state FROM replay_runs WHERE id = $1 FOR UPDATE`, [runId])) as { state: ReplayRunState }[];
      if (lock?.state !== 'RUNNING') return null;
      const inserted = (await tx.query(
        `INSERT INTO predictions (id, received_at, deployment_id, deployment_name, project_id, model_id, model_version_id, model_version, artifact_sha256,
                                  protocol, status, error_status, error_message, latency_us, input_rows, payload_stored, inputs, outputs, parameters, role, shadow_of)
         SELECT x.id, x.received_at, x.deployment_id, x.deployment_name, x.project_id, x.model_id, x.model_version_id, x.model_version, x.artifact_sha256,
                x.protocol, x.status, x.error_status, x.error_message, x.latency_us, x.input_rows, true, NULL, x.outputs, x.parameters, 'replay', x.shadow_of
           FROM jsonb_to_recordset($1::jsonb) AS x(id uuid, received_at timestamptz, deployment_id uuid, deployment_name text, project_id uuid, model_id uuid,
                model_version_id uuid, model_version integer, artifact_sha256 char(64), protocol text, status text, error_status smallint, error_message text,
                latency_us integer, input_rows integer, outputs jsonb, parameters jsonb, shadow_of uuid)
         ON CONFLICT (id) DO NOTHING
         RETURNING status`,
        [jsonWithoutNul(rows)],
      )) as { status: string }[];
      const failed = inserted.filter((r) => r.status !== 'ok').length;
      const [progress] = (await tx.query(`UPDATE replay_runs SET done = done + $2, failed = failed + $3, updated_at = $4 WHERE id = $1 RETURNING done, failed`, [
        runId,
        inserted.length,
        failed,
        this.clock.now(),
      ])) as [{ done: number; failed: number }[], number];
      return progress[0]!;
    });
  }
}

function result(run: ReplayRunEntity): ReplayJobResult {
  return { runId: run.id, state: run.state, total: run.total, done: run.done, failed: run.failed };
}

function cut(message: string): string {
  return message.length > MAX_ERROR_MESSAGE ? message.slice(0, MAX_ERROR_MESSAGE) : message;
}

/** PostgreSQL text and jsonb cannot hold U+0000: it is stored as U+FFFD, as the prediction log does. */
function jsonWithoutNul(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v));
}
