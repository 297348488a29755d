import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * The health of one deployment, minute and model version (see health.migrations.ts). Written
 * and read with SQL (upserts that add, histogram sums); the entities describe the tables.
 */
@Entity({ name: 'deployment_health_minutes' })
export class DeploymentHealthMinuteEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @PrimaryColumn({ type: 'timestamptz' }) minute!: Date;
  /** The model version id, or the nil UUID for requests that failed before a version was chosen. */
  @PrimaryColumn({ name: 'model_version_key', type: 'uuid' }) modelVersionKey!: string;
  @Column({ type: 'bigint' }) requests!: string;
  @Column({ type: 'bigint' }) predictions!: string;
  @Column({ name: 'errors_4xx', type: 'bigint' }) errors4xx!: string;
  @Column({ name: 'errors_5xx', type: 'bigint' }) errors5xx!: string;
  @Column({ name: 'latency_sum_us', type: 'bigint' }) latencySumUs!: string;
  @Column({ name: 'latency_max_us', type: 'integer' }) latencyMaxUs!: number;
  /** Counts per latency bucket; subscripts are bucket numbers (read it with generate_subscripts, not as a JS array). */
  @Column({ name: 'latency_histogram', type: 'integer', array: true }) latencyHistogram!: number[];
}

/** One caller seen by a deployment in a minute, per model version. */
@Entity({ name: 'deployment_consumer_minutes' })
export class DeploymentConsumerMinuteEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @PrimaryColumn({ type: 'timestamptz' }) minute!: Date;
  @PrimaryColumn({ name: 'model_version_key', type: 'uuid' }) modelVersionKey!: string;
  @PrimaryColumn({ name: 'consumer_id', type: 'uuid' }) consumerId!: string;
}

/** Running totals of one deployment since its first request: the Prometheus counters. */
@Entity({ name: 'deployment_health_totals' })
export class DeploymentHealthTotalsEntity {
  @PrimaryColumn({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  /** The name in the latest rollup write (the metrics label). */
  @Column({ name: 'deployment_name', type: 'text' }) deploymentName!: string;
  @Column({ type: 'bigint' }) requests!: string;
  @Column({ type: 'bigint' }) predictions!: string;
  @Column({ name: 'errors_4xx', type: 'bigint' }) errors4xx!: string;
  @Column({ name: 'errors_5xx', type: 'bigint' }) errors5xx!: string;
  @Column({ name: 'last_minute', type: 'timestamptz' }) lastMinute!: Date;
}

/** A rollup write already applied (for idempotent retries). */
@Entity({ name: 'health_rollup_ledger' })
export class HealthRollupLedgerEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
  @Column({ name: 'applied_at', type: 'timestamptz' }) appliedAt!: Date;
}

export const healthEntities = [DeploymentHealthMinuteEntity, DeploymentConsumerMinuteEntity, DeploymentHealthTotalsEntity, HealthRollupLedgerEntity];
