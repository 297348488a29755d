import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { AlertEntity, AlertRuleEntity, NotificationChannelEntity, NotificationEntity, WebhookDeliveryEntity } from '../persistence/alert.entities';

@ObjectType('NotificationChannel', { description: 'A webhook of a project that alert rules notify (signed with HMAC-SHA256).' })
export class NotificationChannelObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field() kind!: string;
  @Field() url!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: NotificationChannelEntity): NotificationChannelObject {
    return Object.assign(new NotificationChannelObject(), { id: e.id, projectId: e.projectId, name: e.name, kind: e.kind, url: e.url, createdAt: e.createdAt });
  }
}

@ObjectType('CreatedNotificationChannel')
export class CreatedNotificationChannelObject {
  @Field(() => NotificationChannelObject) channel!: NotificationChannelObject;
  @Field({ description: 'The signing secret: verify the x-modelport-signature header with it. Shown once.' }) secret!: string;
}

@InputType()
export class CreateNotificationChannelInput {
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field({ description: 'https:// (or http:// to localhost) address that receives a POST per alert event.' }) url!: string;
}

@ObjectType('AlertRule')
export class AlertRuleObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field() kind!: string;
  @Field(() => Float) threshold!: number;
  @Field({ description: 'above or below: the side of the threshold that fires (the value equal to it included).' }) comparison!: string;
  @Field(() => Int) windowMinutes!: number;
  @Field(() => Int) fireAfter!: number;
  @Field(() => Int) resolveAfter!: number;
  @Field(() => String, { nullable: true }) metric!: string | null;
  @Field(() => [ID]) channelIds!: string[];
  @Field() notifyOwners!: boolean;
  @Field({ description: 'OK or FIRING.' }) state!: string;
  @Field(() => Float, { nullable: true }) lastValue!: number | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastEvaluatedAt!: Date | null;

  static from(e: AlertRuleEntity): AlertRuleObject {
    return Object.assign(new AlertRuleObject(), {
      id: e.id,
      deploymentId: e.deploymentId,
      kind: e.kind,
      threshold: e.threshold,
      comparison: e.comparison,
      windowMinutes: e.windowMinutes,
      fireAfter: e.fireAfter,
      resolveAfter: e.resolveAfter,
      metric: e.metric,
      channelIds: [...e.channelIds],
      notifyOwners: e.notifyOwners,
      state: e.state,
      lastValue: e.lastValue,
      lastEvaluatedAt: e.lastEvaluatedAt,
    });
  }
}

@InputType()
export class CreateAlertRuleInput {
  @Field(() => ID) deploymentId!: string;
  @Field({ description: 'DRIFT_STATUS, ACCURACY, ERROR_RATE, LATENCY_P99, NO_TRAFFIC or MISSING_ACTUALS.' }) kind!: string;
  @Field(() => Float) threshold!: number;
  @Field(() => String, { nullable: true }) comparison?: string | null;
  @Field(() => Int, { nullable: true }) windowMinutes?: number | null;
  @Field(() => Int, { nullable: true, description: 'Breaching evaluations in a row before it fires (default 1).' }) fireAfter?: number | null;
  @Field(() => Int, { nullable: true, description: 'Clear evaluations in a row before it resolves (default 1).' }) resolveAfter?: number | null;
  @Field(() => String, { nullable: true, description: 'For ACCURACY: accuracy, precision, recall, f1, rocAuc, logLoss, rmse, mae, mape or r2.' }) metric?: string | null;
  @Field(() => [ID], { nullable: true }) channelIds?: string[] | null;
  @Field(() => Boolean, { nullable: true, description: "Also notify the model's owner and the deployment's creator in their inbox (default true)." })
  notifyOwners?: boolean | null;
}

@ObjectType('Alert', { description: 'One episode of a rule firing.' })
export class AlertObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) ruleId!: string;
  @Field(() => ID) deploymentId!: string;
  @Field() kind!: string;
  @Field(() => GraphQLISODateTime) openedAt!: Date;
  @Field(() => Float) openedValue!: number;
  @Field(() => GraphQLISODateTime, { nullable: true }) resolvedAt!: Date | null;
  @Field(() => Float) lastValue!: number;

  static from(e: AlertEntity): AlertObject {
    return Object.assign(new AlertObject(), { ...e });
  }
}

@ObjectType('WebhookDelivery')
export class WebhookDeliveryObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) channelId!: string;
  @Field(() => ID, { nullable: true }) alertId!: string | null;
  @Field() event!: string;
  @Field({ description: 'PENDING, DELIVERED or FAILED.' }) status!: string;
  @Field(() => Int) attempts!: number;
  @Field(() => Int, { nullable: true }) lastStatusCode!: number | null;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) nextAttemptAt!: Date | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) deliveredAt!: Date | null;

  static from(e: WebhookDeliveryEntity): WebhookDeliveryObject {
    const { payload: _payload, ...rest } = e;
    return Object.assign(new WebhookDeliveryObject(), rest);
  }
}

@ObjectType('Notification')
export class NotificationObject {
  @Field(() => ID) id!: string;
  @Field(() => ID, { nullable: true }) alertId!: string | null;
  @Field() event!: string;
  @Field() title!: string;
  @Field({ description: 'The event as JSON (the same body the webhooks get).' }) bodyJson!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: NotificationEntity): NotificationObject {
    return Object.assign(new NotificationObject(), { id: e.id, alertId: e.alertId, event: e.event, title: e.title, bodyJson: JSON.stringify(e.body), createdAt: e.createdAt });
  }
}
