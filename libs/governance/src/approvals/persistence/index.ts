import { ApprovalPolicyEntity } from './approval-policy.entity';
import { ChangeRequestEntity, ChangeRequestEventEntity, ChangeRequestReviewEntity } from './change-request.entity';

export { ApprovalPolicyEntity, ChangeRequestEntity, ChangeRequestEventEntity, ChangeRequestReviewEntity };
export { approvalMigrations, GovernanceApprovals1795800400000, GovernanceApprovalReviewerGroups1795800700000 } from './approvals.migrations';
export const approvalEntities = [ApprovalPolicyEntity, ChangeRequestEntity, ChangeRequestReviewEntity, ChangeRequestEventEntity];
