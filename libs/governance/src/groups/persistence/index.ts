import { GroupEntity } from './group.entity';
import { GroupMemberEntity } from './group-member.entity';
import { ProjectGroupRoleEntity } from './project-group-role.entity';

export { GroupEntity, GroupMemberEntity, ProjectGroupRoleEntity };
export { groupMigrations, GovernanceGroups1795800600000 } from './groups.migrations';
export const groupEntities = [GroupEntity, GroupMemberEntity, ProjectGroupRoleEntity];
