import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Where alerts go: a webhook of a project (signed with the channel's secret). */
@Entity({ name: 'notification_channels' })
export class NotificationChannelEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) name!: string;
  @Column({ type: 'text' }) kind!: 'webhook';
  @Column({ type: 'text' }) url!: string;
  @Column({ type: 'text' }) secret!: string;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

@Entity({ name: 'alert_rules' })
export class AlertRuleEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ type: 'double precision' }) threshold!: number;
  @Column({ type: 'text' }) comparison!: 'above' | 'below';
  @Column({ name: 'window_minutes', type: 'integer' }) windowMinutes!: number;
  @Column({ name: 'fire_after', type: 'integer' }) fireAfter!: number;
  @Column({ name: 'resolve_after', type: 'integer' }) resolveAfter!: number;
  @Column({ type: 'text', nullable: true }) metric!: string | null;
  @Column({ name: 'channel_ids', type: 'uuid', array: true }) channelIds!: string[];
  @Column({ name: 'notify_owners', type: 'boolean' }) notifyOwners!: boolean;
  @Column({ type: 'boolean', default: true }) enabled!: boolean;
  @Column({ type: 'text', default: 'OK' }) state!: 'OK' | 'FIRING';
  @Column({ type: 'integer', default: 0 }) breaches!: number;
  @Column({ type: 'integer', default: 0 }) clears!: number;
  @Column({ name: 'last_value', type: 'double precision', nullable: true }) lastValue!: number | null;
  @Column({ name: 'last_evaluated_at', type: 'timestamptz', nullable: true }) lastEvaluatedAt!: Date | null;
  @Column({ name: 'created_by', type: 'uuid', nullable: true }) createdBy!: string | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
}

/** One episode of a rule firing: opened when it fires, closed when it resolves. At most one open per rule. */
@Entity({ name: 'alerts' })
export class AlertEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'rule_id', type: 'uuid' }) ruleId!: string;
  @Column({ name: 'deployment_id', type: 'uuid' }) deploymentId!: string;
  @Column({ name: 'project_id', type: 'uuid' }) projectId!: string;
  @Column({ type: 'text' }) kind!: string;
  @Column({ name: 'opened_at', type: 'timestamptz' }) openedAt!: Date;
  @Column({ name: 'opened_value', type: 'double precision' }) openedValue!: number;
  @Column({ name: 'resolved_at', type: 'timestamptz', nullable: true }) resolvedAt!: Date | null;
  @Column({ name: 'last_value', type: 'double precision' }) lastValue!: number;
}

/** A user's inbox: what the model's owners hear by default. */
@Entity({ name: 'notifications' })
export class NotificationEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'user_id', type: 'uuid' }) userId!: string;
  @Column({ name: 'alert_id', type: 'uuid', nullable: true }) alertId!: string | null;
  @Column({ type: 'text' }) event!: string;
  @Column({ type: 'text' }) title!: string;
  @Column({ type: 'jsonb' }) body!: Record<string, unknown>;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'read_at', type: 'timestamptz', nullable: true }) readAt!: Date | null;
}

@Entity({ name: 'webhook_deliveries' })
export class WebhookDeliveryEntity {
  @PrimaryGeneratedColumn('uuid') id!: string;
  @Column({ name: 'channel_id', type: 'uuid' }) channelId!: string;
  @Column({ name: 'alert_id', type: 'uuid', nullable: true }) alertId!: string | null;
  @Column({ type: 'text' }) event!: string;
  @Column({ type: 'jsonb' }) payload!: Record<string, unknown>;
  @Column({ type: 'text' }) status!: 'PENDING' | 'DELIVERED' | 'FAILED';
  @Column({ type: 'integer', default: 0 }) attempts!: number;
  @Column({ name: 'last_status_code', type: 'integer', nullable: true }) lastStatusCode!: number | null;
  @Column({ name: 'last_error', type: 'text', nullable: true }) lastError!: string | null;
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true }) nextAttemptAt!: Date | null;
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' }) createdAt!: Date;
  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true }) deliveredAt!: Date | null;
}

export const alertEntities = [NotificationChannelEntity, AlertRuleEntity, AlertEntity, NotificationEntity, WebhookDeliveryEntity];
