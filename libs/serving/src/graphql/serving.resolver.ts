import { Args, ID, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { Inject } from '@nestjs/common';
import { accessFilter, ApprovalService, asSubject, Authenticated, Can, CurrentCaller, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { DeploymentService } from '../deployments/domain/deployment.service';
import { PluginHost } from '../plugins';
import { PredictionLogError, PredictionLogService } from '../predictions';
import { DeploymentObject } from '../deployments/graphql/deployment.objects';
import { ApprovalTraceObject, PluginObject, PredictionConnection, PredictionObject, predictionSubject } from './serving.objects';

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
    if (!caller.ability.can('read', asSubject('Prediction', predictionSubject(receipt)))) throw PredictionLogError.notFound(id);
    return PredictionObject.visibleTo(caller.ability, receipt);
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
    if (!caller.ability.can('read', 'Prediction')) {
      throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'You may not read the predictions of this deployment.');
    }
    // Row rules are applied in SQL (so pages are full of visible rows), field rules per row.
    const access = accessFilter(caller.ability, 'read', 'Prediction', 'p');
    const result = await this.log.list({
      deploymentIds: [deployment.id],
      first: page.first,
      after: page.after,
      status: (status ?? null) as 'ok' | 'error' | null,
      includePayload: true,
      access,
    });
    return toConnection(result, (r) => PredictionObject.visibleTo(caller.ability, r));
  }
}

/** The approval behind a change request id, as the caller may see it; null when there is none or it is not visible. */
async function approvalTrace(approvals: ApprovalService, caller: Caller, changeRequestId: string | null): Promise<ApprovalTraceObject | null> {
  if (!changeRequestId) return null;
  try {
    const request = await approvals.get(caller, changeRequestId);
    const reviews = await approvals.reviews(caller, changeRequestId);
    return Object.assign(new ApprovalTraceObject(), {
      changeRequestId,
      authorId: request.authorId,
      approverIds: reviews.filter((r) => r.decision === 'APPROVE').map((r) => r.reviewerId),
      appliedAt: request.appliedAt,
    });
  } catch {
    return null;
  }
}

@Resolver(() => PredictionObject)
export class PredictionTraceResolver {
  constructor(
    @Inject(DeploymentService) private readonly deployments: DeploymentService,
    @Inject(ApprovalService) private readonly approvals: ApprovalService,
  ) {}

  @ResolveField(() => ApprovalTraceObject, {
    nullable: true,
    description: 'The approved change request that put this prediction’s model version into service on its deployment, and its approvers.',
  })
  @Can('read', 'Prediction')
  async approval(@CurrentCaller() caller: Caller, @Parent() prediction: PredictionObject): Promise<ApprovalTraceObject | null> {
    if (!prediction.modelVersionId) return null;
    const event = await this.deployments.servingEvent(prediction.deploymentId, prediction.modelVersionId, prediction.receivedAt);
    return approvalTrace(this.approvals, caller, event?.changeRequestId ?? null);
  }
}

@Resolver(() => DeploymentObject)
export class DeploymentTraceResolver {
  constructor(@Inject(ApprovalService) private readonly approvals: ApprovalService) {}

  @ResolveField(() => ApprovalTraceObject, { nullable: true, description: 'With asOf: who approved the version that served at that time.' })
  @Can('read', 'Deployment')
  async servedApproval(@CurrentCaller() caller: Caller, @Parent() deployment: DeploymentObject): Promise<ApprovalTraceObject | null> {
    return approvalTrace(this.approvals, caller, deployment.servedByChangeRequestId);
  }
}
