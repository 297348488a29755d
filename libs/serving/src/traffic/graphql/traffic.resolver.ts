import { Args, Mutation, Parent, ResolveField, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { DeploymentObject, fromChange } from '../../deployments/graphql/deployment.objects';
import { ServingRuntime } from '../../serving-runtime';
import { PromoteDeploymentVersionInput, RollbackDeploymentInput, SetTrafficPolicyInput, TrafficPolicyObject } from './traffic.objects';

@Resolver(() => DeploymentObject)
export class TrafficResolver {
  constructor(private readonly serving: ServingRuntime) {}

  @ResolveField(() => TrafficPolicyObject, { description: 'Champion, canaries, shadows, standby, sticky routing and the bake period.' })
  @Can('read', 'Deployment')
  async traffic(@CurrentCaller() caller: Caller, @Parent() deployment: DeploymentObject): Promise<TrafficPolicyObject> {
    return TrafficPolicyObject.from(await this.serving.traffic.policy(caller, deployment.id));
  }

  @Mutation(() => DeploymentObject, {
    description:
      'Sets canaries (live, by weight), shadow challengers (copies of live traffic, never answered) and sticky routing; the champion keeps the rest. New versions are loaded first; if one fails, nothing changes. Production deployments covered by an approval policy (DEPLOYMENT_TRAFFIC) get a change request instead.',
  })
  @Can('update', 'Deployment')
  async setTrafficPolicy(@CurrentCaller() caller: Caller, @Args('input') input: SetTrafficPolicyInput): Promise<DeploymentObject> {
    return fromChange(await this.serving.traffic.setPolicy(caller, input));
  }

  @Mutation(() => DeploymentObject, {
    description:
      'Makes a READY canary or shadow the champion with zero failed requests; the old champion stays loaded as the standby for the bake period, during which the new one is rolled back automatically if it crosses a threshold. Covered production deployments (DEPLOYMENT_REPLACE_VERSION) get a change request instead.',
  })
  @Can('update', 'Deployment')
  async promoteDeploymentVersion(@CurrentCaller() caller: Caller, @Args('input') input: PromoteDeploymentVersionInput): Promise<DeploymentObject> {
    return fromChange(await this.serving.traffic.promote(caller, input));
  }

  @Mutation(() => DeploymentObject, { description: 'Goes back to the champion before the last promotion, with zero failed requests. Refused while another change of the deployment runs.' })
  @Can('update', 'Deployment')
  async rollbackDeployment(@CurrentCaller() caller: Caller, @Args('input') input: RollbackDeploymentInput): Promise<DeploymentObject> {
    return DeploymentObject.from(await this.serving.traffic.rollback(caller, input));
  }
}
