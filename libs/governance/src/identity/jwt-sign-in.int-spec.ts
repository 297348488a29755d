import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import type { JwtAuthenticatorOptions } from '@modelport/config';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { asSubject, defineAbilityFor } from '../domain/ability';
import { IdentityService } from '../domain/identity.service';
import type { Principal } from '../domain/principal';
import { governanceEntities, governanceMigrations } from '../persistence';
import {
  ExternalIdentityRepository,
  GovernanceTokenScopes1795800200000,
  JwtAuthenticator,
  type VerifiedIdentity,
} from './index';

const ISSUER = 'https://idp.example.com/realms/ml';
const T0 = new Date('2026-11-01T12:00:00.000Z');

interface UserRow {
  id: string;
  name: string;
  display_name: string | null;
  is_platform_admin: boolean;
}
interface IdentityRow {
  issuer: string;
  subject: string;
  user_id: string;
  created_at: Date;
  last_seen_at: Date;
}

describe('JWT sign-in against PostgreSQL', () => {
  let db: TestDatabase;
  let keys: { publicKey: CryptoKey; privateKey: CryptoKey };
  let now = T0;
  let options: JwtAuthenticatorOptions;
  let rootId: string;
  let subjects = 0;

  const clock = { now: () => now };
  const authenticator = (claims: JwtAuthenticatorOptions['claims'] = { platformAdmin: 'modelport-admins' }) =>
    new JwtAuthenticator({ ...options, claims }, new ExternalIdentityRepository(db.dataSource), clock);
  const newSubject = () => `subject-${++subjects}`;

  async function token(claims: JWTPayload): Promise<string> {
    const t = Math.floor(now.getTime() / 1000);
    return new SignJWT({ iss: ISSUER, aud: 'modelport', iat: t, exp: t + 300, ...claims }).setProtectedHeader({ alg: 'ES256', kid: 'k1' }).sign(keys.privateKey);
  }

  const users = (): Promise<UserRow[]> => db.dataSource.query('SELECT id, name, display_name, is_platform_admin FROM users ORDER BY created_at, name');
  const identities = (subject: string): Promise<IdentityRow[]> => db.dataSource.query('SELECT * FROM external_identities WHERE subject = $1', [subject]);
  const root = (): Principal => ({ userId: rootId, userName: 'root', isPlatformAdmin: true, tokenId: 'test', memberships: new Map() });

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [...governanceEntities], migrations: [...governanceMigrations] });
    keys = await generateKeyPair('ES256', { extractable: true });
    options = { issuer: ISSUER, audience: 'modelport', jwks: { keys: [{ ...(await exportJWK(keys.publicKey)), kid: 'k1' }] }, algorithms: ['ES256'], claims: {} };
    rootId = (await db.dataSource.query(`INSERT INTO users (name, name_key, is_platform_admin) VALUES ('root', 'root', true) RETURNING id`))[0].id;
  });

  beforeEach(() => {
    now = T0;
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('creates the user and its external identity at the first sign-in', async () => {
    const subject = newSubject();
    const before = (await users()).length;
    const principal = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'ada', name: 'Ada Lovelace' }));
    const after = await users();
    expect(after).toHaveLength(before + 1);
    expect(after.find((u) => u.id === principal.userId)).toEqual({ id: principal.userId, name: 'ada', display_name: 'Ada Lovelace', is_platform_admin: false });
    expect(await identities(subject)).toEqual([{ issuer: ISSUER, subject, user_id: principal.userId, created_at: T0, last_seen_at: T0 }]);
    expect(principal).toMatchObject({ userName: 'ada', isPlatformAdmin: false, memberships: new Map() });
  });

  it('reuses the user at the next sign-ins, and records when it was last seen (to the minute)', async () => {
    const subject = newSubject();
    const first = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'ben' }));
    const count = (await users()).length;

    now = new Date(T0.getTime() + 30_000);
    const second = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'ben-renamed' }));
    expect(second.userId).toBe(first.userId);
    expect(second.userName).toBe('ben');
    expect((await identities(subject))[0]!.last_seen_at).toEqual(T0);

    now = new Date(T0.getTime() + 5 * 60_000);
    const third = await authenticator().authenticate(await token({ sub: subject }));
    expect(third.userId).toBe(first.userId);
    expect((await users()).length).toBe(count);
    expect(await identities(subject)).toEqual([{ issuer: ISSUER, subject, user_id: first.userId, created_at: T0, last_seen_at: now }]);
  });

  it('makes members of the admin group platform admins, and stops when they leave it', async () => {
    const subject = newSubject();
    const admin = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'cy', groups: ['ml', 'modelport-admins'] }));
    expect(admin.isPlatformAdmin).toBe(true);
    expect((await users()).find((u) => u.id === admin.userId)!.is_platform_admin).toBe(true);
    expect(defineAbilityFor(admin).can('create', 'User')).toBe(true);

    const left = await authenticator().authenticate(await token({ sub: subject, groups: ['ml'] }));
    expect(left.userId).toBe(admin.userId);
    expect(left.isPlatformAdmin).toBe(false);
    expect((await users()).find((u) => u.id === admin.userId)!.is_platform_admin).toBe(false);
  });

  it('without an admin group, leaves platform admin to the users table', async () => {
    const subject = newSubject();
    const first = await authenticator({}).authenticate(await token({ sub: subject, groups: ['modelport-admins'] }));
    expect(first.isPlatformAdmin).toBe(false);
    await db.dataSource.query('UPDATE users SET is_platform_admin = true WHERE id = $1', [first.userId]);
    expect((await authenticator({}).authenticate(await token({ sub: subject }))).isPlatformAdmin).toBe(true);
  });

  it('puts the memberships granted to the user in its principal', async () => {
    const subject = newSubject();
    const user = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'dee' }));
    const identity = new IdentityService(db.dataSource, { maxPageSize: 100 });
    const asRoot = { principal: root(), ability: defineAbilityFor(root()) };
    const fraud = await identity.createProject(asRoot, { name: 'fraud' });
    const churn = await identity.createProject(asRoot, { name: 'churn' });
    await identity.setMembership(asRoot, { projectId: fraud.id, userId: user.userId, role: 'data-scientist' });
    await identity.setMembership(asRoot, { projectId: churn.id, userId: user.userId, role: 'viewer' });

    const principal = await authenticator().authenticate(await token({ sub: subject }));
    expect(principal.memberships).toEqual(
      new Map([
        [fraud.id, 'data-scientist'],
        [churn.id, 'viewer'],
      ]),
    );
    const ability = defineAbilityFor(principal);
    expect(ability.can('create', asSubject('Model', { projectId: fraud.id }))).toBe(true);
    expect(ability.can('create', asSubject('Model', { projectId: churn.id }))).toBe(false);
    // The JWT user works with the rest of the identity service like any user.
    expect((await identity.listMembers({ principal, ability }, fraud.id)).map((m) => m.userId)).toContain(user.userId);
  });

  it('never takes over an existing user by name: a taken name gets a suffix', async () => {
    const grace: string = (await db.dataSource.query(`INSERT INTO users (name, name_key) VALUES ('grace', 'grace') RETURNING id`))[0].id;
    const principal = await authenticator().authenticate(await token({ sub: newSubject(), preferred_username: 'Grace' }));
    expect(principal.userId).not.toBe(grace);
    expect(principal.userName).toMatch(/^Grace-[0-9a-f]{8}$/);
    const again = await authenticator().authenticate(await token({ sub: newSubject(), preferred_username: 'grace' }));
    expect(new Set([grace, principal.userId, again.userId]).size).toBe(3);
  });

  it('falls back to the subject, then to a tag, when the name claim is missing or unusable', async () => {
    const subject = newSubject();
    expect((await authenticator().authenticate(await token({ sub: subject }))).userName).toBe(subject);
    const urlSubject = 'https://idp.example.com/users/42';
    const odd = await authenticator().authenticate(await token({ sub: urlSubject, preferred_username: 'a/b' }));
    expect(odd.userName).toMatch(/^user-[0-9a-f]{8}$/);
  });

  it('creates one user when the first sign-ins of an identity arrive together', async () => {
    const subject = newSubject();
    const bearer = await token({ sub: subject, preferred_username: 'eve' });
    const principals = await Promise.all(Array.from({ length: 8 }, () => authenticator().authenticate(bearer)));
    expect(new Set(principals.map((p) => p.userId)).size).toBe(1);
    expect(await identities(subject)).toHaveLength(1);
    expect((await users()).filter((u) => u.name.startsWith('eve'))).toHaveLength(1);
  });

  it('keeps the same subject at two issuers apart', async () => {
    const repository = new ExternalIdentityRepository(db.dataSource);
    const at = (issuer: string): VerifiedIdentity => ({ issuer, subject: 'shared-subject', preferredName: 'fay', displayName: null, platformAdmin: null, groups: [] });
    const a = await repository.signIn(at('https://a.example.com'), now);
    const b = await repository.signIn(at('https://b.example.com'), now);
    expect(a.userId).not.toBe(b.userId);
    expect((await repository.signIn(at('https://a.example.com'), now)).userId).toBe(a.userId);
  });

  it('starts afresh when the user was deleted', async () => {
    const subject = newSubject();
    const first = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'gus' }));
    await db.dataSource.query('DELETE FROM users WHERE id = $1', [first.userId]);
    expect(await identities(subject)).toEqual([]);
    const second = await authenticator().authenticate(await token({ sub: subject, preferred_username: 'gus' }));
    expect(second.userId).not.toBe(first.userId);
    expect(second.userName).toBe('gus');
  });

  it('checks the token before touching the database', async () => {
    const count = (await users()).length;
    const expired = await token({ sub: newSubject(), exp: Math.floor(now.getTime() / 1000) - 3600 });
    await expect(authenticator().authenticate(expired)).rejects.toMatchObject({ code: 'TOKEN_EXPIRED', kind: 'UNAUTHENTICATED' });
    expect((await users()).length).toBe(count);
  });
});

describe('the identity migrations against PostgreSQL', () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase({ entities: [...governanceEntities], migrations: [...governanceMigrations] });
  });

  afterAll(async () => {
    await db?.drop();
  });

  async function violation(sql: string, params: unknown[]): Promise<string> {
    try {
      await db.dataSource.query(sql, params);
    } catch (err) {
      return (err as { driverError?: { constraint?: string } }).driverError?.constraint ?? String(err);
    }
    throw new Error('expected the statement to fail');
  }

  it('gives tokens that existed before scopes the admin scope, and checks scopes from then on', async () => {
    const userId: string = (await db.dataSource.query(`INSERT INTO users (name, name_key) VALUES ('old', 'old') RETURNING id`))[0].id;
    const runner = db.dataSource.createQueryRunner();
    try {
      await new GovernanceTokenScopes1795800200000().down(runner);
      await db.dataSource.query(`INSERT INTO api_tokens (user_id, name, token_hash, hint) VALUES ($1, 'old', repeat('a', 64), 'mpt_aaaaaa')`, [userId]);
      await new GovernanceTokenScopes1795800200000().up(runner);
    } finally {
      await runner.release();
    }
    expect(await db.dataSource.query('SELECT scopes FROM api_tokens WHERE name = $1', ['old'])).toEqual([{ scopes: ['admin'] }]);

    const insert = `INSERT INTO api_tokens (user_id, name, token_hash, hint, scopes) VALUES ($1, 'new', $2, 'mpt_bbbbbb', $3)`;
    await db.dataSource.query(insert, [userId, 'b'.repeat(64), ['predict', 'registry:write']]);
    expect(await violation(insert, [userId, 'c'.repeat(64), ['predict', 'write']])).toBe('api_tokens_scopes_known');
    expect(await violation(insert, [userId, 'd'.repeat(64), []])).toBe('api_tokens_scopes_known');
  });

  it('links one user per (issuer, subject)', async () => {
    const userId: string = (await db.dataSource.query(`INSERT INTO users (name, name_key) VALUES ('linked', 'linked') RETURNING id`))[0].id;
    const insert = 'INSERT INTO external_identities (issuer, subject, user_id) VALUES ($1, $2, $3)';
    await db.dataSource.query(insert, [ISSUER, 'one', userId]);
    expect(await violation(insert, [ISSUER, 'one', userId])).toBe('external_identities_pkey');
    expect(await violation(insert, [ISSUER, '', userId])).toMatch(/check/);
  });
});
