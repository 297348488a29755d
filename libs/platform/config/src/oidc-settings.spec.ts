import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { parseJwtSettings } from './oidc-settings';

const ISSUER = 'https://idp.example.com/realms/ml';
let publicJwk: JWK;
let privateJwk: JWK;

beforeAll(async () => {
  const pair = await generateKeyPair('ES256', { extractable: true });
  publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1' };
  privateJwk = { ...(await exportJWK(pair.privateKey)), kid: 'k1' };
});

const jwksJson = () => JSON.stringify({ keys: [publicJwk] });

describe('parseJwtSettings', () => {
  it('is off, without problems, when nothing is set (empty values count as unset)', () => {
    expect(parseJwtSettings({})).toEqual({ settings: null, problems: [] });
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: '', MODELPORT_OIDC_JWKS: null, OTHER: 'x' })).toEqual({ settings: null, problems: [] });
  });

  it('reads an inline key set with every option', () => {
    const result = parseJwtSettings({
      MODELPORT_OIDC_ISSUER: ISSUER,
      MODELPORT_OIDC_AUDIENCE: 'modelport',
      MODELPORT_OIDC_JWKS: `${jwksJson()}\n`,
      MODELPORT_OIDC_ADMIN_GROUP: 'modelport-admins',
      MODELPORT_OIDC_ALGORITHMS: 'ES256, RS256',
      MODELPORT_OIDC_NAME_CLAIM: 'email',
      MODELPORT_OIDC_GROUPS_CLAIM: 'roles',
      MODELPORT_OIDC_CLOCK_TOLERANCE_SECONDS: '10',
    });
    expect(result).toEqual({
      problems: [],
      settings: {
        issuer: ISSUER,
        audience: 'modelport',
        jwks: { keys: [publicJwk] },
        algorithms: ['ES256', 'RS256'],
        clockToleranceSeconds: 10,
        claims: { subject: 'sub', name: 'email', groups: 'roles', platformAdmin: 'modelport-admins' },
      },
    });
  });

  it('reads a key set URL; plain http only on loopback', () => {
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: ISSUER, MODELPORT_OIDC_JWKS_URL: `${ISSUER}/protocol/openid-connect/certs` }).settings).toEqual({
      issuer: ISSUER,
      jwksUrl: `${ISSUER}/protocol/openid-connect/certs`,
      claims: { subject: 'sub' },
    });
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: 'http://localhost:8180/realms/dev', MODELPORT_OIDC_JWKS_URL: 'http://localhost:8180/certs' }).problems).toEqual([]);
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: ISSUER, MODELPORT_OIDC_JWKS_URL: 'http://idp.example.com/certs' }).problems).toEqual([
      'MODELPORT_OIDC_JWKS_URL: must be an https:// URL (http:// only on localhost): keys fetched in clear could be swapped',
    ]);
  });

  it('names the variable in every problem, and reports them all at once', () => {
    const result = parseJwtSettings({
      MODELPORT_OIDC_ISSUER: 'idp.example.com',
      MODELPORT_OIDC_AUDIENCE: ' modelport',
      MODELPORT_OIDC_JWKS: '{"keys": [',
      MODELPORT_OIDC_ALGORITHMS: 'RS256,none,HS256',
      MODELPORT_OIDC_CLOCK_TOLERANCE_SECONDS: '1h',
    });
    expect(result.settings).toBeNull();
    expect(result.problems).toEqual([
      expect.stringMatching(/^MODELPORT_OIDC_JWKS: is not valid JSON \(.+\); give the key set, e\.g\. \{"keys": \[\{"kty": "RSA"/),
      'MODELPORT_OIDC_ISSUER: must be a URL starting with https:// or http://',
      'MODELPORT_OIDC_AUDIENCE: must not start or end with whitespace',
      'MODELPORT_OIDC_ALGORITHMS: "none" (unsigned tokens) is never accepted',
      'MODELPORT_OIDC_ALGORITHMS: HS256 signs with a shared secret, which a key set cannot publish safely; use a public-key algorithm',
      'MODELPORT_OIDC_CLOCK_TOLERANCE_SECONDS: must be a whole number of seconds from 0 to 300',
    ]);
  });

  it('needs the issuer when any other OIDC setting is given', () => {
    expect(parseJwtSettings({ MODELPORT_OIDC_JWKS_URL: 'https://idp.example.com/certs', MODELPORT_OIDC_ADMIN_GROUP: 'admins' }).problems).toEqual([
      'MODELPORT_OIDC_ISSUER: required when MODELPORT_OIDC_JWKS_URL is set (JWT sign-in is off without it)',
      'MODELPORT_OIDC_ISSUER: required when MODELPORT_OIDC_ADMIN_GROUP is set (JWT sign-in is off without it)',
    ]);
  });

  it('needs exactly one of the key set and its URL', () => {
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: ISSUER }).problems).toEqual([
      "MODELPORT_OIDC_JWKS: give the identity provider's keys: MODELPORT_OIDC_JWKS (the key set as JSON) or MODELPORT_OIDC_JWKS_URL (where to fetch it)",
    ]);
    expect(parseJwtSettings({ MODELPORT_OIDC_ISSUER: ISSUER, MODELPORT_OIDC_JWKS: jwksJson(), MODELPORT_OIDC_JWKS_URL: 'https://idp.example.com/certs' }).problems).toEqual([
      'MODELPORT_OIDC_JWKS_URL: set either MODELPORT_OIDC_JWKS or MODELPORT_OIDC_JWKS_URL, not both',
    ]);
  });

  it('checks what the key set holds: public keys only', () => {
    const problems = (jwks: unknown) => parseJwtSettings({ MODELPORT_OIDC_ISSUER: ISSUER, MODELPORT_OIDC_JWKS: JSON.stringify(jwks) }).problems;
    expect(problems([publicJwk])).toEqual(['MODELPORT_OIDC_JWKS: must be a JSON Web Key Set: {"keys": [...]}']);
    expect(problems({ keys: [] })).toEqual(['MODELPORT_OIDC_JWKS: holds no keys']);
    expect(problems({ keys: [publicJwk, privateJwk] })).toEqual([
      'MODELPORT_OIDC_JWKS: key 1 (kid "k1") is a private key (it has "d"); give only the public part, and treat this key as leaked',
    ]);
    expect(problems({ keys: [{ kty: 'oct', k: 'c2VjcmV0' }, { kid: 'x' }, 'key'] })).toEqual([
      "MODELPORT_OIDC_JWKS: key 0 is a shared secret (kty \"oct\"); give only the provider's public keys",
      'MODELPORT_OIDC_JWKS: key 1 (kid "x") has kty undefined; use RSA, EC, OKP public keys',
      'MODELPORT_OIDC_JWKS: key 2 is not a JSON object',
    ]);
  });
});
