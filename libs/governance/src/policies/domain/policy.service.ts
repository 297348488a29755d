import type { RawRuleOf } from '@casl/ability';
import type { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { isUuid, sqlState } from '@modelport/database';
import type { Logger } from '@modelport/observability';
import { asSubject, defineAbilityFor, type Action, type AppAbility, type SubjectType } from '../../domain/ability';
import type { Principal } from '../../domain/principal';
import { isProjectRole, PROJECT_ROLES, type ProjectRole } from '../../domain/roles';
import { scopeRules } from '../../identity/domain/token-scopes';
import { PolicyRuleEntity } from '../persistence/policy-rule.entity';
import { createPolicyAbility } from './policy-ability';
import { isPolicyAction, type PolicySubject } from './policy-catalogue';
import { PolicyError, PolicyErrorCode } from './policy.errors';
import {
  byPrecedence,
  toRawRule,
  validateRule,
  type PolicyConditions,
  type PolicyEffect,
  type PolicyRule,
  type PolicyRuleInput,
  type ValidPolicyRule,
} from './policy-rules';

export interface PolicyServiceOptions {
  readonly logger: Logger;
  /** Called each time this instance (re)loads the rules, with the version loaded. */
  readonly onReload?: (version: number) => void;
  /** How many callers' abilities each policy version keeps built (least recently used go first). Default 1000. */
  readonly abilityCacheSize?: number;
}

/** Where a CASL rule of a caller's ability came from. */
export type RuleSource =
  | { readonly kind: 'policy'; readonly rule: PolicyRule; readonly appliedIn: string }
  | { readonly kind: 'built-in'; readonly description: string };

export interface CompiledRule {
  readonly rule: RawRuleOf<AppAbility>;
  readonly source: RuleSource;
}

export type ExplainedRule =
  | {
      readonly kind: 'policy';
      readonly ruleId: string;
      readonly role: ProjectRole;
      /** null: the platform-wide default of the role; otherwise the project the override belongs to. */
      readonly projectId: string | null;
      /** The project whose membership brought the rule in. */
      readonly appliedIn: string;
      readonly effect: PolicyEffect;
      readonly actions: readonly Action[];
      readonly subject: PolicySubject;
      readonly conditions: PolicyConditions | null;
      readonly fields: readonly string[] | null;
      readonly priority: number;
      readonly reason: string;
    }
  | { readonly kind: 'built-in'; readonly effect: PolicyEffect; readonly description: string };

export interface PolicyExplanation {
  readonly allowed: boolean;
  /** The rule that decided (CASL: the highest-precedence rule that matches), or null when none matched. */
  readonly decidedBy: ExplainedRule | null;
  readonly message: string;
}

/** The two counters of `policy_versions`: rules, and who credentials are (tokens, memberships, groups). */
export interface PolicyVersions {
  readonly policy: number;
  readonly identity: number;
}

export interface PolicyRuleFilter {
  readonly role?: ProjectRole;
  /** undefined: every rule; null: platform-wide defaults only; an id: that project's overrides only. */
  readonly projectId?: string | null;
}

interface Built {
  readonly ability: AppAbility;
  readonly rules: readonly CompiledRule[];
  readonly sources: ReadonlyMap<object, RuleSource>;
}

interface Snapshot {
  readonly version: number;
  readonly defaults: ReadonlyMap<ProjectRole, readonly PolicyRule[]>;
  readonly overrides: ReadonlyMap<string, readonly PolicyRule[]>;
  readonly built: Map<string, Built>;
}

interface RuleRow {
  version: string;
  id: string | null;
  role: string;
  project_id: string | null;
  effect: string;
  actions: string[];
  subject: string;
  fields: string[] | null;
  conditions: Record<string, unknown> | null;
  reason: string;
  priority: number;
  created_by: string | null;
  created_at: Date;
  updated_at: Date;
}

const overrideKey = (role: ProjectRole, projectId: string) => `${role}\u0000${projectId}`;

/**
 * Policies as data. Each caller's CASL ability is built from the stored rules of the roles it holds: for every
 * project it is a member of, the platform-wide rules of its role then that project's overrides for the role,
 * each scoped to that project. Platform admins keep `manage all`; every user keeps the built-in rules of
 * `defineAbilityFor` that are not about projects (itself, its tokens, the plugin list).
 *
 * Replicas stay current by reading `policy_versions.version` (one tiny query) on every `abilityFor`/`rulesFor`
 * call, and reloading all rules only when it changed; so a change applies on the next request, everywhere.
 */
export class PolicyService {
  private snapshot: Snapshot | null = null;
  private loading: Promise<Snapshot> | null = null;
  private versionRead: Promise<PolicyVersions> | null = null;
  private queuedVersionRead: Promise<PolicyVersions> | null = null;
  private readonly cacheSize: number;

  constructor(
    private readonly db: DataSource,
    private readonly options: PolicyServiceOptions,
  ) {
    this.cacheSize = options.abilityCacheSize ?? 1000;
  }

  /** The caller's CASL ability under the current policy version (or under `versions`, just read by the caller). */
  async abilityFor(principal: Principal, versions?: PolicyVersions): Promise<AppAbility> {
    return (await this.built(principal, versions)).ability;
  }

  /** The caller's CASL rules (lowest precedence first) with where each came from; cached per policy version. */
  async rulesFor(principal: Principal): Promise<readonly CompiledRule[]> {
    return (await this.built(principal)).rules;
  }

  /** The current policy version (bumped by every change to the rules). */
  async currentVersion(): Promise<number> {
    return (await this.currentVersions()).policy;
  }

  /**
   * The current policy version and identity version (bumped by every change to who a credential is or which
   * roles it carries: see GovernanceIdentityVersion1795801100000), in one read. Concurrent callers share
   * reads, but only a read that started after they asked: one in flight, and at most one queued behind it
   * for everyone who arrived meanwhile. So every caller sees each change committed before it asked, and a
   * busy prediction path costs about one read per round trip, not one per request.
   */
  async currentVersions(): Promise<PolicyVersions> {
    if (!this.versionRead) {
      this.versionRead = this.readVersions().finally(() => {
        this.versionRead = null;
      });
      return this.versionRead;
    }
    this.queuedVersionRead ??= this.versionRead
      .catch(() => undefined)
      .then(() => {
        this.queuedVersionRead = null;
        return this.currentVersions();
      });
    return this.queuedVersionRead;
  }

  private async readVersions(): Promise<PolicyVersions> {
    const rows: { version: string; identity: string }[] = await this.db.query(
      'SELECT version::text AS version, identity_version::text AS identity FROM policy_versions WHERE singleton',
    );
    if (rows.length === 0) throw new Error('policy_versions is empty: run the migrations (GovernancePolicies1795800300000).');
    return { policy: Number(rows[0]!.version), identity: Number(rows[0]!.identity) };
  }

  /** A stored rule by id, or null (no access check: callers decide who may see it). */
  async findRule(id: string): Promise<PolicyRule | null> {
    const row = isUuid(id) ? await this.db.getRepository(PolicyRuleEntity).findOneBy({ id }) : null;
    return row ? fromEntity(row) : null;
  }

  /** Throws POLICY_FORBIDDEN unless `actor` may create, change or delete a rule of this layer and effect. */
  assertMayEdit(actor: Principal, rule: { readonly projectId: string | null; readonly effect: string }): void {
    assertMayEdit(actor, rule);
  }

  /** Checks a rule without storing it (see `validateRule`). */
  validateRule(input: PolicyRuleInput): ValidPolicyRule {
    return validateRule(input);
  }

  async createRule(actor: Principal, input: PolicyRuleInput): Promise<PolicyRule> {
    const rule = validateRule(input);
    assertMayEdit(actor, rule);
    try {
      const saved = await this.db.getRepository(PolicyRuleEntity).save({ ...toColumns(rule), createdBy: actor.userId });
      return fromEntity(await this.db.getRepository(PolicyRuleEntity).findOneByOrFail({ id: saved.id }));
    } catch (err) {
      throw missingProject(err, rule) ?? err;
    }
  }

  /** Changes the given attributes of a rule; the result is validated as a whole. */
  async updateRule(actor: Principal, id: string, patch: Partial<PolicyRuleInput>): Promise<PolicyRule> {
    return this.db.transaction(async (tx) => {
      const existing = await this.lockedRule(tx, id, actor);
      assertMayEdit(actor, existing);
      const merged: PolicyRuleInput = { ...existing };
      for (const [key, value] of Object.entries(patch)) if (value !== undefined) (merged as unknown as Record<string, unknown>)[key] = value;
      const rule = validateRule(merged);
      assertMayEdit(actor, rule);
      try {
        await tx
          .createQueryBuilder()
          .update(PolicyRuleEntity)
          .set({ ...toColumns(rule), updatedAt: () => 'now()' } as QueryDeepPartialEntity<PolicyRuleEntity>)
          .where('id = :id', { id })
          .execute();
      } catch (err) {
        throw missingProject(err, rule) ?? err;
      }
      return fromEntity(await tx.getRepository(PolicyRuleEntity).findOneByOrFail({ id }));
    });
  }

  async deleteRule(actor: Principal, id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const existing = await this.lockedRule(tx, id, actor);
      assertMayEdit(actor, existing);
      await tx.getRepository(PolicyRuleEntity).delete({ id });
    });
  }

  /** Stored rules, platform defaults first, then by role and precedence. */
  async listRules(filter: PolicyRuleFilter = {}): Promise<PolicyRule[]> {
    const qb = this.db.getRepository(PolicyRuleEntity).createQueryBuilder('r');
    if (filter.role !== undefined) {
      if (!isProjectRole(filter.role)) {
        throw new PolicyError(PolicyErrorCode.INVALID_POLICY_RULE, `"${String(filter.role)}" is not a project role; roles: ${PROJECT_ROLES.join(', ')}.`);
      }
      qb.andWhere('r.role = :role', { role: filter.role });
    }
    if (filter.projectId === null) qb.andWhere('r.project_id IS NULL');
    else if (filter.projectId !== undefined) {
      if (!isUuid(filter.projectId)) return [];
      qb.andWhere('r.project_id = :projectId', { projectId: filter.projectId });
    }
    qb.orderBy('r.project_id', 'ASC', 'NULLS FIRST').addOrderBy('r.role', 'ASC').addOrderBy('r.priority', 'ASC').addOrderBy('r.effect', 'ASC').addOrderBy('r.created_at', 'ASC').addOrderBy('r.id', 'ASC');
    return (await qb.getMany()).map(fromEntity);
  }

  /**
   * Which rule decides whether `principal` may `action` the given object (or the type, without one):
   * the rule CASL picks, i.e. the highest-precedence rule that matches.
   */
  async explain(
    principal: Principal,
    action: Action,
    subjectType: Exclude<SubjectType, 'all'>,
    resource?: Record<string, unknown>,
    field?: string,
  ): Promise<PolicyExplanation> {
    const built = await this.built(principal);
    const subject = resource ? asSubject(subjectType, resource) : subjectType;
    const decisive = built.ability.relevantRuleFor(action, subject, field);
    const what = `${action} ${subjectType}${field ? `.${field}` : ''}${inProject(resource)}`;
    if (!decisive) {
      return { allowed: false, decidedBy: null, message: `No rule allows it: none of the caller's rules grants "${what}".` };
    }
    const allowed = !decisive.inverted;
    const verdict = allowed ? 'Allowed' : 'Denied';
    const source = built.sources.get(decisive.origin);
    if (!source || source.kind === 'built-in') {
      const description = source?.description ?? 'a built-in rule';
      return {
        allowed,
        decidedBy: { kind: 'built-in', effect: allowed ? 'can' : 'cannot', description },
        message: `${verdict} (${what}) by the built-in rule "${description}".`,
      };
    }
    const r = source.rule;
    const layer = r.projectId ? `override in project ${r.projectId}` : 'platform-wide default';
    return {
      allowed,
      decidedBy: {
        kind: 'policy',
        ruleId: r.id,
        role: r.role,
        projectId: r.projectId,
        appliedIn: source.appliedIn,
        effect: r.effect,
        actions: r.actions,
        subject: r.subject,
        conditions: r.conditions,
        fields: r.fields,
        priority: r.priority,
        reason: r.reason,
      },
      message:
        `${verdict} (${what}) by rule ${r.id} of the ${r.role} role (${layer}): ${r.effect} ${r.actions.join(', ')} ${r.subject}` +
        `${r.conditions ? ` where ${JSON.stringify(r.conditions)}` : ''}${r.fields ? ` (fields ${r.fields.join(', ')})` : ''}${r.reason ? ` (${r.reason})` : ''}.`,
    };
  }

  // -------------------------------------------------------------------------------------------------------------

  private async built(principal: Principal, versions?: PolicyVersions): Promise<Built> {
    const snapshot = await this.current(versions?.policy);
    const key = principalKey(principal);
    const cached = snapshot.built.get(key);
    if (cached) {
      snapshot.built.delete(key);
      snapshot.built.set(key, cached);
      return cached;
    }
    const built = build(snapshot, principal);
    snapshot.built.set(key, built);
    if (snapshot.built.size > this.cacheSize) snapshot.built.delete(snapshot.built.keys().next().value!);
    return built;
  }

  /** The snapshot of the current version: one tiny query when nothing changed, a reload when it did. */
  private async current(known?: number): Promise<Snapshot> {
    const version = known ?? (await this.currentVersion());
    while (!this.snapshot || this.snapshot.version < version) {
      this.loading ??= this.load().finally(() => {
        this.loading = null;
      });
      await this.loading;
    }
    return this.snapshot;
  }

  private async load(): Promise<Snapshot> {
    // One statement, one MVCC snapshot: the version and the rules it stands for.
    const rows: RuleRow[] = await this.db.query(
      `SELECT v.version::text AS version, r.id, r.role, r.project_id, r.effect, r.actions, r.subject, r.fields, r.conditions,
              r.reason, r.priority, r.created_by, r.created_at, r.updated_at
         FROM policy_versions v LEFT JOIN policy_rules r ON true
        WHERE v.singleton`,
    );
    if (rows.length === 0) throw new Error('policy_versions is empty: run the migrations (GovernancePolicies1795800300000).');
    const version = Number(rows[0]!.version);
    const rules = rows.filter((row) => row.id !== null).flatMap((row) => this.effectiveRule(row));
    rules.sort(byPrecedence);
    const defaults = new Map<ProjectRole, PolicyRule[]>();
    const overrides = new Map<string, PolicyRule[]>();
    for (const rule of rules) {
      const list = rule.projectId === null ? defaults : overrides;
      const key = rule.projectId === null ? rule.role : overrideKey(rule.role, rule.projectId);
      const bucket = (list as Map<string, PolicyRule[]>).get(key) ?? [];
      bucket.push(rule);
      (list as Map<string, PolicyRule[]>).set(key, bucket);
    }
    const snapshot: Snapshot = { version, defaults, overrides, built: new Map() };
    if (!this.snapshot || this.snapshot.version < version) this.snapshot = snapshot;
    this.options.onReload?.(version);
    return snapshot;
  }

  /**
   * A stored rule as enforced. One that no longer validates (e.g. it names a field a later release removed)
   * fails closed: a `can` is dropped, a `cannot` is kept without its conditions and fields.
   */
  private effectiveRule(row: RuleRow): PolicyRule[] {
    const stored = fromRow(row);
    try {
      return [{ ...stored, ...validateRule(stored) }];
    } catch (err) {
      const problems = err instanceof PolicyError ? err.details['problems'] : (err as Error).message;
      if (stored.effect !== 'cannot' || !isProjectRole(stored.role)) {
        this.options.logger.warn({ ruleId: stored.id, problems }, 'Ignoring a stored policy rule that no longer validates (a can rule: dropped)');
        return [];
      }
      try {
        const strict = validateRule({ ...stored, conditions: null, fields: null, actions: stored.actions.filter(isPolicyAction) });
        this.options.logger.warn({ ruleId: stored.id, problems }, 'A stored cannot rule no longer validates: enforced without its conditions and fields');
        return [{ ...stored, ...strict }];
      } catch {
        this.options.logger.warn({ ruleId: stored.id, problems }, 'Ignoring a stored policy rule that no longer validates and names no known subject');
        return [];
      }
    }
  }

  /** The rule, locked; a rule of a project the actor is not a member of is reported as not found (no existence oracle). */
  private async lockedRule(tx: EntityManager, id: string, actor: Principal): Promise<PolicyRule> {
    const row = isUuid(id) ? await tx.getRepository(PolicyRuleEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } }) : null;
    const visible = row && (actor.isPlatformAdmin || row.projectId === null || actor.memberships.has(row.projectId));
    if (!row || !visible) throw new PolicyError(PolicyErrorCode.POLICY_RULE_NOT_FOUND, `No policy rule with id ${id}.`, { id });
    return fromEntity(row);
  }
}

function build(snapshot: Snapshot, principal: Principal): Built {
  const compiled: CompiledRule[] = [];
  // What is not about projects stays code: platform admins manage all; a user reads itself, manages its tokens, lists plugins.
  for (const rule of defineAbilityFor({ ...principal, memberships: new Map() }).rules) {
    compiled.push({ rule, source: { kind: 'built-in', description: describeBuiltIn(rule, principal.isPlatformAdmin) } });
  }
  if (!principal.isPlatformAdmin) {
    const projectIds = [...principal.memberships.keys()];
    for (const [projectId, role] of principal.memberships) {
      if (!isProjectRole(role)) continue;
      const values = { userId: principal.userId, userName: principal.userName, projectIds, projectId };
      const layered = [...(snapshot.defaults.get(role) ?? []), ...(snapshot.overrides.get(overrideKey(role, projectId)) ?? [])];
      for (const rule of layered) compiled.push({ rule: toRawRule(rule, projectId, values), source: { kind: 'policy', rule, appliedIn: projectId } });
    }
  }
  // A scoped API token: each rule cut down to what the scopes let through, keeping where it came from.
  const restrict = principal.scopes ? scopeRules(principal.scopes) : null;
  const effective = restrict ? compiled.flatMap((c) => restrict([c.rule]).map((rule) => ({ rule, source: c.source }))) : compiled;
  const ability = createPolicyAbility(effective.map((c) => c.rule));
  return { ability, rules: effective, sources: new Map(effective.map((c) => [c.rule as object, c.source])) };
}

function describeBuiltIn(rule: RawRuleOf<AppAbility>, platformAdmin: boolean): string {
  const raw = rule as unknown as { action: string | string[]; subject?: string | string[]; inverted?: boolean; conditions?: unknown };
  const text = `${raw.inverted ? 'cannot' : 'can'} ${[raw.action].flat().join(', ')} ${[raw.subject ?? 'all'].flat().join(', ')}`;
  const where = raw.conditions ? ` where ${JSON.stringify(raw.conditions)}` : '';
  return `${text}${where}${platformAdmin ? ' (platform admin)' : ' (every user)'}`;
}

function principalKey(p: Principal): string {
  const memberships = [...p.memberships].map(([project, role]) => `${project}=${role}`).sort();
  const scopes = p.scopes ? `scopes=${[...p.scopes].sort().join(',')}` : 'unscoped';
  return [p.userId, p.userName, p.isPlatformAdmin ? 'admin' : '', scopes, ...memberships].join('\u0000');
}

function inProject(resource: Record<string, unknown> | undefined): string {
  const project = resource?.['projectId'];
  return typeof project === 'string' ? ` in project ${project}` : '';
}

/**
 * Who may change which rules: platform admins any rule; a project admin only `cannot` overrides in a project it
 * administers (it may tighten its project, never grant beyond the platform defaults).
 */
function assertMayEdit(actor: Principal, rule: { readonly projectId: string | null; readonly effect: string }): void {
  if (actor.isPlatformAdmin) return;
  if (rule.projectId === null) {
    throw new PolicyError(PolicyErrorCode.POLICY_FORBIDDEN, 'Only platform admins may change platform-wide policy rules.', { projectId: null });
  }
  if (actor.memberships.get(rule.projectId) !== 'admin') {
    throw new PolicyError(PolicyErrorCode.POLICY_FORBIDDEN, `Only admins of project ${rule.projectId} (or platform admins) may change its policy rules.`, {
      projectId: rule.projectId,
    });
  }
  if (rule.effect !== 'cannot') {
    throw new PolicyError(
      PolicyErrorCode.POLICY_FORBIDDEN,
      `Project admins may add, change and remove "cannot" rules in project ${rule.projectId}; rules that grant ("can") need a platform admin.`,
      { projectId: rule.projectId, effect: rule.effect },
    );
  }
}

function missingProject(err: unknown, rule: ValidPolicyRule): PolicyError | null {
  if (sqlState(err) !== '23503') return null;
  return new PolicyError(PolicyErrorCode.INVALID_POLICY_RULE, `The policy rule is invalid:\n- projectId: no project ${rule.projectId} exists.`, {
    problems: [`projectId: no project ${rule.projectId} exists`],
  });
}

function toColumns(rule: ValidPolicyRule) {
  return {
    role: rule.role,
    projectId: rule.projectId,
    effect: rule.effect,
    actions: [...rule.actions],
    subject: rule.subject,
    fields: rule.fields ? [...rule.fields] : null,
    conditions: rule.conditions ? { ...rule.conditions } : null,
    reason: rule.reason,
    priority: rule.priority,
  };
}

function fromEntity(e: PolicyRuleEntity): PolicyRule {
  return {
    id: e.id,
    role: e.role,
    projectId: e.projectId,
    effect: e.effect,
    actions: e.actions as Action[],
    subject: e.subject as PolicySubject,
    fields: e.fields,
    conditions: e.conditions,
    reason: e.reason,
    priority: e.priority,
    createdBy: e.createdBy,
    createdAt: e.createdAt,
    updatedAt: e.updatedAt,
  };
}

function fromRow(row: RuleRow): PolicyRule {
  return {
    id: row.id!,
    role: row.role as ProjectRole,
    projectId: row.project_id,
    effect: row.effect as PolicyEffect,
    actions: row.actions as Action[],
    subject: row.subject as PolicySubject,
    fields: row.fields,
    conditions: row.conditions,
    reason: row.reason,
    priority: row.priority,
    createdBy: row.created_by,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
