import { Args, GraphQLISODateTime, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { AccuracyService } from '../domain/accuracy.service';
import { ActualsService } from '../domain/actuals.service';
import { MonitoringSettingsService } from '../domain/monitoring-settings.service';
import {
  AccuracyResolutionValue,
  ActualInput,
  DeploymentAccuracyObject,
  DeploymentMonitoringSettingsInput,
  DeploymentMonitoringSettingsObject,
  SubmitActualsResultObject,
  UnmatchedActualConnection,
  UnmatchedActualObject,
} from './accuracy.objects';

/** Actuals, monitoring settings and accuracy of deployments. */
@Resolver()
export class AccuracyResolver {
  constructor(
    private readonly settings: MonitoringSettingsService,
    private readonly actuals: ActualsService,
    private readonly accuracy: AccuracyService,
  ) {}

  @Query(() => DeploymentMonitoringSettingsObject, { nullable: true, description: 'How the outputs of a deployment are scored against actuals; null until set.' })
  @Can('read', 'Deployment')
  async deploymentMonitoringSettings(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string): Promise<DeploymentMonitoringSettingsObject | null> {
    const settings = await this.settings.get(caller, deploymentId);
    return settings ? DeploymentMonitoringSettingsObject.from(settings) : null;
  }

  @Mutation(() => DeploymentMonitoringSettingsObject, {
    description: 'Says what a deployment predicts and which outputs hold the label or value and the class probabilities, so actuals can be scored. Needs update on the deployment.',
  })
  @Can('update', 'Deployment')
  async setDeploymentMonitoringSettings(@CurrentCaller() caller: Caller, @Args('input') input: DeploymentMonitoringSettingsInput): Promise<DeploymentMonitoringSettingsObject> {
    const { deploymentId, ...settings } = input;
    return DeploymentMonitoringSettingsObject.from(await this.settings.set(caller, deploymentId, settings));
  }

  @Mutation(() => SubmitActualsResultObject, {
    description:
      'Stores observed outcomes of predictions (at most 1000 per call; stream more as NDJSON to POST /v1/deployments/{id}/actuals). All or nothing: an invalid actual refuses the call, naming it. Duplicates are reported and not stored; unknown ids are stored unmatched and reported. Needs predict on the deployment.',
  })
  @Can('predict', 'Deployment')
  async submitActuals(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('actuals', { type: () => [ActualInput] }) actuals: ActualInput[],
  ): Promise<SubmitActualsResultObject> {
    return SubmitActualsResultObject.from(await this.actuals.submit(caller, deploymentId, actuals));
  }

  @Query(() => DeploymentAccuracyObject, {
    description:
      'Accuracy of a deployment per window of prediction time: counts, classification or regression metrics, and how complete and late the actuals are. At most 1000 windows.',
  })
  @Can('read', 'Deployment')
  async deploymentAccuracy(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('resolution', { type: () => AccuracyResolutionValue, defaultValue: AccuracyResolutionValue.HOUR }) resolution: AccuracyResolutionValue,
  ): Promise<DeploymentAccuracyObject> {
    return DeploymentAccuracyObject.from(await this.accuracy.deploymentAccuracy(caller, { deploymentId, from, to, resolution }));
  }

  @Query(() => UnmatchedActualConnection, { description: 'Actuals of a deployment whose association id no prediction has (yet), newest first.' })
  @Can('read', 'Deployment')
  async unmatchedActuals(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args() page: PageArgs,
  ): Promise<Connection<UnmatchedActualObject>> {
    return toConnection(await this.actuals.unmatched(caller, deploymentId, page), UnmatchedActualObject.from);
  }
}
