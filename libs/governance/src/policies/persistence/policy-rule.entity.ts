import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { ProjectRole } from '../../domain/roles';

/** One stored policy rule (see policies.migrations.ts). Mapped to `PolicyRule` by the service, never exposed. */
@Entity({ name: 'policy_rules' })
export class PolicyRuleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ type: 'text' }) role!: ProjectRole;
  @Column({ name: 'project_id', type: 'uuid', nullable: true }) projectId!: string | null;
  @Column({ type: 'text' }) effect!: 'can' | 'cannot';
  @Column({ type: 'text', array: true }) actions!: string[];
  @Column({ type: 'text' }) subject!: string;
  @Column({ type: 'text', array: true, nullable: true }) fields!: string[] | null;
  @Column({ type: 'jsonb', nullable: true }) conditions!: Record<string, unknown> | null;
  @Column({ type: 'text', default: '' }) reason!: string;
  @Column({ type: 'integer', default: 0 }) priority!: number;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
}
