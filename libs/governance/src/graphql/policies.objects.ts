import { Field, GraphQLISODateTime, ID, InputType, Int, ObjectType } from '@nestjs/graphql';
import type { RawRuleOf } from '@casl/ability';
import type { AppAbility } from '../domain/ability';
import type { PolicyExplanation, PolicyRule, PolicyRuleInput } from '../policies';
import { PolicyError, PolicyErrorCode } from '../policies';
import { ChangeRequestObject } from './approvals.objects';
import { ProjectRoleValue } from './governance.objects';

@ObjectType('PolicyRule', { description: 'One stored access rule of a project role: platform-wide, or an override in one project.' })
export class PolicyRuleObject {
  @Field(() => ID) id!: string;
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
  @Field(() => ID, { nullable: true, description: 'null: the platform-wide default of the role; otherwise the project it overrides.' }) projectId!: string | null;
  @Field({ description: 'can or cannot.' }) effect!: string;
  @Field(() => [String]) actions!: string[];
  @Field() subject!: string;
  @Field(() => [String], { nullable: true, description: 'The attributes the rule is limited to (e.g. a cannot rule hiding prediction payloads).' })
  fields!: string[] | null;
  @Field(() => String, { nullable: true, description: 'Mongo-style conditions as JSON, placeholders such as "${caller.userId}" unresolved.' })
  conditionsJson!: string | null;
  @Field() reason!: string;
  @Field(() => Int) priority!: number;
  @Field(() => ID, { nullable: true }) createdBy!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;

  static from(r: PolicyRule): PolicyRuleObject {
    return Object.assign(new PolicyRuleObject(), {
      id: r.id,
      role: r.role as ProjectRoleValue,
      projectId: r.projectId,
      effect: r.effect,
      actions: [...r.actions],
      subject: r.subject,
      fields: r.fields ? [...r.fields] : null,
      conditionsJson: r.conditions ? JSON.stringify(r.conditions) : null,
      reason: r.reason,
      priority: r.priority,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt,
    });
  }
}

@InputType('PolicyRuleInput')
export class PolicyRuleInputObject {
  @Field(() => ProjectRoleValue) role!: ProjectRoleValue;
  @Field(() => ID, { nullable: true, description: 'Leave out for a platform-wide default (platform admins only).' }) projectId?: string | null;
  @Field({ description: 'can or cannot.' }) effect!: string;
  @Field(() => [String]) actions!: string[];
  @Field() subject!: string;
  @Field(() => [String], { nullable: true }) fields?: string[] | null;
  @Field(() => String, { nullable: true, description: 'Mongo-style conditions as a JSON object, e.g. {"production": false}.' }) conditionsJson?: string | null;
  @Field(() => String, { nullable: true }) reason?: string | null;
  @Field(() => Int, { nullable: true }) priority?: number | null;
}

@InputType('PolicyRulePatch')
export class PolicyRulePatchObject {
  @Field(() => ProjectRoleValue, { nullable: true }) role?: ProjectRoleValue;
  @Field({ nullable: true }) effect?: string;
  @Field(() => [String], { nullable: true }) actions?: string[];
  @Field({ nullable: true }) subject?: string;
  @Field(() => [String], { nullable: true, description: 'An empty list removes the field limit.' }) fields?: string[];
  @Field(() => String, { nullable: true, description: 'A JSON object; "null" removes the conditions.' }) conditionsJson?: string;
  @Field(() => String, { nullable: true }) reason?: string;
  @Field(() => Int, { nullable: true }) priority?: number;
}

/** Reads the conditions of a GraphQL input; a string that is not JSON is refused naming the field. */
export function parseConditions(json: string | null | undefined): unknown {
  if (json === null || json === undefined) return undefined;
  try {
    return JSON.parse(json) as unknown;
  } catch (err) {
    throw new PolicyError(
      PolicyErrorCode.INVALID_POLICY_RULE,
      `The policy rule is invalid:\n- conditionsJson: is not valid JSON (${(err as Error).message}); give an object such as {"production": false}.`,
      { problems: ['conditionsJson: is not valid JSON'] },
    );
  }
}

export function toRuleInput(input: PolicyRuleInputObject): PolicyRuleInput {
  const { conditionsJson, ...rest } = input;
  return { ...rest, conditions: parseConditions(conditionsJson) ?? null };
}

export function toRulePatch(patch: PolicyRulePatchObject): Partial<PolicyRuleInput> {
  const { conditionsJson, fields, ...rest } = patch;
  const conditions = parseConditions(conditionsJson);
  return {
    ...rest,
    ...(conditions !== undefined ? { conditions } : {}),
    ...(fields !== undefined ? { fields: fields.length === 0 ? null : fields } : {}),
  };
}

@ObjectType('PolicyRuleChange', { description: 'The edit as done at once; or the change request, when an approval policy covers policy edits (policy.edit).' })
export class PolicyRuleChangeObject {
  @Field(() => PolicyRuleObject, { nullable: true }) rule!: PolicyRuleObject | null;
  @Field(() => Boolean, { nullable: true, description: 'For deletions done at once: true.' }) deleted!: boolean | null;
  @Field(() => ChangeRequestObject, { nullable: true }) changeRequest!: ChangeRequestObject | null;
}

@ObjectType('PermissionRule', { description: 'One CASL rule of the caller, as a client can use it to show or hide actions.' })
export class PermissionRuleObject {
  @Field({ description: 'can or cannot.' }) effect!: string;
  @Field(() => [String]) actions!: string[];
  @Field(() => [String]) subjects!: string[];
  @Field(() => String, { nullable: true, description: 'Conditions as JSON, with the caller and project already filled in.' }) conditionsJson!: string | null;
  @Field(() => [String], { nullable: true }) fields!: string[] | null;

  static from(rule: RawRuleOf<AppAbility>): PermissionRuleObject {
    const r = rule as unknown as { action: string | string[]; subject?: string | string[]; inverted?: boolean; conditions?: unknown; fields?: string | string[] };
    return Object.assign(new PermissionRuleObject(), {
      effect: r.inverted ? 'cannot' : 'can',
      actions: [r.action].flat(),
      subjects: [r.subject ?? 'all'].flat(),
      conditionsJson: r.conditions ? JSON.stringify(r.conditions) : null,
      fields: r.fields ? [r.fields].flat() : null,
    });
  }
}

@ObjectType('ProjectRoleGrant')
export class ProjectRoleGrantObject {
  @Field(() => ID) projectId!: string;
  @Field(() => ProjectRoleValue, { description: "The caller's role there: its own, or a higher one of a group it belongs to." }) role!: ProjectRoleValue;
}

@ObjectType('MyPermissions', { description: 'What the caller may do: its roles, its token scopes and its CASL rules under the current policies.' })
export class MyPermissionsObject {
  @Field() isPlatformAdmin!: boolean;
  @Field(() => [String], { nullable: true, description: "The token's scopes; null when the credential is not limited (a sign-in token)." }) scopes!: string[] | null;
  @Field(() => [String], { description: 'The groups the caller belongs to.' }) groups!: string[];
  @Field(() => [ProjectRoleGrantObject]) projects!: ProjectRoleGrantObject[];
  @Field(() => Int, { description: 'The policy version these rules come from.' }) policyVersion!: number;
  @Field(() => [PermissionRuleObject], { description: 'Lowest precedence first (CASL: the last matching rule decides).' }) rules!: PermissionRuleObject[];
}

@ObjectType('AccessDecidingRule')
export class AccessDecidingRuleObject {
  @Field({ description: 'policy (a stored rule) or built-in.' }) kind!: string;
  @Field({ description: 'can or cannot.' }) effect!: string;
  @Field(() => ID, { nullable: true }) ruleId!: string | null;
  @Field(() => ProjectRoleValue, { nullable: true }) role!: ProjectRoleValue | null;
  @Field(() => ID, { nullable: true, description: 'The project the rule overrides; null for a platform-wide default.' }) projectId!: string | null;
  @Field(() => ID, { nullable: true, description: 'The project whose membership brought the rule in.' }) appliedIn!: string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
  @Field(() => String, { nullable: true }) description!: string | null;
}

@ObjectType('AccessExplanation')
export class AccessExplanationObject {
  @Field() allowed!: boolean;
  @Field(() => AccessDecidingRuleObject, { nullable: true, description: 'The rule that decided; null when no rule matched (denied by default).' })
  decidedBy!: AccessDecidingRuleObject | null;
  @Field() message!: string;

  static from(e: PolicyExplanation): AccessExplanationObject {
    const d = e.decidedBy;
    const decidedBy = !d
      ? null
      : d.kind === 'policy'
        ? { kind: 'policy', effect: d.effect, ruleId: d.ruleId, role: d.role as ProjectRoleValue, projectId: d.projectId, appliedIn: d.appliedIn, reason: d.reason, description: null }
        : { kind: 'built-in', effect: d.effect, ruleId: null, role: null, projectId: null, appliedIn: null, reason: null, description: d.description };
    return Object.assign(new AccessExplanationObject(), { allowed: e.allowed, message: e.message, decidedBy });
  }
}
