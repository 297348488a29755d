import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JSONWebKeySet, type JWTPayload } from 'jose';
import { isModelportError, type ModelportError } from '@modelport/errors';
import { GovernanceErrorCode } from '../../domain/governance.errors';
import { hashToken } from '../../domain/tokens';
import { credentialKind, JwtAuthenticator, type ExternalIdentities, type SignedInUser, type VerifiedIdentity } from './jwt-authenticator';
import type { JwtAuthenticatorOptions } from '@modelport/config';

const ISSUER = 'https://idp.example.com/realms/ml';
const AUDIENCE = 'modelport';
const NOW = new Date('2026-11-01T12:00:00.000Z');
const T = NOW.getTime() / 1000;
const USER = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const PROJECT = '11111111-1111-4111-8111-111111111111';

/** Records what it was asked and answers like the database would for a user with one membership. */
class FakeIdentities implements ExternalIdentities {
  readonly seen: { identity: VerifiedIdentity; now: Date }[] = [];
  async signIn(identity: VerifiedIdentity, now: Date): Promise<SignedInUser> {
    this.seen.push({ identity, now });
    return { userId: USER, userName: identity.preferredName ?? identity.subject, isPlatformAdmin: identity.platformAdmin ?? false, memberships: new Map([[PROJECT, 'ml-engineer']]) };
  }
}

let rsa: { publicKey: CryptoKey; privateKey: CryptoKey };
let ec: { publicKey: CryptoKey; privateKey: CryptoKey };
let stranger: { publicKey: CryptoKey; privateKey: CryptoKey };
let jwks: JSONWebKeySet;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256', { extractable: true });
  ec = await generateKeyPair('ES256', { extractable: true });
  stranger = await generateKeyPair('RS256', { extractable: true });
  jwks = {
    keys: [
      { ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', use: 'sig', alg: 'RS256' },
      { ...(await exportJWK(ec.publicKey)), kid: 'ec-1', use: 'sig' },
    ],
  };
});

const standard = (): JWTPayload => ({ iss: ISSUER, sub: 'user-123', aud: AUDIENCE, iat: T - 60, exp: T + 600, preferred_username: 'ada', name: 'Ada Lovelace' });

/** A token with the standard claims, changed by `claims` (undefined removes a claim). */
async function token(claims: Record<string, unknown> = {}, signer: { alg?: string; kid?: string | null; key?: CryptoKey | Uint8Array } = {}): Promise<string> {
  const payload = Object.fromEntries(Object.entries({ ...standard(), ...claims }).filter(([, v]) => v !== undefined));
  const kid = signer.kid === undefined ? 'rsa-1' : signer.kid;
  return new SignJWT(payload)
    .setProtectedHeader({ alg: signer.alg ?? 'RS256', ...(kid ? { kid } : {}) })
    .sign(signer.key ?? rsa.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

function authenticator(options: Partial<JwtAuthenticatorOptions> = {}, identities = new FakeIdentities()) {
  const settings: JwtAuthenticatorOptions = { issuer: ISSUER, audience: AUDIENCE, jwks, algorithms: ['RS256', 'ES256'], claims: {}, ...options };
  return { auth: new JwtAuthenticator(settings, identities, { now: () => NOW }), identities };
}

async function refusal(promise: Promise<unknown>): Promise<ModelportError> {
  try {
    await promise;
  } catch (err) {
    if (isModelportError(err)) return err;
    throw err;
  }
  throw new Error('expected the token to be refused');
}

describe('JwtAuthenticator: accepted tokens', () => {
  it('turns a valid RS256 token into a principal, through the user of its issuer and subject', async () => {
    const { auth, identities } = authenticator();
    const bearer = await token();
    const principal = await auth.authenticate(bearer);
    expect(principal).toEqual({
      userId: USER,
      userName: 'ada',
      isPlatformAdmin: false,
      tokenId: `jwt:${hashToken(bearer)}`,
      memberships: new Map([[PROJECT, 'ml-engineer']]),
      groups: [],
      expiresAt: new Date((decodeJwt(bearer).exp as number) * 1000),
    });
    expect(principal.tokenId).not.toContain(bearer.split('.')[2]);
    expect(identities.seen).toEqual([
      { identity: { issuer: ISSUER, subject: 'user-123', preferredName: 'ada', displayName: 'Ada Lovelace', platformAdmin: null, groups: [], expiresAt: new Date((decodeJwt(bearer).exp as number) * 1000) }, now: NOW },
    ]);
  });

  it('accepts an ES256 token signed by the other key of the set', async () => {
    const { auth } = authenticator();
    const identity = await auth.verify(await token({}, { alg: 'ES256', kid: 'ec-1', key: ec.privateKey }));
    expect(identity.subject).toBe('user-123');
  });

  it('finds the right key when the token names none and several keys fit', async () => {
    const second = await generateKeyPair('RS256', { extractable: true });
    const set = { keys: [await exportJWK(rsa.publicKey), await exportJWK(second.publicKey)] };
    const { auth } = authenticator({ jwks: set });
    expect((await auth.verify(await token({}, { kid: null, key: second.privateKey }))).subject).toBe('user-123');
    const e = await refusal(auth.verify(await token({}, { kid: null, key: stranger.privateKey })));
    expect(e.message).toBe(`The sign-in token is signed by a key not in the configured key set. Check that it comes from ${ISSUER}.`);
  });

  it('allows 30 s of clock skew by default, and exactly what is configured', async () => {
    const justExpired = await token({ exp: T - 10 });
    await expect(authenticator().auth.verify(justExpired)).resolves.toMatchObject({ subject: 'user-123' });
    const e = await refusal(authenticator({ clockToleranceSeconds: 0 }).auth.verify(justExpired));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_EXPIRED);
  });

  it('reads the name from the configured claim and falls back to nothing when it is absent', async () => {
    const { auth } = authenticator({ claims: { name: 'email' } });
    expect((await auth.verify(await token({ email: 'ada@example.com' }))).preferredName).toBe('ada@example.com');
    expect((await auth.verify(await token())).preferredName).toBeNull();
  });

  it('does without an audience check when none is configured', async () => {
    const { auth } = authenticator({ audience: undefined });
    expect((await auth.verify(await token({ aud: undefined }))).subject).toBe('user-123');
  });
});

describe('JwtAuthenticator: the admin group', () => {
  const cases = [
    { groups: ['ml', 'modelport-admins'], admin: true },
    { groups: 'modelport-admins', admin: true },
    { groups: ['ml'], admin: false },
    { groups: undefined, admin: false },
    { groups: ['Modelport-Admins'], admin: false },
  ];
  it.each(cases)('groups $groups → platform admin $admin', async ({ groups, admin }) => {
    const { auth } = authenticator({ claims: { platformAdmin: 'modelport-admins' } });
    expect((await auth.verify(await token({ groups }))).platformAdmin).toBe(admin);
    expect((await auth.authenticate(await token({ groups }))).isPlatformAdmin).toBe(admin);
  });

  it('passes the listed groups on (strings only), for group roles', async () => {
    const { auth } = authenticator();
    expect((await auth.verify(await token({ groups: ['fraud-team', 7, '', 'risk'] }))).groups).toEqual(['fraud-team', 'risk']);
    expect((await auth.authenticate(await token({ groups: 'fraud-team' }))).groups).toEqual(['fraud-team']);
    expect((await auth.verify(await token({}))).groups).toEqual([]);
  });

  it('reads the configured groups claim', async () => {
    const { auth } = authenticator({ claims: { groups: 'roles', platformAdmin: 'admin' } });
    expect((await auth.verify(await token({ roles: ['admin'], groups: [] }))).platformAdmin).toBe(true);
    expect((await auth.verify(await token({ groups: ['admin'] }))).platformAdmin).toBe(false);
  });

  it('leaves the decision to the users table (null) when no admin group is configured', async () => {
    const { auth } = authenticator();
    expect((await auth.verify(await token({ groups: ['modelport-admins'] }))).platformAdmin).toBeNull();
  });
});

describe('JwtAuthenticator: refused tokens', () => {
  it('a token signed by another key, with a known key id', async () => {
    const { auth, identities } = authenticator();
    const e = await refusal(auth.authenticate(await token({}, { key: stranger.privateKey })));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_INVALID);
    expect(e.kind).toBe('UNAUTHENTICATED');
    expect(e.message).toBe(`The sign-in token is signed by a key not in the configured key set (key id "rsa-1"). Check that it comes from ${ISSUER}.`);
    expect(e.details).toEqual({ check: 'signature' });
    expect(identities.seen).toEqual([]);
  });

  it('a token signed by another key, with an unknown key id', async () => {
    const e = await refusal(authenticator().auth.verify(await token({}, { kid: 'rotated-away', key: stranger.privateKey })));
    expect(e.message).toMatch(/^The sign-in token is signed by a key not in the configured key set \(key id "rotated-away"\)\./);
  });

  it('a token whose payload was changed after signing', async () => {
    const [header, , signature] = (await token()).split('.');
    const forged = `${header}.${b64({ ...standard(), sub: 'admin' })}.${signature}`;
    expect((await refusal(authenticator().auth.verify(forged))).details).toEqual({ check: 'signature' });
  });

  it('a token from another issuer, saying which was expected and which came', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ iss: 'https://evil.example.com' })));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_INVALID);
    expect(e.message).toBe(`The sign-in token was issued by "https://evil.example.com", but this server accepts tokens from "${ISSUER}".`);
    expect(e.details).toEqual({ check: 'issuer', expected: ISSUER, got: 'https://evil.example.com' });
  });

  it('an issuer that differs by a trailing slash, saying so', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ iss: `${ISSUER}/` })));
    expect(e.message).toBe(`The sign-in token was issued by "${ISSUER}/", but this server accepts tokens from "${ISSUER}" (they differ only by a trailing slash).`);
  });

  it('a token without an issuer', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ iss: undefined })));
    expect(e.message).toBe(`The sign-in token names no issuer ("iss"); this server accepts tokens from "${ISSUER}".`);
  });

  it('an expired token, saying when it expired', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ exp: T - 3600 })));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_EXPIRED);
    expect(e.kind).toBe('UNAUTHENTICATED');
    expect(e.message).toBe('The sign-in token expired at 2026-11-01T11:00:00.000Z; sign in again to get a new one.');
    expect(e.details).toEqual({ check: 'expired', expiredAt: '2026-11-01T11:00:00.000Z' });
  });

  it('a token not valid yet, saying from when', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ nbf: T + 3600 })));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_INVALID);
    expect(e.message).toBe(
      'The sign-in token is not valid before 2026-11-01T13:00:00.000Z (it is 2026-11-01T12:00:00.000Z on this server). Wait, or check the clocks of the identity provider and this server.',
    );
    expect(e.details).toEqual({ check: 'not_before', notBefore: '2026-11-01T13:00:00.000Z' });
  });

  it('a token for another audience, or for none', async () => {
    const other = await refusal(authenticator().auth.verify(await token({ aud: ['grafana', 'argo'] })));
    expect(other.message).toBe('The sign-in token is for audience "grafana", "argo", but this server accepts only tokens for "modelport".');
    expect(other.details).toEqual({ check: 'audience', expected: 'modelport', got: ['grafana', 'argo'] });
    const none = await refusal(authenticator().auth.verify(await token({ aud: undefined })));
    expect(none.message).toBe('The sign-in token names no audience, but this server accepts only tokens for "modelport".');
  });

  it('an unsigned token (alg "none")', async () => {
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(standard())}.`;
    expect(credentialKind(unsigned)).toBe('jwt');
    const e = await refusal(authenticator().auth.authenticate(unsigned));
    expect(e.code).toBe(GovernanceErrorCode.TOKEN_INVALID);
    expect(e.message).toBe('The sign-in token is not signed (alg "none"); only signed tokens are accepted (RS256, ES256).');
    expect(e.details).toEqual({ check: 'algorithm', algorithm: 'none', allowed: ['RS256', 'ES256'] });
  });

  it('an unsigned token is refused even with the default algorithm list', async () => {
    const unsigned = `${b64({ alg: 'none' })}.${b64(standard())}.`;
    expect((await refusal(authenticator({ algorithms: undefined }).auth.verify(unsigned))).details).toMatchObject({ check: 'algorithm' });
  });

  it('an HS256 token when only RS256 and ES256 are allowed', async () => {
    // The classic confusion attack: HMAC "signed" with bytes an attacker can know.
    const hs = await token({}, { alg: 'HS256', key: new TextEncoder().encode('x'.repeat(32)) });
    const e = await refusal(authenticator().auth.verify(hs));
    expect(e.message).toBe('The sign-in token is signed with "HS256", which this server does not accept; accepted: RS256, ES256.');
    expect(e.details).toEqual({ check: 'algorithm', algorithm: 'HS256', allowed: ['RS256', 'ES256'] });
  });

  it('an ES256 token when only RS256 is allowed', async () => {
    const e = await refusal(authenticator({ algorithms: ['RS256'] }).auth.verify(await token({}, { alg: 'ES256', kid: 'ec-1', key: ec.privateKey })));
    expect(e.details).toMatchObject({ check: 'algorithm', algorithm: 'ES256' });
  });

  it('a token without "sub", or with an empty one', async () => {
    const missing = await refusal(authenticator().auth.verify(await token({ sub: undefined })));
    expect(missing.code).toBe(GovernanceErrorCode.TOKEN_INVALID);
    expect(missing.message).toBe('The sign-in token has no "sub" (subject) claim; Modelport needs it to know who is signing in.');
    expect(missing.details).toEqual({ check: 'claims' });
    const empty = await refusal(authenticator().auth.verify(await token({ sub: '' })));
    expect(empty.message).toBe('The sign-in token\'s "sub" (subject) claim is empty or not a string; Modelport needs it to know who is signing in.');
  });

  it('a token that never expires', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ exp: undefined })));
    expect(e.message).toBe('The sign-in token has no "exp" (expiry) claim; only tokens that expire are accepted.');
  });

  it('a token with a malformed time claim', async () => {
    const e = await refusal(authenticator().auth.verify(await token({ nbf: 'tomorrow' })));
    expect(e.message).toBe('The sign-in token\'s "nbf" claim failed a check: "nbf" claim must be a number.');
  });

  it('a JWT-shaped token that is not a JWT', async () => {
    const e = await refusal(authenticator().auth.verify('not.a.jwt'));
    expect(e.details).toEqual({ check: 'malformed' });
    expect(e.message).toMatch(/^The bearer token looks like a JWT but is not a valid signed one \(/);
  });
});

describe('JwtAuthenticator with a key set URL', () => {
  let server: Server;
  let url: string;
  let fetches = 0;

  beforeAll(async () => {
    server = createServer((request, response) => {
      fetches++;
      if (request.url !== '/jwks') {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(jwks));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fetches the key set once and verifies with it', async () => {
    const { auth } = authenticator({ jwks: undefined, jwksUrl: `${url}/jwks` });
    const before = fetches;
    expect((await auth.verify(await token())).subject).toBe('user-123');
    expect((await auth.verify(await token({}, { alg: 'ES256', kid: 'ec-1', key: ec.privateKey }))).subject).toBe('user-123');
    expect(fetches - before).toBe(1);
    expect((await refusal(auth.verify(await token({}, { key: stranger.privateKey })))).details).toEqual({ check: 'signature' });
  });

  it('says when the key set cannot be fetched, not that the token is bad', async () => {
    const { auth } = authenticator({ jwks: undefined, jwksUrl: `${url}/missing` });
    const e = await refusal(auth.verify(await token()));
    expect(e.details).toEqual({ check: 'key_set' });
    expect(e.message).toBe(
      `Could not check the sign-in token: the identity provider's key set at ${url}/missing could not be fetched (Expected 200 OK from the JSON Web Key Set HTTP response). Try again shortly; if it persists, the server's identity provider settings need attention.`,
    );
  });
});

describe('JwtAuthenticator options', () => {
  const make = (options: Partial<JwtAuthenticatorOptions>) => () => authenticator(options);

  it('refuses "none" and HMAC algorithms, and unknown ones', () => {
    expect(make({ algorithms: ['RS256', 'none'] })).toThrow('algorithms: "none" (unsigned tokens) is never accepted');
    expect(make({ algorithms: ['HS256'] })).toThrow('algorithms: HS256 signs with a shared secret, which a key set cannot publish safely; use a public-key algorithm');
    expect(make({ algorithms: ['RS1'] })).toThrow('algorithms: unknown algorithm "RS1"');
  });

  it('names the option at fault', () => {
    expect(make({ claims: { platformAdmin: '' }, clockToleranceSeconds: 3600 })).toThrow(
      'Invalid JWT sign-in options:\n  - clockToleranceSeconds: must be a whole number of seconds from 0 to 300\n  - claims.platformAdmin: must not be empty',
    );
  });

  it('refuses a key set holding a private key, and a plain-http key set URL off loopback', async () => {
    const leaked = { keys: [{ ...(await exportJWK(rsa.privateKey)), kid: 'oops' }] };
    expect(make({ jwks: leaked })).toThrow('jwks: key 0 (kid "oops") is a private key (it has "d"); give only the public part, and treat this key as leaked');
    expect(make({ jwks: undefined, jwksUrl: 'http://idp.example.com/jwks' })).toThrow('jwksUrl: must be an https:// URL (http:// only on localhost)');
  });

  it('needs exactly one key source', () => {
    expect(make({ jwks: undefined })).toThrow("jwks: give the identity provider's keys: jwks (the key set as JSON) or jwksUrl (where to fetch it)");
    expect(make({ jwksUrl: 'https://idp.example.com/jwks' })).toThrow('jwksUrl: set either jwks or jwksUrl, not both');
  });
});

describe('credentialKind', () => {
  it('tells API tokens from JWTs', async () => {
    expect(credentialKind('mpt_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG')).toBe('api-token');
    // MODELPORT_BOOTSTRAP_TOKEN allows only letters, digits, _ and -: never a dot.
    expect(credentialKind('my-own-bootstrap-token-of-at-least-32-chars')).toBe('api-token');
    expect(credentialKind(await token())).toBe('jwt');
    expect(credentialKind('a.b')).toBe('api-token');
  });
});
