import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ApprovalAction, ReviewerRole } from '../domain/approval.types';

@Entity({ name: 'approval_policies' })
export class ApprovalPolicyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  /** null: platform-wide. */
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId!: string | null;
  @Column({ type: 'text', array: true }) actions!: ApprovalAction[];
  @Column({ name: 'required_approvals', type: 'integer' }) requiredApprovals!: number;
  @Column({ name: 'reviewer_role', type: 'text' }) reviewerRole!: ReviewerRole;
  /** Reviewers must also be members of this group; null: any user with the role. */
  @Column({ name: 'reviewer_group_id', type: 'uuid', nullable: true }) reviewerGroupId!: string | null;
  @Column({ name: 'expires_after_hours', type: 'integer' }) expiresAfterHours!: number;
  @Column({ type: 'text', default: '' }) description!: string;
  @Column({ name: 'created_by', type: 'uuid' }) createdBy!: string;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
