import { Args, ID, Query, Resolver } from '@nestjs/graphql';
import { Inject } from '@nestjs/common';
import { asSubject, Authenticated, Can, CurrentCaller, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { DeploymentService } from '../deployments/domain/deployment.service';
import { PluginHost } from '../plugins';
import { PredictionLogError, PredictionLogService } from '../predictions';
import { PluginObject, PredictionConnection, PredictionObject } from './serving.objects';

@Resolver()
export class ServingResolver {
  constructor(
    @Inject(PluginHost) private readonly host: PluginHost,
    @Inject(PredictionLogService) private readonly log: PredictionLogService,
    @Inject(DeploymentService) private readonly deployments: DeploymentService,
  ) {}

  @Query(() => [PluginObject], { description: 'Every serving plugin with its version, formats, health and loaded models.' })
  @Can('read', 'Plugin')
  plugins(): PluginObject[] {
    return this.host.list().map(PluginObject.from);
  }

  @Query(() => PredictionObject, { description: 'One prediction by the prediction_id of its receipt, with its payload when stored.' })
  @Authenticated()
  async prediction(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<PredictionObject> {
    const receipt = await this.log.get(id);
    if (!caller.ability.can('read', asSubject('Prediction', { projectId: receipt.projectId }))) throw PredictionLogError.notFound(id);
    return PredictionObject.from(receipt);
  }

  @Query(() => PredictionConnection, { description: 'Predictions of one deployment, newest first.' })
  @Can('read', 'Prediction')
  async predictions(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args() page: PageArgs,
    @Args('status', { type: () => String, nullable: true, description: 'ok or error' }) status?: string,
  ): Promise<Connection<PredictionObject>> {
    const deployment = await this.deployments.get(caller, deploymentId);
    if (!caller.ability.can('read', asSubject('Prediction', { projectId: deployment.projectId }))) {
      throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'You may not read the predictions of this deployment.');
    }
    const result = await this.log.list({ deploymentIds: [deployment.id], first: page.first, after: page.after, status: (status ?? null) as 'ok' | 'error' | null, includePayload: true });
    return toConnection(result, PredictionObject.from);
  }
}
