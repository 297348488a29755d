import { Args, ID, Int, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Authenticated, Can, CurrentCaller, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { AttentionService } from '../domain/attention.service';
import { RefreshService } from '../domain/refresh.service';
import {
  DeploymentNeedingAttentionObject,
  SetRefreshPolicyInput,
  RefreshPolicyObject,
  RefreshRunObject,
  SetRefreshPolicyResultObject,
} from './refresh.objects';

@Resolver()
export class RefreshResolver {
  constructor(
    private readonly refresh: RefreshService,
    private readonly attention: AttentionService,
  ) {}

  @Mutation(() => SetRefreshPolicyResultObject, { description: "Sets (replaces) a deployment's refresh policy (those who may update the deployment)." })
  @Can('update', 'Deployment')
  async setRefreshPolicy(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('input') input: SetRefreshPolicyInput,
  ): Promise<SetRefreshPolicyResultObject> {
    const { policy, secret } = await this.refresh.setPolicy(caller, deploymentId, input);
    return Object.assign(new SetRefreshPolicyResultObject(), { policy: RefreshPolicyObject.from(policy), secret });
  }

  @Query(() => RefreshPolicyObject, { nullable: true, description: "A deployment's refresh policy; null when it has none." })
  @Can('read', 'Deployment')
  async refreshPolicy(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string): Promise<RefreshPolicyObject | null> {
    const policy = await this.refresh.getPolicy(caller, deploymentId);
    return policy ? RefreshPolicyObject.from(policy) : null;
  }

  @Mutation(() => Boolean, { description: 'Deletes the refresh policy (its runs stay); false when there was none.' })
  @Can('update', 'Deployment')
  async deleteRefreshPolicy(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string): Promise<boolean> {
    return this.refresh.deletePolicy(caller, deploymentId);
  }

  @Query(() => [RefreshRunObject], { description: "A deployment's refresh runs, newest first." })
  @Can('read', 'Deployment')
  async refreshRuns(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
  ): Promise<RefreshRunObject[]> {
    return (await this.refresh.listRuns(caller, deploymentId, first)).map(RefreshRunObject.from);
  }

  @Mutation(() => RefreshRunObject, { description: 'Asks for a new model now (MANUAL run); still after the minimum interval unless a project admin passes force.' })
  @Can('update', 'Deployment')
  async triggerRefresh(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('reason') reason: string,
    @Args('force', { type: () => Boolean, nullable: true }) force?: boolean,
  ): Promise<RefreshRunObject> {
    return RefreshRunObject.from(await this.refresh.trigger(caller, deploymentId, { reason, force: force ?? false }));
  }

  @Query(() => [DeploymentNeedingAttentionObject], { description: 'Deployments with an open drift, accuracy or missing-actuals alert, and why; longest-standing first.' })
  @Can('read', 'Deployment')
  async deploymentsNeedingAttention(
    @CurrentCaller() caller: Caller,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
  ): Promise<DeploymentNeedingAttentionObject[]> {
    return (await this.attention.needingAttention(caller, projectId)).map(DeploymentNeedingAttentionObject.from);
  }

  @Mutation(() => Int, { description: 'Evaluates every refresh policy now (platform admins); the scheduled job does this every minute. Returns the runs started.' })
  @Authenticated()
  async evaluateRefreshPoliciesNow(@CurrentCaller() caller: Caller): Promise<number> {
    if (!caller.principal.isPlatformAdmin) throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'Only platform admins may run the refresh evaluation by hand; it runs every minute anyway.');
    return (await this.refresh.evaluate()).started;
  }
}
