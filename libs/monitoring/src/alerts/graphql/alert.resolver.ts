import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Authenticated, Can, CurrentCaller, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { AlertService } from '../domain/alert.service';
import {
  AlertObject,
  AlertRuleObject,
  CreateAlertRuleInput,
  CreatedNotificationChannelObject,
  CreateNotificationChannelInput,
  NotificationChannelObject,
  NotificationObject,
  WebhookDeliveryObject,
} from './alert.objects';

@Resolver()
export class AlertResolver {
  constructor(private readonly service: AlertService) {}

  @Mutation(() => CreatedNotificationChannelObject, { description: "Adds a webhook channel to a project (the project's admins)." })
  @Authenticated()
  async createNotificationChannel(@CurrentCaller() caller: Caller, @Args('input') input: CreateNotificationChannelInput): Promise<CreatedNotificationChannelObject> {
    const { channel, secret } = await this.service.createChannel(caller, input);
    return Object.assign(new CreatedNotificationChannelObject(), { channel: NotificationChannelObject.from(channel), secret });
  }

  @Query(() => [NotificationChannelObject])
  @Authenticated()
  async notificationChannels(@CurrentCaller() caller: Caller, @Args('projectId', { type: () => ID }) projectId: string): Promise<NotificationChannelObject[]> {
    return (await this.service.listChannels(caller, projectId)).map(NotificationChannelObject.from);
  }

  @Mutation(() => Boolean)
  @Authenticated()
  async deleteNotificationChannel(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<boolean> {
    return this.service.deleteChannel(caller, id);
  }

  @Mutation(() => AlertRuleObject, { description: 'Watches a deployment (those who may update it).' })
  @Can('update', 'Deployment')
  async createAlertRule(@CurrentCaller() caller: Caller, @Args('input') input: CreateAlertRuleInput): Promise<AlertRuleObject> {
    const { deploymentId, ...rule } = input;
    return AlertRuleObject.from(await this.service.createRule(caller, deploymentId, rule));
  }

  @Query(() => [AlertRuleObject])
  @Can('read', 'Deployment')
  async alertRules(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string): Promise<AlertRuleObject[]> {
    return (await this.service.listRules(caller, deploymentId)).map(AlertRuleObject.from);
  }

  @Mutation(() => Boolean)
  @Can('update', 'Deployment')
  async deleteAlertRule(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<boolean> {
    return this.service.deleteRule(caller, id);
  }

  @Query(() => [AlertObject], { description: 'Alerts of a deployment, newest first.' })
  @Can('read', 'Deployment')
  async alerts(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('openOnly', { type: () => Boolean, nullable: true }) openOnly?: boolean,
  ): Promise<AlertObject[]> {
    return (await this.service.listAlerts(caller, deploymentId, openOnly ?? false)).map(AlertObject.from);
  }

  @Query(() => [WebhookDeliveryObject], { description: "A channel's delivery log, newest first: every try's status code or error." })
  @Authenticated()
  async webhookDeliveries(
    @CurrentCaller() caller: Caller,
    @Args('channelId', { type: () => ID }) channelId: string,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
  ): Promise<WebhookDeliveryObject[]> {
    return (await this.service.listDeliveries(caller, channelId, first)).map(WebhookDeliveryObject.from);
  }

  @Query(() => [NotificationObject], { description: "The caller's inbox: alerts on the models it owns and the deployments it created." })
  @Authenticated()
  async myNotifications(@CurrentCaller() caller: Caller, @Args('first', { type: () => Int, nullable: true }) first?: number): Promise<NotificationObject[]> {
    return (await this.service.myNotifications(caller, first)).map(NotificationObject.from);
  }

  @Mutation(() => Int, { description: 'Evaluates every alert rule now (platform admins); the scheduled job does this every minute. Returns the rules evaluated.' })
  @Authenticated()
  async evaluateAlertsNow(@CurrentCaller() caller: Caller): Promise<number> {
    if (!caller.principal.isPlatformAdmin) throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'Only platform admins may run the alert evaluation by hand; it runs every minute anyway.');
    return (await this.service.evaluate()).evaluated;
  }
}
