import { isUuid } from '@modelport/database';
import { ApprovalError, ApprovalErrorCode } from './approval.errors';
import {
  APPROVAL_ACTIONS,
  isApprovalAction,
  isReviewerRole,
  REVIEWER_ROLES,
  reviewerRank,
  type ApprovalAction,
  type ApprovalRequirement,
  type ReviewerRole,
} from './approval.types';

export const MIN_APPROVALS = 1;
export const MAX_APPROVALS = 10;
export const MIN_EXPIRY_HOURS = 1;
/** 30 days: a change nobody reviewed in a month is better submitted again. */
export const MAX_EXPIRY_HOURS = 720;
export const DEFAULT_EXPIRY_HOURS = 72;
export const MAX_DESCRIPTION_LENGTH = 500;
export const MAX_SUMMARY_LENGTH = 500;
export const MAX_COMMENT_LENGTH = 2000;
export const MAX_PAYLOAD_BYTES = 64 * 1024;
export const MAX_PRECONDITION_BYTES = 16 * 1024;

export interface ApprovalPolicyInput {
  /** null or absent: platform-wide. */
  readonly projectId?: string | null;
  readonly actions: readonly string[];
  readonly requiredApprovals: number;
  readonly reviewerRole: string;
  /** Reviewers must also be members of this group (its id); null or absent: any user with the role. */
  readonly reviewerGroupId?: string | null;
  /** Hours a request stays open for review; default 72. */
  readonly expiresAfterHours?: number | null;
  readonly description?: string | null;
}

export interface ValidPolicy {
  readonly projectId: string | null;
  readonly actions: ApprovalAction[];
  readonly requiredApprovals: number;
  readonly reviewerRole: ReviewerRole;
  readonly reviewerGroupId: string | null;
  readonly expiresAfterHours: number;
  readonly description: string;
}

function invalid(field: string, message: string): ApprovalError {
  return new ApprovalError(ApprovalErrorCode.INVALID_POLICY, message, { field });
}

/** Checks an approval policy's input; every refusal names the field and what is accepted. */
export function validatePolicyInput(input: ApprovalPolicyInput): ValidPolicy {
  const projectId = input.projectId ?? null;
  if (projectId !== null && !isUuid(projectId)) throw invalid('projectId', `"${String(projectId)}" is not a project id (a UUID); leave projectId empty for a platform-wide policy.`);

  if (!Array.isArray(input.actions) || input.actions.length === 0) {
    throw invalid('actions', `Name at least one action the policy covers: ${APPROVAL_ACTIONS.join(', ')}.`);
  }
  const actions: ApprovalAction[] = [];
  for (const action of input.actions) {
    if (!isApprovalAction(action)) throw invalid('actions', `Unknown action "${String(action).slice(0, 64)}"; use one of ${APPROVAL_ACTIONS.join(', ')}.`);
    if (!actions.includes(action)) actions.push(action);
  }

  const n = input.requiredApprovals;
  if (!Number.isInteger(n) || n < MIN_APPROVALS || n > MAX_APPROVALS) {
    throw invalid('requiredApprovals', `requiredApprovals must be a whole number from ${MIN_APPROVALS} to ${MAX_APPROVALS} (got ${String(n)}).`);
  }

  if (!isReviewerRole(input.reviewerRole)) {
    throw invalid(
      'reviewerRole',
      `Unknown reviewer role "${String(input.reviewerRole).slice(0, 64)}"; use one of ${REVIEWER_ROLES.filter((r) => r !== 'platform-admin').join(', ')} ` +
        '(that project role or any above it may review) or platform-admin (platform admins only).',
    );
  }

  const group = input.reviewerGroupId ?? null;
  if (group !== null && !isUuid(group)) {
    throw invalid('reviewerGroupId', `"${String(group).slice(0, 64)}" is not a group id (a UUID); pass the id of a group, or leave reviewerGroupId empty to let anyone with the role review.`);
  }
  const reviewerGroupId = group === null ? null : group.toLowerCase();

  const hours = input.expiresAfterHours ?? DEFAULT_EXPIRY_HOURS;
  if (!Number.isInteger(hours) || hours < MIN_EXPIRY_HOURS || hours > MAX_EXPIRY_HOURS) {
    throw invalid('expiresAfterHours', `expiresAfterHours must be a whole number of hours from ${MIN_EXPIRY_HOURS} to ${MAX_EXPIRY_HOURS} (30 days), got ${String(hours)}.`);
  }

  const description = (input.description ?? '').trim();
  if (description.length > MAX_DESCRIPTION_LENGTH) throw invalid('description', `description is ${description.length} characters long; at most ${MAX_DESCRIPTION_LENGTH} are allowed.`);

  return { projectId, actions, requiredApprovals: n, reviewerRole: input.reviewerRole, reviewerGroupId, expiresAfterHours: hours, description };
}

/** The fields of a stored policy the combination reads. */
export interface PolicyLike {
  readonly id: string;
  readonly projectId: string | null;
  readonly requiredApprovals: number;
  readonly reviewerRole: ReviewerRole;
  /** Absent or null: no reviewer group. */
  readonly reviewerGroupId?: string | null;
  readonly expiresAfterHours: number;
}

/**
 * The requirement for one action in one project from the policies that cover it: the
 * project's own policies win over the platform-wide ones; several policies of the winning
 * scope combine to the strictest (most approvals, highest reviewer role, shortest expiry,
 * and the reviewer group if any of them names one: a reviewer then needs the role *and* the
 * group). Policies of one scope covering one action never name two different groups: creating
 * such a policy is refused (POLICY_GROUP_CONFLICT); should stored policies still do (edited by
 * hand), this refuses too rather than pick one. null when nothing covers it.
 */
export function combinePolicies(policies: readonly PolicyLike[], projectId: string | null): ApprovalRequirement | null {
  const own = projectId === null ? [] : policies.filter((p) => p.projectId === projectId);
  const chosen = own.length > 0 ? own : policies.filter((p) => p.projectId === null);
  if (chosen.length === 0) return null;
  let reviewerRole = chosen[0]!.reviewerRole;
  for (const p of chosen) if (reviewerRank(p.reviewerRole) > reviewerRank(reviewerRole)) reviewerRole = p.reviewerRole;
  const grouped = chosen.filter((p) => p.reviewerGroupId);
  const groups = [...new Set(grouped.map((p) => p.reviewerGroupId!))];
  if (groups.length > 1) {
    throw new ApprovalError(
      ApprovalErrorCode.POLICY_GROUP_CONFLICT,
      `The approval policies ${grouped.map((p) => p.id).join(', ')} cover this change and name different reviewer groups (${groups.join(', ')}), ` +
        'so who may review it is ambiguous. An admin must delete all but one of them (or give them the same group).',
      { policyIds: grouped.map((p) => p.id), reviewerGroupIds: groups },
    );
  }
  return {
    requiredApprovals: Math.max(...chosen.map((p) => p.requiredApprovals)),
    reviewerRole,
    reviewerGroupId: groups[0] ?? null,
    expiresAfterHours: Math.min(...chosen.map((p) => p.expiresAfterHours)),
    policyIds: chosen.map((p) => p.id),
  };
}

/** Why `policy` asks less than `platform` does, or null when it asks at least as much. */
export function weakerThan(
  policy: Pick<ValidPolicy, 'requiredApprovals' | 'reviewerRole'> & { readonly reviewerGroupId?: string | null },
  platform: ApprovalRequirement,
): string | null {
  if (policy.requiredApprovals < platform.requiredApprovals) return `${policy.requiredApprovals} approval(s) instead of ${platform.requiredApprovals}`;
  if (reviewerRank(policy.reviewerRole) < reviewerRank(platform.reviewerRole)) return `reviewers from ${policy.reviewerRole} instead of ${platform.reviewerRole}`;
  const group = policy.reviewerGroupId ?? null;
  const required = platform.reviewerGroupId ?? null;
  if (required !== null && group !== required) {
    return group === null ? `reviewers from any group instead of group ${required}` : `reviewers from group ${group} instead of group ${required}`;
  }
  return null;
}

function invalidArgument(field: string, message: string): ApprovalError {
  return new ApprovalError(ApprovalErrorCode.INVALID_ARGUMENT, message, { field });
}

const TARGET_TYPE = /^[A-Za-z][A-Za-z0-9_.-]{0,63}$/;
const MAX_TARGET_ID_LENGTH = 200;

/** A JSON object as it will be stored (dates become strings), or a clear refusal. */
export function jsonObject(field: string, value: unknown, maxBytes: number): Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalidArgument(field, `${field} must be a JSON object.`);
  let text: string;
  try {
    text = JSON.stringify(value);
  } catch (err) {
    throw invalidArgument(field, `${field} cannot be stored as JSON: ${(err as Error).message}`);
  }
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) throw invalidArgument(field, `${field} is ${bytes} bytes as JSON; at most ${maxBytes} are allowed.`);
  return JSON.parse(text) as Record<string, unknown>;
}

export function validateTarget(targetType: unknown, targetId: unknown): { targetType: string; targetId: string | null } {
  if (typeof targetType !== 'string' || !TARGET_TYPE.test(targetType)) {
    throw invalidArgument('targetType', `targetType must be a type name such as "Deployment" (a letter, then letters, digits, _ . -, at most 64), got "${String(targetType).slice(0, 64)}".`);
  }
  if (targetId !== null && targetId !== undefined && (typeof targetId !== 'string' || targetId.length === 0 || targetId.length > MAX_TARGET_ID_LENGTH)) {
    throw invalidArgument('targetId', `targetId must be a non-empty string of at most ${MAX_TARGET_ID_LENGTH} characters, or null.`);
  }
  return { targetType, targetId: (targetId as string | null | undefined) ?? null };
}

export function validateSummary(summary: unknown): string {
  const text = typeof summary === 'string' ? summary.trim() : '';
  if (text.length === 0) throw invalidArgument('summary', 'A change request needs a summary that tells reviewers what will change.');
  if (text.length > MAX_SUMMARY_LENGTH) throw invalidArgument('summary', `summary is ${text.length} characters long; at most ${MAX_SUMMARY_LENGTH} are allowed.`);
  return text;
}

export function validateComment(comment: unknown, required: boolean): string {
  const text = typeof comment === 'string' ? comment.trim() : '';
  if (required && text.length === 0) throw invalidArgument('comment', 'A rejection needs a comment that tells the author why.');
  if (text.length > MAX_COMMENT_LENGTH) throw invalidArgument('comment', `comment is ${text.length} characters long; at most ${MAX_COMMENT_LENGTH} are allowed.`);
  return text;
}

/** A JSON value for the result column; anything JSON cannot hold is described instead of failing the apply. */
export function storableResult(value: unknown): unknown {
  if (value === undefined) return null;
  try {
    const text = JSON.stringify(value);
    return text === undefined ? null : (JSON.parse(text) as unknown);
  } catch (err) {
    return { unserializable: (err as Error).message };
  }
}
