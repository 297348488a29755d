import type { DataSource } from 'typeorm';
import { decodeCursor, pageSize, sqlState, toPage, uniqueViolation, type Page, type PageRequest } from '@modelport/database';
import { asSubject } from '../../domain/ability';
import type { Caller } from '../../domain/identity.service';
import { nameKey, validateName } from '../../domain/names';
import type { ProjectRole } from '../../domain/roles';
import { ProjectEntity, UserEntity } from '../../persistence';
import { GroupEntity } from '../persistence';
import { GroupError, GroupErrorCode } from './group.errors';
import { validateGroupDescription, validateGroupRole, validateId } from './group.rules';

/** A member of a group, with the user's name. */
export interface GroupMember {
  readonly groupId: string;
  readonly userId: string;
  readonly userName: string;
  readonly displayName: string | null;
  readonly addedAt: Date;
}

/** The role every member of a group holds in one project. */
export interface ProjectGroupRole {
  readonly projectId: string;
  readonly groupId: string;
  readonly groupName: string;
  readonly role: ProjectRole;
  readonly createdAt: Date;
}

export interface GroupServiceOptions {
  readonly maxPageSize: number;
}

/** Foreign keys of other tables that keep a group from being deleted (see GovernanceApprovalReviewerGroups1795800700000). */
const IN_USE_BY: Readonly<Record<string, string>> = {
  approval_policies_reviewer_group_fk:
    'it is the reviewer group of one or more approval policies; delete those policies (or create them again without the group) first',
  change_requests_reviewer_group_fk:
    'it must review one or more pending change requests; wait until they are approved, rejected or expire, or have their authors cancel them, then try again',
};

type MemberRow = { group_id: string; user_id: string; name: string; name_key: string; display_name: string | null; created_at: Date };
type RoleRow = { project_id: string; group_id: string; group_name: string; role: ProjectRole; created_at: Date };

/**
 * User groups: platform admins create and delete groups and manage their members; every
 * authenticated caller may read groups and their members; an admin of a project (or a platform
 * admin) gives a group a role in that project, which every member of the group then holds there
 * (merged with direct memberships by `effectiveMemberships`).
 */
export class GroupService {
  constructor(
    private readonly db: DataSource,
    private readonly options: GroupServiceOptions,
  ) {}

  // ---- groups ---------------------------------------------------------------

  async createGroup(caller: Caller, input: { name: string; description?: string | null }): Promise<GroupEntity> {
    assertPlatformAdmin(caller, 'create groups');
    const name = validateName('group', input.name);
    const description = validateGroupDescription(input.description);
    const repo = this.db.getRepository(GroupEntity);
    try {
      return await repo.save(repo.create({ name, nameKey: nameKey(name), description, createdBy: caller.principal.userId }));
    } catch (err) {
      if (uniqueViolation(err) === 'groups_name_key_unique') {
        throw new GroupError(
          GroupErrorCode.GROUP_NAME_TAKEN,
          `A group named "${name}" (or one that differs only in case or Unicode form) already exists; choose another name or use that group.`,
          { name },
        );
      }
      throw err;
    }
  }

  /**
   * Deletes a group with its members and project roles (so its members lose the roles it gave
   * them). Refused while an approval policy or a pending change request names it as reviewer group.
   */
  async deleteGroup(caller: Caller, id: string): Promise<boolean> {
    assertPlatformAdmin(caller, 'delete groups');
    const group = await this.findGroup(id, 'id');
    try {
      const result = await this.db.getRepository(GroupEntity).delete({ id: group.id });
      if ((result.affected ?? 0) === 0) throw groupNotFound(id);
      return true;
    } catch (err) {
      if (sqlState(err) === '23503') {
        const constraint = fkConstraint(err);
        const why = IN_USE_BY[constraint] ?? `other records still refer to it (${constraint || 'a foreign key'}); remove those first`;
        throw new GroupError(GroupErrorCode.GROUP_IN_USE, `Group "${group.name}" cannot be deleted: ${why}.`, { groupId: group.id, constraint });
      }
      throw err;
    }
  }

  /** Any authenticated caller may read groups. */
  async getGroup(_caller: Caller, id: string): Promise<GroupEntity> {
    return this.findGroup(id, 'id');
  }

  /** By name, ignoring case and Unicode form. */
  async getGroupByName(_caller: Caller, name: string): Promise<GroupEntity> {
    if (typeof name !== 'string' || name.length === 0) {
      throw new GroupError(GroupErrorCode.INVALID_ARGUMENT, 'Give the name of the group to look up (or look it up by id).', { field: 'name' });
    }
    const group = await this.db.getRepository(GroupEntity).findOneBy({ nameKey: nameKey(name) });
    if (!group) throw new GroupError(GroupErrorCode.GROUP_NOT_FOUND, `No group named "${name.slice(0, 256)}" exists.`, { name });
    return group;
  }

  /** Every group, by name. */
  async listGroups(_caller: Caller, page: PageRequest): Promise<Page<GroupEntity>> {
    const limit = pageSize(page.first, this.options.maxPageSize);
    const qb = this.db.getRepository(GroupEntity).createQueryBuilder('g').orderBy('g.name_key', 'ASC').addOrderBy('g.id', 'ASC').limit(limit + 1);
    if (page.after) {
      const [key, id] = decodeCursor(page.after, 2, ['string', 'uuid']);
      qb.andWhere('(g.name_key, g.id) > (:key, :id)', { key, id });
    }
    return toPage(await qb.getMany(), limit, (g) => [g.nameKey, g.id]);
  }

  /** The groups `userId` belongs to, by name. */
  async groupsOfUser(_caller: Caller, userId: string): Promise<GroupEntity[]> {
    const user = await this.findUser(userId);
    return this.db
      .getRepository(GroupEntity)
      .createQueryBuilder('g')
      .innerJoin('group_members', 'm', 'm.group_id = g.id')
      .where('m.user_id = :userId', { userId: user.id })
      .orderBy('g.name_key', 'ASC')
      .addOrderBy('g.id', 'ASC')
      .getMany();
  }

  // ---- members --------------------------------------------------------------

  /** Adds a user to a group; adding a member again changes nothing. */
  async addMember(caller: Caller, groupId: string, userId: string): Promise<GroupMember> {
    assertPlatformAdmin(caller, 'change the members of groups');
    const group = await this.findGroup(groupId, 'groupId');
    const user = await this.findUser(userId);
    try {
      await this.db.query('INSERT INTO group_members (group_id, user_id) VALUES ($1, $2) ON CONFLICT (group_id, user_id) DO NOTHING', [group.id, user.id]);
    } catch (err) {
      // Deleted between the checks and the insert.
      if (sqlState(err) === '23503') throw fkConstraint(err) === 'group_members_group_fk' ? groupNotFound(groupId) : userNotFound(userId);
      throw err;
    }
    const [row] = await this.memberRows(group.id, { userId: user.id });
    if (!row) throw groupNotFound(groupId);
    return member(row);
  }

  /** Removes a user from a group; false when they were not a member. */
  async removeMember(caller: Caller, groupId: string, userId: string): Promise<boolean> {
    assertPlatformAdmin(caller, 'change the members of groups');
    const group = await this.findGroup(groupId, 'groupId');
    const id = validateId('userId', 'user', userId);
    const [, affected] = (await this.db.query('DELETE FROM group_members WHERE group_id = $1 AND user_id = $2', [group.id, id])) as [unknown, number];
    return affected > 0;
  }

  /** Members of a group, by user name. */
  async listMembers(_caller: Caller, groupId: string, page: PageRequest = {}): Promise<Page<GroupMember>> {
    const group = await this.findGroup(groupId, 'groupId');
    const limit = pageSize(page.first, this.options.maxPageSize);
    const after = page.after ? (decodeCursor(page.after, 2, ['string', 'uuid']) as [string, string]) : null;
    const rows = await this.memberRows(group.id, { after, limit: limit + 1 });
    return mapPage(toPage(rows, limit, (r) => [r.name_key, r.user_id]), member);
  }

  // ---- project roles --------------------------------------------------------

  /**
   * Gives a group a role in a project (or changes it): every member of the group then holds that
   * role there. Admins of the project and platform admins only.
   */
  async setProjectRole(caller: Caller, projectId: string, groupId: string, role: string): Promise<ProjectGroupRole> {
    const validRole = validateGroupRole(role);
    const project = await this.projectOf(caller, projectId, 'admin');
    const group = await this.findGroup(groupId, 'groupId');
    let rows: { created_at: Date }[];
    try {
      rows = (await this.db.query(
        `INSERT INTO project_group_roles (project_id, group_id, role) VALUES ($1, $2, $3)
         ON CONFLICT (project_id, group_id) DO UPDATE SET role = EXCLUDED.role
         RETURNING created_at`,
        [project.id, group.id, validRole],
      )) as { created_at: Date }[];
    } catch (err) {
      if (sqlState(err) === '23503') throw fkConstraint(err) === 'project_group_roles_group_fk' ? groupNotFound(groupId) : projectNotFound(projectId);
      throw err;
    }
    return { projectId: project.id, groupId: group.id, groupName: group.name, role: validRole, createdAt: rows[0]!.created_at };
  }

  /** Takes a group's role in a project away; false when it had none. Admins of the project and platform admins only. */
  async removeProjectRole(caller: Caller, projectId: string, groupId: string): Promise<boolean> {
    const project = await this.projectOf(caller, projectId, 'admin');
    const id = validateId('groupId', 'group', groupId);
    const [, affected] = (await this.db.query('DELETE FROM project_group_roles WHERE project_id = $1 AND group_id = $2', [project.id, id])) as [unknown, number];
    return affected > 0;
  }

  /** The groups that hold a role in a project the caller may read, by group name. */
  async listProjectGroups(caller: Caller, projectId: string): Promise<ProjectGroupRole[]> {
    const project = await this.projectOf(caller, projectId, 'read');
    return this.roleRows('r.project_id = $1', [project.id]);
  }

  /** The roles a group holds, in the projects the caller may read (all of them for platform admins). */
  async listGroupProjectRoles(caller: Caller, groupId: string): Promise<ProjectGroupRole[]> {
    const group = await this.findGroup(groupId, 'groupId');
    const rows = await this.roleRows('r.group_id = $1', [group.id]);
    if (caller.principal.isPlatformAdmin) return rows;
    return rows.filter((r) => canReadProject(caller, r.projectId));
  }

  // ---- helpers --------------------------------------------------------------

  private async findGroup(id: string, field: string): Promise<GroupEntity> {
    const groupId = validateId(field, 'group', id);
    const group = await this.db.getRepository(GroupEntity).findOneBy({ id: groupId });
    if (!group) throw groupNotFound(id);
    return group;
  }

  private async findUser(id: string): Promise<UserEntity> {
    const userId = validateId('userId', 'user', id);
    const user = await this.db.getRepository(UserEntity).findOneBy({ id: userId });
    if (!user) throw userNotFound(id);
    return user;
  }

  /** A project the caller may read (else "not found", as elsewhere) and, for 'admin', administer. */
  private async projectOf(caller: Caller, projectId: string, need: 'read' | 'admin'): Promise<ProjectEntity> {
    const id = validateId('projectId', 'project', projectId);
    const project = await this.db.getRepository(ProjectEntity).findOneBy({ id });
    if (!project || !canReadProject(caller, project.id)) throw projectNotFound(projectId);
    if (need === 'admin' && !caller.principal.isPlatformAdmin && caller.principal.memberships.get(project.id) !== 'admin') {
      throw new GroupError(
        GroupErrorCode.FORBIDDEN,
        `Only admins of project "${project.name}" (or platform admins) may give groups roles in it; your role there is ${caller.principal.memberships.get(project.id) ?? 'none'}.`,
        { projectId: project.id },
      );
    }
    return project;
  }

  private async memberRows(groupId: string, options: { userId?: string; after?: [string, string] | null; limit?: number }): Promise<MemberRow[]> {
    const params: unknown[] = [groupId];
    let where = 'm.group_id = $1';
    if (options.userId) {
      params.push(options.userId);
      where += ` AND m.user_id = $${params.length}`;
    }
    if (options.after) {
      params.push(options.after[0], options.after[1]);
      where += ` AND (u.name_key, u.id) > ($${params.length - 1}, $${params.length}::uuid)`;
    }
    let limit = '';
    if (options.limit !== undefined) {
      params.push(options.limit);
      limit = ` LIMIT $${params.length}`;
    }
    return (await this.db.query(
      `SELECT m.group_id, m.user_id, u.name, u.name_key, u.display_name, m.created_at
         FROM group_members m JOIN users u ON u.id = m.user_id
        WHERE ${where}
        ORDER BY u.name_key, u.id${limit}`,
      params,
    )) as MemberRow[];
  }

  private async roleRows(where: string, params: unknown[]): Promise<ProjectGroupRole[]> {
    const rows = (await this.db.query(
      `SELECT r.project_id, r.group_id, g.name AS group_name, r.role, r.created_at
         FROM project_group_roles r JOIN groups g ON g.id = r.group_id
        WHERE ${where}
        ORDER BY g.name_key, g.id, r.project_id`,
      params,
    )) as RoleRow[];
    return rows.map((r) => ({ projectId: r.project_id, groupId: r.group_id, groupName: r.group_name, role: r.role, createdAt: r.created_at }));
  }
}

function assertPlatformAdmin(caller: Caller, what: string): void {
  if (!caller.principal.isPlatformAdmin) {
    throw new GroupError(GroupErrorCode.FORBIDDEN, `Only platform admins may ${what}; ask a platform admin to do it.`);
  }
}

function canReadProject(caller: Caller, projectId: string): boolean {
  return caller.principal.isPlatformAdmin || caller.ability.can('read', asSubject('Project', { id: projectId }));
}

/** The constraint a failed query violated ('' when unknown). */
function fkConstraint(err: unknown): string {
  const constraint = (err as { driverError?: { constraint?: unknown } }).driverError?.constraint;
  return typeof constraint === 'string' ? constraint : '';
}

function member(r: MemberRow): GroupMember {
  return { groupId: r.group_id, userId: r.user_id, userName: r.name, displayName: r.display_name, addedAt: r.created_at };
}

function mapPage<A, B>(page: Page<A>, map: (a: A) => B): Page<B> {
  return { items: page.items.map(map), hasNextPage: page.hasNextPage, endCursor: page.endCursor };
}

function groupNotFound(id: string): GroupError {
  return new GroupError(GroupErrorCode.GROUP_NOT_FOUND, `No group with id ${String(id).slice(0, 64)} exists; list groups to find its id.`, { groupId: id });
}

function userNotFound(id: string): GroupError {
  return new GroupError(GroupErrorCode.USER_NOT_FOUND, `No user with id ${String(id).slice(0, 64)} exists.`, { userId: id });
}

function projectNotFound(id: string): GroupError {
  return new GroupError(GroupErrorCode.PROJECT_NOT_FOUND, `No project with id ${String(id).slice(0, 64)} is visible to you.`, { projectId: id });
}
