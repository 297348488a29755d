import { Args, GraphQLISODateTime, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { DeploymentService } from '../domain/deployment.service';
import {
  CreateDeploymentInput,
  DeploymentConnection,
  DeploymentEventObject,
  DeploymentObject,
  fromChange,
  ReplaceDeploymentModelVersionInput,
} from './deployment.objects';

@Resolver(() => DeploymentObject)
export class DeploymentResolver {
  constructor(private readonly service: DeploymentService) {}

  @Query(() => DeploymentConnection, { description: 'Deployments in every project the caller may read, newest first.' })
  @Can('read', 'Deployment')
  async deployments(
    @CurrentCaller() caller: Caller,
    @Args() page: PageArgs,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
  ): Promise<Connection<DeploymentObject>> {
    return toConnection(await this.service.list(caller, { projectId }, page), DeploymentObject.from);
  }

  @Query(() => DeploymentObject, { description: 'A deployment by id or by name; with asOf, the deployment of that name as it was then and the version it served.' })
  @Can('read', 'Deployment')
  async deployment(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID, nullable: true }) id?: string,
    @Args('name', { type: () => String, nullable: true }) name?: string,
    @Args('asOf', { type: () => GraphQLISODateTime, nullable: true }) asOf?: Date,
  ): Promise<DeploymentObject> {
    if (asOf) {
      const then = await this.service.asOf(caller, name ?? '', asOf);
      return Object.assign(DeploymentObject.from(then.deployment), {
        asOf,
        servedVersionId: then.modelVersionId,
        servingSince: then.servingSince,
        servedByChangeRequestId: then.changeRequestId,
      });
    }
    return DeploymentObject.from(id ? await this.service.get(caller, id) : await this.service.getByName(caller, name ?? ''));
  }

  @ResolveField(() => [DeploymentEventObject], { description: 'Every change of the deployment, oldest first.' })
  @Can('read', 'Deployment')
  async events(@CurrentCaller() caller: Caller, @Parent() deployment: DeploymentObject): Promise<DeploymentEventObject[]> {
    return (await this.service.events(caller, deployment.id)).map(DeploymentEventObject.from);
  }

  @Mutation(() => DeploymentObject, {
    description:
      'Serves a model version (or the version an alias names) in one step: load it on a plugin, wait for it, route traffic. A production deployment covered by an approval policy (DEPLOYMENT_CREATE) is stored AWAITING_APPROVAL with a change request instead, and comes up once approved.',
  })
  @Can('create', 'Deployment')
  async createDeployment(@CurrentCaller() caller: Caller, @Args('input') input: CreateDeploymentInput): Promise<DeploymentObject> {
    const { wait, runtimeConfig, ...rest } = input;
    const settings = runtimeConfig ? Object.fromEntries(runtimeConfig.map((s) => [s.key, s.value])) : null;
    return fromChange(await this.service.createOrRequest(caller, { ...rest, runtimeConfig: settings }, wait !== false));
  }

  @Mutation(() => DeploymentObject, {
    description:
      'Serves another version of the same model with zero failed requests; if it fails to load, the current version keeps serving. On a production deployment covered by an approval policy it creates a change request instead (see changeRequest).',
  })
  @Can('update', 'Deployment')
  async replaceDeploymentModelVersion(@CurrentCaller() caller: Caller, @Args('input') input: ReplaceDeploymentModelVersionInput): Promise<DeploymentObject> {
    return fromChange(await this.service.replaceModelVersion(caller, input));
  }

  @Mutation(() => DeploymentObject, {
    description: 'Stops routing, drains, and unloads the model; its predictions stay in the log. Covered production deployments get a change request instead.',
  })
  @Can('delete', 'Deployment')
  async deleteDeployment(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<DeploymentObject> {
    return fromChange(await this.service.delete(caller, id));
  }
}
