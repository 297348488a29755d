import type { Caller } from '../../domain/identity.service';
import { PROJECT_ROLES, type ProjectRole } from '../../domain/roles';

/** The changes an approval policy can put behind a review. */
export enum ApprovalAction {
  /** Creating a deployment; covered only when the new deployment is production. */
  DEPLOYMENT_CREATE = 'deployment.create',
  /** Serving another model version on a production deployment. */
  DEPLOYMENT_REPLACE_VERSION = 'deployment.replace-version',
  /** Changing the traffic policy (champion, canary, shadow) of a production deployment. */
  DEPLOYMENT_TRAFFIC = 'deployment.traffic',
  /** Deleting a production deployment. */
  DEPLOYMENT_DELETE = 'deployment.delete',
  /** Editing policies: creating or deleting an approval policy, and creating, changing or deleting an access rule. */
  POLICY_EDIT = 'policy.edit',
}

export const APPROVAL_ACTIONS: readonly ApprovalAction[] = Object.values(ApprovalAction);

export function isApprovalAction(value: unknown): value is ApprovalAction {
  return typeof value === 'string' && (APPROVAL_ACTIONS as readonly string[]).includes(value);
}

/** Deployment actions are covered only when the deployment is (or will be) production. */
export function isDeploymentAction(action: ApprovalAction): boolean {
  return action.startsWith('deployment.');
}

/** Who may review: a project role (or any above it) in the request's project, or platform admins only. */
export type ReviewerRole = ProjectRole | 'platform-admin';

/** Lowest first. */
export const REVIEWER_ROLES: readonly ReviewerRole[] = ['viewer', 'data-scientist', 'ml-engineer', 'admin', 'platform-admin'];

export function isReviewerRole(value: unknown): value is ReviewerRole {
  return typeof value === 'string' && (REVIEWER_ROLES as readonly string[]).includes(value);
}

/** Position in REVIEWER_ROLES; a higher rank includes every lower one. */
export function reviewerRank(role: ReviewerRole): number {
  return REVIEWER_ROLES.indexOf(role);
}

// Keep the project roles and the reviewer roles in step: every project role must be rankable.
if (!PROJECT_ROLES.every((r) => isReviewerRole(r))) throw new Error('REVIEWER_ROLES must list every project role');

export const CHANGE_REQUEST_STATUSES = ['PENDING', 'APPROVED', 'REJECTED', 'EXPIRED', 'APPLIED', 'FAILED', 'STALE', 'CANCELLED'] as const;
export type ChangeRequestStatus = (typeof CHANGE_REQUEST_STATUSES)[number];

export function isChangeRequestStatus(value: unknown): value is ChangeRequestStatus {
  return typeof value === 'string' && (CHANGE_REQUEST_STATUSES as readonly string[]).includes(value);
}

export const REVIEW_DECISIONS = ['APPROVE', 'REJECT'] as const;
export type ReviewDecision = (typeof REVIEW_DECISIONS)[number];

/**
 * What happened to a change request. `review-approved` is an approval that did not yet reach
 * the required count (the status stays PENDING); the approval that reaches it is `approved`.
 */
export const CHANGE_REQUEST_EVENT_KINDS = ['created', 'review-approved', 'approved', 'rejected', 'cancelled', 'expired', 'stale', 'applied', 'failed'] as const;
export type ChangeRequestEventKind = (typeof CHANGE_REQUEST_EVENT_KINDS)[number];

/** The requirement that results from the policies covering one action in one project. */
export interface ApprovalRequirement {
  readonly requiredApprovals: number;
  readonly reviewerRole: ReviewerRole;
  /** When set, a reviewer must also be a member of this group (checked at review time). */
  readonly reviewerGroupId: string | null;
  readonly expiresAfterHours: number;
  /** The policies it was combined from (all of one scope: the project's own, else the platform-wide ones). */
  readonly policyIds: readonly string[];
}

/** The fields of a change request an applier reads. */
export interface ChangeRequestView {
  readonly id: string;
  readonly projectId: string | null;
  readonly action: ApprovalAction;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly payload: Record<string, unknown>;
  readonly precondition: Record<string, unknown>;
  readonly summary: string;
  readonly authorId: string;
}

export type PreconditionResult = { readonly ok: true } | { readonly ok: false; readonly reason: string };

/** Whom an approved change is applied for. */
export interface ActingAs {
  readonly authorId: string;
  /** Users whose approvals made the request APPROVED, in the order they approved. */
  readonly approverIds: readonly string[];
  /**
   * The author as a caller, built from their current user record and memberships (not from a
   * token): an applier that calls a domain service with it applies the change with the author's
   * permissions as they are now, so an author who lost their role meanwhile is refused.
   */
  readonly author: Caller;
}

/**
 * Applies one kind of approved change. Registered once per action with
 * `ApprovalService.registerApplier`. It must not go through `gate` again.
 */
export interface ChangeApplier {
  /** Whether what the approvers saw still holds (e.g. the deployment's revision is unchanged). */
  checkPrecondition(request: ChangeRequestView): Promise<PreconditionResult> | PreconditionResult;
  /** Applies `request.payload`; the value returned is stored as the request's result (JSON). A throw marks the request FAILED. */
  apply(request: ChangeRequestView, actingAs: ActingAs): Promise<unknown>;
}

/** One state change of a change request, as given to `onEvent` (for the audit trail). */
export interface ChangeRequestEventNotice {
  readonly eventId: string;
  readonly requestId: string;
  readonly projectId: string | null;
  readonly action: ApprovalAction;
  readonly targetType: string;
  readonly targetId: string | null;
  readonly kind: ChangeRequestEventKind;
  readonly fromStatus: ChangeRequestStatus | null;
  readonly toStatus: ChangeRequestStatus;
  /** null when the system did it (expiry, applying). */
  readonly actorId: string | null;
  readonly detail: string;
  readonly at: Date;
}
