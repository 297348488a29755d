import type { DataSource } from 'typeorm';
import type { AppAbility } from '../domain/ability';

import type { Caller, IdentityService } from '../domain/identity.service';
import type { Principal } from '../domain/principal';
import { MembershipEntity, UserEntity } from '../persistence';
import { jwtSignInNotConfigured } from '../identity/domain/identity.errors';
import { credentialKind, type JwtAuthenticator } from '../identity/domain/jwt-authenticator';
import type { PolicyService, PolicyVersions } from '../policies/domain/policy.service';
import { effectiveMemberships, type GroupProjectRole } from '../groups/domain/effective-memberships';

/** Where the roles of a user's groups come from (`SqlGroupDirectory` over the groups tables). */
export interface GroupDirectory {
  /** The grants of the groups the user is a stored member of, and of the stored groups named `claimed` (from a sign-in token). */
  grantsFor(userId: string, claimed: readonly string[]): Promise<{ readonly grants: readonly GroupProjectRole[]; readonly groups: readonly string[] }>;
}

/**
 * Who is calling, and what they may do. A bearer credential is an API token (`mpt_...`) or, when an
 * identity provider is configured, a sign-in JWT; the principal gets the project roles of the user and
 * its groups, and its ability comes from the stored policies (PolicyService), cut down to the token's
 * scopes. Everything that authorizes (the GraphQL guard, the V2 gateway, plugin registration, jobs)
 * goes through here, so every path sees the same rules, and a policy change on the next request.
 */
export class AccessService {
  constructor(
    private readonly db: DataSource,
    private readonly identity: IdentityService,
    private readonly policies: PolicyService,
    private readonly jwt: JwtAuthenticator | null,
    private readonly groups: GroupDirectory | null = null,
  ) {}

  /** The principal behind a bearer credential, or a typed error saying why it is refused. */
  async principal(bearer: string | null | undefined): Promise<Principal> {
    let principal: Principal;
    if (bearer && credentialKind(bearer) === 'jwt') {
      if (!this.jwt) throw jwtSignInNotConfigured();
      principal = await this.jwt.authenticate(bearer);
    } else {
      principal = await this.identity.authenticate(bearer);
    }
    return this.withGroups(principal);
  }

  /** The caller (principal and ability) behind a bearer credential. */
  async authenticate(bearer: string | null | undefined): Promise<Caller> {
    return this.callerOf(await this.principal(bearer));
  }

  /** The caller of a principal already resolved, with its ability under the current policies (or under `versions`, just read). */
  async callerOf(principal: Principal, versions?: PolicyVersions): Promise<Caller> {
    return { principal, ability: await this.abilityFor(principal, versions) };
  }

  /** The principal's CASL ability under the current policy version (one tiny read; rebuilt only when it moved). */
  async abilityFor(principal: Principal, versions?: PolicyVersions): Promise<AppAbility> {
    return this.policies.abilityFor(principal, versions);
  }

  /**
   * The policy and identity versions, in one shared read. A cache of who a credential is stays good while
   * the identity version does not move (a revocation, a membership or group change moves it).
   */
  async versions(): Promise<PolicyVersions> {
    return this.policies.currentVersions();
  }

  /**
   * A user as a caller, for work done later in their name (a job applying an approved change): their
   * current roles, groups and the current policies; null when the user no longer exists.
   */
  async callerForUser(userId: string, actingFor: string): Promise<Caller | null> {
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: userId });
    if (!user) return null;
    const memberships = await this.db.getRepository(MembershipEntity).find({ where: { userId } });
    const principal = await this.withGroups({
      userId: user.id,
      userName: user.name,
      isPlatformAdmin: user.isPlatformAdmin,
      tokenId: actingFor,
      memberships: new Map(memberships.map((m) => [m.projectId, m.role])),
      scopes: null,
    });
    return this.callerOf(principal);
  }

  private async withGroups(principal: Principal): Promise<Principal> {
    if (!this.groups) return principal;
    const { grants, groups } = await this.groups.grantsFor(principal.userId, principal.groups ?? []);
    if (grants.length === 0 && groups.length === 0) return principal;
    return { ...principal, memberships: effectiveMemberships(principal.memberships, grants), groups };
  }
}

