import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { DeploymentNeedingAttention } from '../domain/attention.service';
import type { RefreshPolicyEntity, RefreshRunEntity } from '../persistence';

@ObjectType('AccuracyTrigger', { description: 'Refresh when an accuracy metric over the data window is worse than the threshold.' })
export class AccuracyTriggerObject {
  @Field() metric!: string;
  @Field(() => Float) threshold!: number;
}

@ObjectType('RefreshPolicy', { description: "When and how a deployment's model is refreshed." })
export class RefreshPolicyObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field() enabled!: boolean;
  @Field(() => Int, { nullable: true }) scheduleEveryHours!: number | null;
  @Field() onDriftRed!: boolean;
  @Field(() => AccuracyTriggerObject, { nullable: true }) accuracyBelow!: AccuracyTriggerObject | null;
  @Field(() => Int, { nullable: true }) maxModelAgeDays!: number | null;
  @Field(() => Int) minIntervalMinutes!: number;
  @Field({ description: 'WEBHOOK or QUEUE.' }) action!: string;
  @Field(() => String, { nullable: true }) webhookUrl!: string | null;
  @Field(() => Int) dataWindowDays!: number;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the last run started; the minimum interval counts from here.' }) lastRunAt!: Date | null;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;

  static from(e: RefreshPolicyEntity): RefreshPolicyObject {
    return Object.assign(new RefreshPolicyObject(), {
      id: e.id,
      deploymentId: e.deploymentId,
      enabled: e.enabled,
      scheduleEveryHours: e.scheduleEveryHours,
      onDriftRed: e.onDriftRed,
      accuracyBelow: e.accuracyMetric !== null && e.accuracyThreshold !== null ? Object.assign(new AccuracyTriggerObject(), { metric: e.accuracyMetric, threshold: e.accuracyThreshold }) : null,
      maxModelAgeDays: e.maxModelAgeDays,
      minIntervalMinutes: e.minIntervalMinutes,
      action: e.action,
      webhookUrl: e.webhookUrl,
      dataWindowDays: e.dataWindowDays,
      lastRunAt: e.lastRunAt,
      updatedAt: e.updatedAt,
    });
  }
}

@ObjectType('SetRefreshPolicyResult')
export class SetRefreshPolicyResultObject {
  @Field(() => RefreshPolicyObject) policy!: RefreshPolicyObject;
  @Field(() => String, {
    nullable: true,
    description: 'The webhook signing secret when one was just made (first WEBHOOK policy, or rotateSecret): verify x-modelport-signature with it. Shown once.',
  })
  secret!: string | null;
}

@InputType()
export class AccuracyTriggerInput {
  @Field({ description: 'accuracy, precision, recall, f1, rocAuc, logLoss, rmse, mae, mape or r2.' }) metric!: string;
  @Field(() => Float, { description: 'Refresh when the metric is below it (above it for the errors logLoss, rmse, mae and mape).' }) threshold!: number;
}

@InputType()
export class SetRefreshPolicyInput {
  @Field(() => Boolean, { nullable: true, description: 'Whether the scheduled evaluation may start runs (default true); triggerRefresh works either way.' })
  enabled?: boolean | null;
  @Field(() => Int, { nullable: true, description: 'Refresh every this many hours (1 to 8760).' }) scheduleEveryHours?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Refresh when the drift status is red (default false).' }) onDriftRed?: boolean | null;
  @Field(() => AccuracyTriggerInput, { nullable: true }) accuracyBelow?: AccuracyTriggerInput | null;
  @Field(() => Int, { nullable: true, description: 'Refresh when the champion version is older than this many days.' }) maxModelAgeDays?: number | null;
  @Field(() => Int, { description: 'The fewest minutes between two runs (at least 1).' }) minIntervalMinutes!: number;
  @Field({ description: 'WEBHOOK (POST a signed request) or QUEUE (enqueue a lifecycle.refresh-requested job).' }) action!: string;
  @Field(() => String, { nullable: true, description: 'For WEBHOOK: https:// (or http:// to localhost) address of the retraining service.' }) webhookUrl?: string | null;
  @Field(() => Int, { nullable: true, description: 'Days of recent labelled data the request points at (default 7).' }) dataWindowDays?: number | null;
  @Field(() => Boolean, { nullable: true, description: 'Make a new webhook signing secret (returned once).' }) rotateSecret?: boolean | null;
}

@ObjectType('RefreshRun', { description: 'One request for a new model and how far it got.' })
export class RefreshRunObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { nullable: true, description: 'The champion when the run started.' }) championVersionId!: string | null;
  @Field({ description: 'SCHEDULE, DRIFT_RED, ACCURACY, MODEL_AGE or MANUAL.' }) triggerKind!: string;
  @Field() reason!: string;
  @Field(() => GraphQLISODateTime) windowFrom!: Date;
  @Field(() => GraphQLISODateTime) windowTo!: Date;
  @Field({ description: 'WEBHOOK or QUEUE.' }) action!: string;
  @Field({ description: 'PENDING, DELIVERED, COMPLETED (a version answered it) or FAILED.' }) state!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => Int, { nullable: true, description: "The webhook's last HTTP status." }) responseStatus!: number | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => ID, { nullable: true, description: 'The version registered in answer.' }) newVersionId!: string | null;
  @Field(() => ID, { nullable: true, description: 'Who asked, for MANUAL runs.' }) requestedBy!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) deliveredAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) completedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) failedAt!: Date | null;

  static from(e: RefreshRunEntity): RefreshRunObject {
    return Object.assign(new RefreshRunObject(), {
      id: e.id,
      deploymentId: e.deploymentId,
      championVersionId: e.championVersionId,
      triggerKind: e.triggerKind,
      reason: e.reason,
      windowFrom: e.windowFrom,
      windowTo: e.windowTo,
      action: e.action,
      state: e.state,
      attempts: e.attempts,
      lastError: e.lastError,
      responseStatus: e.responseStatus,
      nextAttemptAt: e.nextAttemptAt,
      newVersionId: e.newVersionId,
      requestedBy: e.requestedBy,
      createdAt: e.createdAt,
      deliveredAt: e.deliveredAt,
      completedAt: e.completedAt,
      failedAt: e.failedAt,
    });
  }
}

@ObjectType('AttentionReason')
export class AttentionReasonObject {
  @Field({ description: 'The alert kind: DRIFT_STATUS, ACCURACY or MISSING_ACTUALS.' }) kind!: string;
  @Field() reason!: string;
  @Field(() => ID, { nullable: true }) alertId!: string | null;
  @Field(() => GraphQLISODateTime) since!: Date;
}

@ObjectType('DeploymentNeedingAttention', { description: 'A deployment with an open drift or accuracy alert, and why.' })
export class DeploymentNeedingAttentionObject {
  @Field(() => ID) deploymentId!: string;
  @Field() deploymentName!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => GraphQLISODateTime) since!: Date;
  @Field(() => [AttentionReasonObject]) reasons!: AttentionReasonObject[];

  static from(d: DeploymentNeedingAttention): DeploymentNeedingAttentionObject {
    return Object.assign(new DeploymentNeedingAttentionObject(), {
      deploymentId: d.deploymentId,
      deploymentName: d.deploymentName,
      projectId: d.projectId,
      since: d.since,
      reasons: d.reasons.map((r) => Object.assign(new AttentionReasonObject(), r)),
    });
  }
}
