import { buildMongoQueryMatcher, createMongoAbility, type RawRuleOf } from '@casl/ability';
import type { AppAbility } from '../../domain/ability';

/**
 * CASL 7's `createMongoAbility` parses field operators only: `{ $or: [...] }` in a rule's conditions is read
 * as equality on a field named "$or" (never true, so a `cannot` written that way silently does nothing).
 * Stored policies may use `$and`, `$or`, `$nor` at document level and `$not` at field level, so abilities built
 * from them use this matcher: CASL's default operators plus those four, with the same JavaScript semantics as
 * MongoDB (and as `whereFromAbility` renders them in SQL).
 */
type Instructions = NonNullable<Parameters<typeof buildMongoQueryMatcher>[0]>;
type Interpreters = NonNullable<Parameters<typeof buildMongoQueryMatcher>[1]>;
type Instruction = Instructions[string];

interface CompoundNode {
  readonly value: readonly unknown[];
}
interface InterpretContext {
  interpret(node: unknown, object: unknown): boolean;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

const compound: Instruction = {
  type: 'compound',
  validate(instruction: { name: string }, value: unknown) {
    if (!Array.isArray(value) || value.length === 0) throw new Error(`"$${instruction.name}" expects a non-empty list of conditions`);
    value.forEach((item, i) => {
      if (!isPlainObject(item)) throw new Error(`"$${instruction.name}" expects item ${i} to be an object of conditions`);
    });
  },
};

const not: Instruction = {
  type: 'field',
  validate(_instruction: { name: string }, value: unknown) {
    if (!isPlainObject(value) || Object.keys(value).length === 0 || !Object.keys(value).every((k) => k.startsWith('$'))) {
      throw new Error('"$not" expects an object of field operators, e.g. { $not: { $in: [...] } }');
    }
  },
  // { f: { $not: ops } } is { $nor: [{ f: ops }] }: parsed by the document parser, interpreted by `nor`.
  parse(_instruction: unknown, value: unknown, context: { field: string; parse(query: unknown): unknown }) {
    return context.parse({ $nor: [{ [context.field]: value }] });
  },
} as unknown as Instruction;

const or = (node: CompoundNode, object: unknown, { interpret }: InterpretContext) => node.value.some((child) => interpret(child, object));
const nor = (node: CompoundNode, object: unknown, context: InterpretContext) => !or(node, object, context);

export const policyConditionsMatcher = buildMongoQueryMatcher(
  { $and: compound, $or: compound, $nor: compound, $not: not } as Instructions,
  { or, nor } as unknown as Interpreters,
);

/** A CASL ability over stored policy rules: CASL's Mongo matcher plus `$and`/`$or`/`$nor`/`$not`. */
export function createPolicyAbility(rules: RawRuleOf<AppAbility>[]): AppAbility {
  return createMongoAbility<AppAbility>(rules, { conditionsMatcher: policyConditionsMatcher });
}
