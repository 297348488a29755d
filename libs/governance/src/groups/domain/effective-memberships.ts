import { isProjectRole, type ProjectRole } from '../../domain/roles';
import { higherRole } from './group.rules';

/** One project role a user holds through one of its groups. */
export interface GroupProjectRole {
  readonly projectId: string;
  readonly role: ProjectRole;
}

/**
 * The role a user holds in each project: its direct membership and the roles of its groups there,
 * the highest one winning (viewer < data-scientist < ml-engineer < admin). Groups only ever add:
 * a group role never lowers a direct one. An entry whose role is not a project role is ignored
 * (fails closed), so a bad row can never grant anything.
 */
export function effectiveMemberships(direct: ReadonlyMap<string, ProjectRole>, viaGroups: ReadonlyArray<GroupProjectRole>): Map<string, ProjectRole> {
  const result = new Map<string, ProjectRole>();
  for (const [projectId, role] of direct) if (isProjectRole(role)) result.set(projectId, role);
  for (const { projectId, role } of viaGroups) {
    if (!isProjectRole(role)) continue;
    const current = result.get(projectId);
    result.set(projectId, current === undefined ? role : higherRole(current, role));
  }
  return result;
}
