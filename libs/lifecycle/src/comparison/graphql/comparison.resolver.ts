import { Args, GraphQLISODateTime, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { ComparisonService } from '../domain/comparison.service';
import { ReplayService } from '../domain/replay.service';
import {
  ChallengerComparisonObject,
  ComparisonSourceValue,
  ComparisonThresholdsInput,
  ReplayRunConnection,
  ReplayRunObject,
  StartReplayInput,
} from './comparison.objects';

/** Challenger comparison and replays of deployments. */
@Resolver()
export class ComparisonResolver {
  constructor(
    private readonly comparison: ComparisonService,
    private readonly replays: ReplayService,
  ) {}

  @Query(() => ChallengerComparisonObject, {
    description:
      "A challenger version against the champion on the window's live predictions it also answered (shadow or replay): label agreement or value differences, accuracy on actuals, errors and latency side by side, and a verdict with its evidence.",
  })
  @Can('read', 'Deployment')
  async challengerComparison(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('challengerVersionId', { type: () => ID }) challengerVersionId: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
    @Args('source', { type: () => ComparisonSourceValue, defaultValue: ComparisonSourceValue.ANY }) source: ComparisonSourceValue,
    @Args('thresholds', { type: () => ComparisonThresholdsInput, nullable: true }) thresholds?: ComparisonThresholdsInput | null,
  ): Promise<ChallengerComparisonObject> {
    return ChallengerComparisonObject.from(await this.comparison.compare(caller, { deploymentId, challengerVersionId, from, to, source, thresholds: thresholds ? { ...thresholds } : null }));
  }

  @Mutation(() => ReplayRunObject, {
    description:
      "Queues a replay: the version scores the stored inputs of the deployment's live predictions in the window, in a background job; compare with challengerComparison(source: REPLAY). Needs update on the deployment.",
  })
  @Can('update', 'Deployment')
  async startReplay(@CurrentCaller() caller: Caller, @Args('input') input: StartReplayInput): Promise<ReplayRunObject> {
    return ReplayRunObject.from(await this.replays.start(caller, { ...input }));
  }

  @Query(() => ReplayRunObject, { description: 'A replay run, with its progress.' })
  @Can('read', 'Deployment')
  async replayRun(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ReplayRunObject> {
    return ReplayRunObject.from(await this.replays.get(caller, id));
  }

  @Query(() => ReplayRunConnection, { description: 'The replay runs of a deployment, newest first.' })
  @Can('read', 'Deployment')
  async replayRuns(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string, @Args() page: PageArgs): Promise<Connection<ReplayRunObject>> {
    return toConnection(await this.replays.list(caller, deploymentId, page), ReplayRunObject.from);
  }

  @Mutation(() => ReplayRunObject, { description: 'Stops a queued or running replay; the rows written so far are kept. Needs update on the deployment.' })
  @Can('update', 'Deployment')
  async cancelReplay(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ReplayRunObject> {
    return ReplayRunObject.from(await this.replays.cancel(caller, id));
  }
}
