/** Approval workflows: policies, change requests, reviews, applying approved changes. */
export {
  ApprovalService,
  APPLY_CHANGE_REQUEST_JOB,
  type ApplyJobQueue,
  type ApprovalServiceOptions,
  type BacklogQuery,
  type ChangeRequestQuery,
  type GateInput,
  type GateResult,
  type PolicyCreation,
  type PolicyDeletion,
  type ReviewInput,
} from './domain/approval.service';
export {
  registerApprovalJobs,
  enqueueChangeRequestSweep,
  SWEEP_CHANGE_REQUESTS_JOB,
  CHANGE_REQUEST_SWEEP_INTERVAL_MS,
  type ApplyChangeRequestJob,
} from './domain/approval.jobs';
export {
  ApprovalAction,
  APPROVAL_ACTIONS,
  CHANGE_REQUEST_EVENT_KINDS,
  CHANGE_REQUEST_STATUSES,
  REVIEW_DECISIONS,
  REVIEWER_ROLES,
  isApprovalAction,
  isChangeRequestStatus,
  isDeploymentAction,
  isReviewerRole,
  type ActingAs,
  type ApprovalRequirement,
  type ChangeApplier,
  type ChangeRequestEventKind,
  type ChangeRequestEventNotice,
  type ChangeRequestStatus,
  type ChangeRequestView,
  type PreconditionResult,
  type ReviewDecision,
  type ReviewerRole,
} from './domain/approval.types';
export { ApprovalError, ApprovalErrorCode } from './domain/approval.errors';
export {
  DEFAULT_EXPIRY_HOURS,
  MAX_APPROVALS,
  MAX_EXPIRY_HOURS,
  MIN_APPROVALS,
  MIN_EXPIRY_HOURS,
  validatePolicyInput,
  type ApprovalPolicyInput,
  type ValidPolicy,
} from './domain/approval.rules';
export {
  approvalEntities,
  approvalMigrations,
  ApprovalPolicyEntity,
  ChangeRequestEntity,
  ChangeRequestEventEntity,
  ChangeRequestReviewEntity,
  GovernanceApprovals1795800400000,
  GovernanceApprovalReviewerGroups1795800700000,
} from './persistence';
