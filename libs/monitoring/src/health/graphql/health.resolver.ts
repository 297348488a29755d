import { Inject } from '@nestjs/common';
import { Args, GraphQLISODateTime, ID, Query, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { HealthService } from '../domain/health.service';
import { HealthResolution } from '../domain/health.types';
import { DeploymentHealthObject } from './health.objects';

@Resolver()
export class HealthResolver {
  constructor(@Inject(HealthService) private readonly health: HealthService) {}

  @Query(() => DeploymentHealthObject, {
    description:
      'Service health of a deployment (all versions, or one) over [from, to) at a resolution: requests, predictions, 4xx and 5xx rates, latency quantiles and distinct callers per point, plus totals. At most 1440 points.',
  })
  @Can('read', 'Deployment')
  async deploymentHealth(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('resolution', { type: () => HealthResolution }) resolution: HealthResolution,
    @Args('modelVersionId', { type: () => ID, nullable: true, description: 'Only requests served by this model version.' }) modelVersionId?: string | null,
  ): Promise<DeploymentHealthObject> {
    return DeploymentHealthObject.from(await this.health.series(caller, { deploymentId, from, to, resolution, modelVersionId: modelVersionId ?? null }));
  }
}
