import { createHash, randomBytes } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { uniqueViolation } from '@modelport/database';
import { MAX_NAME_LENGTH, nameKey, validateName } from '../../domain/names';
import { MembershipEntity, UserEntity } from '../../persistence';
import type { ExternalIdentities, SignedInUser, VerifiedIdentity } from '../domain/jwt-authenticator';

/** Coarse on purpose, like API tokens' last_used_at: one write per identity per minute, not one per request. */
const LAST_SEEN_RESOLUTION_MS = 60_000;
/** Advisory lock key space for linking an identity (with hashtext(issuer, subject) as the second key). */
const LINK_LOCK = 7_311_340;
const LINK_ATTEMPTS = 3;

interface Linked {
  user_id: string;
  name: string;
  is_platform_admin: boolean;
  last_seen_at: Date;
}

const LINKED = `SELECT u.id AS user_id, u.name, u.is_platform_admin, ei.last_seen_at
  FROM external_identities ei JOIN users u ON u.id = ei.user_id
  WHERE ei.issuer = $1 AND ei.subject = $2`;

/**
 * The users of external identities, in `external_identities`. The first sign-in of an (issuer, subject)
 * creates a user named after the token's name claim (made unique if the name is taken: an existing
 * user is never taken over by name). With an admin group configured, the token decides, at every
 * sign-in, whether the user is a platform admin; otherwise the users table does.
 */
export class ExternalIdentityRepository implements ExternalIdentities {
  constructor(private readonly db: DataSource) {}

  async signIn(identity: VerifiedIdentity, now: Date): Promise<SignedInUser> {
    const found: Linked[] = await this.db.query(LINKED, [identity.issuer, identity.subject]);
    const linked = found[0] ?? (await this.link(identity, now));
    const writes: Promise<unknown>[] = [];
    if (now.getTime() - linked.last_seen_at.getTime() >= LAST_SEEN_RESOLUTION_MS) {
      writes.push(this.db.query('UPDATE external_identities SET last_seen_at = $3 WHERE issuer = $1 AND subject = $2', [identity.issuer, identity.subject, now]));
    }
    const isPlatformAdmin = identity.platformAdmin ?? linked.is_platform_admin;
    if (isPlatformAdmin !== linked.is_platform_admin) {
      writes.push(this.db.getRepository(UserEntity).update({ id: linked.user_id }, { isPlatformAdmin }));
    }
    const [memberships] = await Promise.all([this.db.getRepository(MembershipEntity).find({ where: { userId: linked.user_id } }), ...writes]);
    return {
      userId: linked.user_id,
      userName: linked.name,
      isPlatformAdmin,
      memberships: new Map(memberships.map((m) => [m.projectId, m.role])),
    };
  }

  /** Creates the user of a first sign-in; concurrent first sign-ins of one identity create one user. */
  private async link(identity: VerifiedIdentity, now: Date): Promise<Linked> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (tx) => {
          await tx.query('SELECT pg_advisory_xact_lock($1::int, hashtext($2))', [LINK_LOCK, `${identity.issuer} ${identity.subject}`]);
          const raced: Linked[] = await tx.query(LINKED, [identity.issuer, identity.subject]);
          if (raced[0]) return raced[0];
          const name = await freeName(tx, identity);
          const user = await tx.getRepository(UserEntity).save({
            name,
            nameKey: nameKey(name),
            displayName: identity.displayName,
            isPlatformAdmin: identity.platformAdmin ?? false,
          });
          await tx.query('INSERT INTO external_identities (issuer, subject, user_id, created_at, last_seen_at) VALUES ($1, $2, $3, $4, $4)', [
            identity.issuer,
            identity.subject,
            user.id,
            now,
          ]);
          return { user_id: user.id, name, is_platform_admin: user.isPlatformAdmin, last_seen_at: now };
        });
      } catch (err) {
        // Someone created a user with the chosen name between the check and the insert: choose again.
        if (uniqueViolation(err) === 'users_name_key_unique' && attempt < LINK_ATTEMPTS) continue;
        throw err;
      }
    }
  }
}

function validOrNull(raw: string | null): string | null {
  if (raw === null) return null;
  try {
    // Room for the suffix that tells apart two users who ask for the same name.
    return validateName('user', [...raw].slice(0, MAX_NAME_LENGTH - 24).join(''));
  } catch {
    return null;
  }
}

/**
 * The name for a new user: the token's name claim, else its subject, else `user-<tag>`; when taken,
 * `<name>-<tag>` with a tag derived from (issuer, subject), then a random one.
 */
async function freeName(tx: EntityManager, identity: VerifiedIdentity): Promise<string> {
  const tag = createHash('sha256').update(`${identity.issuer}\n${identity.subject}`).digest('hex').slice(0, 8);
  const base = validOrNull(identity.preferredName) ?? validOrNull(identity.subject) ?? `user-${tag}`;
  const candidates = [base, `${base}-${tag}`];
  const taken: { name_key: string }[] = await tx.query('SELECT name_key FROM users WHERE name_key = ANY($1)', [candidates.map(nameKey)]);
  const takenKeys = new Set(taken.map((r) => r.name_key));
  return candidates.find((c) => !takenKeys.has(nameKey(c))) ?? `${base}-${tag}-${randomBytes(3).toString('hex')}`;
}
