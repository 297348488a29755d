import { createMongoAbility } from '@casl/ability';
import { defineAbilityFor, type AppAbility } from '../../domain/ability';
import type { Principal } from '../../domain/principal';
import { scopeRules, type TokenScope } from './token-scopes';

/**
 * The ability of a caller signed in with a scoped token: its user's ability (`defineAbilityFor`) cut
 * down to what the scopes allow. No scopes (JWT sign-in, or a token from before scopes) means no cut.
 */
export function abilityWithScopes(principal: Principal, scopes: readonly TokenScope[] | null | undefined): AppAbility {
  const ability = defineAbilityFor(principal);
  return scopes ? createMongoAbility<AppAbility>(scopeRules(scopes)(ability.rules)) : ability;
}
