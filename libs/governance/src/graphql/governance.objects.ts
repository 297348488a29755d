import { Field, GraphQLISODateTime, ID, InputType, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { ApiTokenEntity, MembershipEntity, ProjectEntity, UserEntity } from '../persistence';

export enum ProjectRoleValue {
  ADMIN = 'admin',
  ML_ENGINEER = 'ml-engineer',
  DATA_SCIENTIST = 'data-scientist',
  VIEWER = 'viewer',
}
registerEnumType(ProjectRoleValue, { name: 'ProjectRole', description: 'What a member may do in a project.' });

@ObjectType('User')
export class UserObject {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field(() => String, { nullable: true }) displayName!: string | null;
  @Field() isPlatformAdmin!: boolean;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: UserEntity): UserObject {
    return Object.assign(new UserObject(), { id: e.id, name: e.name, displayName: e.displayName, isPlatformAdmin: e.isPlatformAdmin, createdAt: e.createdAt });
  }
}

@ObjectType('Project', { description: 'The tenancy unit: models, versions and members belong to one project.' })
export class ProjectObject {
  @Field(() => ID) id!: string;
  @Field() name!: string;
  @Field() description!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: ProjectEntity): ProjectObject {
    return Object.assign(new ProjectObject(), { id: e.id, name: e.name, description: e.description, createdAt: e.createdAt });
  }
}

export const ProjectConnection = ConnectionType(ProjectObject, 'Project');

@ObjectType('ProjectMember')
export class ProjectMemberObject {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) userId!: string;
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
  @Field(() => GraphQLISODateTime) createdAt!: Date;

  static from(e: MembershipEntity): ProjectMemberObject {
    return Object.assign(new ProjectMemberObject(), { projectId: e.projectId, userId: e.userId, role: e.role as ProjectRoleValue, createdAt: e.createdAt });
  }
}

@ObjectType('ApiToken', { description: 'An API token; its secret is shown only once, when created.' })
export class ApiTokenObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) userId!: string;
  @Field() name!: string;
  @Field({ description: 'The first characters of the secret, to recognise it.' }) hint!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) expiresAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) revokedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastUsedAt!: Date | null;
  @Field(() => [String], { description: 'What the token is limited to: admin (everything its user may do), read, predict, deploy, registry:write.' })
  scopes!: string[];

  static from(e: ApiTokenEntity): ApiTokenObject {
    return Object.assign(new ApiTokenObject(), {
      id: e.id,
      userId: e.userId,
      name: e.name,
      hint: e.hint,
      createdAt: e.createdAt,
      expiresAt: e.expiresAt,
      revokedAt: e.revokedAt,
      lastUsedAt: e.lastUsedAt,
      scopes: [...e.scopes],
    });
  }
}

@ObjectType('CreatedApiToken')
export class CreatedApiTokenObject {
  @Field({ description: 'The secret. It is not stored and cannot be shown again.' }) token!: string;
  @Field(() => ApiTokenObject) apiToken!: ApiTokenObject;
}

@InputType()
export class CreateProjectInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) description?: string | null;
}

@InputType()
export class CreateUserInput {
  @Field() name!: string;
  @Field(() => String, { nullable: true }) displayName?: string | null;
  @Field({ nullable: true, defaultValue: false }) isPlatformAdmin?: boolean;
}

@InputType()
export class SetProjectMemberInput {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) userId!: string;
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
}

@InputType()
export class RemoveProjectMemberInput {
  @Field(() => ID) projectId!: string;
  @Field(() => ID) userId!: string;
}

@InputType()
export class CreateApiTokenInput {
  @Field() name!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) expiresAt?: Date | null;
  @Field(() => ID, { nullable: true, description: 'Platform admins may create tokens for other users.' }) userId?: string | null;
  @Field(() => [String], {
    nullable: true,
    description:
      'Limits the token (it never grants beyond its user\'s roles): admin (everything the user may do; the default), read, predict (V2 inference and reading deployments), deploy, registry:write.',
  })
  scopes?: string[] | null;
}
