import type { RawRuleOf } from '@casl/ability';
import type { Action, AppAbility } from '../../domain/ability';
import { isProjectRole, PROJECT_ROLES, type ProjectRole } from '../../domain/roles';
import { createPolicyAbility } from './policy-ability';
import { isPolicyAction, isPolicySubject, POLICY_ACTIONS, POLICY_SUBJECT_NAMES, POLICY_SUBJECTS, policyFieldMap, type PolicySubject } from './policy-catalogue';
import { PolicyError, PolicyErrorCode } from './policy.errors';
import { whereFromAbility, type ColumnType } from './where-from-ability';

/** Stored policy rules: what a submitted rule may say, how it is checked, and how it becomes a CASL rule. */

export type PolicyEffect = 'can' | 'cannot';
export const POLICY_EFFECTS: readonly PolicyEffect[] = ['can', 'cannot'];
export const MAX_REASON_LENGTH = 500;
export const MIN_PRIORITY = -1000;
export const MAX_PRIORITY = 1000;
export const MAX_CONDITIONS_BYTES = 4096;
export const MAX_CONDITIONS_DEPTH = 8;
export const MAX_IN_VALUES = 100;

/** Mongo-style conditions, as stored (placeholders unresolved). */
export type PolicyConditions = Readonly<Record<string, unknown>>;

/** A rule as submitted (from GraphQL or a script): loosely typed until `validateRule` accepts it. */
export interface PolicyRuleInput {
  readonly role: string;
  /** null or absent: the platform-wide default for the role; a project id: an override in that project. */
  readonly projectId?: string | null;
  readonly effect: string;
  readonly actions: readonly string[];
  readonly subject: string;
  readonly fields?: readonly string[] | null;
  readonly conditions?: unknown;
  readonly reason?: string | null;
  readonly priority?: number | null;
}

export interface ValidPolicyRule {
  readonly role: ProjectRole;
  readonly projectId: string | null;
  readonly effect: PolicyEffect;
  readonly actions: readonly Action[];
  readonly subject: PolicySubject;
  readonly fields: readonly string[] | null;
  readonly conditions: PolicyConditions | null;
  readonly reason: string;
  readonly priority: number;
}

export interface PolicyRule extends ValidPolicyRule {
  readonly id: string;
  /** null for the seeded defaults. */
  readonly createdBy: string | null;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

// ---------------------------------------------------------------------------------------------------------------
// Placeholders: a string value "${caller.userId}" is replaced when a caller's ability is built.

interface PlaceholderSpec {
  readonly list: boolean;
  readonly type: 'uuid' | 'text';
  readonly description: string;
}

export const PLACEHOLDERS: Readonly<Record<string, PlaceholderSpec>> = {
  'caller.userId': { list: false, type: 'uuid', description: "the caller's user id" },
  'caller.userName': { list: false, type: 'text', description: "the caller's user name" },
  'caller.projectIds': { list: true, type: 'uuid', description: 'the ids of every project the caller is a member of' },
  'project.id': { list: false, type: 'uuid', description: 'the id of the project the rule is applied in' },
};
const PLACEHOLDER_LIST = Object.keys(PLACEHOLDERS)
  .map((name) => `"\${${name}}"`)
  .join(', ');

/** The values placeholders take for one caller in one project. */
export interface PlaceholderValues {
  readonly userId: string;
  readonly userName: string;
  readonly projectIds: readonly string[];
  readonly projectId: string;
}

type ParsedPlaceholder = { readonly name: string; readonly spec: PlaceholderSpec } | { readonly error: string } | null;

/** null when the string is no placeholder at all. */
function parsePlaceholder(value: string): ParsedPlaceholder {
  if (!value.includes('${')) return null;
  const match = /^\$\{([^{}]*)\}$/.exec(value);
  if (!match) {
    return { error: `"${value}" is a malformed placeholder: a placeholder must be the whole value, exactly one of ${PLACEHOLDER_LIST}` };
  }
  const spec = PLACEHOLDERS[match[1]!];
  if (!spec || !Object.hasOwn(PLACEHOLDERS, match[1]!)) return { error: `"${value}" is an unknown placeholder; known placeholders: ${PLACEHOLDER_LIST}` };
  return { name: match[1]!, spec };
}

function placeholderValue(name: string, values: PlaceholderValues): string | readonly string[] {
  switch (name) {
    case 'caller.userId':
      return values.userId;
    case 'caller.userName':
      return values.userName;
    case 'caller.projectIds':
      return values.projectIds;
    case 'project.id':
      return values.projectId;
    default:
      throw new Error(`unknown placeholder ${name}`);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Validation

const DOCUMENT_OPERATORS = ['$and', '$or', '$nor'] as const;
const FIELD_OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$not'] as const;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const UUID_ANY_CASE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const PATH_SEGMENT = /^[A-Za-z_][A-Za-z0-9_]*$/;

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isOperatorObject(value: unknown): value is Record<string, unknown> {
  return isPlainObject(value) && Object.keys(value).length > 0 && Object.keys(value).every((k) => k.startsWith('$'));
}

type Target = { readonly kind: 'column'; readonly type: ColumnType } | { readonly kind: 'json' };

function filterableFields(subject: PolicySubject): string[] {
  return Object.entries(POLICY_SUBJECTS[subject].attributes)
    .filter(([, spec]) => spec.filterable)
    .map(([name, spec]) => (spec.type === 'jsonb' ? `${name}.<key>` : name));
}

class ConditionChecker {
  constructor(
    private readonly subject: PolicySubject,
    private readonly problems: string[],
  ) {}

  document(doc: unknown, at: string, depth: number): void {
    if (depth > MAX_CONDITIONS_DEPTH) {
      this.problems.push(`${at}: conditions nest deeper than ${MAX_CONDITIONS_DEPTH} levels`);
      return;
    }
    if (!isPlainObject(doc)) {
      this.problems.push(`${at}: conditions must be an object such as { "production": false }`);
      return;
    }
    for (const [key, value] of Object.entries(doc)) {
      const where = `${at}.${key}`;
      if (key.startsWith('$')) {
        if (!(DOCUMENT_OPERATORS as readonly string[]).includes(key)) {
          this.problems.push(`${where}: "${key}" is not supported at the top of a condition; allowed there: ${DOCUMENT_OPERATORS.join(', ')} (field operators: ${FIELD_OPERATORS.join(', ')})`);
          continue;
        }
        if (!Array.isArray(value) || value.length === 0) {
          this.problems.push(`${where}: "${key}" needs a non-empty list of conditions`);
          continue;
        }
        value.forEach((item, i) => this.document(item, `${where}[${i}]`, depth + 1));
        continue;
      }
      const target = this.target(key, where);
      if (target) this.fieldValue(value, target, key, where, depth + 1);
    }
  }

  private target(field: string, where: string): Target | null {
    const attributes = POLICY_SUBJECTS[this.subject].attributes;
    const known = `known fields of ${this.subject}: ${filterableFields(this.subject).join(', ')}`;
    if (Object.hasOwn(attributes, field)) {
      const spec = attributes[field]!;
      if (!spec.filterable) {
        this.problems.push(`${where}: "${field}" of ${this.subject} cannot be tested in conditions (it can only be hidden with "fields"); ${known}`);
        return null;
      }
      if (spec.type === 'jsonb') {
        this.problems.push(`${where}: "${field}" is a JSON object; test a key inside it, such as "${field}.team"`);
        return null;
      }
      return { kind: 'column', type: spec.type as ColumnType };
    }
    const [base, ...path] = field.split('.');
    const spec = base !== undefined && Object.hasOwn(attributes, base) ? attributes[base]! : undefined;
    if (spec && path.length > 0) {
      if (spec.type !== 'jsonb' || !spec.filterable) {
        this.problems.push(`${where}: "${base}" is not a JSON field that conditions may look inside; ${known}`);
        return null;
      }
      const bad = path.find((segment) => !PATH_SEGMENT.test(segment));
      if (bad !== undefined) {
        this.problems.push(`${where}: the key "${bad}" in "${field}" must be letters, digits and underscores`);
        return null;
      }
      return { kind: 'json' };
    }
    this.problems.push(`${where}: unknown field "${field}"; ${known}`);
    return null;
  }

  private fieldValue(value: unknown, target: Target, field: string, where: string, depth: number): void {
    if (depth > MAX_CONDITIONS_DEPTH) {
      this.problems.push(`${where}: conditions nest deeper than ${MAX_CONDITIONS_DEPTH} levels`);
      return;
    }
    if (isPlainObject(value)) {
      const keys = Object.keys(value);
      if (keys.length === 0 || !keys.every((k) => k.startsWith('$'))) {
        this.problems.push(`${where}: an object value must hold only operators (${FIELD_OPERATORS.join(', ')}), e.g. { "$in": [...] }`);
        return;
      }
      for (const [op, operand] of Object.entries(value)) this.operator(op, operand, target, field, `${where}.${op}`, depth);
      return;
    }
    if (Array.isArray(value)) {
      this.problems.push(`${where}: a list is not a value; to match any of several values write { "$in": [...] }`);
      return;
    }
    this.value(value, target, where, { list: 'allowed' });
  }

  private operator(op: string, operand: unknown, target: Target, field: string, where: string, depth: number): void {
    switch (op) {
      case '$eq':
      case '$ne':
        this.value(operand, target, where, { list: op === '$eq' ? 'use $in' : 'use $nin' });
        return;
      case '$in':
      case '$nin': {
        if (typeof operand === 'string') {
          const placeholder = parsePlaceholder(operand);
          if (placeholder && 'spec' in placeholder && placeholder.spec.list) {
            this.placeholderFits(placeholder.name, placeholder.spec, target, where);
            return;
          }
        }
        if (!Array.isArray(operand)) {
          this.problems.push(`${where}: "${op}" needs a list of values or "\${caller.projectIds}"`);
          return;
        }
        if (operand.length > MAX_IN_VALUES) this.problems.push(`${where}: "${op}" lists ${operand.length} values; at most ${MAX_IN_VALUES}`);
        operand.forEach((item, i) => this.value(item, target, `${where}[${i}]`, { list: 'not in a list' }));
        return;
      }
      case '$gt':
      case '$gte':
      case '$lt':
      case '$lte': {
        if (target.kind === 'json' || (target.type !== 'integer' && target.type !== 'text')) {
          const type = target.kind === 'json' ? 'a value inside a JSON field' : target.type;
          this.problems.push(`${where}: "${op}" compares integer and text fields only; "${field}" is ${type} (use $eq, $ne, $in or $nin)`);
          return;
        }
        if (operand === null) {
          this.problems.push(`${where}: "${op}" cannot compare with null`);
          return;
        }
        this.value(operand, target, where, { list: `not with ${op}` });
        return;
      }
      case '$not':
        if (!isOperatorObject(operand)) {
          this.problems.push(`${where}: "$not" needs an object of operators, e.g. { "$not": { "$in": [...] } }`);
          return;
        }
        for (const [inner, innerOperand] of Object.entries(operand)) this.operator(inner, innerOperand, target, field, `${where}.${inner}`, depth + 1);
        return;
      default:
        this.problems.push(`${where}: the operator "${op}" is not supported; supported operators on a field: ${FIELD_OPERATORS.join(', ')}`);
    }
  }

  /** One scalar value (or placeholder) tested against a field. */
  private value(value: unknown, target: Target, where: string, options: { list: 'allowed' | string }): void {
    if (typeof value === 'string') {
      const placeholder = parsePlaceholder(value);
      if (placeholder && 'error' in placeholder) {
        this.problems.push(`${where}: ${placeholder.error}`);
        return;
      }
      if (placeholder) {
        if (placeholder.spec.list && options.list !== 'allowed') {
          this.problems.push(`${where}: "${value}" is a list of values: ${options.list} (write { "$in": "${value}" })`);
          return;
        }
        this.placeholderFits(placeholder.name, placeholder.spec, target, where);
        return;
      }
    }
    if (value === null) return;
    const shown = JSON.stringify(value) ?? String(value);
    if (target.kind === 'json') {
      if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return;
      this.problems.push(`${where}: ${shown} is not a value a JSON key can be compared with (a string, number, boolean or null)`);
      return;
    }
    switch (target.type) {
      case 'uuid':
        if (typeof value === 'string' && CANONICAL_UUID.test(value)) return;
        this.problems.push(
          typeof value === 'string' && UUID_ANY_CASE.test(value)
            ? `${where}: write the UUID ${shown} in lower case`
            : `${where}: ${shown} is not a UUID (expected lower-case "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", "\${caller.userId}" or "\${project.id}")`,
        );
        return;
      case 'text':
        if (typeof value === 'string') return;
        this.problems.push(`${where}: ${shown} is not text (expected a string)`);
        return;
      case 'integer':
        if (typeof value === 'number' && Number.isSafeInteger(value)) return;
        this.problems.push(`${where}: ${shown} is not an integer`);
        return;
      case 'boolean':
        if (typeof value === 'boolean') return;
        this.problems.push(`${where}: ${shown} is not true or false`);
        return;
      case 'jsonb':
        this.problems.push(`${where}: test a key inside the JSON field`);
    }
  }

  private placeholderFits(name: string, spec: PlaceholderSpec, target: Target, where: string): void {
    if (target.kind === 'json') return;
    if (target.type === spec.type || (spec.type === 'uuid' && target.type === 'text')) return;
    this.problems.push(`${where}: "\${${name}}" is ${spec.description} (${spec.type}) and cannot be compared with a ${target.type} field`);
  }
}

function invalid(problems: string[], input: unknown): never {
  throw new PolicyError(PolicyErrorCode.INVALID_POLICY_RULE, `The policy rule is invalid:\n- ${problems.join('\n- ')}`, { problems, input });
}

/**
 * Checks a submitted rule and returns it normalised, or throws INVALID_POLICY_RULE listing every problem
 * (each names what was wrong and what is allowed). A rule that passes is guaranteed to translate to SQL.
 */
export function validateRule(input: PolicyRuleInput): ValidPolicyRule {
  const problems: string[] = [];
  if (typeof input !== 'object' || input === null) invalid(['a rule must be an object'], input);

  const role = input.role;
  if (!isProjectRole(role)) problems.push(`role: "${String(role)}" is not a project role; roles: ${PROJECT_ROLES.join(', ')}`);

  const projectId = input.projectId ?? null;
  if (projectId !== null && (typeof projectId !== 'string' || !CANONICAL_UUID.test(projectId))) {
    problems.push(`projectId: ${JSON.stringify(projectId)} is not a lower-case project UUID (or null for the platform-wide default)`);
  }

  const effect = input.effect;
  if (!(POLICY_EFFECTS as readonly string[]).includes(effect)) problems.push(`effect: "${String(effect)}" is not one of ${POLICY_EFFECTS.join(', ')}`);

  const actions: Action[] = [];
  if (!Array.isArray(input.actions) || input.actions.length === 0) {
    problems.push(`actions: list at least one of ${POLICY_ACTIONS.join(', ')}`);
  } else {
    for (const action of input.actions) {
      if (!isPolicyAction(action)) problems.push(`actions: "${String(action)}" is not an action; actions: ${POLICY_ACTIONS.join(', ')}`);
      else if (!actions.includes(action)) actions.push(action);
    }
  }

  const subject = input.subject;
  const subjectOk = isPolicySubject(subject);
  if (!subjectOk) {
    problems.push(`subject: "${String(subject)}" is not a subject rules can govern; subjects: ${POLICY_SUBJECT_NAMES.join(', ')}`);
  }

  let fields: string[] | null = null;
  if (input.fields !== undefined && input.fields !== null) {
    if (!Array.isArray(input.fields) || input.fields.length === 0) {
      problems.push('fields: list at least one field, or leave fields out to cover whole objects');
    } else if (subjectOk) {
      const known = Object.keys(POLICY_SUBJECTS[subject].attributes);
      fields = [];
      for (const field of input.fields) {
        if (typeof field !== 'string' || !known.includes(field)) {
          problems.push(`fields: "${String(field)}" is not a field of ${subject}; fields: ${known.join(', ')}`);
        } else if (!fields.includes(field)) fields.push(field);
      }
    }
  }

  let conditions: PolicyConditions | null = null;
  if (input.conditions !== undefined && input.conditions !== null) {
    // Stored as JSON and read back as JSON: check (and keep) exactly that, as plain objects CASL recognises.
    let json: string | undefined;
    try {
      json = JSON.stringify(input.conditions);
    } catch {
      json = undefined;
    }
    if (json === undefined) problems.push('conditions: must be plain JSON');
    const size = json === undefined ? 0 : Buffer.byteLength(json);
    if (size > MAX_CONDITIONS_BYTES) {
      problems.push(`conditions: ${size} bytes of JSON; at most ${MAX_CONDITIONS_BYTES}`);
    } else if (json !== undefined && subjectOk) {
      const parsed: unknown = JSON.parse(json);
      const before = problems.length;
      new ConditionChecker(subject, problems).document(parsed, 'conditions', 0);
      if (problems.length === before && Object.keys(parsed as object).length > 0) conditions = parsed as PolicyConditions;
    }
  }

  const reason = input.reason ?? '';
  if (typeof reason !== 'string') problems.push('reason: must be text');
  else if (reason.length > MAX_REASON_LENGTH) problems.push(`reason: ${reason.length} characters; at most ${MAX_REASON_LENGTH}`);

  const priority = input.priority ?? 0;
  if (typeof priority !== 'number' || !Number.isInteger(priority) || priority < MIN_PRIORITY || priority > MAX_PRIORITY) {
    problems.push(`priority: ${JSON.stringify(priority)} is not an integer from ${MIN_PRIORITY} to ${MAX_PRIORITY}`);
  }

  if (problems.length > 0) invalid(problems, input);

  const rule: ValidPolicyRule = {
    role: role as ProjectRole,
    projectId,
    effect: effect as PolicyEffect,
    actions,
    subject: subject as PolicySubject,
    fields,
    conditions,
    reason: (reason as string).trim(),
    priority: priority as number,
  };
  // The last word: CASL parses the rule and the SQL adapter translates it, as they will for real.
  const sample = '00000000-0000-4000-8000-000000000000';
  try {
    const ability = createPolicyAbility([toRawRule(rule, sample, { userId: sample, userName: 'sample', projectIds: [sample], projectId: sample })]);
    for (const action of actions) whereFromAbility(ability, action, rule.subject, 'x', policyFieldMap(rule.subject));
  } catch (err) {
    invalid([`conditions: ${(err as Error).message}`], input);
  }
  return rule;
}

// ---------------------------------------------------------------------------------------------------------------
// From a stored rule to a CASL rule for one caller in one project

function resolveScalar(value: unknown, values: PlaceholderValues): unknown {
  if (typeof value !== 'string') return value;
  const placeholder = parsePlaceholder(value);
  return placeholder && 'name' in placeholder ? placeholderValue(placeholder.name, values) : value;
}

function resolveList(value: unknown, values: PlaceholderValues): unknown {
  if (typeof value === 'string') return resolveScalar(value, values);
  return Array.isArray(value) ? value.map((v) => resolveScalar(v, values)) : value;
}

function resolveFieldValue(value: unknown, values: PlaceholderValues): unknown {
  if (isOperatorObject(value)) {
    const out: Record<string, unknown> = {};
    for (const [op, operand] of Object.entries(value)) {
      if (op === '$not') out[op] = resolveFieldValue(operand, values);
      else if (op === '$in' || op === '$nin') out[op] = resolveList(operand, values);
      else out[op] = resolveScalar(operand, values);
    }
    return out;
  }
  const resolved = resolveScalar(value, values);
  // A list placeholder as a field's value means "any of them".
  return Array.isArray(resolved) ? { $in: resolved } : resolved;
}

/** Conditions with every placeholder replaced by the caller's values. */
export function resolveConditions(conditions: PolicyConditions, values: PlaceholderValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(conditions)) {
    if ((DOCUMENT_OPERATORS as readonly string[]).includes(key) && Array.isArray(value)) {
      out[key] = value.map((doc) => resolveConditions(doc as PolicyConditions, values));
    } else {
      out[key] = resolveFieldValue(value, values);
    }
  }
  return out;
}

/** Conditions limited to one project (the subject's project attribute must equal it). */
export function scopeToProject(subject: PolicySubject, projectId: string, conditions: Record<string, unknown> | null): Record<string, unknown> {
  const key = POLICY_SUBJECTS[subject].scopeKey;
  if (!conditions) return { [key]: projectId };
  if (Object.hasOwn(conditions, key)) return { $and: [{ [key]: projectId }, conditions] };
  return { [key]: projectId, ...conditions };
}

/** The CASL rule a stored rule becomes for a caller who holds its role in `projectId`. */
export function toRawRule(rule: ValidPolicyRule, projectId: string, values: PlaceholderValues): RawRuleOf<AppAbility> {
  const conditions = scopeToProject(rule.subject, projectId, rule.conditions ? resolveConditions(rule.conditions, values) : null);
  const raw: Record<string, unknown> = { action: [...rule.actions], subject: rule.subject, conditions };
  if (rule.effect === 'cannot') raw['inverted'] = true;
  if (rule.fields) raw['fields'] = [...rule.fields];
  if (rule.reason) raw['reason'] = rule.reason;
  return raw as unknown as RawRuleOf<AppAbility>;
}

/**
 * CASL lets the last matching rule decide, so rules are listed from lowest to highest precedence:
 * platform defaults before project overrides; within a layer lower priority first; at equal priority `can`
 * before `cannot` (a `cannot` wins a tie); then oldest first, then by id (a stable order).
 */
export function byPrecedence(a: PolicyRule, b: PolicyRule): number {
  const layer = Number(a.projectId !== null) - Number(b.projectId !== null);
  if (layer !== 0) return layer;
  if (a.priority !== b.priority) return a.priority - b.priority;
  if (a.effect !== b.effect) return a.effect === 'can' ? -1 : 1;
  const time = a.createdAt.getTime() - b.createdAt.getTime();
  if (time !== 0) return time;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}
