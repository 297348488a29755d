import type { AnyAbility } from '@casl/ability';
import { PolicyError, PolicyErrorCode } from './policy.errors';

/**
 * A small CASL → SQL adapter for TypeORM query builders (no maintained TypeORM adapter exists for CASL 7).
 *
 * `whereFromAbility(ability, action, subjectType, alias, fieldMap)` returns `{ sql, params }` to AND into a
 * query, so that the query returns exactly the rows `ability.can(action, asSubject(subjectType, row))` allows:
 *
 *   const where = whereFromAbility(caller.ability, 'read', 'Deployment', 'd', policyFieldMap('Deployment'));
 *   qb.andWhere(where.sql, where.params);
 *
 * Semantics (see README.md beside this folder for the long form):
 * - The rules are CASL's own `ability.rulesFor(action, subjectType)` (highest precedence first); the first one
 *   that matches a row decides, as in `ability.can`. They are folded into one condition of linear size:
 *   `c1 OR (…)` for a `can` rule and `NOT c1 AND (…)` for a `cannot` rule, consecutive rules of one effect
 *   sharing one OR, and equalities on one column inside it merged into `= ANY(list)` (a member of 100
 *   projects gets one `project_id = ANY(…)`, not 100 ORs). A rule without conditions means every row;
 *   when no rule applies the result is `FALSE`.
 * - `fields` on a rule do not change which rows are returned (a `cannot` with fields hides fields, not rows;
 *   a `can` with fields lets the row be seen with some fields), exactly like `ability.can` without a field.
 *   Strip fields with `permittedFieldsOf` from `@casl/ability/extra`.
 * - Operators: equality, `$eq`, `$ne`, `$in`, `$nin`, `$gt`, `$gte`, `$lt`, `$lte`, and the compound
 *   `and`/`or`/`nor`/`not` nodes (CASL's default Mongo matcher does not parse `$and`/`$or`/`$not`; the policy
 *   matcher in `policy-ability.ts` does). Anything else (`$regex`, `$exists`, `$elemMatch`, `$all`, `$size`,
 *   unknown fields, non-scalar values) throws `UNSUPPORTED_CONDITION`: never silently allowed.
 * - NULL is handled as CASL handles `null` row values (e.g. CASL's `{ version: { $lt: 3 } }` matches a row whose
 *   version is null; so does the SQL). Every fragment is two-valued (never NULL), so `NOT` is exact.
 * - Field types come from the field map: `uuid`, `text` (comparisons use `COLLATE "C"`, i.e. code-point order,
 *   which equals JavaScript's order outside astral characters), `integer` (int2/int4/int8 read as JS numbers),
 *   `boolean`, and `jsonb` (conditions on `column.key.subkey` paths; scalars only; a row whose JSON holds an
 *   array along a used path is never returned: CASL would search the array, this adapter fails closed).
 * - Values are always bound parameters with names unique per call (`casl<n>_<i>`); identifiers in the field
 *   map and the alias must be plain SQL identifiers.
 * - Row objects given to `ability.can` must carry every mapped attribute (`null` for SQL NULL), as entities do;
 *   a nested field-map key (`model.projectId`) assumes its parent object is present (an inner join).
 */

export type ColumnType = 'uuid' | 'text' | 'integer' | 'boolean' | 'jsonb';

export interface ColumnSpec {
  readonly column: string;
  readonly type: ColumnType;
  /** Table alias of the column when it is not the main alias (a joined table). */
  readonly alias?: string;
}

/** Attribute path of the CASL subject (as used in rule conditions) → the column that holds it. */
export type FieldMap = Readonly<Record<string, ColumnSpec>>;

export interface SqlWhere {
  readonly sql: string;
  readonly params: Readonly<Record<string, unknown>>;
}

export interface WhereOptions {
  /** Prefix of the parameter names (letters, digits, underscores). Default: `casl<n>_`, unique per call. */
  readonly paramPrefix?: string;
}

/** The CASL rule shape the adapter reads (a `Rule` of any ability). */
export interface RuleLike {
  readonly inverted: boolean;
  readonly conditions?: unknown;
  readonly ast?: unknown;
  readonly action: unknown;
  readonly subject: unknown;
}

interface AstNode {
  readonly operator: string;
  readonly value: unknown;
  readonly field?: string;
}

type Resolved =
  | { readonly kind: 'column'; readonly field: string; readonly spec: ColumnSpec; readonly sql: string }
  | { readonly kind: 'json'; readonly field: string; readonly spec: ColumnSpec; readonly sql: string; readonly path: readonly string[] };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Integer bounds given to PostgreSQL: beyond every value a JS-number column can hold, inside bigint. */
const INTEGER_BOUND = 2 ** 62;
const COMPARISONS = { lt: '<', lte: '<=', gt: '>', gte: '>=' } as const;
type Comparison = keyof typeof COMPARISONS;
export const SUPPORTED_OPERATORS = ['$eq', '$ne', '$in', '$nin', '$gt', '$gte', '$lt', '$lte', '$and', '$or', '$nor', '$not'] as const;

let calls = 0;

/** The rows of `subjectType` that `ability` lets the caller `action`, as a SQL condition over `alias`. */
export function whereFromAbility(
  ability: AnyAbility,
  action: string,
  subjectType: string,
  alias: string,
  fieldMap: FieldMap,
  options: WhereOptions = {},
): SqlWhere {
  const rules = ability.rulesFor(action, subjectType) as unknown as readonly RuleLike[];
  return whereFromRules(rules, { action, subjectType, alias, fieldMap, ...options });
}

/** Same as `whereFromAbility`, from rules already selected and ordered by CASL (highest precedence first). */
export function whereFromRules(
  rules: readonly RuleLike[],
  target: { action: string; subjectType: string; alias: string; fieldMap: FieldMap; paramPrefix?: string },
): SqlWhere {
  const prefix = target.paramPrefix ?? `casl${++calls}_`;
  if (!IDENTIFIER.test(prefix)) throw new Error(`whereFromAbility: parameter prefix "${prefix}" must be letters, digits and underscores.`);
  if (!IDENTIFIER.test(target.alias)) throw new Error(`whereFromAbility: alias "${target.alias}" must be a plain SQL identifier.`);
  const builder = new SqlBuilder(prefix, target.alias, target.fieldMap, target.action, target.subjectType);
  const combined = builder.combine(rules);
  const filter = combined;
  const guards = [...builder.guards.values()];
  const sql = guards.length === 0 ? `(${filter})` : `(${filter} AND ${guards.join(' AND ')})`;
  return { sql, params: builder.params };
}

/** CASL's comparison of two values (`@ucast/js` compare after mongo2js' normalisation), used to decide NULL rows. */
function jsCompare(a: unknown, b: unknown): number {
  if (a === b) return 0;
  return (a as number) > (b as number) ? 1 : -1;
}

function comparisonHolds(op: Comparison, order: number): boolean {
  switch (op) {
    case 'lt':
      return order === -1;
    case 'lte':
      return order === -1 || order === 0;
    case 'gt':
      return order === 1;
    case 'gte':
      return order === 1 || order === 0;
  }
}

type Scalar = string | number | boolean | null;

class SqlBuilder {
  readonly params: Record<string, unknown> = {};
  /** jsonb paths must hold no arrays along the way (see the header): ANDed at the top, deduplicated. */
  readonly guards = new Map<string, string>();
  private count = 0;
  private current: RuleLike | null = null;

  constructor(
    private readonly prefix: string,
    private readonly alias: string,
    private readonly fieldMap: FieldMap,
    private readonly action: string,
    private readonly subjectType: string,
  ) {}

  /**
   * The rows the rules allow: runs of consecutive rules of one effect, from the lowest precedence up, each
   * run's conditions ORed (equalities on one column merged into `= ANY`).
   */
  combine(rules: readonly RuleLike[]): string {
    const runs: { inverted: boolean; rules: RuleLike[] }[] = [];
    for (const rule of rules) {
      const last = runs.at(-1);
      if (last && last.inverted === rule.inverted) last.rules.push(rule);
      else runs.push({ inverted: rule.inverted, rules: [rule] });
    }
    let below = 'FALSE';
    for (let i = runs.length - 1; i >= 0; i--) {
      const run = runs[i]!;
      // Runs that cannot change the answer are not written (nor their values bound).
      if ((run.inverted && below === 'FALSE') || (!run.inverted && below === 'TRUE')) continue;
      const any = this.anyOf(run.rules);
      if (any === 'TRUE') below = run.inverted ? 'FALSE' : 'TRUE';
      else if (run.inverted) below = below === 'FALSE' ? 'FALSE' : `((NOT ${any}) AND ${below})`;
      else below = below === 'FALSE' ? any : below === 'TRUE' ? 'TRUE' : `(${any} OR ${below})`;
    }
    return below;
  }

  /** Whether any of the rules' conditions holds (TRUE when one has none). */
  private anyOf(rules: readonly RuleLike[]): string {
    const parts: string[] = [];
    const equalities = new Map<string, { target: Resolved; values: Scalar[] }>();
    for (const rule of rules) {
      if (!rule.conditions) return 'TRUE';
      const ast = this.astOf(rule);
      const single = ast.operator === 'and' && Array.isArray(ast.value) && ast.value.length === 1 ? (ast.value[0] as AstNode) : ast;
      if (single.operator === 'eq' && single.field !== undefined) {
        const target = this.resolve(single.field);
        if (target.kind === 'column') {
          const entry = equalities.get(target.field) ?? { target, values: [] };
          entry.values.push(this.scalar(target.field, single.value));
          equalities.set(target.field, entry);
          continue;
        }
      }
      parts.push(this.node(ast));
    }
    for (const { target, values } of equalities.values()) {
      parts.push(values.length === 1 ? this.equals(target, values[0]!) : this.within(target, values));
    }
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }

  private astOf(rule: RuleLike): AstNode {
    this.current = rule;
    let ast: AstNode | undefined;
    try {
      ast = rule.ast as AstNode | undefined; // CASL parses conditions lazily, here
    } catch (err) {
      this.fail(`CASL cannot parse the conditions (${(err as Error).message})`);
    }
    if (!ast || typeof ast.operator !== 'string') {
      this.fail('the rule has conditions but its ability has no Mongo conditions matcher to parse them');
    }
    return ast;
  }

  private node(node: AstNode): string {
    switch (node.operator) {
      case 'and':
      case 'or':
      case 'nor': {
        const children = node.value as AstNode[];
        if (!Array.isArray(children)) this.fail(`"$${node.operator}" needs a list of conditions`);
        const parts = children.map((c) => this.node(c));
        if (node.operator === 'and') return parts.length === 0 ? 'TRUE' : parts.length === 1 ? parts[0]! : `(${parts.join(' AND ')})`;
        const any = parts.length === 0 ? 'FALSE' : parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
        return node.operator === 'or' ? any : `(NOT ${any})`;
      }
      case 'not': {
        const children = node.value as AstNode[];
        if (!Array.isArray(children) || children.length !== 1) this.fail('"$not" needs exactly one condition');
        return `(NOT ${this.node(children[0]!)})`;
      }
      case 'eq':
      case 'ne': {
        const target = this.resolve(node.field);
        const eq = this.equals(target, this.scalar(target.field, node.value));
        return node.operator === 'eq' ? eq : `(NOT ${eq})`;
      }
      case 'in':
      case 'nin': {
        const target = this.resolve(node.field);
        if (!Array.isArray(node.value)) this.fail(`"$${node.operator}" on "${target.field}" needs a list of values`);
        const values = node.value.map((v: unknown) => this.scalar(target.field, v));
        const within = this.within(target, values);
        return node.operator === 'in' ? within : `(NOT ${within})`;
      }
      case 'lt':
      case 'lte':
      case 'gt':
      case 'gte': {
        const target = this.resolve(node.field);
        return this.compare(target, node.operator, this.scalar(target.field, node.value));
      }
      default:
        return this.fail(`the operator "$${node.operator}" is not supported; supported operators: ${SUPPORTED_OPERATORS.join(', ')}`);
    }
  }

  private equals(target: Resolved, value: Scalar): string {
    if (target.kind === 'json') {
      const at = this.jsonAt(target, target.path);
      if (value === null) {
        // CASL: `{ a.b: null }` holds when the parent of `b` is an object whose `b` is missing or null.
        const parent = this.jsonAt(target, target.path.slice(0, -1));
        return `(COALESCE(jsonb_typeof(${parent}) = 'object', FALSE) AND (${at} IS NULL OR ${at} = CAST('null' AS jsonb)))`;
      }
      return `COALESCE(${at} = CAST(${this.param(JSON.stringify(value))} AS jsonb), FALSE)`;
    }
    if (value === null) return `${target.sql} IS NULL`;
    const typed = this.typed(target.spec, value);
    if (typed === undefined) return 'FALSE'; // CASL compares strictly: a value of another type never equals
    return `(${target.sql} IS NOT NULL AND ${target.sql} = ${this.typedParam(target.spec, typed)})`;
  }

  private within(target: Resolved, values: Scalar[]): string {
    const parts: string[] = [];
    const present = values.filter((v): v is Exclude<Scalar, null> => v !== null);
    const hasNull = present.length < values.length;
    if (target.kind === 'json') {
      const at = this.jsonAt(target, target.path);
      const json = [...new Set(present.map((v) => JSON.stringify(v)))];
      if (json.length > 0) parts.push(`COALESCE(${at} = ANY(CAST(${this.param(json)} AS jsonb[])), FALSE)`);
      // CASL's $in compares with ===: a missing key (undefined) is not null.
      if (hasNull) parts.push(`COALESCE(${at} = CAST('null' AS jsonb), FALSE)`);
    } else {
      const typed = [...new Set(present.map((v) => this.typed(target.spec, v)).filter((v) => v !== undefined))];
      if (typed.length > 0) {
        const list = target.spec.type === 'integer' ? `CAST(${this.param(typed)} AS bigint[])` : this.param(typed);
        parts.push(`(${target.sql} IS NOT NULL AND ${target.sql} = ANY(${list}))`);
      }
      if (hasNull) parts.push(`${target.sql} IS NULL`);
    }
    if (parts.length === 0) return 'FALSE';
    return parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  }

  private compare(target: Resolved, op: Comparison, value: Scalar): string {
    const field = target.field;
    if (target.kind === 'json') this.fail(`"$${op}" is not supported on the JSON path "${field}"; use $eq, $ne, $in or $nin there`);
    let bound: unknown;
    let param: string;
    if (target.spec.type === 'integer') {
      if (typeof value !== 'number') this.fail(`"$${op}" on the integer field "${field}" needs a number, got ${JSON.stringify(value)}`);
      // Integers only in the column: x < 2.5 ⇔ x < 3, x <= 2.5 ⇔ x <= 2, and so on.
      const rounded = op === 'lt' || op === 'gte' ? Math.ceil(value) : Math.floor(value);
      bound = Math.max(-INTEGER_BOUND, Math.min(INTEGER_BOUND, rounded));
      param = `CAST(${this.param(bound)} AS bigint)`;
    } else if (target.spec.type === 'text') {
      if (typeof value !== 'string') this.fail(`"$${op}" on the text field "${field}" needs a string, got ${JSON.stringify(value)}`);
      param = this.param(value);
    } else {
      return this.fail(`"$${op}" compares integer and text fields only; "${field}" is ${target.spec.type}`);
    }
    const column = target.spec.type === 'text' ? `${target.sql} COLLATE "C"` : target.sql;
    const holds = `${column} ${COMPARISONS[op]} ${param}`;
    // What CASL answers for a null value is fixed by the operand: decide it here, not in SQL.
    return comparisonHolds(op, jsCompare(null, value)) ? `(${target.sql} IS NULL OR ${holds})` : `(${target.sql} IS NOT NULL AND ${holds})`;
  }

  /** The value as the column type holds it, or undefined when no value of the column can equal it. */
  private typed(spec: ColumnSpec, value: Exclude<Scalar, null>): string | number | boolean | undefined {
    switch (spec.type) {
      case 'uuid':
        // PostgreSQL returns uuids in lower case; CASL compares strings exactly.
        return typeof value === 'string' && CANONICAL_UUID.test(value) ? value : undefined;
      case 'text':
        return typeof value === 'string' ? value : undefined;
      case 'integer':
        return typeof value === 'number' && Number.isSafeInteger(value) ? value : undefined;
      case 'boolean':
        return typeof value === 'boolean' ? value : undefined;
      case 'jsonb':
        return undefined;
    }
  }

  private typedParam(spec: ColumnSpec, value: string | number | boolean): string {
    return spec.type === 'integer' ? `CAST(${this.param(value)} AS bigint)` : this.param(value);
  }

  private scalar(field: string, value: unknown): Scalar {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) this.fail(`"${field}" is compared with ${value}; only finite numbers are supported`);
      return value;
    }
    if (value === undefined) return this.fail(`"${field}" is compared with undefined (a missing value or an unresolved placeholder)`);
    return this.fail(`"${field}" is compared with ${describe(value)}; only strings, numbers, booleans and null are supported`);
  }

  private resolve(field: string | undefined): Resolved {
    if (!field) return this.fail('a condition has no field');
    const known = Object.keys(this.fieldMap).join(', ');
    if (Object.hasOwn(this.fieldMap, field)) {
      const spec = this.fieldMap[field]!;
      if (spec.type === 'jsonb') this.fail(`"${field}" is a JSON column; compare a path inside it, such as "${field}.key"`);
      return { kind: 'column', field, spec, sql: this.column(spec) };
    }
    const parts = field.split('.');
    for (let i = parts.length - 1; i >= 1; i--) {
      const base = parts.slice(0, i).join('.');
      if (!Object.hasOwn(this.fieldMap, base)) continue;
      const spec = this.fieldMap[base]!;
      if (spec.type !== 'jsonb') this.fail(`"${base}" is a ${spec.type} field, so "${field}" cannot address a value inside it`);
      const path = parts.slice(i);
      const bad = path.find((p) => !IDENTIFIER.test(p));
      if (bad !== undefined) this.fail(`the JSON path "${field}" has the segment "${bad}"; segments must be letters, digits and underscores`);
      return { kind: 'json', field, spec, sql: this.column(spec), path };
    }
    return this.fail(`unknown field "${field}"; known fields: ${known || '(none)'}`);
  }

  /** The jsonb value at `path` below the column (the column itself for an empty path), and its array guards. */
  private jsonAt(target: Extract<Resolved, { kind: 'json' }>, path: readonly string[]): string {
    const expression = (p: readonly string[]) => (p.length === 0 ? target.sql : `(${target.sql} #> CAST(${this.param([...p])} AS text[]))`);
    for (let i = 0; i <= target.path.length; i++) {
      const key = JSON.stringify([target.sql, target.path.slice(0, i)]);
      if (!this.guards.has(key)) this.guards.set(key, `COALESCE(jsonb_typeof(${expression(target.path.slice(0, i))}) <> 'array', TRUE)`);
    }
    return expression(path);
  }

  private column(spec: ColumnSpec): string {
    const alias = spec.alias ?? this.alias;
    if (!IDENTIFIER.test(alias) || !IDENTIFIER.test(spec.column)) {
      throw new Error(`whereFromAbility: "${alias}.${spec.column}" is not a plain SQL identifier pair; fix the field map.`);
    }
    return `"${alias}"."${spec.column}"`;
  }

  private param(value: unknown): string {
    const name = `${this.prefix}${this.count++}`;
    this.params[name] = value;
    return `:${name}`;
  }

  private fail(problem: string): never {
    const rule = this.current;
    const what = rule
      ? `the rule "${rule.inverted ? 'cannot' : 'can'} ${String(rule.action)} ${String(rule.subject)}" with conditions ${describe(rule.conditions)}`
      : `a rule on ${this.subjectType}`;
    throw new PolicyError(PolicyErrorCode.UNSUPPORTED_CONDITION, `Cannot turn ${what} into SQL for "${this.action} ${this.subjectType}": ${problem}.`, {
      action: this.action,
      subject: this.subjectType,
      problem,
    });
  }
}

function describe(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  if (value instanceof RegExp) text = String(value);
  return text.length > 200 ? `${text.slice(0, 197)}...` : text;
}
