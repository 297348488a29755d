import {
  GraphQLError,
  Kind,
  type ASTVisitor,
  type FieldNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValueNode,
} from 'graphql';

export interface QueryLimits {
  readonly maxDepth: number;
  readonly maxCost: number;
  readonly maxAliases: number;
  /** Page size assumed for a list field called without `first`. */
  readonly defaultPageSize: number;
}

function intArgument(field: FieldNode, name: string, variables: Record<string, unknown>): number | null {
  const arg = field.arguments?.find((a) => a.name.value === name);
  if (!arg) return null;
  const value: ValueNode = arg.value;
  if (value.kind === Kind.INT) return Number(value.value);
  if (value.kind === Kind.VARIABLE) {
    const v = variables[value.name.value];
    return typeof v === 'number' ? v : null;
  }
  return null;
}

const CONNECTION_ITEMS = new Set(['nodes', 'edges']);

interface Measure {
  depth: number;
  cost: number;
  aliases: number;
}

/**
 * Walks an operation once and measures its depth, its estimated cost (each
 * field costs 1, multiplied by the page size of every enclosing paged list)
 * and its number of aliases. Fragments are expanded; a fragment cycle is left
 * to graphql-js's own NoFragmentCycles rule.
 */
export function measureOperation(
  operation: OperationDefinitionNode,
  fragments: Readonly<Record<string, FragmentDefinitionNode>>,
  variables: Record<string, unknown>,
  defaultPageSize: number,
): Measure {
  const measure: Measure = { depth: 0, cost: 0, aliases: 0 };
  // A variable the request leaves out takes its default from the operation; count that, not the fallback page size.
  const defaults: Record<string, unknown> = {};
  for (const def of operation.variableDefinitions ?? []) {
    if (def.defaultValue?.kind === Kind.INT) defaults[def.variable.name.value] = Number(def.defaultValue.value);
  }
  variables = { ...defaults, ...variables };
  const visit = (set: SelectionSetNode, depth: number, multiplier: number, seen: Set<string>): void => {
    for (const selection of set.selections) {
      if (selection.kind === Kind.FIELD) {
        if (selection.name.value.startsWith('__') && selection.name.value !== '__schema' && selection.name.value !== '__type') continue;
        if (selection.alias) measure.aliases++;
        measure.cost += multiplier;
        const fieldDepth = depth + 1;
        if (fieldDepth > measure.depth) measure.depth = fieldDepth;
        if (selection.selectionSet) {
          // A connection's nodes/edges are already counted by the connection's page size.
          const connectionItems = CONNECTION_ITEMS.has(selection.name.value) && !selection.arguments?.length;
          const paged = !connectionItems && (selection.arguments?.some((a) => a.name.value === 'first') || selection.name.value.endsWith('s'));
          const first = intArgument(selection, 'first', variables) ?? (paged ? defaultPageSize : 1);
          visit(selection.selectionSet, fieldDepth, multiplier * Math.max(1, first), seen);
        }
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        visit(selection.selectionSet, depth, multiplier, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments[name];
        if (fragment && !seen.has(name)) visit(fragment.selectionSet, depth, multiplier, new Set(seen).add(name));
      }
    }
  };
  visit(operation.selectionSet, 0, 1, new Set());
  return measure;
}

/** A graphql-js validation rule enforcing depth, cost and alias limits with errors that say what to change. */
export function queryLimitsRule(limits: QueryLimits, variables: () => Record<string, unknown> = () => ({})) {
  return (context: ValidationContext): ASTVisitor => {
    const fragments: Record<string, FragmentDefinitionNode> = {};
    for (const def of context.getDocument().definitions) {
      if (def.kind === Kind.FRAGMENT_DEFINITION) fragments[def.name.value] = def;
    }
    return {
      OperationDefinition(node) {
        const m = measureOperation(node, fragments, variables(), limits.defaultPageSize);
        const name = node.name?.value ?? 'anonymous operation';
        if (m.depth > limits.maxDepth) {
          context.reportError(new GraphQLError(`${name} is ${m.depth} levels deep; the maximum is ${limits.maxDepth}. Split it into shallower queries.`, { nodes: [node], extensions: { code: 'QUERY_TOO_DEEP' } }));
        }
        if (m.cost > limits.maxCost) {
          context.reportError(
            new GraphQLError(`${name} has an estimated cost of ${m.cost}; the maximum is ${limits.maxCost}. Ask for smaller pages (first) or fewer nested lists.`, {
              nodes: [node],
              extensions: { code: 'QUERY_TOO_COSTLY' },
            }),
          );
        }
        if (m.aliases > limits.maxAliases) {
          context.reportError(new GraphQLError(`${name} uses ${m.aliases} aliases; the maximum is ${limits.maxAliases}.`, { nodes: [node], extensions: { code: 'TOO_MANY_ALIASES' } }));
        }
      },
    };
  };
}
