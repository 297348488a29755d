import { Args, GraphQLISODateTime, ID, Int, Query, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { RefreshReportService } from '../domain/refresh-report.service';
import { TimelineService } from '../domain/timeline.service';
import { StaleProductionModelsObject, TimelineEntryConnection, TimelineEntryObject } from './history.objects';

/** Deployment timelines and the refresh report. */
@Resolver()
export class HistoryResolver {
  constructor(
    private readonly timeline: TimelineService,
    private readonly report: RefreshReportService,
  ) {}

  @Query(() => TimelineEntryConnection, {
    description:
      'Everything that happened to a deployment, newest first: version changes, traffic changes, approvals, rollbacks, alerts, refreshes, bake periods, with who and why. Deleted deployments keep their timeline.',
  })
  @Can('read', 'Deployment')
  async deploymentTimeline(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args() page: PageArgs,
    @Args('from', { type: () => GraphQLISODateTime, nullable: true, description: 'Entries at or after this time.' }) from?: Date | null,
    @Args('to', { type: () => GraphQLISODateTime, nullable: true, description: 'Entries before this time (exclusive).' }) to?: Date | null,
    @Args('categories', {
      type: () => [String],
      nullable: true,
      description: 'Only these categories: any of VERSION, TRAFFIC, APPROVAL, ROLLBACK, ALERT, REFRESH, BAKE, DEPLOYMENT (see TimelineCategory). Leave out for all.',
    })
    categories?: string[] | null,
  ): Promise<Connection<TimelineEntryObject>> {
    return toConnection(await this.timeline.timeline(caller, deploymentId, { from, to, categories, first: page.first, after: page.after }), TimelineEntryObject.from);
  }

  @Query(() => StaleProductionModelsObject, {
    description:
      'The refresh report: every production deployment you may read whose model was never refreshed, or whose champion was registered more than olderThanDays whole days ago, oldest champion first.',
  })
  @Can('read', 'Deployment')
  async staleProductionModels(
    @CurrentCaller() caller: Caller,
    @Args('olderThanDays', { type: () => Int, defaultValue: 90, description: 'A champion older than this many whole days is listed (0 to 36500).' }) olderThanDays: number,
    @Args('projectId', { type: () => ID, nullable: true, description: 'Only this project.' }) projectId?: string | null,
    @Args('first', { type: () => Int, nullable: true, description: 'At most this many rows, at most the server maximum (MODELPORT_MAX_PAGE_SIZE).' }) first?: number | null,
  ): Promise<StaleProductionModelsObject> {
    return StaleProductionModelsObject.from(await this.report.staleModels(caller, { olderThanDays, projectId, first }));
  }
}
