import type { DataSource } from 'typeorm';
import { MembershipEntity, UserEntity } from '../persistence';
import { defineAbilityFor } from './ability';
import type { Caller } from './identity.service';
import type { Principal } from './principal';

/** For tests: a stored user as a caller, with its project roles and the built-in ability. */
export async function callerFromDatabase(db: DataSource, userId: string): Promise<Caller> {
  const row = await db.getRepository(UserEntity).findOneByOrFail({ id: userId });
  const memberships = await db.getRepository(MembershipEntity).find({ where: { userId } });
  const principal: Principal = {
    userId,
    userName: row.name,
    isPlatformAdmin: row.isPlatformAdmin,
    tokenId: 'test',
    memberships: new Map(memberships.map((m) => [m.projectId, m.role])),
  };
  return { principal, ability: defineAbilityFor(principal) };
}
