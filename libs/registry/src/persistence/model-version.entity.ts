import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Lineage, ModelFormat, OnnxDetails, Signature } from '../domain/registry.types';
import { bigintAsNumber } from './artifact-upload.entity';

@Entity({ name: 'model_versions' })
export class ModelVersionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'integer' }) version!: number;
  @Column({ type: 'text', default: '' }) description!: string;
  @Column({ type: 'text', array: true, default: () => "'{}'" }) tags!: string[];
  @Column({ type: 'text' }) format!: ModelFormat;
  @Column({ name: 'artifact_sha256', type: 'char', length: 64 }) artifactSha256!: string;
  @Column({ name: 'artifact_size', type: 'bigint', transformer: bigintAsNumber }) artifactSize!: number;
  @Column({ name: 'artifact_key', type: 'text' }) artifactKey!: string;
  @Column({ type: 'jsonb', nullable: true }) signature!: Signature | null;
  @Column({ type: 'jsonb', nullable: true }) onnx!: OnnxDetails | null;
  @Column({ type: 'jsonb', default: () => "'{}'" }) lineage!: Lineage;
  @Column({ name: 'upload_id', type: 'uuid' }) uploadId!: string;
  @Column({ name: 'created_by', type: 'uuid' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}
