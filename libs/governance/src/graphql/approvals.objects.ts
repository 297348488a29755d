import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import { ApprovalAction, type ReviewerRole } from '../approvals';
import type { ApprovalPolicyEntity, ChangeRequestEntity, ChangeRequestEventEntity, ChangeRequestReviewEntity } from '../approvals';

registerEnumType(ApprovalAction, { name: 'ApprovalAction', description: 'A change an approval policy can put behind review.' });

export enum ReviewDecisionValue {
  APPROVE = 'APPROVE',
  REJECT = 'REJECT',
}
registerEnumType(ReviewDecisionValue, { name: 'ReviewDecision' });

@ObjectType('ApprovalPolicy', { description: 'Which changes need approval, how many approvals, from whom, and for how long a request stays open.' })
export class ApprovalPolicyObject {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true, description: 'null: every project.' }) projectId!: string | null;
  @Field(() => [ApprovalAction]) actions!: ApprovalAction[];
  @Field(() => Int) requiredApprovals!: number;
  @Field(() => String, { description: 'viewer, data-scientist, ml-engineer, admin (or higher), or platform-admin.' }) reviewerRole!: ReviewerRole;
  @Field(() => ID, { nullable: true, description: 'Reviewers must also be members of this group; null: anyone with the role.' }) reviewerGroupId!: string | null;
  @Field(() => Int) expiresAfterHours!: number;
  @Field() description!: string;
  @Field(() => ID) createdBy!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: ApprovalPolicyEntity): ApprovalPolicyObject {
    return Object.assign(new ApprovalPolicyObject(), {
      id: e.id,
      projectId: e.projectId,
      actions: e.actions,
      requiredApprovals: e.requiredApprovals,
      reviewerRole: e.reviewerRole,
      reviewerGroupId: e.reviewerGroupId,
      expiresAfterHours: e.expiresAfterHours,
      description: e.description,
      createdBy: e.createdBy,
      createdAt: e.createdAt,
    });
  }
}

@ObjectType('ChangeRequest', { description: 'A change held back by an approval policy until enough reviewers approve it.' })
export class ChangeRequestObject {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) projectId!: string | null;
  @Field(() => ApprovalAction) action!: ApprovalAction;
  @Field() targetType!: string;
  @Field(() => String, { nullable: true }) targetId!: string | null;
  @Field() summary!: string;
  @Field({ description: 'PENDING, APPROVED, REJECTED, EXPIRED, APPLIED, FAILED, STALE or CANCELLED.' }) status!: string;
  @Field(() => ID) authorId!: string;
  @Field(() => Int) requiredApprovals!: number;
  @Field(() => Int) approvalCount!: number;
  @Field() reviewerRole!: string;
  @Field(() => ID, { nullable: true, description: 'Reviewers must also be members of this group (fixed when the request was made).' }) reviewerGroupId!: string | null;
  @Field(() => String, { nullable: true, description: 'The reviewer group’s name when the request was made; kept if the group is deleted after the request was decided.' })
  reviewerGroupName!: string | null;
  @Field({ description: 'The change as submitted, as JSON.' }) payloadJson!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime) expiresAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) decidedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) appliedAt!: Date | null;
  @Field(() => String, { nullable: true, description: 'Why it FAILED or went STALE.' }) failure!: string | null;

  static from(e: ChangeRequestEntity): ChangeRequestObject {
    return Object.assign(new ChangeRequestObject(), {
      id: e.id,
      projectId: e.projectId,
      action: e.action,
      targetType: e.targetType,
      targetId: e.targetId,
      summary: e.summary,
      status: e.status,
      authorId: e.authorId,
      requiredApprovals: e.requiredApprovals,
      approvalCount: e.approvalCount,
      reviewerRole: e.reviewerRole,
      reviewerGroupId: e.reviewerGroupId,
      reviewerGroupName: e.reviewerGroupName,
      payloadJson: JSON.stringify(e.payload),
      createdAt: e.createdAt,
      expiresAt: e.expiresAt,
      decidedAt: e.decidedAt,
      appliedAt: e.appliedAt,
      failure: e.failure,
    });
  }
}
export const ChangeRequestConnection = ConnectionType(ChangeRequestObject, 'ChangeRequest');

@ObjectType('ChangeRequestReview')
export class ChangeRequestReviewObject {
  @Field(() => ID) reviewerId!: string;
  @Field(() => ReviewDecisionValue) decision!: ReviewDecisionValue;
  @Field() comment!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: ChangeRequestReviewEntity): ChangeRequestReviewObject {
    return Object.assign(new ChangeRequestReviewObject(), { reviewerId: e.reviewerId, decision: e.decision as ReviewDecisionValue, comment: e.comment, createdAt: e.createdAt });
  }
}

@ObjectType('ChangeRequestEvent')
export class ChangeRequestEventObject {
  @Field() kind!: string;
  @Field(() => String, { nullable: true }) fromStatus!: string | null;
  @Field() toStatus!: string;
  @Field(() => ID, { nullable: true }) actorId!: string | null;
  @Field() detail!: string;
  @Field(() => GraphQLISODateTime) at!: Date;

  static from(e: ChangeRequestEventEntity): ChangeRequestEventObject {
    return Object.assign(new ChangeRequestEventObject(), { kind: e.kind, fromStatus: e.fromStatus, toStatus: e.toStatus, actorId: e.actorId, detail: e.detail, at: e.at });
  }
}

@ObjectType('ApprovalPolicyChange', { description: 'The policy, when the edit was done at once; or the change request, when an approval policy covers policy edits.' })
export class ApprovalPolicyChangeObject {
  @Field(() => ApprovalPolicyObject, { nullable: true }) policy!: ApprovalPolicyObject | null;
  @Field(() => Boolean, { nullable: true, description: 'For deletions: whether it was deleted now.' }) deleted!: boolean | null;
  @Field(() => ChangeRequestObject, { nullable: true }) changeRequest!: ChangeRequestObject | null;
}

@InputType()
export class CreateApprovalPolicyInput {
  @Field(() => ID, { nullable: true, description: 'Leave out for a platform-wide policy (platform admins only).' }) projectId?: string | null;
  @Field(() => [ApprovalAction]) actions!: ApprovalAction[];
  @Field(() => Int) requiredApprovals!: number;
  @Field({ description: 'viewer, data-scientist, ml-engineer, admin or platform-admin: reviewers need this role or higher in the project.' }) reviewerRole!: string;
  @Field(() => ID, {
    nullable: true,
    description:
      'Reviewers must also be members of this group. Policies of one scope that cover the same action must name the same group (or none); the group then applies to all of them.',
  })
  reviewerGroupId?: string | null;
  @Field(() => Int, { nullable: true }) expiresAfterHours?: number | null;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class ReviewChangeRequestInput {
  @Field(() => ID) requestId!: string;
  @Field(() => ReviewDecisionValue) decision!: ReviewDecisionValue;
  @Field(() => String, { nullable: true, description: 'Required when rejecting.' }) comment?: string | null;
}
