/** Policies as data: stored role rules, the CASL abilities built from them, and a CASL → SQL adapter for list queries. */
export {
  PolicyService,
  type CompiledRule,
  type ExplainedRule,
  type PolicyExplanation,
  type PolicyRuleFilter,
  type PolicyServiceOptions,
  type PolicyVersions,
  type RuleSource,
} from './domain/policy.service';
export {
  validateRule,
  resolveConditions,
  scopeToProject,
  toRawRule,
  byPrecedence,
  PLACEHOLDERS,
  POLICY_EFFECTS,
  MAX_CONDITIONS_BYTES,
  MAX_CONDITIONS_DEPTH,
  MAX_IN_VALUES,
  MAX_PRIORITY,
  MAX_REASON_LENGTH,
  MIN_PRIORITY,
  type PlaceholderValues,
  type PolicyConditions,
  type PolicyEffect,
  type PolicyRule,
  type PolicyRuleInput,
  type ValidPolicyRule,
} from './domain/policy-rules';
export {
  POLICY_ACTIONS,
  POLICY_SUBJECTS,
  POLICY_SUBJECT_NAMES,
  isPolicyAction,
  isPolicySubject,
  policyFieldMap,
  type AttributeSpec,
  type PolicySubject,
  type SubjectSpec,
} from './domain/policy-catalogue';
export { createPolicyAbility, policyConditionsMatcher } from './domain/policy-ability';
export {
  whereFromAbility,
  whereFromRules,
  SUPPORTED_OPERATORS,
  type ColumnSpec,
  type ColumnType,
  type FieldMap,
  type RuleLike,
  type SqlWhere,
  type WhereOptions,
} from './domain/where-from-ability';
export { PolicyError, PolicyErrorCode } from './domain/policy.errors';
export { policyEntities, policyMigrations, PolicyRuleEntity, GovernancePolicies1795800300000 } from './persistence';
export { loadPolicyResource } from './domain/policy-resources';
export { accessFilter } from './domain/access-filter';
export { PolicyRuleEditing, type PolicyRuleEdit } from './domain/policy-editing';
