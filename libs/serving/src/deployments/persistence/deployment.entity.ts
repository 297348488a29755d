import { Column, CreateDateColumn, Entity, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import type { DeploymentState, PayloadLogging } from '../domain/deployment.types';

@Entity({ name: 'deployments' })
export class DeploymentEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  /** served: Modelport loads and serves the model; external: it runs elsewhere and its predictions are ingested. */
  @Column({ type: 'text', default: 'served' }) kind!: 'served' | 'external';
  @Column({ type: 'text' }) name!: string;
  @Column({ name: 'model_id', type: 'uuid' }) modelId!: string;
  @Column({ name: 'model_version_id', type: 'uuid' }) modelVersionId!: string;
  @Column({ name: 'source_alias', type: 'text', nullable: true }) sourceAlias!: string | null;
  @Column({ type: 'text' }) state!: DeploymentState;
  @Column({ type: 'text', nullable: true }) failure!: string | null;
  @Column({ name: 'requested_plugin', type: 'text', nullable: true }) requestedPlugin!: string | null;
  @Column({ name: 'plugin_name', type: 'text', nullable: true }) pluginName!: string | null;
  @Column({ name: 'model_key', type: 'text', nullable: true }) modelKey!: string | null;
  @Column({ name: 'runtime_config', type: 'jsonb', default: () => "'{}'" }) runtimeConfig!: Record<string, string>;
  @Column({ name: 'payload_logging', type: 'text' }) payloadLogging!: PayloadLogging;
  @Column({ name: 'payload_sample_rate', type: 'double precision' }) payloadSampleRate!: number;
  @Column({ name: 'max_batch_size', type: 'integer', nullable: true }) maxBatchSize!: number | null;
  @Column({ name: 'max_batch_delay_ms', type: 'integer', nullable: true }) maxBatchDelayMs!: number | null;
  @Column({ type: 'boolean', default: false }) production!: boolean;
  @Column({ type: 'integer', default: 1 }) revision!: number;
  @Column({ name: 'rollout_error', type: 'text', nullable: true }) rolloutError!: string | null;
  @Column({ name: 'created_by', type: 'uuid' }) createdBy!: string;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz' }) updatedAt!: Date;
  @Column({ name: 'ready_at', type: 'timestamptz', nullable: true }) readyAt!: Date | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
  @Column({ name: 'sticky_by', type: 'text', default: 'none' }) stickyBy!: 'none' | 'consumer' | 'request-parameter';
  @Column({ name: 'sticky_parameter', type: 'text', nullable: true }) stickyParameter!: string | null;
  /** The champion before the last promotion: where a rollback goes. */
  @Column({ name: 'previous_version_id', type: 'uuid', nullable: true }) previousVersionId!: string | null;
  /** Set after a promotion: until then the new champion is watched and rolled back automatically if it degrades. */
  @Column({ name: 'bake_until', type: 'timestamptz', nullable: true }) bakeUntil!: Date | null;
  @Column({ name: 'bake_settings', type: 'jsonb', nullable: true }) bakeSettings!: BakeSettings | null;
}

/** The thresholds a new champion must stay within during its bake period; null fields are not watched. */
export interface BakeSettings {
  readonly minutes: number;
  /** Share of failed requests (0..1) above which the promotion is rolled back. */
  readonly maxErrorRate: number | null;
  readonly maxP99LatencyMs: number | null;
  /** Roll back when the drift status reaches this (amber or red). */
  readonly rollbackOnDrift: 'amber' | 'red' | null;
  /** An accuracy metric and the value below (or for error metrics above) which to roll back. */
  readonly accuracyMetric: string | null;
  readonly accuracyThreshold: number | null;
  /** Fewest requests on the new champion before health thresholds are judged. */
  readonly minRequests: number;
  readonly promotedAt: string;
  readonly changeRequestId: string | null;
}

/** A version a deployment has loaded besides its champion: a canary, a shadow challenger, or the standby (the previous champion). */
@Entity({ name: 'deployment_versions' })
export class DeploymentVersionEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @PrimaryColumn({ name: 'model_version_id', type: 'uuid' }) modelVersionId!: string;
  @Column({ type: 'text' }) role!: 'canary' | 'shadow' | 'standby';
  @Column({ type: 'integer', default: 0 }) weight!: number;
  @Column({ type: 'text' }) state!: 'LOADING' | 'READY' | 'FAILED';
  @Column({ type: 'text', nullable: true }) failure!: string | null;
  @Column({ name: 'plugin_name', type: 'text', nullable: true }) pluginName!: string | null;
  @Column({ name: 'model_key', type: 'text', nullable: true }) modelKey!: string | null;
  @Column({ name: 'added_by', type: 'uuid', nullable: true }) addedBy!: string | null;
  @Column({ type: 'text', default: '' }) reason!: string;
  @Column({ name: 'added_at', type: 'timestamptz' }) addedAt!: Date;
}

@Entity({ name: 'deployment_events' })
export class DeploymentEventEntity {
  @PrimaryColumn({ type: 'bigint', generated: 'increment' }) id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ type: 'timestamptz' }) at!: Date;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'actor_id', type: 'uuid', nullable: true }) actorId!: string | null;
  @Column({ name: 'from_version_id', type: 'uuid', nullable: true }) fromVersionId!: string | null;
  @Column({ name: 'to_version_id', type: 'uuid', nullable: true }) toVersionId!: string | null;
  @Column({ type: 'text' }) detail!: string;
  /** The approved change request that made this change, when one did. */
  @Column({ name: 'change_request_id', type: 'uuid', nullable: true }) changeRequestId!: string | null;
  /** Why, in the words of whoever made the change (or of the watcher that rolled back). */
  @Column({ type: 'text', nullable: true }) reason!: string | null;
}
