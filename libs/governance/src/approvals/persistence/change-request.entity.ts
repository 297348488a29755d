import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { ApprovalAction, ChangeRequestEventKind, ChangeRequestStatus, ReviewDecision, ReviewerRole } from '../domain/approval.types';

@Entity({ name: 'change_requests' })
export class ChangeRequestEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** null only for edits of platform-wide policies. */
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId!: string | null;
  @Column({ type: 'text' }) action!: ApprovalAction;
  @Column({ name: 'target_type', type: 'text' }) targetType!: string;
  @Column({ name: 'target_id', type: 'text', nullable: true }) targetId!: string | null;
  /** The exact input the applier will apply. */
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  /** What must still hold when applying, e.g. { deploymentRevision: 3 }. */
  @Column({ type: 'jsonb' }) precondition!: Record<string, unknown>;
  @Column({ type: 'text' }) summary!: string;
  @Column({ type: 'text' }) status!: ChangeRequestStatus;
  @Column({ name: 'author_id', type: 'uuid' }) authorId!: string;
  @Column({ name: 'required_approvals', type: 'integer' }) requiredApprovals!: number;
  @Column({ name: 'reviewer_role', type: 'text' }) reviewerRole!: ReviewerRole;
  /** Reviewers must also be members of this group (frozen at creation); null: no group, or the group was deleted after the request was decided. */
  @Column({ name: 'reviewer_group_id', type: 'uuid', nullable: true }) reviewerGroupId!: string | null;
  /** The group's name when the request was created; kept when the group is deleted later. */
  @Column({ name: 'reviewer_group_name', type: 'text', nullable: true }) reviewerGroupName!: string | null;
  /** Approvals so far; kept in step with the reviews under the request's row lock. */
  @Column({ name: 'approval_count', type: 'integer', default: 0 }) approvalCount!: number;
  @Column({ name: 'policy_ids', type: 'uuid', array: true }) policyIds!: string[];
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'decided_at', type: 'timestamptz', nullable: true }) decidedAt!: Date | null;
  @Column({ name: 'applied_at', type: 'timestamptz', nullable: true }) appliedAt!: Date | null;
  @Column({ type: 'jsonb', nullable: true }) result!: unknown;
  /** Why it FAILED or went STALE. */
  @Column({ type: 'text', nullable: true }) failure!: string | null;
}

@Entity({ name: 'change_request_reviews' })
export class ChangeRequestReviewEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'request_id', type: 'uuid' }) requestId!: string;
  @Column({ name: 'reviewer_id', type: 'uuid' }) reviewerId!: string;
  @Column({ type: 'text' }) decision!: ReviewDecision;
  @Column({ type: 'text', default: '' }) comment!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity({ name: 'change_request_events' })
export class ChangeRequestEventEntity {
  @PrimaryColumn({ type: 'bigint', generated: 'increment' }) id!: string;
  @Column({ name: 'request_id', type: 'uuid' }) requestId!: string;
  @Column({ type: 'text' }) kind!: ChangeRequestEventKind;
  @Column({ name: 'from_status', type: 'text', nullable: true }) fromStatus!: ChangeRequestStatus | null;
  @Column({ name: 'to_status', type: 'text' }) toStatus!: ChangeRequestStatus;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId!: string | null;
  @Column({ type: 'text', default: '' }) detail!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}
