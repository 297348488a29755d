import { ApiTokenEntity } from './api-token.entity';
import { MembershipEntity } from './membership.entity';
import { ProjectEntity } from './project.entity';
import { UserEntity } from './user.entity';
import { PolicyRuleEntity } from '../policies/persistence/policy-rule.entity';

export { ApiTokenEntity, MembershipEntity, ProjectEntity, UserEntity };
export { governanceMigrations } from './governance.migrations';
export const governanceEntities = [UserEntity, ProjectEntity, MembershipEntity, ApiTokenEntity, PolicyRuleEntity];
