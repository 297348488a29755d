export {
  credentialKind,
  JwtAuthenticator,
  type ExternalIdentities,
  type SignedInUser,
  type VerifiedIdentity,
} from './domain/jwt-authenticator';
export { jwtSignInNotConfigured, type JwtCheck } from './domain/identity.errors';
export {
  TOKEN_SCOPES,
  TOKEN_SCOPE_GRANTS,
  DEFAULT_TOKEN_SCOPES,
  isTokenScope,
  validateScopes,
  scopeRules,
  type TokenScope,
  type ScopableRule,
} from './domain/token-scopes';
export { ExternalIdentityRepository } from './persistence/external-identity.repository';
export { identityMigrations, GovernanceExternalIdentities1795800100000, GovernanceTokenScopes1795800200000 } from './persistence/identity.migrations';
