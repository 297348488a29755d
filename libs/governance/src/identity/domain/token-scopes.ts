import type { Action, SubjectType } from '../../domain/ability';
import { invalidScopeError } from './identity.errors';

/**
 * API token scopes. A scope never grants anything: a token may do an action only if its user's roles
 * allow it AND one of its scopes does. Tokens without a scope list (created before scopes existed) are
 * `admin` tokens: everything their user may do.
 */
export const TOKEN_SCOPES = ['admin', 'read', 'predict', 'deploy', 'registry:write'] as const;
export type TokenScope = (typeof TOKEN_SCOPES)[number];

/** What a token gets when its creator names no scopes. */
export const DEFAULT_TOKEN_SCOPES: readonly TokenScope[] = ['admin'];

/** `manage` means every action and `all` every subject, as in CASL. */
type Grant = readonly [actions: readonly Action[], subject: SubjectType];

const WRITE: readonly Action[] = ['create', 'update', 'delete'];
const READ_ANYTHING: Grant = [['read'], 'all'];

/**
 * The (action, subject) pairs each scope lets through. The write scopes include reading everything,
 * because every write first looks up what it changes (the project, the model, the version).
 */
export const TOKEN_SCOPE_GRANTS: { readonly [S in TokenScope]: { readonly description: string; readonly grants: readonly Grant[] } } = {
  admin: {
    description: 'Everything the user may do, including managing tokens and members.',
    grants: [[['manage'], 'all']],
  },
  read: {
    description: 'Only read actions, on anything the user may read.',
    grants: [READ_ANYTHING],
  },
  predict: {
    description: 'Only V2 inference on deployments and reading deployments.',
    grants: [[['predict', 'read'], 'Deployment']],
  },
  deploy: {
    description: 'Create, update and delete deployments, and read anything.',
    grants: [[WRITE, 'Deployment'], READ_ANYTHING],
  },
  'registry:write': {
    description: 'Create, update and delete models, model versions and aliases, upload artifacts, and read anything.',
    grants: [[WRITE, 'Model'], [WRITE, 'ModelVersion'], [WRITE, 'ModelAlias'], [['create'], 'Upload'], READ_ANYTHING],
  },
};

export function isTokenScope(value: unknown): value is TokenScope {
  return typeof value === 'string' && (TOKEN_SCOPES as readonly string[]).includes(value);
}

/**
 * Checks a requested scope list and returns it without duplicates, in the order of TOKEN_SCOPES.
 * Names are exact (`registry:write`, not `Registry:Write`).
 */
export function validateScopes(list: readonly unknown[]): TokenScope[] {
  const known = TOKEN_SCOPES.join(', ');
  if (list.length === 0) {
    throw invalidScopeError(`A token needs at least one scope; use one or more of ${known}.`, { known: [...TOKEN_SCOPES] });
  }
  const unknown = list.filter((s) => !isTokenScope(s));
  if (unknown.length > 0) {
    const names = unknown.map((s) => JSON.stringify(s)).join(', ');
    throw invalidScopeError(`Unknown token scope${unknown.length > 1 ? 's' : ''} ${names}; the known scopes are ${known}.`, {
      unknown: unknown.map(String),
      known: [...TOKEN_SCOPES],
    });
  }
  return TOKEN_SCOPES.filter((s) => list.includes(s));
}

/** The shape of a CASL raw rule that the restriction reads; every other member is kept as it is. */
export interface ScopableRule {
  readonly action: string | readonly string[];
  readonly subject?: string | readonly string[];
  readonly inverted?: boolean;
}

/** The intersection of two action (or subject) lists in which `any` stands for everything. */
function meet(rule: readonly string[], grant: readonly string[], any: string): string[] {
  if (rule.includes(any)) return [...grant];
  if (grant.includes(any)) return [...rule];
  return rule.filter((x) => grant.includes(x));
}

/**
 * The restriction of a token with these scopes: takes the rules of its user's ability (from
 * `defineAbilityFor(principal).rules`, or from the policy service) and returns rules that allow exactly
 * what the user's rules allow AND some scope allows, for object checks and type-level checks alike.
 *
 * Each `can` rule is cut down, in place, to its intersection with each scope grant (`manage` meets
 * `read` as `read`, `all` meets `Deployment` as `Deployment`, and conditions and fields stay); `cannot`
 * rules are kept as they are. So for a pair a scope allows, CASL sees the same rules in the same order
 * as without scopes; for any other pair it sees no `can` rule at all. (Appending `cannot` rules instead
 * cannot express this: a `cannot manage` would also forbid the actions the scope allows.)
 *
 * Each rule is restricted on its own and the order is kept, so the restriction may also be applied
 * rule by rule (to keep per-rule metadata, as the policy service does with each rule's source).
 */
export function scopeRules(scopes: readonly TokenScope[]): <R extends ScopableRule>(rules: readonly R[]) => R[] {
  const grants = [...new Set(scopes)].flatMap((s) => TOKEN_SCOPE_GRANTS[s].grants);
  if (grants.some(([actions, subject]) => actions.includes('manage') && subject === 'all')) return (rules) => [...rules];
  return <R extends ScopableRule>(rules: readonly R[]): R[] =>
    rules.flatMap((rule): R[] => {
      if (rule.inverted) return [rule];
      const actions = ([] as string[]).concat(rule.action);
      const subjects = rule.subject === undefined ? ['all'] : ([] as string[]).concat(rule.subject);
      return grants.flatMap(([grantActions, grantSubject]): R[] => {
        const action = meet(actions, grantActions, 'manage');
        const subject = meet(subjects, [grantSubject], 'all');
        return action.length > 0 && subject.length > 0 ? [{ ...rule, action, subject }] : [];
      });
    });
}
