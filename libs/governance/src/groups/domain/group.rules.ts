import { isUuid } from '@modelport/database';
import { isProjectRole, PROJECT_ROLES, type ProjectRole } from '../../domain/roles';
import { GroupError, GroupErrorCode } from './group.errors';

export const MAX_GROUP_DESCRIPTION_LENGTH = 1000;

/** Most names `groupIdsByNames` looks up at once (an identity provider's group claim). */
export const MAX_GROUP_NAMES_PER_LOOKUP = 1000;

/** Highest last: a role includes every role before it (same order as `ROLE_ORDER` in domain/ability.ts). */
const ROLE_RANK: Readonly<Record<ProjectRole, number>> = { viewer: 0, 'data-scientist': 1, 'ml-engineer': 2, admin: 3 };

/** Position of a project role (viewer 0 … admin 3); higher includes lower. */
export function projectRoleRank(role: ProjectRole): number {
  return ROLE_RANK[role];
}

/** The higher of two project roles. */
export function higherRole(a: ProjectRole, b: ProjectRole): ProjectRole {
  return ROLE_RANK[b] > ROLE_RANK[a] ? b : a;
}

/** An id argument, or a refusal naming the field and what an id looks like. */
export function validateId(field: string, kind: 'group' | 'user' | 'project', value: unknown): string {
  if (!isUuid(value)) {
    const shown = typeof value === 'string' ? `"${value.slice(0, 64)}"` : String(value);
    throw new GroupError(GroupErrorCode.INVALID_ARGUMENT, `${shown} is not a ${kind} id (a UUID); pass the id field of the ${kind}.`, { field });
  }
  return value.toLowerCase();
}

/** A group description: trimmed, '' when absent, at most MAX_GROUP_DESCRIPTION_LENGTH characters. */
export function validateGroupDescription(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value !== 'string') throw new GroupError(GroupErrorCode.INVALID_ARGUMENT, 'description must be text.', { field: 'description' });
  const text = value.trim();
  const length = [...text].length;
  if (length > MAX_GROUP_DESCRIPTION_LENGTH) {
    throw new GroupError(GroupErrorCode.INVALID_ARGUMENT, `description is ${length} characters long; at most ${MAX_GROUP_DESCRIPTION_LENGTH} are allowed.`, {
      field: 'description',
    });
  }
  return text;
}

/** A project role for a group, or a refusal listing the roles. */
export function validateGroupRole(value: unknown): ProjectRole {
  if (!isProjectRole(value)) {
    throw new GroupError(GroupErrorCode.INVALID_ROLE, `Unknown role "${String(value).slice(0, 64)}"; use one of ${PROJECT_ROLES.join(', ')}.`, { field: 'role' });
  }
  return value;
}
