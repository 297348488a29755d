import { Args, Field, GraphQLISODateTime, ID, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Authenticated, CurrentCaller, type Caller } from '@modelport/governance';
import { OverviewService, type OverviewRow, type OverviewSort, type Status, type StatusPart } from './overview.service';

@ObjectType('StatusPart')
export class StatusPartObject {
  @Field({ description: 'green, amber, red or unknown (no data to judge).' }) status!: string;
  @Field() detail!: string;

  static from(p: StatusPart): StatusPartObject {
    return Object.assign(new StatusPartObject(), p);
  }
}

@ObjectType('DeploymentOverview', { description: "One deployment in the central view: what serves, and how it is doing." })
export class DeploymentOverviewObject {
  @Field(() => ID) deploymentId!: string;
  @Field() name!: string;
  @Field(() => ID) projectId!: string;
  @Field({ description: 'served or external.' }) kind!: string;
  @Field() state!: string;
  @Field() production!: boolean;
  @Field(() => ID) modelId!: string;
  @Field() modelName!: string;
  @Field(() => Int) modelVersion!: number;
  @Field(() => GraphQLISODateTime, { description: 'When the serving version was registered (the model age).' }) versionCreatedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the deployment last changed version or came up.' }) lastRefreshAt!: Date | null;
  @Field(() => Int) openAlerts!: number;
  @Field(() => StatusPartObject) service!: StatusPartObject;
  @Field(() => StatusPartObject) drift!: StatusPartObject;
  @Field(() => StatusPartObject) accuracy!: StatusPartObject;
  @Field({ description: 'The worst of service, drift and accuracy.' }) overall!: string;

  static from(r: OverviewRow): DeploymentOverviewObject {
    return Object.assign(new DeploymentOverviewObject(), {
      ...r,
      service: StatusPartObject.from(r.service),
      drift: StatusPartObject.from(r.drift),
      accuracy: StatusPartObject.from(r.accuracy),
    });
  }
}

@Resolver()
export class OverviewResolver {
  constructor(private readonly service: OverviewService) {}

  @Query(() => [DeploymentOverviewObject], {
    description:
      'Every deployment the caller may read, served or external, with its service, drift and accuracy status and open alerts. Sort by name, openAlerts, overall, modelAge or lastRefresh; filter by project, status, production and kind.',
  })
  @Authenticated()
  async overview(
    @CurrentCaller() caller: Caller,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('statuses', { type: () => [String], nullable: true }) statuses?: string[],
    @Args('production', { type: () => Boolean, nullable: true }) production?: boolean,
    @Args('kind', { type: () => String, nullable: true }) kind?: string,
    @Args('sort', { type: () => String, nullable: true }) sort?: string,
    @Args('descending', { type: () => Boolean, nullable: true }) descending?: boolean,
    @Args('first', { type: () => Int, nullable: true }) first?: number,
  ): Promise<DeploymentOverviewObject[]> {
    const rows = await this.service.list(caller, { projectId, statuses: statuses as Status[] | undefined, production, kind, sort: sort as OverviewSort | undefined, descending, limit: first });
    return rows.map(DeploymentOverviewObject.from);
  }
}
