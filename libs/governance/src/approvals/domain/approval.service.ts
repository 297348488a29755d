import type { DataSource, EntityManager, SelectQueryBuilder } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { decodeCursor, isUuid, pageSize, sqlState, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { asSubject, defineAbilityFor, projectsWhere } from '../../domain/ability';
import { GovernanceError, GovernanceErrorCode } from '../../domain/governance.errors';
import { systemClock, type Caller, type Clock } from '../../domain/identity.service';
import type { Principal } from '../../domain/principal';
import { isGroupMember } from '../../groups/domain/group-queries';
import { MembershipEntity, ProjectEntity, UserEntity } from '../../persistence';
import { ApprovalPolicyEntity, ChangeRequestEntity, ChangeRequestEventEntity, ChangeRequestReviewEntity } from '../persistence';
import { ApprovalError, ApprovalErrorCode } from './approval.errors';
import {
  combinePolicies,
  jsonObject,
  MAX_PAYLOAD_BYTES,
  MAX_PRECONDITION_BYTES,
  storableResult,
  validateComment,
  validatePolicyInput,
  validateSummary,
  validateTarget,
  weakerThan,
  type ApprovalPolicyInput,
  type ValidPolicy,
} from './approval.rules';
import {
  APPROVAL_ACTIONS,
  ApprovalAction,
  CHANGE_REQUEST_STATUSES,
  isApprovalAction,
  isChangeRequestStatus,
  isDeploymentAction,
  REVIEW_DECISIONS,
  reviewerRank,
  type ActingAs,
  type ApprovalRequirement,
  type ChangeApplier,
  type ChangeRequestEventKind,
  type ChangeRequestEventNotice,
  type ChangeRequestStatus,
  type ChangeRequestView,
  type PreconditionResult,
  type ReviewDecision,
} from './approval.types';

/** The job that applies one APPROVED change request; its data is `{ requestId }` and its job id the request id. */
export const APPLY_CHANGE_REQUEST_JOB = 'governance.apply-change-request';

export interface ApprovalServiceOptions {
  readonly maxPageSize: number;
  readonly logger: Logger;
  /**
   * Called once per state change, after it is committed (for the audit trail). A throw or
   * rejection is logged and does not undo the change.
   */
  readonly onEvent?: (event: ChangeRequestEventNotice) => void | Promise<void>;
  /** `sweep` enqueues the apply job again for requests APPROVED longer ago than this (their job may have been lost). Default 5 minutes. */
  readonly requeueAfterMs?: number;
  /**
   * Builds the caller an approved change is applied as (`ActingAs.author`): the user `userId` with
   * their permissions as they are now, acting for change request `actingFor`; null when the user no
   * longer exists. Without it, the caller is built from the user record and direct memberships with
   * the built-in roles (`defineAbilityFor`).
   */
  readonly resolveCaller?: (userId: string, actingFor: string) => Promise<Caller | null>;
}

/** The queue operations this service uses: only enqueueing (the processor is registered by the wiring). */
export type ApplyJobQueue = Pick<JobQueue, 'enqueue'>;

export interface GateInput {
  readonly action: ApprovalAction;
  /** Required for deployment actions; null only for edits of platform-wide policies. */
  readonly projectId: string | null;
  /** Whether the deployment is (or, for create, will be) production; deployment actions are covered only when true. */
  readonly production?: boolean | null;
  readonly targetType: string;
  readonly targetId?: string | null;
  /** The exact input to apply once approved (a JSON object). */
  readonly payload: Record<string, unknown>;
  /** What must still hold when applying, e.g. { deploymentRevision: 3 } (a JSON object). */
  readonly precondition?: Record<string, unknown> | null;
  /** One line for reviewers: what will change. */
  readonly summary: string;
}

export type GateResult = { readonly required: false } | { readonly required: true; readonly request: ChangeRequestEntity };

export interface ReviewInput {
  readonly requestId: string;
  readonly decision: ReviewDecision;
  /** Optional for an approval, required for a rejection. */
  readonly comment?: string | null;
}

export interface BacklogQuery extends PageRequest {
  /** Only these projects (still only those the caller may read); absent or null: every project the caller may read. */
  readonly projectIds?: readonly string[] | null;
}

export interface ChangeRequestQuery extends BacklogQuery {
  readonly statuses?: readonly ChangeRequestStatus[] | null;
}

/** A policy edit is either done at once or, when a `policy.edit` policy covers it, becomes a change request. */
export type PolicyCreation = { readonly policy: ApprovalPolicyEntity; readonly request: null } | { readonly policy: null; readonly request: ChangeRequestEntity };
export type PolicyDeletion = { readonly deleted: true; readonly request: null } | { readonly deleted: false; readonly request: ChangeRequestEntity };

type PolicyEditPayload = { op: 'create'; policy: ValidPolicy } | { op: 'delete'; policyId: string };

const DEFAULT_REQUEUE_AFTER_MS = 5 * 60_000;
/** Serialises policy inserts, so two policies naming different reviewer groups cannot both pass the conflict check. */
const POLICY_INSERT_LOCK = 7_311_342;
const SWEEP_BATCH = 500;
const HOUR_MS = 3600_000;

/**
 * Approval workflows: policies say which changes need how many approvals from whom; a
 * covered change becomes a change request; reviews decide it; an approved request is applied
 * by a job, through the applier registered for its action, once and only if its precondition
 * still holds. Every state change is an event (kept, and handed to `onEvent`).
 *
 * Reviews, cancellation, expiry and applying all take the request's row lock first, so two
 * reviewers at the same time neither lose a review nor enqueue the apply job twice.
 */
export class ApprovalService {
  private readonly appliers = new Map<ApprovalAction, ChangeApplier>();
  private readonly policyEditAppliers = new Map<string, ChangeApplier>();
  private readonly listeners: ((notice: ChangeRequestEventNotice) => Promise<void> | void)[] = [];
  private readonly log: Logger;

  constructor(
    private readonly db: DataSource,
    private readonly queue: ApplyJobQueue,
    private readonly options: ApprovalServiceOptions,
    private readonly clock: Clock = systemClock,
  ) {
    this.log = options.logger.child({ component: 'approvals' });
    this.appliers.set(ApprovalAction.POLICY_EDIT, this.policyEditApplier());
  }

  /** Registers how approved requests of `action` are applied; once per action (`policy.edit` is built in). */
  registerApplier(action: ApprovalAction, applier: ChangeApplier): void {
    if (!isApprovalAction(action)) throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `Unknown action "${String(action)}"; use one of ${APPROVAL_ACTIONS.join(', ')}.`);
    if (this.appliers.has(action)) {
      throw new ApprovalError(ApprovalErrorCode.APPLIER_ALREADY_REGISTERED, `An applier for "${action}" is already registered; each action has exactly one.`);
    }
    this.appliers.set(action, applier);
  }

  // ---- policies -------------------------------------------------------------

  /** With a project: its own policies and the platform-wide ones. Without: the platform-wide ones and those of every project the caller may read. */
  async listPolicies(caller: Caller, filter: { projectId?: string | null } = {}): Promise<ApprovalPolicyEntity[]> {
    const qb = this.db
      .getRepository(ApprovalPolicyEntity)
      .createQueryBuilder('p')
      .orderBy('p.project_id', 'ASC', 'NULLS FIRST')
      .addOrderBy('p.created_at', 'ASC')
      .addOrderBy('p.id', 'ASC');
    if (filter.projectId) {
      await this.visibleProject(caller, filter.projectId);
      qb.where('(p.project_id IS NULL OR p.project_id = :projectId)', { projectId: filter.projectId });
    } else {
      const visible = this.visibleProjects(caller);
      if (visible !== null) qb.where('(p.project_id IS NULL OR p.project_id = ANY(:visible))', { visible });
    }
    return qb.getMany();
  }

  async getPolicy(caller: Caller, id: string): Promise<ApprovalPolicyEntity> {
    const policy = isUuid(id) ? await this.db.getRepository(ApprovalPolicyEntity).findOneBy({ id }) : null;
    if (!policy || (policy.projectId !== null && !this.canReadProject(caller, policy.projectId))) {
      throw new ApprovalError(ApprovalErrorCode.POLICY_NOT_FOUND, `No approval policy with id ${id} is visible to you.`);
    }
    return policy;
  }

  /**
   * Creates an approval policy: platform-wide ones by platform admins, a project's own by its
   * admins. A project's policy replaces the platform-wide ones for its actions, so a project
   * admin may not make it weaker than they are. When a `policy.edit` policy covers the edit,
   * a change request is returned instead.
   */
  async createPolicy(caller: Caller, input: ApprovalPolicyInput): Promise<PolicyCreation> {
    const policy = validatePolicyInput(input);
    await this.assertMayEditPolicies(caller, policy.projectId);
    const groupName = await this.reviewerGroupName(this.db.manager, policy.reviewerGroupId);
    await this.assertNoGroupConflict(this.db.manager, policy);
    if (policy.projectId !== null && !caller.principal.isPlatformAdmin) await this.assertNotWeakerThanPlatform(policy);
    const gated = await this.gate(caller, {
      action: ApprovalAction.POLICY_EDIT,
      projectId: policy.projectId,
      targetType: 'ApprovalPolicy',
      targetId: null,
      payload: { op: 'create', policy } satisfies PolicyEditPayload,
      precondition: {},
      summary: `Create approval policy: ${describePolicy(policy, groupName)}`,
    });
    if (gated.required) return { policy: null, request: gated.request };
    return { policy: await this.insertPolicy(policy, caller.principal.userId), request: null };
  }

  /** Deletes an approval policy (same permissions as creating it); gated like creation. */
  async deletePolicy(caller: Caller, id: string): Promise<PolicyDeletion> {
    const policy = await this.getPolicy(caller, id);
    await this.assertMayEditPolicies(caller, policy.projectId);
    const gated = await this.gate(caller, {
      action: ApprovalAction.POLICY_EDIT,
      projectId: policy.projectId,
      targetType: 'ApprovalPolicy',
      targetId: policy.id,
      payload: { op: 'delete', policyId: policy.id } satisfies PolicyEditPayload,
      precondition: { policyId: policy.id },
      summary: `Delete approval policy: ${describePolicy(policy, await this.reviewerGroupName(this.db.manager, policy.reviewerGroupId).catch(() => null))}`,
    });
    if (gated.required) return { deleted: false, request: gated.request };
    await this.db.getRepository(ApprovalPolicyEntity).delete({ id: policy.id });
    return { deleted: true, request: null };
  }

  /**
   * What approval `action` needs in `projectId` (null: nothing covers it). Deployment actions
   * are covered only for production deployments.
   */
  async requirementFor(input: { action: ApprovalAction; projectId: string | null; production?: boolean | null }): Promise<ApprovalRequirement | null> {
    if (isDeploymentAction(input.action) && input.production !== true) return null;
    const qb = this.db.getRepository(ApprovalPolicyEntity).createQueryBuilder('p').where(':action = ANY(p.actions)', { action: input.action });
    if (input.projectId === null) qb.andWhere('p.project_id IS NULL');
    else qb.andWhere('(p.project_id IS NULL OR p.project_id = :projectId)', { projectId: input.projectId });
    return combinePolicies(await qb.getMany(), input.projectId);
  }

  // ---- the gate -------------------------------------------------------------

  /**
   * Whether `input.action` needs approval and, if it does, the change request created for it
   * (the change must then not run). The caller's own permission to do the action is checked by
   * the caller before this.
   */
  async gate(caller: Caller, input: GateInput): Promise<GateResult> {
    if (!isApprovalAction(input.action)) {
      throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `Unknown action "${String(input.action)}"; use one of ${APPROVAL_ACTIONS.join(', ')}.`, { field: 'action' });
    }
    const projectId = input.projectId ?? null;
    if (projectId !== null && !isUuid(projectId)) {
      throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `"${String(projectId)}" is not a project id (a UUID).`, { field: 'projectId' });
    }
    if (projectId === null && input.action !== ApprovalAction.POLICY_EDIT) {
      throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `A "${input.action}" change belongs to a project; pass its projectId.`, { field: 'projectId' });
    }
    const target = validateTarget(input.targetType, input.targetId);
    const summary = validateSummary(input.summary);
    const payload = jsonObject('payload', input.payload, MAX_PAYLOAD_BYTES);
    const precondition = jsonObject('precondition', input.precondition ?? {}, MAX_PRECONDITION_BYTES);

    const requirement = await this.requirementFor({ action: input.action, projectId, production: input.production });
    if (!requirement) return { required: false };

    const notices: ChangeRequestEventNotice[] = [];
    const now = this.clock.now();
    let request: ChangeRequestEntity;
    try {
      request = await this.db.transaction(async (tx) => {
        // The policies naming the group keep it from being deleted (RESTRICT), so it exists; the lock keeps it until commit.
        const reviewerGroupName = requirement.reviewerGroupId === null ? null : await this.reviewerGroupName(tx, requirement.reviewerGroupId, true);
        const row = await tx.getRepository(ChangeRequestEntity).save(
          tx.getRepository(ChangeRequestEntity).create({
            projectId,
            action: input.action,
            targetType: target.targetType,
            targetId: target.targetId,
            payload,
            precondition,
            summary,
            status: 'PENDING',
            authorId: caller.principal.userId,
            requiredApprovals: requirement.requiredApprovals,
            reviewerRole: requirement.reviewerRole,
            reviewerGroupId: requirement.reviewerGroupId,
            reviewerGroupName,
            approvalCount: 0,
            policyIds: [...requirement.policyIds],
            createdAt: now,
            expiresAt: new Date(now.getTime() + requirement.expiresAfterHours * HOUR_MS),
            decidedAt: null,
            appliedAt: null,
            result: null,
            failure: null,
          }),
        );
        await this.recordEvent(tx, notices, row, 'created', null, 'PENDING', caller.principal.userId, summary, now);
        return row;
      });
    } catch (err) {
      if (sqlState(err) === '23503') {
        throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, 'The project or the author of this change request does not exist.', { field: 'projectId' });
      }
      throw err;
    }
    await this.emit(notices);
    this.log.info({ changeRequest: request.id, action: request.action, project: projectId, requiredApprovals: request.requiredApprovals }, 'change request created');
    return { required: true, request };
  }

  // ---- reviews --------------------------------------------------------------

  /**
   * Approves or rejects a pending request. The author never reviews their own request; each
   * reviewer reviews once; a reviewer needs the request's reviewer role in its project (or is
   * a platform admin) and, when the request names a reviewer group, must be a member of that
   * group (platform admins too; checked against group_members now, not when the request was
   * made). One rejection rejects it; the approval that reaches the required count makes it
   * APPROVED and enqueues the apply job.
   */
  async review(caller: Caller, input: ReviewInput): Promise<ChangeRequestEntity> {
    if (!(REVIEW_DECISIONS as readonly string[]).includes(input.decision)) {
      throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `decision must be one of ${REVIEW_DECISIONS.join(', ')}.`, { field: 'decision' });
    }
    const comment = validateComment(input.comment, input.decision === 'REJECT');
    const reviewerId = caller.principal.userId;
    const notices: ChangeRequestEventNotice[] = [];
    const outcome = await this.db.transaction(async (tx) => {
      const request = await this.lockVisible(tx, caller, input.requestId);
      if (request.authorId === reviewerId) {
        throw new ApprovalError(
          ApprovalErrorCode.SELF_REVIEW,
          'You wrote this change request, so you cannot review it: another reviewer must approve it. To withdraw it, cancel it.',
          { requestId: request.id },
        );
      }
      this.assertReviewerRole(caller, request);
      await this.assertReviewerGroup(tx, caller, request);
      const now = this.clock.now();
      if (await this.expireIfDue(tx, notices, request, now)) return { request, expired: true, approved: false };
      assertPending(request, 'reviewed');
      const earlier = await tx.getRepository(ChangeRequestReviewEntity).findOneBy({ requestId: request.id, reviewerId });
      if (earlier) throw alreadyReviewed(earlier);
      try {
        await tx.getRepository(ChangeRequestReviewEntity).insert({ requestId: request.id, reviewerId, decision: input.decision, comment, createdAt: now });
      } catch (err) {
        if (uniqueViolation(err) === 'change_request_reviews_one_per_reviewer') throw alreadyReviewed(null);
        throw err;
      }
      if (input.decision === 'REJECT') {
        await this.transition(tx, notices, request, { status: 'REJECTED', decidedAt: now }, 'rejected', reviewerId, comment, now);
        return { request, expired: false, approved: false };
      }
      const approvalCount = request.approvalCount + 1;
      if (approvalCount >= request.requiredApprovals) {
        const detail = `approval ${approvalCount} of ${request.requiredApprovals}${comment ? `: ${comment}` : ''}`;
        await this.transition(tx, notices, request, { status: 'APPROVED', approvalCount, decidedAt: now }, 'approved', reviewerId, detail, now);
        return { request, expired: false, approved: true };
      }
      await tx.getRepository(ChangeRequestEntity).update({ id: request.id }, { approvalCount });
      request.approvalCount = approvalCount;
      await this.recordEvent(tx, notices, request, 'review-approved', 'PENDING', 'PENDING', reviewerId, `approval ${approvalCount} of ${request.requiredApprovals}${comment ? `: ${comment}` : ''}`, now);
      return { request, expired: false, approved: false };
    });
    await this.emit(notices);
    if (outcome.expired) throw expiredError(outcome.request);
    if (outcome.approved) await this.enqueueApply(outcome.request.id);
    return outcome.request;
  }

  /** The author withdraws a pending request. */
  async cancel(caller: Caller, requestId: string, reason?: string | null): Promise<ChangeRequestEntity> {
    const detail = validateComment(reason, false);
    const notices: ChangeRequestEventNotice[] = [];
    const outcome = await this.db.transaction(async (tx) => {
      const request = await this.lockVisible(tx, caller, requestId);
      if (request.authorId !== caller.principal.userId) {
        throw new ApprovalError(ApprovalErrorCode.NOT_AUTHOR, 'Only the author of a change request may cancel it; reviewers reject it instead.', { requestId: request.id });
      }
      const now = this.clock.now();
      if (await this.expireIfDue(tx, notices, request, now)) return { request, expired: true };
      assertPending(request, 'cancelled');
      await this.transition(tx, notices, request, { status: 'CANCELLED', decidedAt: now }, 'cancelled', caller.principal.userId, detail, now);
      return { request, expired: false };
    });
    await this.emit(notices);
    if (outcome.expired) throw expiredError(outcome.request);
    return outcome.request;
  }

  /**
   * Marks pending requests past their expiry EXPIRED, and enqueues the apply job again for
   * requests APPROVED a while ago (a job lost with an in-process queue, or never enqueued
   * because the process stopped right after the approval). Safe to run on several replicas.
   */
  async sweep(): Promise<{ expired: number; requeued: number }> {
    const now = this.clock.now();
    let expired = 0;
    for (;;) {
      const notices: ChangeRequestEventNotice[] = [];
      const count = await this.db.transaction(async (tx) => {
        const due = await tx
          .getRepository(ChangeRequestEntity)
          .createQueryBuilder('r')
          .setLock('pessimistic_write')
          .setOnLocked('skip_locked')
          .where(`r.status = 'PENDING' AND r.expires_at <= :now`, { now })
          .orderBy('r.expires_at', 'ASC')
          .limit(SWEEP_BATCH)
          .getMany();
        for (const request of due) await this.expireIfDue(tx, notices, request, now);
        return due.length;
      });
      await this.emit(notices);
      expired += count;
      if (count < SWEEP_BATCH) break;
    }
    const stuck = await this.db
      .getRepository(ChangeRequestEntity)
      .createQueryBuilder('r')
      .select(['r.id'])
      .where(`r.status = 'APPROVED' AND r.decided_at <= :before`, { before: new Date(now.getTime() - (this.options.requeueAfterMs ?? DEFAULT_REQUEUE_AFTER_MS)) })
      .getMany();
    for (const { id } of stuck) await this.enqueueApply(id);
    if (expired > 0 || stuck.length > 0) this.log.info({ expired, requeued: stuck.length }, 'change request sweep');
    return { expired, requeued: stuck.length };
  }

  // ---- applying -------------------------------------------------------------

  /**
   * The apply job's processor. Only an APPROVED request is applied, so running it twice (or on
   * two workers) applies once: the row lock is held until the outcome is stored. Re-checks the
   * precondition (STALE with the reason when it no longer holds, nothing applied), then applies
   * (APPLIED with the result, or FAILED with the error). Returns the request as it ends up,
   * null if it does not exist. Throws only when the outcome could not be stored (the job retries).
   */
  async applyApproved(requestId: string): Promise<ChangeRequestEntity | null> {
    if (!isUuid(requestId)) return null;
    const notices: ChangeRequestEventNotice[] = [];
    const request = await this.db.transaction(async (tx) => {
      const row = await this.lock(tx, requestId);
      if (!row || row.status !== 'APPROVED') return row;
      const view = viewOf(row);
      const applier = this.appliers.get(row.action);
      const fail = async (failure: string) => {
        const now = this.clock.now();
        await this.transition(tx, notices, row, { status: 'FAILED', failure }, 'failed', null, failure, now);
        this.log.warn({ changeRequest: row.id, action: row.action, failure }, 'change request failed');
      };
      if (!applier) {
        await fail(`No applier is registered for "${row.action}" in the process that ran the apply job; register one with registerApplier before the queue starts.`);
        return row;
      }
      let check: PreconditionResult;
      try {
        check = await applier.checkPrecondition(view);
      } catch (err) {
        await fail(`The precondition could not be checked: ${messageOf(err)}`);
        return row;
      }
      if (!check.ok) {
        const now = this.clock.now();
        await this.transition(tx, notices, row, { status: 'STALE', failure: check.reason }, 'stale', null, check.reason, now);
        this.log.info({ changeRequest: row.id, action: row.action, reason: check.reason }, 'change request stale; not applied');
        return row;
      }
      const author = await this.callerFor(row.authorId, row.id);
      if (!author) {
        await fail(`The author (user ${row.authorId}) no longer exists, so the change cannot be applied on their behalf.`);
        return row;
      }
      const approvals = await tx
        .getRepository(ChangeRequestReviewEntity)
        .find({ where: { requestId: row.id, decision: 'APPROVE' }, order: { createdAt: 'ASC', id: 'ASC' } });
      const actingAs: ActingAs = { authorId: row.authorId, approverIds: approvals.map((r) => r.reviewerId), author };
      let value: unknown;
      try {
        value = await applier.apply(view, actingAs);
      } catch (err) {
        await fail(messageOf(err));
        return row;
      }
      const now = this.clock.now();
      await this.transition(tx, notices, row, { status: 'APPLIED', appliedAt: now, result: storableResult(value) }, 'applied', null, '', now);
      this.log.info({ changeRequest: row.id, action: row.action }, 'change request applied');
      return row;
    });
    await this.emit(notices);
    return request;
  }

  // ---- queries --------------------------------------------------------------

  async get(caller: Caller, id: string): Promise<ChangeRequestEntity> {
    const request = isUuid(id) ? await this.db.getRepository(ChangeRequestEntity).findOneBy({ id }) : null;
    if (!request || !this.canSee(caller, request)) throw notFound(id);
    return request;
  }

  /** Reviews of a request, oldest first. */
  async reviews(caller: Caller, id: string): Promise<ChangeRequestReviewEntity[]> {
    const request = await this.get(caller, id);
    return this.db.getRepository(ChangeRequestReviewEntity).find({ where: { requestId: request.id }, order: { createdAt: 'ASC', id: 'ASC' } });
  }

  /** Every state change of a request, in order, with its actor and time. */
  async events(caller: Caller, id: string): Promise<ChangeRequestEventEntity[]> {
    const request = await this.get(caller, id);
    return this.db.getRepository(ChangeRequestEventEntity).find({ where: { requestId: request.id }, order: { id: 'ASC' } });
  }

  /** Pending requests still open for review in the projects the caller may read, oldest first. */
  async backlog(caller: Caller, query: BacklogQuery = {}): Promise<Page<ChangeRequestEntity>> {
    const limit = pageSize(query.first, this.options.maxPageSize);
    const qb = this.db
      .getRepository(ChangeRequestEntity)
      .createQueryBuilder('r')
      .where(`r.status = 'PENDING' AND r.expires_at > :now`, { now: this.clock.now() })
      .orderBy('r.created_at', 'ASC')
      .addOrderBy('r.id', 'ASC')
      .limit(limit + 1);
    this.scope(qb, caller, query.projectIds);
    if (query.after) {
      const [at, id] = decodeTimeCursor(query.after);
      qb.andWhere('(r.created_at, r.id) > (:at::timestamptz, :id)', { at, id });
    }
    return toPage(await qb.getMany(), limit, (r) => [r.createdAt.toISOString(), r.id]);
  }

  /** Requests in any status (or those given), newest first. */
  async list(caller: Caller, query: ChangeRequestQuery = {}): Promise<Page<ChangeRequestEntity>> {
    const limit = pageSize(query.first, this.options.maxPageSize);
    const qb = this.db.getRepository(ChangeRequestEntity).createQueryBuilder('r').orderBy('r.created_at', 'DESC').addOrderBy('r.id', 'DESC').limit(limit + 1);
    this.scope(qb, caller, query.projectIds);
    if (query.statuses) {
      for (const s of query.statuses) {
        if (!isChangeRequestStatus(s)) throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `Unknown status "${String(s)}"; use any of ${CHANGE_REQUEST_STATUSES.join(', ')}.`, { field: 'statuses' });
      }
      qb.andWhere('r.status = ANY(:statuses)', { statuses: [...query.statuses] });
    }
    if (query.after) {
      const [at, id] = decodeTimeCursor(query.after);
      qb.andWhere('(r.created_at, r.id) < (:at::timestamptz, :id)', { at, id });
    }
    return toPage(await qb.getMany(), limit, (r) => [r.createdAt.toISOString(), r.id]);
  }

  // ---- helpers --------------------------------------------------------------

  private scope(qb: SelectQueryBuilder<ChangeRequestEntity>, caller: Caller, projectIds: readonly string[] | null | undefined): void {
    const visible = this.visibleProjects(caller);
    if (visible !== null) qb.andWhere('r.project_id = ANY(:visible)', { visible });
    if (projectIds) {
      const bad = projectIds.find((p) => !isUuid(p));
      if (bad !== undefined) throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, `"${String(bad)}" is not a project id (a UUID).`, { field: 'projectIds' });
      qb.andWhere('r.project_id = ANY(:projectIds)', { projectIds: [...projectIds] });
    }
  }

  /** Ids of the projects whose requests the caller may see; null: all (platform admins, who also see platform-wide ones). */
  private visibleProjects(caller: Caller): string[] | null {
    return projectsWhere(caller.principal, caller.ability, 'read', 'Project');
  }

  private canReadProject(caller: Caller, projectId: string): boolean {
    return caller.ability.can('read', asSubject('Project', { id: projectId }));
  }

  private canSee(caller: Caller, request: ChangeRequestEntity): boolean {
    if (caller.principal.isPlatformAdmin) return true;
    return request.projectId !== null && this.canReadProject(caller, request.projectId);
  }

  private async visibleProject(caller: Caller, projectId: string): Promise<ProjectEntity> {
    const project = isUuid(projectId) ? await this.db.getRepository(ProjectEntity).findOneBy({ id: projectId }) : null;
    if (!project || !this.canReadProject(caller, project.id)) {
      throw new GovernanceError(GovernanceErrorCode.PROJECT_NOT_FOUND, `No project with id ${projectId} is visible to you.`);
    }
    return project;
  }

  private async assertMayEditPolicies(caller: Caller, projectId: string | null): Promise<void> {
    if (projectId === null) {
      if (!caller.principal.isPlatformAdmin) {
        throw new ApprovalError(ApprovalErrorCode.POLICY_FORBIDDEN, 'Only platform admins may change platform-wide approval policies; a project admin may give their project its own.');
      }
      return;
    }
    const project = await this.visibleProject(caller, projectId);
    if (!caller.ability.can('update', asSubject('Project', { id: project.id }))) {
      throw new ApprovalError(ApprovalErrorCode.POLICY_FORBIDDEN, `Only admins of project "${project.name}" (or platform admins) may change its approval policies.`, { projectId });
    }
  }

  private async assertNotWeakerThanPlatform(policy: ValidPolicy): Promise<void> {
    const platform = await this.db.getRepository(ApprovalPolicyEntity).createQueryBuilder('p').where('p.project_id IS NULL').getMany();
    for (const action of policy.actions) {
      const requirement = combinePolicies(
        platform.filter((p) => p.actions.includes(action)),
        null,
      );
      const weaker = requirement ? weakerThan(policy, requirement) : null;
      if (requirement && weaker) {
        throw new ApprovalError(
          ApprovalErrorCode.POLICY_WEAKER_THAN_PLATFORM,
          `A project policy replaces the platform-wide one for "${action}", so it may not ask for less: it would need ${weaker}. ` +
            `Ask for at least ${requirement.requiredApprovals} approval(s) from ${requirement.reviewerRole}` +
            `${requirement.reviewerGroupId === null ? '' : ` in group ${requirement.reviewerGroupId}`}, or ask a platform admin to create it.`,
          { action, requiredApprovals: requirement.requiredApprovals, reviewerRole: requirement.reviewerRole, reviewerGroupId: requirement.reviewerGroupId },
        );
      }
    }
  }

  /**
   * Stores a policy. Inserts are serialised (one transaction-scoped advisory lock), so the check
   * that no policy of the same scope covering the same action names another reviewer group holds
   * also for two policies created at the same time (or applied from change requests).
   */
  private async insertPolicy(policy: ValidPolicy, createdBy: string): Promise<ApprovalPolicyEntity> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock($1)', [POLICY_INSERT_LOCK]);
      await this.reviewerGroupName(tx, policy.reviewerGroupId, true);
      await this.assertNoGroupConflict(tx, policy);
      const repo = tx.getRepository(ApprovalPolicyEntity);
      return repo.save(repo.create({ ...policy, createdBy, createdAt: this.clock.now() }));
    });
  }

  /** The name of reviewer group `groupId` (null for none); a group that does not exist is refused as invalid policy input. */
  private async reviewerGroupName(manager: EntityManager, groupId: string | null, lock = false): Promise<string | null> {
    if (groupId === null) return null;
    const rows = (await manager.query(`SELECT name FROM groups WHERE id = $1${lock ? ' FOR KEY SHARE' : ''}`, [groupId])) as { name: string }[];
    if (rows.length === 0) {
      throw new ApprovalError(ApprovalErrorCode.INVALID_POLICY, `No group with id ${groupId} exists; create the group first, or leave reviewerGroupId empty.`, {
        field: 'reviewerGroupId',
      });
    }
    return rows[0]!.name;
  }

  /**
   * Refuses a policy that names a reviewer group when another policy of the same scope (the same
   * project, or both platform-wide) covers one of its actions with a different group: who may
   * review would be ambiguous. Policies without a group never conflict (the group one applies).
   */
  private async assertNoGroupConflict(manager: EntityManager, policy: ValidPolicy): Promise<void> {
    if (policy.reviewerGroupId === null) return;
    const qb = manager
      .getRepository(ApprovalPolicyEntity)
      .createQueryBuilder('p')
      .where('p.actions && :actions::text[]', { actions: policy.actions })
      .andWhere('p.reviewer_group_id IS NOT NULL AND p.reviewer_group_id <> :group', { group: policy.reviewerGroupId })
      .orderBy('p.created_at', 'ASC')
      .addOrderBy('p.id', 'ASC')
      .limit(1);
    if (policy.projectId === null) qb.andWhere('p.project_id IS NULL');
    else qb.andWhere('p.project_id = :projectId', { projectId: policy.projectId });
    const other = await qb.getOne();
    if (!other) return;
    const action = policy.actions.find((a) => other.actions.includes(a))!;
    const [named] = (await manager.query('SELECT name FROM groups WHERE id = $1', [other.reviewerGroupId])) as { name: string }[];
    const otherGroup = named ? `"${named.name}"` : `${other.reviewerGroupId}`;
    throw new ApprovalError(
      ApprovalErrorCode.POLICY_GROUP_CONFLICT,
      `Approval policy ${other.id} already covers "${action}" ${policy.projectId === null ? 'platform-wide' : 'in this project'} with reviewer group ${otherGroup}; ` +
        `policies that cover the same action in the same scope must name the same reviewer group (or none). Use group ${otherGroup}, or delete that policy first.`,
      { field: 'reviewerGroupId', policyId: other.id, action, reviewerGroupId: other.reviewerGroupId },
    );
  }

  /**
   * Puts edits of other kinds of policy behind `policy.edit` too (the access rules of policies-as-data):
   * their change requests carry `targetType` and are applied by `applier`. Approval policies stay here.
   */
  registerPolicyEditApplier(targetType: string, applier: ChangeApplier): void {
    if (targetType === 'ApprovalPolicy' || this.policyEditAppliers.has(targetType)) {
      throw new ApprovalError(ApprovalErrorCode.APPLIER_ALREADY_REGISTERED, `An applier for policy edits of "${targetType}" is already registered.`);
    }
    this.policyEditAppliers.set(targetType, applier);
  }

  /** Applies approved policy edits: creations are made in the author's name; a deleted policy makes a delete STALE. */
  private policyEditApplier(): ChangeApplier {
    return {
      checkPrecondition: async (request) => {
        const delegate = this.policyEditAppliers.get(request.targetType);
        if (delegate) return delegate.checkPrecondition(request);
        const payload = request.payload as PolicyEditPayload;
        if (payload.op === 'delete') {
          const exists = await this.db.getRepository(ApprovalPolicyEntity).existsBy({ id: payload.policyId });
          return exists ? { ok: true } : { ok: false, reason: `Approval policy ${payload.policyId} was deleted meanwhile.` };
        }
        return { ok: true };
      },
      apply: async (request, actingAs) => {
        const delegate = this.policyEditAppliers.get(request.targetType);
        if (delegate) return delegate.apply(request, actingAs);
        const payload = request.payload as PolicyEditPayload;
        if (payload.op === 'delete') {
          await this.db.getRepository(ApprovalPolicyEntity).delete({ id: payload.policyId });
          return { deletedPolicyId: payload.policyId };
        }
        const policy = await this.insertPolicy(validatePolicyInput(payload.policy), actingAs.authorId);
        return { policyId: policy.id };
      },
    };
  }

  private assertReviewerRole(caller: Caller, request: ChangeRequestEntity): void {
    const { principal } = caller;
    if (principal.isPlatformAdmin) return;
    if (request.reviewerRole === 'platform-admin') {
      throw new ApprovalError(ApprovalErrorCode.REVIEWER_ROLE_REQUIRED, 'Only platform admins may review this change request.', { reviewerRole: request.reviewerRole });
    }
    const role = request.projectId === null ? undefined : principal.memberships.get(request.projectId);
    if (!role || reviewerRank(role) < reviewerRank(request.reviewerRole)) {
      throw new ApprovalError(
        ApprovalErrorCode.REVIEWER_ROLE_REQUIRED,
        `Reviewing this change request needs the role ${request.reviewerRole} or above in its project (or platform admin); your role there is ${role ?? 'none'}.`,
        { reviewerRole: request.reviewerRole },
      );
    }
  }

  /** A request naming a reviewer group is reviewed by its members only (platform admins included); the membership is locked until commit. */
  private async assertReviewerGroup(tx: EntityManager, caller: Caller, request: ChangeRequestEntity): Promise<void> {
    if (request.reviewerGroupId === null) return;
    if (await isGroupMember(tx, request.reviewerGroupId, caller.principal.userId, { lock: true })) return;
    const group = request.reviewerGroupName ? `"${request.reviewerGroupName}"` : request.reviewerGroupId;
    throw new ApprovalError(
      ApprovalErrorCode.REVIEWER_GROUP_REQUIRED,
      `Reviewing this change request needs membership of group ${group}, and you are not a member. Ask a member of that group to review it, or a platform admin to add you to the group.`,
      { reviewerGroupId: request.reviewerGroupId, reviewerGroupName: request.reviewerGroupName },
    );
  }

  private async lock(tx: EntityManager, id: string): Promise<ChangeRequestEntity | null> {
    if (!isUuid(id)) return null;
    return tx.getRepository(ChangeRequestEntity).createQueryBuilder('r').setLock('pessimistic_write').where('r.id = :id', { id }).getOne();
  }

  private async lockVisible(tx: EntityManager, caller: Caller, id: string): Promise<ChangeRequestEntity> {
    const request = await this.lock(tx, id);
    if (!request || !this.canSee(caller, request)) throw notFound(id);
    return request;
  }

  /** Marks a locked pending request EXPIRED if its time is up; true when it is (or already was) expired. */
  private async expireIfDue(tx: EntityManager, notices: ChangeRequestEventNotice[], request: ChangeRequestEntity, now: Date): Promise<boolean> {
    if (request.status === 'EXPIRED') return true;
    if (request.status !== 'PENDING' || request.expiresAt.getTime() > now.getTime()) return false;
    await this.transition(tx, notices, request, { status: 'EXPIRED', decidedAt: now }, 'expired', null, `expired at ${request.expiresAt.toISOString()}`, now);
    return true;
  }

  /** Updates a locked request's status (and other fields) and records the event. */
  private async transition(
    tx: EntityManager,
    notices: ChangeRequestEventNotice[],
    request: ChangeRequestEntity,
    fields: Partial<Pick<ChangeRequestEntity, 'status' | 'approvalCount' | 'decidedAt' | 'appliedAt' | 'result' | 'failure'>> & { status: ChangeRequestStatus },
    kind: ChangeRequestEventKind,
    actorId: string | null,
    detail: string,
    at: Date,
  ): Promise<void> {
    const from = request.status;
    await tx.getRepository(ChangeRequestEntity).update({ id: request.id }, fields as QueryDeepPartialEntity<ChangeRequestEntity>);
    Object.assign(request, fields);
    await this.recordEvent(tx, notices, request, kind, from, fields.status, actorId, detail, at);
  }

  private async recordEvent(
    tx: EntityManager,
    notices: ChangeRequestEventNotice[],
    request: ChangeRequestEntity,
    kind: ChangeRequestEventKind,
    fromStatus: ChangeRequestStatus | null,
    toStatus: ChangeRequestStatus,
    actorId: string | null,
    detail: string,
    at: Date,
  ): Promise<void> {
    const [row] = (await tx.query(
      'INSERT INTO change_request_events (request_id, kind, from_status, to_status, actor_id, detail, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [request.id, kind, fromStatus, toStatus, actorId, detail, at],
    )) as { id: string }[];
    notices.push({
      eventId: String(row!.id),
      requestId: request.id,
      projectId: request.projectId,
      action: request.action,
      targetType: request.targetType,
      targetId: request.targetId,
      kind,
      fromStatus,
      toStatus,
      actorId,
      detail,
      at,
    });
  }

  /** Hands committed events to `onEvent`, in order; a failing listener is logged, never undoes anything. */
  /** Calls `listener` with every change request event of this process, after the one given as `onEvent`. */
  subscribe(listener: (notice: ChangeRequestEventNotice) => Promise<void> | void): void {
    this.listeners.push(listener);
  }

  private async emit(notices: readonly ChangeRequestEventNotice[]): Promise<void> {
    const listeners = [...(this.options.onEvent ? [this.options.onEvent] : []), ...this.listeners];
    for (const notice of notices) {
      for (const listener of listeners) {
        try {
          await listener(notice);
        } catch (err) {
          this.log.error({ err, changeRequest: notice.requestId, event: notice.kind }, 'change request event listener failed');
        }
      }
    }
  }

  private async enqueueApply(requestId: string): Promise<void> {
    try {
      await this.queue.enqueue(APPLY_CHANGE_REQUEST_JOB, { requestId }, { jobId: requestId, attempts: 3 });
    } catch (err) {
      // The approval is committed; the sweep enqueues the job again later.
      this.log.error({ err, changeRequest: requestId }, 'could not enqueue the apply job; the sweep will retry');
    }
  }

  /** The author as a caller with their current permissions: `options.resolveCaller`, else their user record and direct memberships. */
  private async callerFor(userId: string, requestId: string): Promise<Caller | null> {
    if (this.options.resolveCaller) return this.options.resolveCaller(userId, `change-request-${requestId}`);
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: userId });
    if (!user) return null;
    const memberships = await this.db.getRepository(MembershipEntity).find({ where: { userId } });
    const principal: Principal = {
      userId: user.id,
      userName: user.name,
      isPlatformAdmin: user.isPlatformAdmin,
      tokenId: `change-request-${requestId}`,
      memberships: new Map(memberships.map((m) => [m.projectId, m.role])),
    };
    return { principal, ability: defineAbilityFor(principal) };
  }
}

function viewOf(row: ChangeRequestEntity): ChangeRequestView {
  return Object.freeze({
    id: row.id,
    projectId: row.projectId,
    action: row.action,
    targetType: row.targetType,
    targetId: row.targetId,
    payload: structuredClone(row.payload),
    precondition: structuredClone(row.precondition),
    summary: row.summary,
    authorId: row.authorId,
  });
}

function assertPending(request: ChangeRequestEntity, verb: string): void {
  if (request.status === 'EXPIRED') throw expiredError(request);
  if (request.status !== 'PENDING') {
    throw new ApprovalError(ApprovalErrorCode.NOT_PENDING, `This change request is ${request.status}, so it can no longer be ${verb}; only PENDING requests can.`, {
      requestId: request.id,
      status: request.status,
    });
  }
}

function expiredError(request: ChangeRequestEntity): ApprovalError {
  return new ApprovalError(
    ApprovalErrorCode.REQUEST_EXPIRED,
    `This change request expired at ${request.expiresAt.toISOString()} before it had enough approvals; submit the change again.`,
    { requestId: request.id, expiresAt: request.expiresAt.toISOString() },
  );
}

function alreadyReviewed(earlier: ChangeRequestReviewEntity | null): ApprovalError {
  const what = earlier ? ` (you ${earlier.decision === 'APPROVE' ? 'approved' : 'rejected'} it at ${earlier.createdAt.toISOString()})` : '';
  return new ApprovalError(ApprovalErrorCode.ALREADY_REVIEWED, `You already reviewed this change request${what}; each reviewer reviews a request once.`);
}

function notFound(id: string): ApprovalError {
  return new ApprovalError(ApprovalErrorCode.CHANGE_REQUEST_NOT_FOUND, `No change request with id ${String(id).slice(0, 64)} is visible to you.`);
}

function decodeTimeCursor(cursor: string): [string, string] {
  const [at, id] = decodeCursor(cursor, 2, ['string', 'uuid']) as [string, string];
  if (Number.isNaN(Date.parse(at))) {
    throw new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, 'The `after` cursor is not one this API returned; pass an endCursor from a previous page.', { field: 'after' });
  }
  return [at, id];
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function describePolicy(
  policy: Pick<ValidPolicy, 'projectId' | 'actions' | 'requiredApprovals' | 'reviewerRole' | 'reviewerGroupId' | 'expiresAfterHours'>,
  groupName: string | null,
): string {
  const role = policy.reviewerRole === 'platform-admin' ? 'platform admins' : `${policy.reviewerRole} or above`;
  const who = policy.reviewerGroupId === null ? role : `${role} in group "${groupName ?? policy.reviewerGroupId}"`;
  const scope = policy.projectId === null ? 'platform-wide' : `project ${policy.projectId}`;
  return `${policy.actions.join(', ')} need ${policy.requiredApprovals} approval(s) from ${who}, expiring after ${policy.expiresAfterHours} h (${scope})`;
}
