import { GovernanceError, GovernanceErrorCode } from '../../domain/governance.errors';

/**
 * Which check a JWT sign-in failed; clients get it as `extensions.check`. The error code stays the
 * one API tokens use for the same situation (TOKEN_EXPIRED for `expired`, TOKEN_INVALID otherwise).
 */
export type JwtCheck =
  | 'not_configured'
  | 'malformed'
  | 'algorithm'
  | 'signature'
  | 'issuer'
  | 'audience'
  | 'expired'
  | 'not_before'
  | 'claims'
  | 'key_set';

export function jwtError(check: JwtCheck, message: string, details: Record<string, unknown> = {}): GovernanceError {
  const code = check === 'expired' ? GovernanceErrorCode.TOKEN_EXPIRED : GovernanceErrorCode.TOKEN_INVALID;
  return new GovernanceError(code, message, { check, ...details });
}

export function jwtSignInNotConfigured(): GovernanceError {
  return jwtError(
    'not_configured',
    'This server does not accept JWT sign-in (no identity provider is configured: MODELPORT_OIDC_ISSUER is unset). Use an API token (mpt_...) instead.',
  );
}

/** An unknown token scope; the message lists the known ones. */
export function invalidScopeError(message: string, details: Record<string, unknown>): GovernanceError {
  return new GovernanceError(GovernanceErrorCode.INVALID_ROLE, message, { field: 'scopes', ...details });
}
