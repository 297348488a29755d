import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { createMember, createProject } from './testing/fixtures';
import { startTestServer, type GraphqlResponse, type TestServer } from './testing/test-server';

/**
 * Identity on a running server: sign-in with JWTs from a configured identity provider (a key pair made
 * here), groups that give their members roles in projects (stored members, and groups a sign-in token
 * lists), and every way a forged or stale token is refused, on GraphQL and on the V2 gateway.
 */
const ISSUER = 'https://id.modelport.test/realms/ml';
const ME = `{ me { id name isPlatformAdmin } }`;
const MY = `{ myPermissions { groups projects { projectId role } } }`;

function expectRefused(res: GraphqlResponse, reason: string, check: string): string {
  expect(res.errors?.[0]?.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason, check });
  return res.errors![0]!.message;
}

describe('identity: JWT sign-in, groups, forged tokens', () => {
  let t: TestServer;
  let key: CryptoKey;
  let stranger: CryptoKey;
  let projectId: string;

  async function jwt(claims: JWTPayload = {}, options: { key?: CryptoKey; issuer?: string; expiresIn?: string | number } = {}): Promise<string> {
    return new SignJWT({ preferred_username: 'ada', ...claims })
      .setProtectedHeader({ alg: 'EdDSA', kid: 'k1' })
      .setSubject(String(claims.sub ?? 'user-ada'))
      .setIssuer(options.issuer ?? ISSUER)
      .setIssuedAt()
      .setExpirationTime(options.expiresIn ?? '5m')
      .sign(options.key ?? key);
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('EdDSA', { extractable: true });
    key = pair.privateKey;
    stranger = (await generateKeyPair('EdDSA')).privateKey;
    const jwks = { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'EdDSA' }] };
    t = await startTestServer({ env: { MODELPORT_OIDC_ISSUER: ISSUER, MODELPORT_OIDC_JWKS: JSON.stringify(jwks), MODELPORT_OIDC_ADMIN_GROUP: 'mlops-admins' } });
    projectId = await createProject(t, 'fraud');
  }, 60_000);

  afterAll(() => t?.close());

  it('signs a user in with a JWT of the configured issuer, creating the user once', async () => {
    const first = await t.ok<{ me: { id: string; name: string; isPlatformAdmin: boolean } }>(ME, {}, await jwt());
    expect(first.me).toMatchObject({ name: 'ada', isPlatformAdmin: false });
    const again = await t.ok<{ me: { id: string } }>(ME, {}, await jwt());
    expect(again.me.id).toBe(first.me.id);
    const admin = await t.ok<{ me: { isPlatformAdmin: boolean } }>(ME, {}, await jwt({ sub: 'root-1', preferred_username: 'root', groups: ['mlops-admins'] }));
    expect(admin.me.isPlatformAdmin).toBe(true);
  });

  it('refuses a forged, foreign, expired or unsigned token, saying which check failed', async () => {
    expect(expectRefused(await t.gql(ME, {}, await jwt({}, { key: stranger })), 'TOKEN_INVALID', 'signature')).toMatch(/not in the configured key set/);
    expect(expectRefused(await t.gql(ME, {}, await jwt({}, { issuer: 'https://evil.example.com' })), 'TOKEN_INVALID', 'issuer')).toMatch(/evil\.example\.com/);
    expect(expectRefused(await t.gql(ME, {}, await jwt({}, { expiresIn: Math.floor(Date.now() / 1000) - 3600 })), 'TOKEN_EXPIRED', 'expired')).toMatch(/expired at/);
    const header = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url');
    const body = Buffer.from(JSON.stringify({ sub: 'user-ada', iss: ISSUER, exp: Math.floor(Date.now() / 1000) + 300 })).toString('base64url');
    expect(expectRefused(await t.gql(ME, {}, `${header}.${body}.`), 'TOKEN_INVALID', 'algorithm')).toMatch(/not signed/);
    // The V2 gateway takes the same credentials and refuses the same way.
    const forged = await fetch(`${t.url}/v2/models/anything/ready`, { headers: { authorization: `Bearer ${await jwt({}, { key: stranger })}` } });
    expect(forged.status).toBe(401);
    const good = await fetch(`${t.url}/v2/models/anything/ready`, { headers: { authorization: `Bearer ${await jwt()}` } });
    expect(good.status).toBe(404);
  });

  it('gives members of a group its role in a project: stored members, and groups a sign-in token lists', async () => {
    const { createGroup } = await t.ok<{ createGroup: { id: string } }>(`mutation { createGroup(input: { name: "fraud-team", description: "fraud analysts" }) { id } }`);
    await t.ok(`mutation($p: ID!, $g: ID!) { setProjectGroupRole(input: { projectId: $p, groupId: $g, role: ML_ENGINEER }) { role } }`, { p: projectId, g: createGroup.id });

    // A stored member signing in with an API token.
    const member = await createMember(t, null, 'grace');
    const before = await t.ok<{ myPermissions: { projects: unknown[] } }>(MY, {}, member.token);
    expect(before.myPermissions.projects).toEqual([]);
    await t.ok(`mutation($g: ID!, $u: ID!) { addGroupMember(input: { groupId: $g, userId: $u }) { userId } }`, { g: createGroup.id, u: member.userId });
    const after = await t.ok<{ myPermissions: { groups: string[]; projects: unknown[] } }>(MY, {}, member.token);
    expect(after.myPermissions).toEqual({ groups: ['fraud-team'], projects: [{ projectId, role: 'ML_ENGINEER' }] });
    const model = await t.gql(`mutation($p: ID!) { createModel(input: { projectId: $p, name: "by-group" }) { id } }`, { p: projectId }, member.token);
    expect(model.errors).toBeUndefined();

    // A user whose sign-in token lists the group, without a stored membership.
    const claimed = await t.ok<{ myPermissions: { groups: string[]; projects: unknown[] } }>(MY, {}, await jwt({ sub: 'user-lin', preferred_username: 'lin', groups: ['Fraud-Team', 'unknown-team'] }));
    expect(claimed.myPermissions).toEqual({ groups: ['fraud-team'], projects: [{ projectId, role: 'ML_ENGINEER' }] });
    const unlisted = await t.ok<{ myPermissions: { projects: unknown[] } }>(MY, {}, await jwt({ sub: 'user-lin', preferred_username: 'lin', groups: [] }));
    expect(unlisted.myPermissions.projects).toEqual([]);

    // Removing the member takes the role away on the next request.
    await t.ok(`mutation($g: ID!, $u: ID!) { removeGroupMember(input: { groupId: $g, userId: $u }) }`, { g: createGroup.id, u: member.userId });
    expect((await t.ok<{ myPermissions: { projects: unknown[] } }>(MY, {}, member.token)).myPermissions.projects).toEqual([]);
  });

  it('lets only platform admins manage groups', async () => {
    const member = await createMember(t, projectId, 'mallory', 'ADMIN');
    const res = await t.gql(`mutation { createGroup(input: { name: "mallory-admins" }) { id } }`, {}, member.token);
    expect(res.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
