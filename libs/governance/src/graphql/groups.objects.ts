import { Field, GraphQLISODateTime, ID, InputType, ObjectType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { GroupMember, ProjectGroupRole } from '../groups/domain/group.service';
import type { GroupEntity } from '../groups/persistence';
import { ProjectRoleValue } from './governance.objects';

@ObjectType('GroupMember', { description: 'A user in a group.' })
export class GroupMemberObject {
  @Field(() => ID) groupId!: string;
  @Field(() => ID) userId!: string;
  @Field() userName!: string;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  @Field(() => GraphQLISODateTime) addedAt!: Date;

  static from(m: GroupMember): GroupMemberObject {
    return Object.assign(new GroupMemberObject(), { groupId: m.groupId, userId: m.userId, userName: m.userName, displayName: m.displayName, addedAt: m.addedAt });
  }
}

export const GroupMemberConnection = ConnectionType(GroupMemberObject, 'GroupMember');

@ObjectType('ProjectGroupRole', { description: 'The role every member of a group holds in a project.' })
export class ProjectGroupRoleObject {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) groupId!: string;
  @Field() groupName!: string;
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(r: ProjectGroupRole): ProjectGroupRoleObject {
    return Object.assign(new ProjectGroupRoleObject(), { projectId: r.projectId, groupId: r.groupId, groupName: r.groupName, role: r.role as ProjectRoleValue, createdAt: r.createdAt });
  }
}

@ObjectType('Group', { description: 'A set of users. A group can hold a role in projects (its members get it) and review change requests.' })
export class GroupObject {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  // `members` and `projectRoles` are resolved fields (GroupsResolver).

  static from(e: GroupEntity): GroupObject {
    return Object.assign(new GroupObject(), { id: e.id, name: e.name, description: e.description, createdAt: e.createdAt });
  }
}

export const GroupConnection = ConnectionType(GroupObject, 'Group');

@InputType()
export class CreateGroupInput {
  @Field({ description: 'Unique, ignoring case and Unicode form.' }) name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class GroupMemberInput {
  @Field(() => ID) groupId!: string;
  @Field(() => ID) userId!: string;
}

@InputType()
export class SetProjectGroupRoleInput {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) groupId!: string;
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
}

@InputType()
export class RemoveProjectGroupRoleInput {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) groupId!: string;
}
