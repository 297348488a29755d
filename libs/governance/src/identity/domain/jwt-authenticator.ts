import {
  createLocalJWKSet,
  createRemoteJWKSet,
  decodeProtectedHeader,
  type CryptoKey,
  jwtVerify,
  type JWTPayload,
  type JWTVerifyGetKey,
  type JWTVerifyOptions,
  type JWTVerifyResult,
} from 'jose';
import type { Clock } from '../../domain/identity.service';
import type { Principal } from '../../domain/principal';
import type { ProjectRole } from '../../domain/roles';
import { hashToken, TOKEN_PREFIX } from '../../domain/tokens';
import { jwtError } from './identity.errors';
import { DEFAULT_CLOCK_TOLERANCE_SECONDS, JWT_DEFAULT_ALGORITHMS, JWT_OPTION_PATHS, jwtOptionProblems, type JwtAuthenticatorOptions } from '@modelport/config';

/**
 * How to read a bearer credential: API tokens start with `mpt_` (bootstrap tokens never hold a dot);
 * anything else made of dot-separated parts is a JWT.
 */
export function credentialKind(bearer: string): 'api-token' | 'jwt' {
  if (bearer.startsWith(TOKEN_PREFIX)) return 'api-token';
  return bearer.split('.').length >= 3 ? 'jwt' : 'api-token';
}

/** What a verified token says about its user. */
export interface VerifiedIdentity {
  readonly issuer: string;
  readonly subject: string;
  /** The name claim's value, for a user signing in for the first time. */
  readonly preferredName: string | null;
  /** The standard `name` claim (display name). */
  readonly displayName: string | null;
  /** Whether the token's groups hold the admin group; null when no admin group is configured. */
  readonly platformAdmin: boolean | null;
  /** The groups the token lists (the groups claim), for roles granted to Modelport groups of the same name. */
  readonly groups: readonly string[];
  /** The token's `exp`. */
  readonly expiresAt?: Date;
}

/** The Modelport user behind an external identity. */
export interface SignedInUser {
  readonly userId: string;
  readonly userName: string;
  readonly isPlatformAdmin: boolean;
  readonly memberships: ReadonlyMap<string, ProjectRole>;
}

/** Finds (or, at first sign-in, creates) the user of an external identity. */
export interface ExternalIdentities {
  signIn(identity: VerifiedIdentity, now: Date): Promise<SignedInUser>;
}

/** The key set could not be fetched; not the token's fault. */
class KeySetUnavailable extends Error {}

/** More groups than this in one token are ignored (a token is not a directory). */
const MAX_TOKEN_GROUPS = 256;

const systemClock: Clock = { now: () => new Date() };

function joseCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('ERR_J') ? code : undefined;
}

const iso = (seconds: unknown): string | null => (typeof seconds === 'number' && Number.isFinite(seconds) ? new Date(seconds * 1000).toISOString() : null);

/**
 * Signs users in with JWTs from one OIDC identity provider: verifies signature (against the configured
 * key set, with an algorithm allow-list), issuer, audience, expiry and not-before, then maps the token's
 * issuer and subject to a Modelport user. Every refusal is a GovernanceError saying which check failed.
 */
export class JwtAuthenticator {
  private readonly keys: JWTVerifyGetKey;
  private readonly algorithms: readonly string[];

  constructor(
    private readonly options: JwtAuthenticatorOptions,
    private readonly identities: ExternalIdentities,
    private readonly clock: Clock = systemClock,
  ) {
    const problems = jwtOptionProblems(options, (field) => JWT_OPTION_PATHS[field]);
    if (problems.length > 0) throw new Error(`Invalid JWT sign-in options:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.algorithms = options.algorithms ?? JWT_DEFAULT_ALGORITHMS;
    this.keys = options.jwks ? createLocalJWKSet(options.jwks) : remoteKeys(options.jwksUrl!);
  }

  /** The principal of a JWT bearer token, or a GovernanceError saying why it is refused. */
  async authenticate(bearer: string): Promise<Principal> {
    const identity = await this.verify(bearer);
    const user = await this.identities.signIn(identity, this.clock.now());
    return {
      userId: user.userId,
      userName: user.userName,
      isPlatformAdmin: user.isPlatformAdmin,
      // Names the credential (for logs and audit) without revealing it.
      tokenId: `jwt:${hashToken(bearer)}`,
      memberships: user.memberships,
      groups: identity.groups,
      expiresAt: identity.expiresAt ?? null,
    };
  }

  /** Checks the token and reads its identity claims; touches no database. */
  async verify(bearer: string): Promise<VerifiedIdentity> {
    const now = this.clock.now();
    let payload: JWTPayload;
    try {
      payload = (await this.verifyWithKeySet(bearer, now)).payload;
    } catch (err) {
      throw this.explain(err, bearer, now);
    }
    const subject = payload.sub;
    if (typeof subject !== 'string' || subject === '') {
      throw jwtError('claims', 'The sign-in token\'s "sub" (subject) claim is empty or not a string; Modelport needs it to know who is signing in.');
    }
    const claims = this.options.claims;
    const text = (name: string): string | null => {
      const v = payload[name];
      return typeof v === 'string' && v.trim() !== '' ? v : null;
    };
    const listed = payload[claims.groups ?? 'groups'];
    const groups = (typeof listed === 'string' ? [listed] : Array.isArray(listed) ? listed : []).filter((g): g is string => typeof g === 'string' && g !== '');
    const platformAdmin = claims.platformAdmin === undefined ? null : groups.includes(claims.platformAdmin);
    return {
      issuer: this.options.issuer,
      subject,
      preferredName: text(claims.name ?? 'preferred_username'),
      displayName: text('name'),
      platformAdmin,
      groups: groups.slice(0, MAX_TOKEN_GROUPS),
      ...(typeof payload.exp === 'number' ? { expiresAt: new Date(payload.exp * 1000) } : {}),
    };
  }

  private async verifyWithKeySet(token: string, now: Date): Promise<JWTVerifyResult> {
    const options: JWTVerifyOptions = {
      issuer: this.options.issuer,
      audience: this.options.audience,
      algorithms: [...this.algorithms],
      clockTolerance: this.options.clockToleranceSeconds ?? DEFAULT_CLOCK_TOLERANCE_SECONDS,
      currentDate: now,
      requiredClaims: ['sub', 'exp'],
    };
    try {
      return await jwtVerify(token, this.keys, options);
    } catch (err) {
      if (joseCode(err) !== 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
      // A token without a key id, and several keys that fit its algorithm: the one that verifies it wins.
      for await (const key of err as AsyncIterable<CryptoKey>) {
        try {
          return await jwtVerify(token, key, options);
        } catch (inner) {
          if (joseCode(inner) !== 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED') throw inner;
        }
      }
      throw Object.assign(new Error('no key of the set verifies the signature'), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' });
    }
  }

  /** A refusal a user can act on, from what jose reported. */
  private explain(err: unknown, token: string, now: Date): Error {
    const payload = ((err as { payload?: JWTPayload }).payload ?? {}) as JWTPayload;
    const claim = (err as { claim?: string }).claim;
    const reason = (err as { reason?: string }).reason;
    if (err instanceof KeySetUnavailable) {
      return jwtError('key_set', `Could not check the sign-in token: ${err.message}. Try again shortly; if it persists, the server's identity provider settings need attention.`);
    }
    switch (joseCode(err)) {
      case 'ERR_JOSE_ALG_NOT_ALLOWED':
      case 'ERR_JOSE_NOT_SUPPORTED': {
        let alg: unknown;
        try {
          alg = decodeProtectedHeader(token).alg;
        } catch {
          alg = undefined;
        }
        const allowed = this.algorithms.join(', ');
        if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
          return jwtError('algorithm', `The sign-in token is not signed (alg "none"); only signed tokens are accepted (${allowed}).`, { algorithm: alg, allowed: [...this.algorithms] });
        }
        return jwtError('algorithm', `The sign-in token is signed with ${JSON.stringify(alg)}, which this server does not accept; accepted: ${allowed}.`, {
          algorithm: alg ?? null,
          allowed: [...this.algorithms],
        });
      }
      case 'ERR_JWKS_NO_MATCHING_KEY':
      case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED': {
        let kid: unknown;
        try {
          kid = decodeProtectedHeader(token).kid;
        } catch {
          kid = undefined;
        }
        const which = typeof kid === 'string' ? ` (key id "${kid}")` : '';
        return jwtError('signature', `The sign-in token is signed by a key not in the configured key set${which}. Check that it comes from ${this.options.issuer}.`);
      }
      case 'ERR_JWT_EXPIRED': {
        const at = iso(payload.exp) ?? 'an unknown time';
        return jwtError('expired', `The sign-in token expired at ${at}; sign in again to get a new one.`, { expiredAt: iso(payload.exp) });
      }
      case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
        return this.claimError(claim, reason, payload, now, (err as Error).message);
      case 'ERR_JWS_INVALID':
      case 'ERR_JWT_INVALID':
        return jwtError('malformed', `The bearer token looks like a JWT but is not a valid signed one (${(err as Error).message}).`);
      default:
        return err as Error;
    }
  }

  private claimError(claim: string | undefined, reason: string | undefined, payload: JWTPayload, now: Date, detail: string): Error {
    const expected = this.options.issuer;
    if (claim === 'iss') {
      if (reason === 'missing') return jwtError('issuer', `The sign-in token names no issuer ("iss"); this server accepts tokens from "${expected}".`, { expected, got: null });
      const got = payload.iss;
      const slash = typeof got === 'string' && got.replace(/\/$/, '') === expected.replace(/\/$/, '') ? ' (they differ only by a trailing slash)' : '';
      return jwtError('issuer', `The sign-in token was issued by ${JSON.stringify(got)}, but this server accepts tokens from "${expected}"${slash}.`, { expected, got: got ?? null });
    }
    if (claim === 'aud') {
      const audience = this.options.audience!;
      const got = payload.aud;
      const listed = got === undefined ? 'names no audience' : `is for audience ${[got].flat().map((a) => JSON.stringify(a)).join(', ')}`;
      return jwtError('audience', `The sign-in token ${listed}, but this server accepts only tokens for "${audience}".`, { expected: audience, got: got ?? null });
    }
    if (claim === 'nbf' && reason === 'check_failed') {
      return jwtError(
        'not_before',
        `The sign-in token is not valid before ${iso(payload.nbf)} (it is ${now.toISOString()} on this server). Wait, or check the clocks of the identity provider and this server.`,
        { notBefore: iso(payload.nbf) },
      );
    }
    if (claim === 'sub' && reason === 'missing') {
      return jwtError('claims', 'The sign-in token has no "sub" (subject) claim; Modelport needs it to know who is signing in.');
    }
    if (claim === 'exp' && reason === 'missing') {
      return jwtError('claims', 'The sign-in token has no "exp" (expiry) claim; only tokens that expire are accepted.');
    }
    return jwtError('claims', `The sign-in token's ${claim ? `"${claim}" claim` : 'claims'} failed a check: ${detail}.`);
  }
}

/** The key set at a URL, fetched on first use and cached; a fetch failure is told apart from a bad token. */
function remoteKeys(url: string): JWTVerifyGetKey {
  const remote = createRemoteJWKSet(new URL(url));
  return async (header, token) => {
    try {
      return await remote(header, token);
    } catch (err) {
      const code = joseCode(err);
      if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS' || code === 'ERR_JOSE_NOT_SUPPORTED') throw err;
      const cause = (err as Error & { cause?: { message?: string } }).cause?.message;
      throw new KeySetUnavailable(`the identity provider's key set at ${url} could not be fetched (${(err as Error).message}${cause ? `: ${cause}` : ''})`, { cause: err });
    }
  };
}
