import { Args, ID, Mutation, Parent, Query, ResolveField, Resolver } from '@nestjs/graphql';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import type { Caller } from '../domain/identity.service';
import { GroupService } from '../groups/domain/group.service';
import { Authenticated, CurrentCaller } from './auth.decorators';
import {
  CreateGroupInput,
  GroupConnection,
  GroupMemberConnection,
  GroupMemberInput,
  GroupMemberObject,
  GroupObject,
  ProjectGroupRoleObject,
  RemoveProjectGroupRoleInput,
  SetProjectGroupRoleInput,
} from './groups.objects';

/**
 * Groups. Every operation is @Authenticated: who may do what is not a project permission the guard
 * could check (platform admins manage groups, project admins grant group roles in their project),
 * so GroupService checks it on the exact objects.
 */
@Resolver(() => GroupObject)
export class GroupsResolver {
  constructor(private readonly service: GroupService) {}

  @Query(() => GroupConnection, { description: 'Every group, by name.' })
  @Authenticated()
  async groups(@CurrentCaller() caller: Caller, @Args() page: PageArgs): Promise<Connection<GroupObject>> {
    return toConnection(await this.service.listGroups(caller, page), GroupObject.from);
  }

  @Query(() => GroupObject, { description: 'A group by id or by name (ignoring case).' })
  @Authenticated()
  async group(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID, nullable: true }) id?: string,
    @Args('name', { type: () => String, nullable: true }) name?: string,
  ): Promise<GroupObject> {
    const group = id ? await this.service.getGroup(caller, id) : await this.service.getGroupByName(caller, name ?? '');
    return GroupObject.from(group);
  }

  @Query(() => [ProjectGroupRoleObject], { description: 'The groups that hold a role in a project.' })
  @Authenticated()
  async projectGroupRoles(@CurrentCaller() caller: Caller, @Args('projectId', { type: () => ID }) projectId: string): Promise<ProjectGroupRoleObject[]> {
    return (await this.service.listProjectGroups(caller, projectId)).map(ProjectGroupRoleObject.from);
  }

  @ResolveField(() => GroupMemberConnection, { description: 'Members, by user name.' })
  @Authenticated()
  async members(@CurrentCaller() caller: Caller, @Parent() group: GroupObject, @Args() page: PageArgs): Promise<Connection<GroupMemberObject>> {
    return toConnection(await this.service.listMembers(caller, group.id, page), GroupMemberObject.from);
  }

  @ResolveField(() => [ProjectGroupRoleObject], { description: 'The roles the group holds, in the projects you may read.' })
  @Authenticated()
  async projectRoles(@CurrentCaller() caller: Caller, @Parent() group: GroupObject): Promise<ProjectGroupRoleObject[]> {
    return (await this.service.listGroupProjectRoles(caller, group.id)).map(ProjectGroupRoleObject.from);
  }

  @Mutation(() => GroupObject, { description: 'Creates a group (platform admins).' })
  @Authenticated()
  async createGroup(@CurrentCaller() caller: Caller, @Args('input') input: CreateGroupInput): Promise<GroupObject> {
    return GroupObject.from(await this.service.createGroup(caller, input));
  }

  @Mutation(() => Boolean, { description: 'Deletes a group, its members and its project roles (platform admins). Refused while an approval policy or a pending change request names it.' })
  @Authenticated()
  async deleteGroup(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<boolean> {
    return this.service.deleteGroup(caller, id);
  }

  @Mutation(() => GroupMemberObject, { description: 'Adds a user to a group (platform admins); adding a member again changes nothing.' })
  @Authenticated()
  async addGroupMember(@CurrentCaller() caller: Caller, @Args('input') input: GroupMemberInput): Promise<GroupMemberObject> {
    return GroupMemberObject.from(await this.service.addMember(caller, input.groupId, input.userId));
  }

  @Mutation(() => Boolean, { description: 'Removes a user from a group (platform admins); false when they were not a member.' })
  @Authenticated()
  async removeGroupMember(@CurrentCaller() caller: Caller, @Args('input') input: GroupMemberInput): Promise<boolean> {
    return this.service.removeMember(caller, input.groupId, input.userId);
  }

  @Mutation(() => ProjectGroupRoleObject, { description: "Gives a group a role in a project, or changes it (the project's admins)." })
  @Authenticated()
  async setProjectGroupRole(@CurrentCaller() caller: Caller, @Args('input') input: SetProjectGroupRoleInput): Promise<ProjectGroupRoleObject> {
    return ProjectGroupRoleObject.from(await this.service.setProjectRole(caller, input.projectId, input.groupId, input.role));
  }

  @Mutation(() => Boolean, { description: "Takes a group's role in a project away (the project's admins); false when it had none." })
  @Authenticated()
  async removeProjectGroupRole(@CurrentCaller() caller: Caller, @Args('input') input: RemoveProjectGroupRoleInput): Promise<boolean> {
    return this.service.removeProjectRole(caller, input.projectId, input.groupId);
  }
}
