import { Args, ID, Mutation, Query, Resolver } from '@nestjs/graphql';
import { DataSource } from 'typeorm';
import { AccessService } from '../access/access.service';
import { asSubject, type Action, type SubjectType } from '../domain/ability';
import { GovernanceError, GovernanceErrorCode } from '../domain/governance.errors';
import type { Caller } from '../domain/identity.service';
import { isProjectRole, PROJECT_ROLES } from '../domain/roles';
import {
  isPolicyAction,
  isPolicySubject,
  loadPolicyResource,
  POLICY_ACTIONS,
  POLICY_SUBJECT_NAMES,
  PolicyError,
  PolicyErrorCode,
  PolicyRuleEditing,
  PolicyService,
  type PolicyRuleEdit,
} from '../policies';
import { ChangeRequestObject } from './approvals.objects';
import { Authenticated, CurrentCaller } from './auth.decorators';
import {
  AccessExplanationObject,
  MyPermissionsObject,
  PermissionRuleObject,
  PolicyRuleChangeObject,
  PolicyRuleInputObject,
  PolicyRuleObject,
  PolicyRulePatchObject,
  ProjectRoleGrantObject,
  toRuleInput,
  toRulePatch,
} from './policies.objects';
import type { ProjectRoleValue } from './governance.objects';

/** Subjects that are not project data: their rules are built in (see domain/ability.ts). */
const BUILT_IN_SUBJECTS = ['User', 'ApiToken', 'Plugin'] as const;

@Resolver()
export class PoliciesResolver {
  constructor(
    private readonly policies: PolicyService,
    private readonly editing: PolicyRuleEditing,
    private readonly access: AccessService,
    private readonly db: DataSource,
  ) {}

  @Query(() => [PolicyRuleObject], {
    description:
      'Stored access rules: the platform-wide defaults of each role and the overrides of the projects the caller may read (platform admins: every project). Filter by role and project; platformDefaultsOnly leaves overrides out.',
  })
  @Authenticated()
  async policyRules(
    @CurrentCaller() caller: Caller,
    @Args('role', { type: () => String, nullable: true }) role?: string,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('platformDefaultsOnly', { type: () => Boolean, nullable: true }) platformDefaultsOnly?: boolean,
  ): Promise<PolicyRuleObject[]> {
    if (role !== undefined && role !== null && !isProjectRole(role)) {
      throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `"${role}" is not a project role; roles: ${PROJECT_ROLES.join(', ')}.`, { field: 'role' });
    }
    const rules = await this.policies.listRules({
      role: role ?? undefined,
      projectId: platformDefaultsOnly ? null : (projectId ?? undefined),
    });
    const visible = rules.filter(
      (r) =>
        r.projectId === null ||
        caller.principal.isPlatformAdmin ||
        caller.ability.can('read', asSubject('Project', { id: r.projectId })),
    );
    return visible.map(PolicyRuleObject.from);
  }

  @Mutation(() => PolicyRuleChangeObject, {
    description:
      'Adds an access rule. Platform admins: any rule; admins of a project: cannot rules in that project. Takes effect on the next request of every server; when an approval policy covers policy.edit, a change request is made instead.',
  })
  @Authenticated()
  async createPolicyRule(@CurrentCaller() caller: Caller, @Args('input') input: PolicyRuleInputObject): Promise<PolicyRuleChangeObject> {
    return changeObject(await this.editing.create(caller, toRuleInput(input)));
  }

  @Mutation(() => PolicyRuleChangeObject, { description: 'Changes the given attributes of an access rule; the result is validated as a whole. Gated like createPolicyRule.' })
  @Authenticated()
  async updatePolicyRule(
    @CurrentCaller() caller: Caller,
    @Args('id', { type: () => ID }) id: string,
    @Args('patch') patch: PolicyRulePatchObject,
  ): Promise<PolicyRuleChangeObject> {
    return changeObject(await this.editing.update(caller, id, toRulePatch(patch)));
  }

  @Mutation(() => PolicyRuleChangeObject, { description: 'Removes an access rule. Gated like createPolicyRule.' })
  @Authenticated()
  async deletePolicyRule(@CurrentCaller() caller: Caller, @Args('id', { type: () => ID }) id: string): Promise<PolicyRuleChangeObject> {
    return changeObject(await this.editing.delete(caller, id));
  }

  @Query(() => MyPermissionsObject, { description: 'What the caller may do, as CASL rules a client can evaluate to show or hide actions.' })
  @Authenticated()
  async myPermissions(@CurrentCaller() caller: Caller): Promise<MyPermissionsObject> {
    const { principal } = caller;
    return Object.assign(new MyPermissionsObject(), {
      isPlatformAdmin: principal.isPlatformAdmin,
      scopes: principal.scopes ? [...principal.scopes] : null,
      groups: [...(principal.groups ?? [])],
      projects: [...principal.memberships].map(([projectId, role]) => Object.assign(new ProjectRoleGrantObject(), { projectId, role: role as ProjectRoleValue })),
      policyVersion: await this.policies.currentVersion(),
      rules: caller.ability.rules.map((r) => PermissionRuleObject.from(r)),
    });
  }

  @Query(() => AccessExplanationObject, {
    description:
      'For platform admins: whether a user may do an action on a resource (by id), on any resource of a project (projectId), or on the subject type, and the rule that decided.',
  })
  @Authenticated()
  async explainAccess(
    @CurrentCaller() caller: Caller,
    @Args('userId', { type: () => ID }) userId: string,
    @Args('action') action: string,
    @Args('subject') subject: string,
    @Args('resourceId', { type: () => ID, nullable: true }) resourceId?: string,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('field', { type: () => String, nullable: true }) field?: string,
  ): Promise<AccessExplanationObject> {
    if (!caller.principal.isPlatformAdmin) {
      throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'Only platform admins may ask how access is decided for other users; use myPermissions for your own.', {
        action: 'explainAccess',
      });
    }
    if (!isPolicyAction(action)) {
      throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `Unknown action "${action}"; actions: ${POLICY_ACTIONS.join(', ')}.`, { field: 'action' });
    }
    const builtIn = (BUILT_IN_SUBJECTS as readonly string[]).includes(subject);
    if (!isPolicySubject(subject) && !builtIn) {
      throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `Unknown subject "${subject}"; subjects: ${[...POLICY_SUBJECT_NAMES, ...BUILT_IN_SUBJECTS].join(', ')}.`, {
        field: 'subject',
      });
    }
    const target = await this.access.callerForUser(userId, `explain:${caller.principal.userId}`).catch(() => null);
    if (!target) throw new PolicyError(PolicyErrorCode.RESOURCE_NOT_FOUND, `No user with id ${userId} exists.`, { field: 'userId' });
    let resource: Record<string, unknown> | undefined;
    if (resourceId) {
      if (!isPolicySubject(subject)) {
        throw new PolicyError(PolicyErrorCode.INVALID_ACCESS_QUESTION, `${subject} rules are built in and hold for every ${subject}; leave resourceId out.`, { field: 'resourceId' });
      }
      resource = await loadPolicyResource(this.db, subject, resourceId);
    } else if (projectId) {
      resource = subject === 'Project' ? { id: projectId } : { projectId };
    }
    const explanation = await this.policies.explain(target.principal, action as Action, subject as Exclude<SubjectType, 'all'>, resource, field ?? undefined);
    return AccessExplanationObject.from(explanation);
  }
}

function changeObject(edit: PolicyRuleEdit): PolicyRuleChangeObject {
  return Object.assign(new PolicyRuleChangeObject(), {
    rule: edit.rule ? PolicyRuleObject.from(edit.rule) : null,
    deleted: edit.deleted,
    changeRequest: edit.request ? ChangeRequestObject.from(edit.request) : null,
  });
}
