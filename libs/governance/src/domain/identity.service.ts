import { type DataSource, IsNull } from 'typeorm';
import { decodeCursor, isUuid, pageSize, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import { ApiTokenEntity, MembershipEntity, ProjectEntity, UserEntity } from '../persistence';
import { accessFilter } from '../policies/domain/access-filter';
import { asSubject, assertCan, type AppAbility } from './ability';
import { GovernanceError, GovernanceErrorCode } from './governance.errors';
import { nameKey, validateName } from './names';
import type { Principal } from './principal';
import { isProjectRole, PROJECT_ROLES, type ProjectRole } from './roles';
import { DEFAULT_TOKEN_SCOPES, isTokenScope, validateScopes } from '../identity/domain/token-scopes';
import { generateToken, hashToken, tokenHint } from './tokens';

export interface Caller {
  readonly principal: Principal;
  readonly ability: AppAbility;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

const LAST_USED_RESOLUTION_MS = 60_000;

/** Users, projects, memberships and API tokens. Every method that acts for a caller checks the caller's ability. */
export class IdentityService {
  constructor(
    private readonly db: DataSource,
    private readonly options: { maxPageSize: number },
    private readonly clock: Clock = systemClock,
  ) {}

  /** Resolves a bearer token to its principal, or throws a typed error saying why it is refused. */
  async authenticate(token: string | null | undefined): Promise<Principal> {
    if (!token) {
      throw new GovernanceError(
        GovernanceErrorCode.TOKEN_MISSING,
        'This operation needs an API token: send the header "Authorization: Bearer <token>".',
      );
    }
    const row = await this.db.getRepository(ApiTokenEntity).findOne({ where: { tokenHash: hashToken(token) } });
    if (!row) throw new GovernanceError(GovernanceErrorCode.TOKEN_INVALID, 'The API token is not valid. Check it was copied whole, or create a new one.');
    if (row.revokedAt) throw new GovernanceError(GovernanceErrorCode.TOKEN_REVOKED, `The API token "${row.name}" was revoked at ${row.revokedAt.toISOString()}; create a new one.`);
    const now = this.clock.now();
    if (row.expiresAt && row.expiresAt.getTime() <= now.getTime()) {
      throw new GovernanceError(GovernanceErrorCode.TOKEN_EXPIRED, `The API token "${row.name}" expired at ${row.expiresAt.toISOString()}; create a new one.`);
    }
    const [user, memberships] = await Promise.all([
      this.db.getRepository(UserEntity).findOneByOrFail({ id: row.userId }),
      this.db.getRepository(MembershipEntity).find({ where: { userId: row.userId } }),
    ]);
    if (!row.lastUsedAt || now.getTime() - row.lastUsedAt.getTime() > LAST_USED_RESOLUTION_MS) {
      // Coarse on purpose: one write per token per minute, not one per request.
      await this.db.getRepository(ApiTokenEntity).update({ id: row.id }, { lastUsedAt: now });
    }
    return {
      userId: user.id,
      userName: user.name,
      isPlatformAdmin: user.isPlatformAdmin,
      tokenId: row.id,
      memberships: new Map(memberships.map((m) => [m.projectId, m.role])),
      scopes: row.scopes.filter(isTokenScope),
      expiresAt: row.expiresAt,
    };
  }

  /**
   * On a database with no users, creates the first platform admin with the
   * given token (or a generated one, returned so it can be shown once).
   */
  async bootstrap(token: string | null): Promise<{ created: false } | { created: true; token: string; generated: boolean }> {
    return this.db.transaction(async (tx) => {
      await tx.query('SELECT pg_advisory_xact_lock(7311339)');
      if ((await tx.getRepository(UserEntity).count()) > 0) return { created: false as const };
      const user = await tx.getRepository(UserEntity).save({ name: 'admin', nameKey: nameKey('admin'), displayName: 'Administrator', isPlatformAdmin: true });
      const secret = token ?? generateToken();
      await tx.getRepository(ApiTokenEntity).save({ userId: user.id, name: 'bootstrap', tokenHash: hashToken(secret), hint: tokenHint(secret), expiresAt: null });
      return { created: true as const, token: secret, generated: token === null };
    });
  }

  async createUser(caller: Caller, input: { name: string; displayName?: string | null; isPlatformAdmin?: boolean }): Promise<UserEntity> {
    assertCan(caller.ability, 'create', 'User');
    const name = validateName('user', input.name);
    try {
      return await this.db.getRepository(UserEntity).save({
        name,
        nameKey: nameKey(name),
        displayName: input.displayName ?? null,
        isPlatformAdmin: input.isPlatformAdmin ?? false,
      });
    } catch (err) {
      if (uniqueViolation(err) === 'users_name_key_unique') {
        throw new GovernanceError(GovernanceErrorCode.USER_NAME_TAKEN, `A user named "${name}" (or one that differs only in case or Unicode form) already exists.`);
      }
      throw err;
    }
  }

  async getUser(caller: Caller, id: string): Promise<UserEntity> {
    const user = isUuid(id) ? await this.db.getRepository(UserEntity).findOneBy({ id }) : null;
    if (!user || !caller.ability.can('read', asSubject('User', { id: user.id }))) {
      throw new GovernanceError(GovernanceErrorCode.USER_NOT_FOUND, `No user with id ${id} is visible to you.`);
    }
    return user;
  }

  /** Creates a project; its creator becomes the project's admin. */
  async createProject(caller: Caller, input: { name: string; description?: string | null }): Promise<ProjectEntity> {
    assertCan(caller.ability, 'create', 'Project');
    const name = validateName('project', input.name);
    return this.db.transaction(async (tx) => {
      let project: ProjectEntity;
      try {
        project = await tx.getRepository(ProjectEntity).save({
          name,
          nameKey: nameKey(name),
          description: input.description ?? '',
          createdBy: caller.principal.userId,
        });
      } catch (err) {
        if (uniqueViolation(err) === 'projects_name_key_unique') {
          throw new GovernanceError(GovernanceErrorCode.PROJECT_NAME_TAKEN, `A project named "${name}" (or one that differs only in case or Unicode form) already exists.`);
        }
        throw err;
      }
      await tx.getRepository(MembershipEntity).save({ projectId: project.id, userId: caller.principal.userId, role: 'admin' });
      return project;
    });
  }

  /** A project the caller may read; a project of someone else is reported as not found. */
  async getProject(caller: Caller, id: string): Promise<ProjectEntity> {
    const project = isUuid(id) ? await this.db.getRepository(ProjectEntity).findOneBy({ id }) : null;
    if (!project || !caller.ability.can('read', asSubject('Project', { id: project.id }))) {
      throw new GovernanceError(GovernanceErrorCode.PROJECT_NOT_FOUND, `No project with id ${id} is visible to you.`);
    }
    return project;
  }

  async getProjectByName(caller: Caller, name: string): Promise<ProjectEntity> {
    const project = await this.db.getRepository(ProjectEntity).findOneBy({ nameKey: nameKey(String(name)) });
    if (!project || !caller.ability.can('read', asSubject('Project', { id: project.id }))) {
      throw new GovernanceError(GovernanceErrorCode.PROJECT_NOT_FOUND, `No project named "${name}" is visible to you.`);
    }
    return project;
  }

  async listProjects(caller: Caller, page: PageRequest): Promise<Page<ProjectEntity>> {
    const limit = pageSize(page.first, this.options.maxPageSize);
    const access = accessFilter(caller.ability, 'read', 'Project', 'p');
    const qb = this.db.getRepository(ProjectEntity).createQueryBuilder('p').orderBy('p.name_key', 'ASC').addOrderBy('p.id', 'ASC').limit(limit + 1);
    qb.andWhere(access.sql, access.params);
    if (page.after) {
      const [key, id] = decodeCursor(page.after, 2, ['string', 'uuid']);
      qb.andWhere('(p.name_key, p.id) > (:key, :id)', { key, id });
    }
    return toPage(await qb.getMany(), limit, (p) => [p.nameKey, p.id]);
  }

  async listMembers(caller: Caller, projectId: string): Promise<MembershipEntity[]> {
    await this.getProject(caller, projectId);
    assertCan(caller.ability, 'read', 'Membership', { projectId });
    return this.db.getRepository(MembershipEntity).find({ where: { projectId }, order: { createdAt: 'ASC' } });
  }

  async setMembership(caller: Caller, input: { projectId: string; userId: string; role: string }): Promise<MembershipEntity> {
    await this.getProject(caller, input.projectId);
    assertCan(caller.ability, 'create', 'Membership', { projectId: input.projectId });
    if (!isProjectRole(input.role)) {
      throw new GovernanceError(GovernanceErrorCode.INVALID_ROLE, `Unknown role "${input.role}"; use one of ${PROJECT_ROLES.join(', ')}.`);
    }
    const role: ProjectRole = input.role;
    return this.db.transaction(async (tx) => {
      const user = isUuid(input.userId) ? await tx.getRepository(UserEntity).findOneBy({ id: input.userId }) : null;
      if (!user) throw new GovernanceError(GovernanceErrorCode.USER_NOT_FOUND, `No user with id ${input.userId} exists.`);
      await this.assertKeepsAnAdmin(tx, input.projectId, input.userId, role);
      await tx.getRepository(MembershipEntity).upsert({ projectId: input.projectId, userId: input.userId, role }, ['projectId', 'userId']);
      return tx.getRepository(MembershipEntity).findOneByOrFail({ projectId: input.projectId, userId: input.userId });
    });
  }

  async removeMembership(caller: Caller, input: { projectId: string; userId: string }): Promise<boolean> {
    await this.getProject(caller, input.projectId);
    assertCan(caller.ability, 'delete', 'Membership', { projectId: input.projectId });
    if (!isUuid(input.userId)) return false;
    return this.db.transaction(async (tx) => {
      await this.assertKeepsAnAdmin(tx, input.projectId, input.userId, null);
      const result = await tx.getRepository(MembershipEntity).delete({ projectId: input.projectId, userId: input.userId });
      return (result.affected ?? 0) > 0;
    });
  }

  private async assertKeepsAnAdmin(tx: DataSource['manager'], projectId: string, userId: string, newRole: ProjectRole | null): Promise<void> {
    if (newRole === 'admin') return;
    const admins = await tx
      .getRepository(MembershipEntity)
      .createQueryBuilder('m')
      .setLock('pessimistic_write')
      .where('m.project_id = :projectId AND m.role = :role', { projectId, role: 'admin' })
      .getMany();
    if (admins.length === 1 && admins[0]!.userId === userId) {
      throw new GovernanceError(GovernanceErrorCode.LAST_ADMIN, 'This is the last admin of the project; make another member admin first.');
    }
  }

  /** Creates a token for the caller (or, for platform admins, for another user). The secret is returned once. */
  async createToken(
    caller: Caller,
    input: { name: string; expiresAt?: Date | null; userId?: string | null; scopes?: readonly string[] | null },
  ): Promise<{ token: string; record: ApiTokenEntity }> {
    const userId = input.userId ?? caller.principal.userId;
    assertCan(caller.ability, 'create', 'ApiToken', { userId });
    const name = validateName('token', input.name);
    const scopes = validateScopes(input.scopes ?? DEFAULT_TOKEN_SCOPES);
    if (input.expiresAt && input.expiresAt.getTime() <= this.clock.now().getTime()) {
      throw new GovernanceError(GovernanceErrorCode.INVALID_EXPIRY, `expiresAt ${input.expiresAt.toISOString()} is in the past; give a future time or none.`);
    }
    const user = isUuid(userId) ? await this.db.getRepository(UserEntity).findOneBy({ id: userId }) : null;
    if (!user) throw new GovernanceError(GovernanceErrorCode.USER_NOT_FOUND, `No user with id ${userId} exists.`);
    const token = generateToken();
    const record = await this.db.getRepository(ApiTokenEntity).save({
      userId,
      name,
      tokenHash: hashToken(token),
      hint: tokenHint(token),
      expiresAt: input.expiresAt ?? null,
      scopes,
    });
    return { token, record };
  }

  async revokeToken(caller: Caller, tokenId: string): Promise<ApiTokenEntity> {
    const repo = this.db.getRepository(ApiTokenEntity);
    const token = isUuid(tokenId) ? await repo.findOneBy({ id: tokenId }) : null;
    if (!token || !caller.ability.can('read', asSubject('ApiToken', { userId: token.userId }))) {
      throw new GovernanceError(GovernanceErrorCode.TOKEN_NOT_FOUND, `No API token with id ${tokenId} is visible to you.`);
    }
    assertCan(caller.ability, 'update', 'ApiToken', { userId: token.userId });
    await repo.update({ id: tokenId, revokedAt: IsNull() }, { revokedAt: this.clock.now() });
    return repo.findOneByOrFail({ id: tokenId });
  }

  async listTokens(caller: Caller, userId?: string | null): Promise<ApiTokenEntity[]> {
    const owner = userId ?? caller.principal.userId;
    assertCan(caller.ability, 'read', 'ApiToken', { userId: owner });
    if (!isUuid(owner)) return [];
    return this.db.getRepository(ApiTokenEntity).find({ where: { userId: owner }, order: { createdAt: 'DESC' } });
  }
}
