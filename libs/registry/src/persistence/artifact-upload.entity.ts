import { Column, CreateDateColumn, Entity, PrimaryColumn } from 'typeorm';

export type UploadStatus = 'PENDING' | 'RECEIVED' | 'VERIFYING' | 'CONSUMED' | 'REJECTED' | 'EXPIRED';

const bigintAsNumber = { to: (v: number) => v, from: (v: string | null) => (v === null ? null : Number(v)) };

@Entity({ name: 'artifact_uploads' })
export class ArtifactUploadEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ name: 'created_by', type: 'uuid' }) createdBy!: string;
  @Column({ name: 'expected_size', type: 'bigint', transformer: bigintAsNumber }) expectedSize!: number;
  @Column({ name: 'expected_sha256', type: 'char', length: 64 }) expectedSha256!: string;
  @Column({ type: 'text' }) status!: UploadStatus;
  @Column({ type: 'text', nullable: true }) failure!: string | null;
  @Column({ name: 'version_id', type: 'uuid', nullable: true }) versionId!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'expires_at', type: 'timestamptz' }) expiresAt!: Date;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
}

export { bigintAsNumber };
