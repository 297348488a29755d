import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { IdentityService, type Caller } from '../domain/identity.service';
import { Authenticated, Can, CurrentCaller } from './auth.decorators';
import {
  ApiTokenObject,
  CreateApiTokenInput,
  CreatedApiTokenObject,
  CreateProjectInput,
  CreateUserInput,
  ProjectConnection,
  ProjectMemberObject,
  ProjectObject,
  RemoveProjectMemberInput,
  SetProjectMemberInput,
  UserObject,
} from './governance.objects';

@Resolver()
export class GovernanceResolver {
  constructor(private readonly identity: IdentityService) {}

  @Query(() => UserObject, { description: 'The caller.' })
  @Authenticated()
  async me(@CurrentCaller() caller: Caller): Promise<UserObject> {
    return UserObject.from(await this.identity.getUser(caller, caller.principal.userId));
  }

  @Query(() => ProjectConnection, { description: 'Projects the caller may read.' })
  @Authenticated()
  async projects(@CurrentCaller() caller: Caller, @Args() page: PageArgs): Promise<Connection<ProjectObject>> {
    return toConnection(await this.identity.listProjects(caller, page), ProjectObject.from);
  }

  @Query(() => ProjectObject)
  @Can('read', 'Project')
  async project(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID, nullable: true }) id?: string,
    @Args('name', { type: () => String, nullable: true }) name?: string,
  ): Promise<ProjectObject> {
    const project = id ? await this.identity.getProject(caller, id) : await this.identity.getProjectByName(caller, name ?? '');
    return ProjectObject.from(project);
  }

  @Query(() => [ProjectMemberObject])
  @Can('read', 'Membership')
  async projectMembers(@CurrentCaller() caller: Caller, @Args('projectId', { type: () => ID }) projectId: string): Promise<ProjectMemberObject[]> {
    return (await this.identity.listMembers(caller, projectId)).map(ProjectMemberObject.from);
  }

  @Query(() => [ApiTokenObject], { description: "The caller's tokens (platform admins may name another user)." })
  @Authenticated()
  async apiTokens(@CurrentCaller() caller: Caller, @Args('userId', { type: () => ID, nullable: true }) userId?: string): Promise<ApiTokenObject[]> {
    return (await this.identity.listTokens(caller, userId)).map(ApiTokenObject.from);
  }

  @Mutation(() => UserObject)
  @Can('create', 'User')
  async createUser(@CurrentCaller() caller: Caller, @Args('input') input: CreateUserInput): Promise<UserObject> {
    return UserObject.from(await this.identity.createUser(caller, input));
  }

  @Mutation(() => ProjectObject)
  @Can('create', 'Project')
  async createProject(@CurrentCaller() caller: Caller, @Args('input') input: CreateProjectInput): Promise<ProjectObject> {
    return ProjectObject.from(await this.identity.createProject(caller, input));
  }

  @Mutation(() => ProjectMemberObject, { description: 'Adds a member or changes their role.' })
  @Can('create', 'Membership')
  async setProjectMember(@CurrentCaller() caller: Caller, @Args('input') input: SetProjectMemberInput): Promise<ProjectMemberObject> {
    return ProjectMemberObject.from(await this.identity.setMembership(caller, input));
  }

  @Mutation(() => Boolean)
  @Can('delete', 'Membership')
  async removeProjectMember(@CurrentCaller() caller: Caller, @Args('input') input: RemoveProjectMemberInput): Promise<boolean> {
    return this.identity.removeMembership(caller, input);
  }

  @Mutation(() => CreatedApiTokenObject)
  @Authenticated()
  async createApiToken(@CurrentCaller() caller: Caller, @Args('input') input: CreateApiTokenInput): Promise<CreatedApiTokenObject> {
    const { token, record } = await this.identity.createToken(caller, input);
    return { token, apiToken: ApiTokenObject.from(record) };
  }

  @Mutation(() => ApiTokenObject)
  @Authenticated()
  async revokeApiToken(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<ApiTokenObject> {
    return ApiTokenObject.from(await this.identity.revokeToken(caller, id));
  }
}
