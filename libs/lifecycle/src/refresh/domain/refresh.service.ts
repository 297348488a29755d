import { randomUUID } from 'node:crypto';
import type { DataSource } from 'typeorm';
import { isUuid, pageSize } from '@modelport/database';
import { asSubject, assertCan, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { DELIVERY_HEADER, EVENT_HEADER, newWebhookSecret, retryDelayMs, SIGNATURE_HEADER, signWebhook } from '@modelport/monitoring';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import type { VersionRegisteredEvent } from '@modelport/registry';
import { RefreshPolicyEntity, RefreshRunEntity } from '../persistence';
import { deploymentContext, notifyOwners } from './owners-inbox';
import { accuracyBreached, ERROR_METRICS, validateRefreshPolicy, type RefreshPolicyInput, type RefreshRunState, type RefreshTriggerKind } from './refresh-policy';
import { DRIFT_TRIGGER_HOURS, type RefreshDeploymentLookup, type RefreshSignals, type ShadowAttacher } from './refresh.ports';
import { invalidRefreshArgument, RefreshError, RefreshErrorCode } from './refresh.errors';

/** The job a QUEUE policy enqueues, with the same payload a WEBHOOK policy posts: for workers that retrain. */
export const REFRESH_REQUESTED_JOB = 'lifecycle.refresh-requested';
/** One try of a refresh webhook (retries are new jobs, delayed by the backoff). */
export const DELIVER_REFRESH_JOB = 'lifecycle.deliver-refresh';
/** The scheduled evaluation of every enabled refresh policy. */
export const EVALUATE_REFRESH_JOB = 'lifecycle.evaluate-refresh-policies';
export const REFRESH_REQUESTED_EVENT = 'refresh.requested';
export const REFRESH_FAILED_EVENT = 'refresh.failed';
export const MAX_REASON_LENGTH = 500;

const MINUTE_MS = 60_000;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

export interface RefreshServiceOptions {
  readonly logger: Logger;
  readonly maxPageSize: number;
  /** Base URL of this server: the labelled-data link of each request points at it. */
  readonly publicUrl: () => string;
  /** Tries per webhook request before the run is FAILED. Default 6 (about a minute of backoff from 2 s). */
  readonly maxDeliveryAttempts?: number;
  /** Base of the exponential backoff between tries. Default 2000 ms. */
  readonly retryBaseMs?: number;
  /** How long one try waits for an answer. Default 10 s. */
  readonly deliveryTimeoutMs?: number;
  readonly clock?: { now(): Date };
}

/** What a retraining service receives (the webhook body, or the data of the lifecycle.refresh-requested job). */
export interface RefreshRequestPayload {
  readonly runId: string;
  readonly event: typeof REFRESH_REQUESTED_EVENT;
  readonly deployment: { readonly id: string; readonly name: string; readonly projectId: string };
  readonly currentVersion: { readonly id: string; readonly version: number };
  readonly reason: { readonly kind: RefreshTriggerKind; readonly detail: string };
  readonly dataWindow: { readonly from: string; readonly to: string };
  readonly labelledData: { readonly url: string; readonly format: 'ndjson' };
}

export interface RefreshTrigger {
  readonly kind: RefreshTriggerKind;
  readonly detail: string;
}

export interface DeliverRefreshJob {
  readonly runId: string;
  readonly attempt: number;
}

interface StartOptions {
  readonly force: boolean;
  readonly automatic: boolean;
  readonly requestedBy: string | null;
}

function policyNotFound(deploymentId: string): RefreshError {
  return new RefreshError(RefreshErrorCode.REFRESH_POLICY_NOT_FOUND, `Deployment ${deploymentId} has no refresh policy; set one with setRefreshPolicy (it says where refresh requests go).`);
}

/** The lineage trigger of a version that answers a run. */
export function runTrigger(run: Pick<RefreshRunEntity, 'id' | 'triggerKind' | 'reason'>): string {
  return `refresh run ${run.id} (${run.triggerKind}): ${run.reason}`;
}

/**
 * Refresh policies: per deployment, when to ask for a new model (a schedule; drift red, an accuracy metric
 * past a threshold, a champion older than N days; or by hand) and how (a signed webhook retried through the
 * job queue with backoff, or a job for workers). Runs are at least `minIntervalMinutes` apart, whatever the
 * number of evaluators: the start of a run is one guarded UPDATE of the policy row. A version registered
 * with `lineage.refreshRunId` completes its run and joins the deployment as a shadow challenger.
 */
export class RefreshService {
  private readonly clock: { now(): Date };

  constructor(
    private readonly db: DataSource,
    private readonly queue: Pick<JobQueue, 'enqueue'>,
    private readonly deployments: RefreshDeploymentLookup,
    private readonly signals: RefreshSignals,
    private readonly shadows: ShadowAttacher,
    private readonly options: RefreshServiceOptions,
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
  }

  // ---- policies -------------------------------------------------------------

  /**
   * Sets (replaces) the deployment's policy. A WEBHOOK policy gets a signing secret the first time (or with
   * `rotateSecret`), returned here once; later edits keep it.
   */
  async setPolicy(caller: Caller, deploymentId: string, input: RefreshPolicyInput & { readonly rotateSecret?: boolean | null }): Promise<{ policy: RefreshPolicyEntity; secret: string | null }> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const valid = validateRefreshPolicy(input);
    const now = this.clock.now();
    return this.db.transaction(async (tx) => {
      // Edits of one deployment's policy one at a time (the first one creates it).
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('refresh-policy:' || $1))`, [deployment.id]);
      const repo = tx.getRepository(RefreshPolicyEntity);
      const current = await repo.findOneBy({ deploymentId: deployment.id });
      let secret: string | null = null;
      let storedSecret = valid.action === 'WEBHOOK' ? (current?.webhookSecret ?? null) : null;
      if (valid.action === 'WEBHOOK' && (storedSecret === null || input.rotateSecret)) {
        secret = newWebhookSecret();
        storedSecret = secret;
      }
      const sameSchedule = current !== null && current.scheduleEveryHours === valid.scheduleEveryHours && current.scheduleSince !== null;
      const fields = {
        enabled: valid.enabled,
        scheduleEveryHours: valid.scheduleEveryHours,
        scheduleSince: valid.scheduleEveryHours === null ? null : sameSchedule ? current.scheduleSince : now,
        onDriftRed: valid.onDriftRed,
        accuracyMetric: valid.accuracyBelow?.metric ?? null,
        accuracyThreshold: valid.accuracyBelow?.threshold ?? null,
        maxModelAgeDays: valid.maxModelAgeDays,
        minIntervalMinutes: valid.minIntervalMinutes,
        action: valid.action,
        webhookUrl: valid.webhookUrl,
        webhookSecret: storedSecret,
        dataWindowDays: valid.dataWindowDays,
        updatedBy: caller.principal.userId,
        updatedAt: now,
      };
      if (current) await repo.update({ id: current.id }, fields);
      else await repo.insert({ ...fields, deploymentId: deployment.id, projectId: deployment.projectId, createdBy: caller.principal.userId, lastRunAt: null });
      return { policy: await repo.findOneByOrFail({ deploymentId: deployment.id }), secret };
    });
  }

  async getPolicy(caller: Caller, deploymentId: string): Promise<RefreshPolicyEntity | null> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.db.getRepository(RefreshPolicyEntity).findOneBy({ deploymentId: deployment.id });
  }

  /** Deletes the policy (its runs stay in the history). False when there was none. */
  async deletePolicy(caller: Caller, deploymentId: string): Promise<boolean> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const result = await this.db.getRepository(RefreshPolicyEntity).delete({ deploymentId: deployment.id });
    return (result.affected ?? 0) > 0;
  }

  /** The deployment's runs, newest first. */
  async listRuns(caller: Caller, deploymentId: string, first?: number | null): Promise<RefreshRunEntity[]> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.db.getRepository(RefreshRunEntity).find({ where: { deploymentId: deployment.id }, order: { createdAt: 'DESC', id: 'DESC' }, take: pageSize(first, this.options.maxPageSize) });
  }

  /**
   * A run by hand (those who may update the deployment), still at least the minimum interval after the last
   * one unless `force` is given by an admin of the deployment's project.
   */
  async trigger(caller: Caller, deploymentId: string, input: { reason: string; force?: boolean | null }): Promise<RefreshRunEntity> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const reason = typeof input.reason === 'string' ? input.reason.trim() : '';
    if (reason.length === 0 || reason.length > MAX_REASON_LENGTH || /\p{Cc}/u.test(reason)) {
      throw invalidRefreshArgument('reason', `Say why the model should be refreshed in 1 to ${MAX_REASON_LENGTH} characters (no control characters); it goes to the retraining service.`);
    }
    const force = input.force === true;
    if (force && !caller.ability.can('update', asSubject('Project', { id: deployment.projectId }))) {
      throw new GovernanceError(
        GovernanceErrorCode.FORBIDDEN,
        `Only admins of project ${deployment.projectId} may force a refresh before the policy's minimum interval has passed; leave force out to respect it.`,
        { action: 'update', subject: 'Project' },
      );
    }
    const policy = await this.db.getRepository(RefreshPolicyEntity).findOneBy({ deploymentId: deployment.id });
    if (!policy) throw policyNotFound(deployment.id);
    const now = this.clock.now();
    const run = await this.startRun(policy, { kind: 'MANUAL', detail: reason }, now, { force, automatic: false, requestedBy: caller.principal.userId });
    if (!run) {
      const latest = await this.db.getRepository(RefreshPolicyEntity).findOneBy({ id: policy.id });
      if (!latest) throw policyNotFound(deployment.id);
      const next = new Date((latest.lastRunAt ?? now).getTime() + latest.minIntervalMinutes * MINUTE_MS);
      throw new RefreshError(
        RefreshErrorCode.REFRESH_TOO_SOON,
        `The last refresh of this deployment started at ${latest.lastRunAt?.toISOString()}; its policy wants at least ${latest.minIntervalMinutes} minutes between runs, so the next may start at ${next.toISOString()}. A project admin may pass force: true.`,
        { nextAllowedAt: next.toISOString() },
      );
    }
    return this.dispatch(run);
  }

  // ---- evaluation -----------------------------------------------------------

  /** Starts a run for every enabled policy of a live deployment whose trigger holds (the scheduled job). */
  async evaluate(): Promise<{ evaluated: number; started: number }> {
    const now = this.clock.now();
    const policies = await this.db
      .getRepository(RefreshPolicyEntity)
      .createQueryBuilder('p')
      .innerJoin('deployments', 'd', 'd.id = p.deployment_id AND d.deleted_at IS NULL')
      .where('p.enabled')
      .orderBy('p.created_at', 'ASC')
      .getMany();
    let started = 0;
    for (const policy of policies) {
      // Cheap skip; the guarded UPDATE in startRun is what decides.
      if (policy.lastRunAt && now.getTime() - policy.lastRunAt.getTime() < policy.minIntervalMinutes * MINUTE_MS) continue;
      const trigger = await this.dueTrigger(policy, now);
      if (!trigger) continue;
      const run = await this.startRun(policy, trigger, now, { force: false, automatic: true, requestedBy: null });
      if (!run) continue;
      started++;
      await this.dispatch(run);
    }
    return { evaluated: policies.length, started };
  }

  /** The first trigger of the policy that holds now: drift, accuracy, model age, then the schedule. */
  async dueTrigger(policy: RefreshPolicyEntity, now: Date): Promise<RefreshTrigger | null> {
    const checks: [string, () => Promise<RefreshTrigger | null>][] = [];
    if (policy.onDriftRed) checks.push(['drift', () => this.driftTrigger(policy)]);
    if (policy.accuracyMetric !== null && policy.accuracyThreshold !== null) checks.push(['accuracy', () => this.accuracyTrigger(policy)]);
    if (policy.maxModelAgeDays !== null) checks.push(['model age', () => this.ageTrigger(policy, now)]);
    if (policy.scheduleEveryHours !== null) checks.push(['schedule', async () => this.scheduleTrigger(policy, now)]);
    for (const [name, check] of checks) {
      try {
        const trigger = await check();
        if (trigger) return trigger;
      } catch (err) {
        this.options.logger.warn({ err, policy: policy.id, deploymentId: policy.deploymentId, trigger: name }, 'could not check a refresh trigger; the others are checked');
      }
    }
    return null;
  }

  private async driftTrigger(policy: RefreshPolicyEntity): Promise<RefreshTrigger | null> {
    const [open] = (await this.db.query(
      `SELECT opened_at FROM alerts WHERE deployment_id = $1 AND kind = 'DRIFT_STATUS' AND resolved_at IS NULL AND last_value >= 2 ORDER BY opened_at LIMIT 1`,
      [policy.deploymentId],
    )) as { opened_at: Date }[];
    if (open) return { kind: 'DRIFT_RED', detail: `a DRIFT_STATUS alert open since ${open.opened_at.toISOString()} reports the drift status red` };
    const status = await this.signals.driftStatus(policy.deploymentId);
    return status === 'red' ? { kind: 'DRIFT_RED', detail: `the drift status over the last ${DRIFT_TRIGGER_HOURS} h is red` } : null;
  }

  private async accuracyTrigger(policy: RefreshPolicyEntity): Promise<RefreshTrigger | null> {
    const metric = policy.accuracyMetric!;
    const threshold = policy.accuracyThreshold!;
    const value = await this.signals.accuracy(policy.deploymentId, metric, policy.dataWindowDays);
    if (value === null || !accuracyBreached(metric, value, threshold)) return null;
    const side = ERROR_METRICS.includes(metric) ? 'above' : 'below';
    return { kind: 'ACCURACY', detail: `${metric} over the last ${policy.dataWindowDays} days is ${Number(value.toFixed(6))}, ${side} the threshold ${threshold}` };
  }

  private async ageTrigger(policy: RefreshPolicyEntity, now: Date): Promise<RefreshTrigger | null> {
    const [champion] = (await this.db.query(
      `SELECT v.version, v.created_at FROM deployments d JOIN model_versions v ON v.id = d.model_version_id WHERE d.id = $1`,
      [policy.deploymentId],
    )) as { version: number; created_at: Date }[];
    if (!champion) return null;
    const days = (now.getTime() - champion.created_at.getTime()) / DAY_MS;
    if (days < policy.maxModelAgeDays!) return null;
    return {
      kind: 'MODEL_AGE',
      detail: `the champion, version ${champion.version} registered at ${champion.created_at.toISOString()}, is ${Math.floor(days)} days old; the policy allows ${policy.maxModelAgeDays}`,
    };
  }

  private scheduleTrigger(policy: RefreshPolicyEntity, now: Date): RefreshTrigger | null {
    const from = policy.lastRunAt ?? policy.scheduleSince ?? policy.createdAt;
    if (now.getTime() - from.getTime() < policy.scheduleEveryHours! * HOUR_MS) return null;
    const since = policy.lastRunAt ? `the last run started at ${from.toISOString()}` : `the schedule was set at ${from.toISOString()}`;
    return { kind: 'SCHEDULE', detail: `scheduled every ${policy.scheduleEveryHours} h; ${since}` };
  }

  /**
   * Starts a run if the policy allows one now: one UPDATE moves `last_run_at` only when the minimum interval
   * has passed (concurrent evaluators wait on the row and then see the new time), and the run row is written
   * in the same transaction. Null when the interval has not passed, or the deployment is gone.
   */
  private async startRun(policy: RefreshPolicyEntity, trigger: RefreshTrigger, now: Date, options: StartOptions): Promise<RefreshRunEntity | null> {
    return this.db.transaction(async (tx) => {
      const [deployment] = (await tx.query(
        `SELECT d.name, d.project_id::text AS project_id, d.model_id::text AS model_id, d.model_version_id::text AS version_id, v.version
           FROM deployments d JOIN model_versions v ON v.id = d.model_version_id WHERE d.id = $1 AND d.deleted_at IS NULL`,
        [policy.deploymentId],
      )) as { name: string; project_id: string; model_id: string; version_id: string; version: number }[];
      if (!deployment) return null;
      const [claimed] = (await tx.query(
        `UPDATE refresh_policies SET last_run_at = $2 WHERE id = $1
           ${options.automatic ? 'AND enabled' : ''}
           ${options.force ? '' : 'AND (last_run_at IS NULL OR last_run_at <= $2::timestamptz - make_interval(mins => min_interval_minutes))'}
         RETURNING action, data_window_days`,
        [policy.id, now],
      )) as [{ action: RefreshRunEntity['action']; data_window_days: number }[], number];
      const current = claimed[0];
      if (!current) return null;
      const id = randomUUID();
      const windowFrom = new Date(now.getTime() - current.data_window_days * DAY_MS);
      const search = new URLSearchParams({ from: windowFrom.toISOString(), to: now.toISOString() });
      const payload: RefreshRequestPayload = {
        runId: id,
        event: REFRESH_REQUESTED_EVENT,
        deployment: { id: policy.deploymentId, name: deployment.name, projectId: deployment.project_id },
        currentVersion: { id: deployment.version_id, version: deployment.version },
        reason: { kind: trigger.kind, detail: trigger.detail },
        dataWindow: { from: windowFrom.toISOString(), to: now.toISOString() },
        labelledData: { url: `${this.options.publicUrl().replace(/\/+$/, '')}/v1/deployments/${policy.deploymentId}/labelled-data?${search.toString()}`, format: 'ndjson' },
      };
      await tx.getRepository(RefreshRunEntity).save({
        id,
        policyId: policy.id,
        deploymentId: policy.deploymentId,
        projectId: deployment.project_id,
        modelId: deployment.model_id,
        championVersionId: deployment.version_id,
        triggerKind: trigger.kind,
        reason: trigger.detail,
        windowFrom,
        windowTo: now,
        action: current.action,
        state: 'PENDING',
        attempts: 0,
        requestedBy: options.requestedBy,
        payload: payload as unknown as Record<string, unknown>,
        createdAt: now,
      });
      this.options.logger.info({ run: id, deploymentId: policy.deploymentId, trigger: trigger.kind }, 'refresh run started');
      return tx.getRepository(RefreshRunEntity).findOneByOrFail({ id });
    });
  }

  /** Hands a new run to the queue: its first webhook try, or the job for workers (then it is DELIVERED). */
  private async dispatch(run: RefreshRunEntity): Promise<RefreshRunEntity> {
    try {
      if (run.action === 'WEBHOOK') {
        await this.queue.enqueue<DeliverRefreshJob>(DELIVER_REFRESH_JOB, { runId: run.id, attempt: 1 }, { jobId: `refresh-${run.id}-1`, attempts: 1 });
      } else {
        await this.queue.enqueue(REFRESH_REQUESTED_JOB, run.payload, { jobId: `refresh-requested-${run.id}` });
        const now = this.clock.now();
        await this.db.getRepository(RefreshRunEntity).update({ id: run.id, state: 'PENDING' }, { state: 'DELIVERED', attempts: 1, deliveredAt: now, lastError: null });
      }
    } catch (err) {
      const what = run.action === 'WEBHOOK' ? 'its webhook delivery' : `the ${REFRESH_REQUESTED_JOB} job`;
      await this.fail(run, `could not enqueue ${what}: ${(err as Error).message}`, { attempts: run.action === 'WEBHOOK' ? 0 : 1, responseStatus: null });
    }
    return this.db.getRepository(RefreshRunEntity).findOneByOrFail({ id: run.id });
  }

  // ---- delivery -------------------------------------------------------------

  /**
   * One try of a run's webhook: POST the payload, signed with the policy's secret. A 2xx answer delivers it;
   * anything else (or no answer within the timeout) schedules the next try with exponential backoff, until
   * the last try marks the run FAILED and tells the owners.
   */
  async deliver(job: DeliverRefreshJob): Promise<RefreshRunState> {
    const run = await this.db.getRepository(RefreshRunEntity).findOneBy({ id: job.runId });
    if (!run || run.state !== 'PENDING' || run.attempts >= job.attempt) return run?.state ?? 'FAILED';
    const policy = run.policyId ? await this.db.getRepository(RefreshPolicyEntity).findOneBy({ id: run.policyId }) : null;
    if (!policy || policy.action !== 'WEBHOOK' || !policy.webhookUrl || !policy.webhookSecret) {
      await this.fail(run, 'the refresh policy was deleted or no longer calls a webhook', { attempts: run.attempts, responseStatus: null });
      return 'FAILED';
    }
    const body = JSON.stringify(run.payload);
    const timeoutMs = this.options.deliveryTimeoutMs ?? 10_000;
    const timestamp = Math.floor(this.clock.now().getTime() / 1000);
    let status: number | null = null;
    let error: string | null = null;
    try {
      const res = await fetch(policy.webhookUrl, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'user-agent': 'Modelport-Webhooks/1',
          [SIGNATURE_HEADER]: signWebhook(policy.webhookSecret, timestamp, body),
          [EVENT_HEADER]: REFRESH_REQUESTED_EVENT,
          [DELIVERY_HEADER]: run.id,
        },
        body,
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (res.status < 200 || res.status >= 300) error = `the retraining webhook answered ${res.status}`;
    } catch (err) {
      error = (err as Error).name === 'TimeoutError' ? `the retraining webhook gave no answer within ${timeoutMs} ms` : `could not reach the retraining webhook: ${(err as Error).message}`;
    }
    const attempts = job.attempt;
    const repo = this.db.getRepository(RefreshRunEntity);
    if (error === null) {
      await repo.update({ id: run.id, state: 'PENDING' }, { state: 'DELIVERED', attempts, responseStatus: status, lastError: null, nextAttemptAt: null, deliveredAt: this.clock.now() });
      return 'DELIVERED';
    }
    const max = this.options.maxDeliveryAttempts ?? 6;
    if (attempts >= max) {
      await this.fail(run, `${error} (gave up after ${attempts} tries)`, { attempts, responseStatus: status });
      return 'FAILED';
    }
    const delayMs = retryDelayMs(attempts, this.options.retryBaseMs);
    await repo.update({ id: run.id, state: 'PENDING' }, { attempts, responseStatus: status, lastError: error, nextAttemptAt: new Date(this.clock.now().getTime() + delayMs) });
    await this.queue.enqueue<DeliverRefreshJob>(DELIVER_REFRESH_JOB, { runId: run.id, attempt: attempts + 1 }, { jobId: `refresh-${run.id}-${attempts + 1}`, attempts: 1, delayMs });
    return 'PENDING';
  }

  /** PENDING → FAILED with the reason, and a refresh.failed notification to the owners (once, in the same transaction). */
  private async fail(run: RefreshRunEntity, error: string, at: { attempts: number; responseStatus: number | null }): Promise<void> {
    const now = this.clock.now();
    const failed = await this.db.transaction(async (tx) => {
      const result = await tx
        .getRepository(RefreshRunEntity)
        .update({ id: run.id, state: 'PENDING' }, { state: 'FAILED', attempts: at.attempts, responseStatus: at.responseStatus, lastError: error.slice(0, 2000), nextAttemptAt: null, failedAt: now });
      if (!result.affected) return false;
      const context = await deploymentContext(tx, run.deploymentId);
      if (!context) return true;
      await notifyOwners(tx, context.owners, {
        event: REFRESH_FAILED_EVENT,
        title: `Refresh of ${context.deploymentName} failed: ${error}`,
        body: {
          event: REFRESH_FAILED_EVENT,
          runId: run.id,
          deployment: { id: run.deploymentId, name: context.deploymentName, projectId: context.projectId },
          reason: { kind: run.triggerKind, detail: run.reason },
          error,
          attempts: at.attempts,
        },
      });
      return true;
    });
    if (failed) this.options.logger.warn({ run: run.id, deploymentId: run.deploymentId, error }, 'refresh run failed');
  }

  // ---- answers --------------------------------------------------------------

  /**
   * The RegistryService listener: a version registered with `lineage.refreshRunId` of an open run of the same
   * model completes the run, gets the run's trigger as its lineage trigger (unless it has one) and joins the
   * deployment as a shadow challenger. An unknown, foreign or completed run is logged and otherwise ignored:
   * the registration stands either way.
   */
  async handleVersionRegistered(e: VersionRegisteredEvent): Promise<void> {
    const runId = e.version.lineage?.refreshRunId;
    if (!runId || !isUuid(runId)) return;
    const now = this.clock.now();
    const [completed] = (await this.db.query(
      `UPDATE refresh_runs SET state = 'COMPLETED', new_version_id = $2, completed_at = $3, next_attempt_at = NULL
        WHERE id = $1 AND model_id = $4 AND state <> 'COMPLETED' RETURNING id`,
      [runId, e.version.id, now, e.version.modelId],
    )) as [{ id: string }[], number];
    if (completed.length === 0) {
      const run = await this.db.getRepository(RefreshRunEntity).findOneBy({ id: runId });
      const why = !run ? 'no such refresh run exists' : run.modelId !== e.version.modelId ? `the run is for model ${run.modelId}, not this version's` : `the run was already completed by version ${run.newVersionId}`;
      this.options.logger.warn({ runId, versionId: e.version.id, modelId: e.version.modelId }, `a version names refresh run ${runId} but ${why}; it is registered without answering a run`);
      return;
    }
    const run = await this.db.getRepository(RefreshRunEntity).findOneByOrFail({ id: runId });
    const trigger = runTrigger(run);
    await this.db.query(`UPDATE model_versions SET lineage = lineage || jsonb_build_object('trigger', $2::text) WHERE id = $1 AND coalesce(lineage->>'trigger', '') = ''`, [
      e.version.id,
      trigger.slice(0, 1024),
    ]);
    const [live] = (await this.db.query(`SELECT 1 FROM deployments WHERE id = $1 AND deleted_at IS NULL`, [run.deploymentId])) as unknown[];
    let problem: string | null = null;
    if (!live) {
      problem = 'the deployment was deleted, so the version was not attached as a shadow challenger';
    } else {
      try {
        await this.shadows.attachShadow({ deploymentId: run.deploymentId, versionId: e.version.id, reason: `answers ${trigger}`.slice(0, 1000), actorId: e.actorId });
      } catch (err) {
        problem = `attaching version ${e.version.version} as a shadow challenger failed: ${(err as Error).message}`;
      }
    }
    if (problem) {
      this.options.logger.warn({ run: run.id, versionId: e.version.id, problem }, 'refresh run completed with a problem');
      await this.db.getRepository(RefreshRunEntity).update({ id: run.id }, { lastError: `Completed, but ${problem}`.slice(0, 2000) });
    } else {
      this.options.logger.info({ run: run.id, versionId: e.version.id, deploymentId: run.deploymentId }, 'refresh run answered; the new version shadows the champion');
    }
  }
}
