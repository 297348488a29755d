/** User groups: members, the roles groups hold in projects, and how those merge into a user's memberships. */
export { GroupService, type GroupMember, type GroupServiceOptions, type ProjectGroupRole } from './domain/group.service';
export { GroupError, GroupErrorCode } from './domain/group.errors';
export { effectiveMemberships, type GroupProjectRole } from './domain/effective-memberships';
export { groupIdsByNames, groupNamesOfUser, groupProjectRoles, isGroupMember, SqlGroupDirectory, type GroupDb, type GroupRoleGrant } from './domain/group-queries';
export {
  higherRole,
  projectRoleRank,
  validateGroupDescription,
  validateGroupRole,
  MAX_GROUP_DESCRIPTION_LENGTH,
  MAX_GROUP_NAMES_PER_LOOKUP,
} from './domain/group.rules';
export { groupEntities, groupMigrations, GovernanceGroups1795800600000, GroupEntity, GroupMemberEntity, ProjectGroupRoleEntity } from './persistence';
export { GroupsResolver } from '../graphql/groups.resolver';
export { GroupObject, GroupMemberObject, ProjectGroupRoleObject } from '../graphql/groups.objects';
