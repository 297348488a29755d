import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { ApprovalService, type ChangeRequestStatus } from '../approvals';
import type { Caller } from '../domain/identity.service';
import { Authenticated, CurrentCaller } from './auth.decorators';
import {
  ApprovalPolicyChangeObject,
  ApprovalPolicyObject,
  ChangeRequestConnection,
  ChangeRequestEventObject,
  ChangeRequestObject,
  ChangeRequestReviewObject,
  CreateApprovalPolicyInput,
  ReviewChangeRequestInput,
} from './approvals.objects';

@Resolver(() => ChangeRequestObject)
export class ApprovalsResolver {
  constructor(private readonly approvals: ApprovalService) {}

  @Query(() => [ApprovalPolicyObject], { description: 'Approval policies of a project (and the platform-wide ones).' })
  @Authenticated()
  async approvalPolicies(@CurrentCaller() caller: Caller, @Args('projectId', { type: () => ID, nullable: true }) projectId?: string): Promise<ApprovalPolicyObject[]> {
    return (await this.approvals.listPolicies(caller, { projectId })).map(ApprovalPolicyObject.from);
  }

  @Mutation(() => ApprovalPolicyChangeObject, { description: 'Adds an approval policy (project admins for their project, platform admins for any).' })
  @Authenticated()
  async createApprovalPolicy(@CurrentCaller() caller: Caller, @Args('input') input: CreateApprovalPolicyInput): Promise<ApprovalPolicyChangeObject> {
    const result = await this.approvals.createPolicy(caller, input);
    return Object.assign(new ApprovalPolicyChangeObject(), {
      policy: result.policy ? ApprovalPolicyObject.from(result.policy) : null,
      deleted: null,
      changeRequest: result.request ? ChangeRequestObject.from(result.request) : null,
    });
  }

  @Mutation(() => ApprovalPolicyChangeObject)
  @Authenticated()
  async deleteApprovalPolicy(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ApprovalPolicyChangeObject> {
    const result = await this.approvals.deletePolicy(caller, id);
    return Object.assign(new ApprovalPolicyChangeObject(), { policy: null, deleted: result.deleted, changeRequest: result.request ? ChangeRequestObject.from(result.request) : null });
  }

  @Query(() => ChangeRequestObject)
  @Authenticated()
  async changeRequest(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ChangeRequestObject> {
    return ChangeRequestObject.from(await this.approvals.get(caller, id));
  }

  @Query(() => ChangeRequestConnection, { description: 'Change requests in the projects the caller may read, newest first.' })
  @Authenticated()
  async changeRequests(
    @CurrentCaller() caller: Caller,
    @Args() page: PageArgs,
    @Args('projectIds', { type: () => [ID], nullable: true }) projectIds?: string[],
    @Args('statuses', { type: () => [String], nullable: true }) statuses?: string[],
  ): Promise<Connection<ChangeRequestObject>> {
    return toConnection(await this.approvals.list(caller, { ...page, projectIds, statuses: statuses as ChangeRequestStatus[] | undefined }), ChangeRequestObject.from);
  }

  @Query(() => ChangeRequestConnection, { description: 'Pending change requests awaiting review, oldest first.' })
  @Authenticated()
  async changeRequestBacklog(
    @CurrentCaller() caller: Caller,
    @Args() page: PageArgs,
    @Args('projectIds', { type: () => [ID], nullable: true }) projectIds?: string[],
  ): Promise<Connection<ChangeRequestObject>> {
    return toConnection(await this.approvals.backlog(caller, { ...page, projectIds }), ChangeRequestObject.from);
  }

  @ResolveField(() => [ChangeRequestReviewObject])
  @Authenticated()
  async reviews(@CurrentCaller() caller: Caller, @Parent() request: ChangeRequestObject): Promise<ChangeRequestReviewObject[]> {
    return (await this.approvals.reviews(caller, request.id)).map(ChangeRequestReviewObject.from);
  }

  @ResolveField(() => [ChangeRequestEventObject])
  @Authenticated()
  async events(@CurrentCaller() caller: Caller, @Parent() request: ChangeRequestObject): Promise<ChangeRequestEventObject[]> {
    return (await this.approvals.events(caller, request.id)).map(ChangeRequestEventObject.from);
  }

  @Mutation(() => ChangeRequestObject, { description: 'Approves or rejects a change request; the author can never approve their own.' })
  @Authenticated()
  async reviewChangeRequest(@CurrentCaller() caller: Caller, @Args('input') input: ReviewChangeRequestInput): Promise<ChangeRequestObject> {
    return ChangeRequestObject.from(await this.approvals.review(caller, input));
  }

  @Mutation(() => ChangeRequestObject, { description: 'Withdraws a pending change request (its author only).' })
  @Authenticated()
  async cancelChangeRequest(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID }) id: string,
    @Args('reason', { type: () => String, nullable: true }) reason?: string,
  ): Promise<ChangeRequestObject> {
    return ChangeRequestObject.from(await this.approvals.cancel(caller, id, reason));
  }
}
