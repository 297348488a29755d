import { ApprovalAction } from '../../approvals/domain/approval.types';
import type { ApprovalService } from '../../approvals/domain/approval.service';
import type { ChangeRequestEntity } from '../../approvals/persistence/change-request.entity';
import type { Caller } from '../../domain/identity.service';
import type { Principal } from '../../domain/principal';
import type { AuditSink } from '../../graphql/audit.interceptor';
import type { PolicyService } from './policy.service';
import { PolicyError, PolicyErrorCode } from './policy.errors';
import type { PolicyRule, PolicyRuleInput, ValidPolicyRule } from './policy-rules';

/** An edit of an access rule: done at once, or a change request when an approval policy covers `policy.edit`. */
export type PolicyRuleEdit =
  | { readonly rule: PolicyRule | null; readonly deleted: boolean | null; readonly request: null }
  | { readonly rule: null; readonly deleted: null; readonly request: ChangeRequestEntity };

type Payload =
  | { readonly op: 'create'; readonly rule: PolicyRuleInput }
  | { readonly op: 'update'; readonly ruleId: string; readonly patch: Partial<PolicyRuleInput> }
  | { readonly op: 'delete'; readonly ruleId: string };

const TARGET = 'PolicyRule';

/**
 * Edits of access rules through the approval workflow: when an approval policy covers `policy.edit` in the
 * rule's project (or platform-wide, for platform-wide rules), an edit becomes a change request; once
 * approved it is applied as a job in the author's name, after checking that the rule is still what the
 * reviewers saw (an update or delete of a rule changed meanwhile is STALE). Who may edit what is checked
 * before the request is made, and again when it is applied.
 */
export class PolicyRuleEditing {
  constructor(
    private readonly policies: PolicyService,
    private readonly approvals: ApprovalService | null,
    private readonly audit: AuditSink | null = null,
  ) {
    approvals?.registerPolicyEditApplier(TARGET, {
      checkPrecondition: async (request) => {
        const payload = request.payload as Payload;
        if (payload.op === 'create') return { ok: true };
        const current = await this.policies.findRule(payload.ruleId);
        if (!current) return { ok: false, reason: `Policy rule ${payload.ruleId} was deleted after the request was made.` };
        if (current.updatedAt.toISOString() !== request.precondition['updatedAt']) {
          return { ok: false, reason: `Policy rule ${payload.ruleId} changed after the request was made; make a new request.` };
        }
        return { ok: true };
      },
      apply: async (request, actingAs) => {
        const payload = request.payload as Payload;
        const author = actingAs.author.principal;
        const via = { changeRequestId: request.id, approverIds: [...actingAs.approverIds] };
        if (payload.op === 'create') return { ruleId: (await this.createNow(author, payload.rule, via)).id };
        if (payload.op === 'update') return { ruleId: (await this.updateNow(author, payload.ruleId, payload.patch, via)).id };
        await this.deleteNow(author, payload.ruleId, via);
        return { deletedRuleId: payload.ruleId };
      },
    });
  }

  async create(caller: Caller, input: PolicyRuleInput): Promise<PolicyRuleEdit> {
    const rule = this.policies.validateRule(input);
    this.policies.assertMayEdit(caller.principal, rule);
    const gated = await this.gate(caller, rule.projectId, null, { op: 'create', rule: input }, {}, `Add access rule: ${describe(rule)}`);
    if (gated) return gated;
    return { rule: await this.createNow(caller.principal, input), deleted: null, request: null };
  }

  async update(caller: Caller, id: string, patch: Partial<PolicyRuleInput>): Promise<PolicyRuleEdit> {
    const existing = await this.visible(caller, id);
    const merged = this.policies.validateRule({ ...existing, ...definedOnly(patch) });
    this.policies.assertMayEdit(caller.principal, existing);
    this.policies.assertMayEdit(caller.principal, merged);
    const gated = await this.gate(
      caller,
      existing.projectId,
      id,
      { op: 'update', ruleId: id, patch },
      { updatedAt: existing.updatedAt.toISOString() },
      `Change access rule ${id}: ${describe(existing)} → ${describe(merged)}`,
    );
    if (gated) return gated;
    return { rule: await this.updateNow(caller.principal, id, patch), deleted: null, request: null };
  }

  async delete(caller: Caller, id: string): Promise<PolicyRuleEdit> {
    const existing = await this.visible(caller, id);
    this.policies.assertMayEdit(caller.principal, existing);
    const gated = await this.gate(caller, existing.projectId, id, { op: 'delete', ruleId: id }, { updatedAt: existing.updatedAt.toISOString() }, `Remove access rule ${id}: ${describe(existing)}`);
    if (gated) return gated;
    await this.deleteNow(caller.principal, id);
    return { rule: null, deleted: true, request: null };
  }

  // Each applied edit goes to the audit trail with the rule before and after.
  private async createNow(actor: Principal, input: PolicyRuleInput, via?: Record<string, unknown>): Promise<PolicyRule> {
    const rule = await this.policies.createRule(actor, input);
    await this.record(actor, 'policyRule.created', rule.id, rule.projectId, null, rule, via);
    return rule;
  }

  private async updateNow(actor: Principal, id: string, patch: Partial<PolicyRuleInput>, via?: Record<string, unknown>): Promise<PolicyRule> {
    const before = await this.policies.findRule(id);
    const rule = await this.policies.updateRule(actor, id, patch);
    await this.record(actor, 'policyRule.updated', id, rule.projectId, before, rule, via);
    return rule;
  }

  private async deleteNow(actor: Principal, id: string, via?: Record<string, unknown>): Promise<void> {
    const before = await this.policies.findRule(id);
    await this.policies.deleteRule(actor, id);
    await this.record(actor, 'policyRule.deleted', id, before?.projectId ?? null, before, null, via);
  }

  private async record(actor: Principal, action: string, id: string, projectId: string | null, before: unknown, after: unknown, via?: Record<string, unknown>): Promise<void> {
    await this.audit?.append({
      actorId: actor.userId,
      actorName: actor.userName,
      action,
      resourceType: 'PolicyRule',
      resourceId: id,
      projectId,
      outcome: 'ok',
      before,
      after,
      details: via ?? null,
    });
  }

  /** A rule the caller may see; rules of projects it is not a member of are reported as not found. */
  private async visible(caller: Caller, id: string): Promise<PolicyRule> {
    const rule = await this.policies.findRule(id);
    const { principal } = caller;
    if (!rule || !(principal.isPlatformAdmin || rule.projectId === null || principal.memberships.has(rule.projectId))) {
      throw new PolicyError(PolicyErrorCode.POLICY_RULE_NOT_FOUND, `No policy rule with id ${id}.`, { id });
    }
    return rule;
  }

  private async gate(
    caller: Caller,
    projectId: string | null,
    targetId: string | null,
    payload: Payload,
    precondition: Record<string, unknown>,
    summary: string,
  ): Promise<PolicyRuleEdit | null> {
    if (!this.approvals) return null;
    const gated = await this.approvals.gate(caller, {
      action: ApprovalAction.POLICY_EDIT,
      projectId,
      targetType: TARGET,
      targetId,
      payload: payload as unknown as Record<string, unknown>,
      precondition,
      summary: summary.length > 480 ? `${summary.slice(0, 477)}...` : summary,
    });
    return gated.required ? { rule: null, deleted: null, request: gated.request } : null;
  }
}

function definedOnly<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function describe(rule: ValidPolicyRule): string {
  const where = rule.conditions ? ` where ${JSON.stringify(rule.conditions)}` : '';
  const fields = rule.fields ? ` (fields ${rule.fields.join(', ')})` : '';
  const scope = rule.projectId ? `in project ${rule.projectId}` : 'platform-wide';
  return `${rule.role} ${rule.effect} ${rule.actions.join(', ')} ${rule.subject}${where}${fields}, ${scope}`;
}
