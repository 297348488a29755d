import type { JSONWebKeySet } from 'jose';

/** Which token claims say who the user is. */
export interface JwtClaimNames {
  /** The stable user id within the issuer. Only `sub` is accepted: other claims may be reassigned. */
  readonly subject?: 'sub';
  /** The claim whose value names a user signing in for the first time (default `preferred_username`). */
  readonly name?: string;
  /** The claim listing the user's groups (default `groups`): an array of strings, or one string. */
  readonly groups?: string;
  /** A group that makes its members platform admins. Unset: the users table decides, as for any user. */
  readonly platformAdmin?: string;
}

export interface JwtAuthenticatorOptions {
  /** Tokens must carry exactly this `iss` (compared as a string: a trailing slash matters). */
  readonly issuer: string;
  /** When set, tokens must list it in `aud`. */
  readonly audience?: string;
  /** The identity provider's public keys, inline... */
  readonly jwks?: JSONWebKeySet;
  /** ...or where to fetch them (cached; fetched again for an unknown key id, at most every 30 s). */
  readonly jwksUrl?: string;
  /** The signing algorithms accepted (default JWT_DEFAULT_ALGORITHMS). */
  readonly algorithms?: readonly string[];
  /** Leeway for `exp` and `nbf` against clock skew (default 30). */
  readonly clockToleranceSeconds?: number;
  readonly claims: JwtClaimNames;
}

/** Public-key JWS algorithms. `none` and the HMAC ones (HS256...) are never accepted: see `algorithmProblem`. */
export const JWT_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'] as const;
export const JWT_DEFAULT_ALGORITHMS: readonly string[] = JWT_ALGORITHMS;
export const DEFAULT_CLOCK_TOLERANCE_SECONDS = 30;
export const MAX_CLOCK_TOLERANCE_SECONDS = 300;

/** The settings that configure JWT sign-in, by environment variable. */
export const JWT_SETTING_VARIABLES = {
  issuer: 'MODELPORT_OIDC_ISSUER',
  audience: 'MODELPORT_OIDC_AUDIENCE',
  jwks: 'MODELPORT_OIDC_JWKS',
  jwksUrl: 'MODELPORT_OIDC_JWKS_URL',
  adminGroup: 'MODELPORT_OIDC_ADMIN_GROUP',
  algorithms: 'MODELPORT_OIDC_ALGORITHMS',
  nameClaim: 'MODELPORT_OIDC_NAME_CLAIM',
  groupsClaim: 'MODELPORT_OIDC_GROUPS_CLAIM',
  clockTolerance: 'MODELPORT_OIDC_CLOCK_TOLERANCE_SECONDS',
} as const;

/** The same settings, by their path in JwtAuthenticatorOptions (for errors of options built in code). */
export const JWT_OPTION_PATHS: { readonly [K in keyof typeof JWT_SETTING_VARIABLES]: string } = {
  issuer: 'issuer',
  audience: 'audience',
  jwks: 'jwks',
  jwksUrl: 'jwksUrl',
  adminGroup: 'claims.platformAdmin',
  algorithms: 'algorithms',
  nameClaim: 'claims.name',
  groupsClaim: 'claims.groups',
  clockTolerance: 'clockToleranceSeconds',
};

type Label = (field: keyof typeof JWT_SETTING_VARIABLES) => string;

const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k', 'priv'];
const KEY_TYPES = ['RSA', 'EC', 'OKP'];
const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

function algorithmProblem(alg: string): string | null {
  if ((JWT_ALGORITHMS as readonly string[]).includes(alg)) return null;
  if (alg.toLowerCase() === 'none') return '"none" (unsigned tokens) is never accepted';
  if (/^HS\d+$/i.test(alg)) return `${alg} signs with a shared secret, which a key set cannot publish safely; use a public-key algorithm`;
  return `unknown algorithm "${alg}"`;
}

function keySetProblems(jwks: unknown): string[] {
  if (jwks === null || typeof jwks !== 'object' || !Array.isArray((jwks as { keys?: unknown }).keys)) {
    return ['must be a JSON Web Key Set: {"keys": [...]}'];
  }
  const keys = (jwks as { keys: unknown[] }).keys;
  if (keys.length === 0) return ['holds no keys'];
  return keys.flatMap((key, i): string[] => {
    if (key === null || typeof key !== 'object' || Array.isArray(key)) return [`key ${i} is not a JSON object`];
    const k = key as Record<string, unknown>;
    const id = typeof k['kid'] === 'string' ? ` (kid "${k['kid']}")` : '';
    if (k['kty'] === 'oct') return [`key ${i}${id} is a shared secret (kty "oct"); give only the provider's public keys`];
    if (typeof k['kty'] !== 'string' || !KEY_TYPES.includes(k['kty'])) {
      return [`key ${i}${id} has kty ${JSON.stringify(k['kty'])}; use ${KEY_TYPES.join(', ')} public keys`];
    }
    const secret = PRIVATE_MEMBERS.find((m) => m in k);
    if (secret) return [`key ${i}${id} is a private key (it has "${secret}"); give only the public part, and treat this key as leaked`];
    return [];
  });
}

function urlProblem(value: string, httpsOnly: boolean): string | null {
  const expected = httpsOnly ? 'must be an https:// URL (http:// only on localhost): keys fetched in clear could be swapped' : 'must be a URL starting with https:// or http://';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return expected;
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && (!httpsOnly || LOOPBACK.has(url.hostname))) return null;
  return expected;
}

function nonEmpty(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value !== value.trim()) return 'must not start or end with whitespace';
  return null;
}

/** What is wrong with a set of options, each problem prefixed with the label of its setting. */
export function jwtOptionProblems(options: JwtAuthenticatorOptions, label: Label): string[] {
  const problems: string[] = [];
  const add = (field: keyof typeof JWT_SETTING_VARIABLES, problem: string | null) => {
    if (problem) problems.push(`${label(field)}: ${problem}`);
  };
  add('issuer', nonEmpty(options.issuer) ?? urlProblem(options.issuer, false));
  if (options.audience !== undefined) add('audience', nonEmpty(options.audience));
  if (options.jwks !== undefined && options.jwksUrl !== undefined) {
    add('jwksUrl', `set either ${label('jwks')} or ${label('jwksUrl')}, not both`);
  } else if (options.jwks !== undefined) {
    for (const p of keySetProblems(options.jwks)) add('jwks', p);
  } else if (options.jwksUrl !== undefined) {
    add('jwksUrl', urlProblem(options.jwksUrl, true));
  } else {
    add('jwks', `give the identity provider's keys: ${label('jwks')} (the key set as JSON) or ${label('jwksUrl')} (where to fetch it)`);
  }
  if (options.algorithms !== undefined) {
    if (options.algorithms.length === 0) add('algorithms', `name at least one of ${JWT_ALGORITHMS.join(', ')}`);
    for (const alg of options.algorithms) add('algorithms', algorithmProblem(alg));
  }
  const tolerance = options.clockToleranceSeconds;
  if (tolerance !== undefined && !(Number.isInteger(tolerance) && tolerance >= 0 && tolerance <= MAX_CLOCK_TOLERANCE_SECONDS)) {
    add('clockTolerance', `must be a whole number of seconds from 0 to ${MAX_CLOCK_TOLERANCE_SECONDS}`);
  }
  const claims = options.claims as JwtClaimNames & { subject?: string };
  if (claims.subject !== undefined && claims.subject !== 'sub') {
    problems.push(`claims.subject: only "sub" is accepted (got ${JSON.stringify(claims.subject)}): other claims are not guaranteed stable and unique`);
  }
  if (claims.name !== undefined) add('nameClaim', nonEmpty(claims.name));
  if (claims.groups !== undefined) add('groupsClaim', nonEmpty(claims.groups));
  if (claims.platformAdmin !== undefined) add('adminGroup', nonEmpty(claims.platformAdmin));
  return problems;
}

type EnvLike = Readonly<Record<string, string | null | undefined>>;

/**
 * Reads the MODELPORT_OIDC_* settings (strings, as in the environment; empty means unset). JWT sign-in
 * is off (`settings: null`) unless MODELPORT_OIDC_ISSUER is set. Every problem names its variable, in
 * the form `loadConfig` reports.
 */
export function parseJwtSettings(values: EnvLike): { settings: JwtAuthenticatorOptions | null; problems: string[] } {
  const V = JWT_SETTING_VARIABLES;
  const get = (name: string): string | undefined => {
    const v = values[name];
    return v === null || v === undefined || v === '' ? undefined : v;
  };
  const issuer = get(V.issuer);
  if (issuer === undefined) {
    const stray = Object.values(V).filter((name) => get(name) !== undefined);
    return { settings: null, problems: stray.map((name) => `${V.issuer}: required when ${name} is set (JWT sign-in is off without it)`) };
  }
  let jwks: JSONWebKeySet | undefined;
  let jsonProblem: string | null = null;
  const rawJwks = get(V.jwks);
  if (rawJwks !== undefined) {
    try {
      jwks = JSON.parse(rawJwks) as JSONWebKeySet;
    } catch (err) {
      jsonProblem = `${V.jwks}: is not valid JSON (${(err as Error).message}); give the key set, e.g. {"keys": [{"kty": "RSA", "kid": "...", "n": "...", "e": "AQAB"}]}`;
      jwks = { keys: [] }; // still counts as set, for the "not both" check
    }
  }
  const rawTolerance = get(V.clockTolerance);
  const settings: JwtAuthenticatorOptions = {
    issuer,
    audience: get(V.audience),
    jwks,
    jwksUrl: get(V.jwksUrl),
    algorithms: get(V.algorithms)?.split(',').map((a) => a.trim()).filter(Boolean),
    clockToleranceSeconds: rawTolerance === undefined ? undefined : /^\d+$/.test(rawTolerance) ? Number(rawTolerance) : Number.NaN,
    claims: { subject: 'sub', name: get(V.nameClaim), groups: get(V.groupsClaim), platformAdmin: get(V.adminGroup) },
  };
  let problems = jwtOptionProblems(settings, (field) => V[field]);
  // Unparsable JSON is one problem, not also an empty key set.
  if (jsonProblem) problems = [jsonProblem, ...problems.filter((p) => !p.startsWith(`${V.jwks}:`))];
  return problems.length > 0 ? { settings: null, problems } : { settings: withoutUnset(settings), problems };
}

/** The options without their undefined members, so they read (and compare) as written. */
function withoutUnset(o: JwtAuthenticatorOptions): JwtAuthenticatorOptions {
  const drop = <T extends object>(x: T): T => Object.fromEntries(Object.entries(x).filter(([, v]) => v !== undefined)) as T;
  return { ...drop(o), claims: drop(o.claims) };
}
