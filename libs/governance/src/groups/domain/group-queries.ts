import type { DataSource, EntityManager } from 'typeorm';
import { isUuid } from '@modelport/database';
import { nameKey } from '../../domain/names';
import { isProjectRole, type ProjectRole } from '../../domain/roles';
import { GroupError, GroupErrorCode } from './group.errors';
import { MAX_GROUP_NAMES_PER_LOOKUP } from './group.rules';

/** Anything that runs SQL: the data source, or the entity manager of a transaction. */
export type GroupDb = DataSource | EntityManager;

/** A project role a user holds through a group, and which group gives it. */
export interface GroupRoleGrant {
  readonly projectId: string;
  readonly role: ProjectRole;
  readonly groupId: string;
  readonly groupName: string;
}

/**
 * Every project role `userId` holds through its groups, one row per (project, group), in one query.
 * Pass the result to `effectiveMemberships` to merge it with the direct memberships. [] for an id
 * that is not a UUID.
 */
export async function groupProjectRoles(db: GroupDb, userId: string): Promise<GroupRoleGrant[]> {
  if (!isUuid(userId)) return [];
  const rows = (await db.query(
    `SELECT r.project_id AS "projectId", r.role AS "role", g.id AS "groupId", g.name AS "groupName"
       FROM group_members m
       JOIN project_group_roles r ON r.group_id = m.group_id
       JOIN groups g ON g.id = m.group_id
      WHERE m.user_id = $1
      ORDER BY r.project_id, g.name_key, g.id`,
    [userId],
  )) as { projectId: string; role: string; groupId: string; groupName: string }[];
  // The table's CHECK allows only project roles; a row that is not one grants nothing.
  return rows.filter((r): r is GroupRoleGrant => isProjectRole(r.role));
}

/** Names of the groups `userId` belongs to, in name order ([] for an id that is not a UUID). */
export async function groupNamesOfUser(db: GroupDb, userId: string): Promise<string[]> {
  if (!isUuid(userId)) return [];
  const rows = (await db.query(
    'SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id WHERE m.user_id = $1 ORDER BY g.name_key, g.id',
    [userId],
  )) as { name: string }[];
  return rows.map((r) => r.name);
}

/**
 * Maps names (e.g. an identity provider's `groups` claim) to existing groups by name key, so case
 * and Unicode form do not matter: the result has an entry `name → group id` for each given name
 * that names a group; unknown names and values that are not strings are left out. Looks up at most
 * MAX_GROUP_NAMES_PER_LOOKUP distinct names; refuses more (INVALID_ARGUMENT) rather than silently dropping some.
 */
export async function groupIdsByNames(db: GroupDb, names: readonly unknown[]): Promise<Map<string, string>> {
  const byKey = new Map<string, string[]>();
  for (const name of names) {
    if (typeof name !== 'string' || name.length === 0) continue;
    const key = nameKey(name);
    byKey.set(key, [...(byKey.get(key) ?? []), name]);
  }
  const keys = claimedKeys(names);
  if (keys.length === 0) return new Map();
  const rows = (await db.query('SELECT id, name_key AS "key" FROM groups WHERE name_key = ANY($1::text[])', [keys])) as { id: string; key: string }[];
  const result = new Map<string, string>();
  for (const row of rows) for (const name of byKey.get(row.key) ?? []) result.set(name, row.id);
  return result;
}

/**
 * Whether `userId` is a member of `groupId`. With `lock`, the membership row is key-share locked
 * until the transaction ends, so it cannot be removed while a decision that relied on it commits.
 */
export async function isGroupMember(db: GroupDb, groupId: string, userId: string, options: { lock?: boolean } = {}): Promise<boolean> {
  if (!isUuid(groupId) || !isUuid(userId)) return false;
  const rows = (await db.query(`SELECT 1 FROM group_members WHERE group_id = $1 AND user_id = $2${options.lock ? ' FOR KEY SHARE' : ''}`, [groupId, userId])) as unknown[];
  return rows.length > 0;
}

/**
 * The roles a user gets from groups, for principal resolution (it has the shape of the access
 * service's `GroupDirectory`): the groups the user is a stored member of, plus the stored groups
 * whose names (by name key) are in `claimed` (an identity provider's groups claim; names that
 * match no group are ignored). One query.
 */
export class SqlGroupDirectory {
  constructor(private readonly db: GroupDb) {}

  /** `grants`: one per (group, project) the group holds a role in; `groups`: the stored names of those groups, by name. */
  async grantsFor(userId: string, claimed: readonly unknown[] = []): Promise<{ grants: GroupRoleGrant[]; groups: string[] }> {
    const keys = claimedKeys(claimed);
    const rows = (await this.db.query(
      `WITH mine AS (
         SELECT g.id, g.name, g.name_key FROM groups g
          WHERE g.id IN (SELECT m.group_id FROM group_members m WHERE m.user_id = $1::uuid)
             OR g.name_key = ANY($2::text[])
       )
       SELECT mine.id AS "groupId", mine.name AS "groupName", r.project_id AS "projectId", r.role AS "role"
         FROM mine LEFT JOIN project_group_roles r ON r.group_id = mine.id
        ORDER BY mine.name_key, mine.id, r.project_id`,
      [isUuid(userId) ? userId : null, keys],
    )) as { groupId: string; groupName: string; projectId: string | null; role: string | null }[];
    const groups: string[] = [];
    const grants: GroupRoleGrant[] = [];
    for (const row of rows) {
      if (groups.at(-1) !== row.groupName) groups.push(row.groupName);
      if (row.projectId !== null && isProjectRole(row.role)) grants.push({ projectId: row.projectId, role: row.role, groupId: row.groupId, groupName: row.groupName });
    }
    return { grants, groups };
  }
}

/** Distinct name keys of the string entries of a groups claim, at most MAX_GROUP_NAMES_PER_LOOKUP. */
function claimedKeys(names: readonly unknown[]): string[] {
  const keys = new Set<string>();
  for (const name of names) if (typeof name === 'string' && name.length > 0) keys.add(nameKey(name));
  if (keys.size > MAX_GROUP_NAMES_PER_LOOKUP) {
    throw new GroupError(GroupErrorCode.INVALID_ARGUMENT, `${keys.size} distinct group names were given; at most ${MAX_GROUP_NAMES_PER_LOOKUP} are looked up at once.`, {
      field: 'names',
    });
  }
  return [...keys];
}
