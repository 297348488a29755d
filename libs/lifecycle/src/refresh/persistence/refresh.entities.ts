import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { RefreshAction, RefreshRunState, RefreshTriggerKind } from '../domain/refresh-policy';

/** When and how a deployment's model is refreshed: one policy per deployment. */
@Entity({ name: 'refresh_policies' })
export class RefreshPolicyEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'boolean' }) enabled!: boolean;
  @Column({ name: 'schedule_every_hours', type: 'integer', nullable: true }) scheduleEveryHours!: number | null;
  /** Where the schedule counts from before the first run: when it was last set. */
  @Column({ name: 'schedule_since', type: 'timestamptz', nullable: true }) scheduleSince!: Date | null;
  @Column({ name: 'on_drift_red', type: 'boolean' }) onDriftRed!: boolean;
  @Column({ name: 'accuracy_metric', type: 'text', nullable: true }) accuracyMetric!: string | null;
  @Column({ name: 'accuracy_threshold', type: 'double precision', nullable: true }) accuracyThreshold!: number | null;
  @Column({ name: 'max_model_age_days', type: 'integer', nullable: true }) maxModelAgeDays!: number | null;
  @Column({ name: 'min_interval_minutes', type: 'integer' }) minIntervalMinutes!: number;
  @Column({ type: 'text' }) action!: RefreshAction;
  @Column({ name: 'webhook_url', type: 'text', nullable: true }) webhookUrl!: string | null;
  /** Never leaves the server after it was shown once. */
  @Column({ name: 'webhook_secret', type: 'text', nullable: true }) webhookSecret!: string | null;
  @Column({ name: 'data_window_days', type: 'integer' }) dataWindowDays!: number;
  /** When the last run started: the minimum interval counts from here (and the schedule). */
  @Column({ name: 'last_run_at', type: 'timestamptz', nullable: true }) lastRunAt!: Date | null;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_by', type: 'uuid', nullable: true }) updatedBy!: string | null;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
}

/** One request for a new model: why, for which champion and data window, and how far it got. */
@Entity({ name: 'refresh_runs' })
export class RefreshRunEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'policy_id', type: 'uuid', nullable: true }) policyId!: string | null;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @Column({ name: 'champion_version_id', type: 'uuid', nullable: true }) championVersionId!: string | null;
  @Column({ name: 'trigger_kind', type: 'text' }) triggerKind!: RefreshTriggerKind;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'window_from', type: 'timestamptz' }) windowFrom!: Date;
  @Column({ name: 'window_to', type: 'timestamptz' }) windowTo!: Date;
  @Column({ type: 'text' }) action!: RefreshAction;
  @Column({ type: 'text' }) state!: RefreshRunState;
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'response_status', type: 'integer', nullable: true }) responseStatus!: number | null;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  @Column({ name: 'new_version_id', type: 'uuid', nullable: true }) newVersionId!: string | null;
  @Column({ name: 'requested_by', type: 'uuid', nullable: true }) requestedBy!: string | null;
  /** The body every try sends (and the job carries). */
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'failed_at', type: 'timestamptz', nullable: true }) failedAt!: Date | null;
}

/** A deployment needs attention because an alert of this kind is open; cleared when it resolves. */
@Entity({ name: 'deployment_attention' })
export class DeploymentAttentionEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  /** The alert kind: DRIFT_STATUS, ACCURACY or MISSING_ACTUALS. */
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'text' }) reason!: string;
  @Column({ name: 'alert_id', type: 'uuid', nullable: true }) alertId!: string | null;
  @Column({ type: 'timestamptz' }) since!: Date;
  @Column({ name: 'cleared_at', type: 'timestamptz', nullable: true }) clearedAt!: Date | null;
}

