import { Column, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

@Entity({ name: 'model_aliases' })
export class ModelAliasEntity {
  @PrimaryColumn({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @PrimaryColumn({ type: 'text' }) alias!: string;
  @Column({ name: 'version_id', type: 'uuid' }) versionId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ name: 'updated_by', type: 'uuid' }) updatedBy!: string;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

@Entity({ name: 'model_alias_events' })
export class ModelAliasEventEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' }) id!: string;
  @Column({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @Column({ type: 'text' }) alias!: string;
  @Column({ name: 'from_version_id', type: 'uuid', nullable: true }) fromVersionId!: string | null;
  @Column({ name: 'to_version_id', type: 'uuid', nullable: true }) toVersionId!: string | null;
  @Column({ name: 'actor_id', type: 'uuid' }) actorId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
}
