import { PolicyRuleEntity } from './policy-rule.entity';

export { PolicyRuleEntity };
export { policyMigrations, GovernancePolicies1795800300000 } from './policies.migrations';
export const policyEntities = [PolicyRuleEntity];
