import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type ReplayRunState = 'QUEUED' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'CANCELLED';
export const REPLAY_RUN_STATES: readonly ReplayRunState[] = ['QUEUED', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED'];

/** One replay: a version scoring the stored inputs of a deployment's live predictions over a window. */
@Entity({ name: 'replay_runs' })
export class ReplayRunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  /** The version replayed (the challenger). */
  @Column({ name: 'version_id', type: 'uuid' }) versionId!: string;
  /** The deployment's champion when the run was started. */
  @Column({ name: 'champion_version_id', type: 'uuid', nullable: true }) championVersionId!: string | null;
  @Column({ name: 'window_from', type: 'timestamptz' }) windowFrom!: Date;
  @Column({ name: 'window_to', type: 'timestamptz' }) windowTo!: Date;
  @Column({ name: 'max_rows', type: 'integer' }) maxRows!: number;
  @Column({ type: 'text' }) state!: ReplayRunState;
  /** Live predictions to replay: the eligible ones in the window, at most maxRows; null until counted. */
  @Column({ type: 'integer', nullable: true }) total!: number | null;
  /** Replayed so far, failed ones included. */
  @Column({ type: 'integer', default: 0 }) done!: number;
  /** Replayed rows the version failed on. */
  @Column({ type: 'integer', default: 0 }) failed!: number;
  /** Why the run failed (or the last failed try's error while it is retried). */
  @Column({ type: 'text', nullable: true }) error!: string | null;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true }) startedAt!: Date | null;
  @Column({ name: 'finished_at', type: 'timestamptz', nullable: true }) finishedAt!: Date | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}
