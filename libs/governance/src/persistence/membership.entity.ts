import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';
import type { ProjectRole } from '../domain/roles';

@Entity({ name: 'project_memberships' })
export class MembershipEntity {
  @PrimaryColumn({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @PrimaryColumn({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ type: 'text' }) role!: ProjectRole;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
