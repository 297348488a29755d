import { AbilityBuilder, createMongoAbility, subject as tagSubject, type ForcedSubject, type MongoAbility } from '@casl/ability';
import { GovernanceError, GovernanceErrorCode } from './governance.errors';
import type { Principal } from './principal';
import type { ProjectRole } from './roles';

export type Action = 'manage' | 'read' | 'create' | 'update' | 'delete' | 'predict' | 'register';
export type SubjectType =
  | 'all'
  | 'Project'
  | 'Membership'
  | 'User'
  | 'ApiToken'
  | 'Model'
  | 'ModelVersion'
  | 'ModelAlias'
  | 'Upload'
  | 'Deployment'
  | 'Prediction'
  | 'Plugin';

/** The attributes rules may test, per subject type. */
interface SubjectShapes {
  Project: { id: string };
  Membership: { projectId: string };
  User: { id: string };
  ApiToken: { userId: string };
  Model: { projectId: string };
  ModelVersion: { projectId: string };
  ModelAlias: { projectId: string };
  Upload: { projectId: string };
  Deployment: { projectId: string };
  Prediction: { projectId: string };
  Plugin: { id: string };
}
type Tagged = { [K in keyof SubjectShapes]: SubjectShapes[K] & ForcedSubject<K> }[keyof SubjectShapes];
export type AppAbility = MongoAbility<[Action, SubjectType | Tagged]>;

/** What each project role may do inside its project. Roles are cumulative: each includes the one below. */
const ROLE_RULES: Record<ProjectRole, ReadonlyArray<[Action, Exclude<SubjectType, 'all' | 'Project' | 'User' | 'ApiToken' | 'Plugin'>]>> = {
  viewer: [
    ['read', 'Deployment'],
    ['read', 'Prediction'],
    ['read', 'Model'],
    ['read', 'ModelVersion'],
    ['read', 'ModelAlias'],
    ['read', 'Membership'],
  ],
  'data-scientist': [
    ['create', 'Model'],
    ['update', 'Model'],
    ['create', 'ModelVersion'],
    ['update', 'ModelVersion'],
    ['create', 'Upload'],
    ['read', 'Upload'],
    ['predict', 'Deployment'],
  ],
  'ml-engineer': [
    ['delete', 'Model'],
    ['delete', 'ModelVersion'],
    ['create', 'ModelAlias'],
    ['update', 'ModelAlias'],
    ['delete', 'ModelAlias'],
    ['create', 'Deployment'],
    ['update', 'Deployment'],
    ['delete', 'Deployment'],
  ],
  admin: [['manage', 'Membership']],
};

const ROLE_ORDER: readonly ProjectRole[] = ['viewer', 'data-scientist', 'ml-engineer', 'admin'];

/** Builds the CASL ability of one caller; every rule is scoped to the caller's projects. */
export function defineAbilityFor(principal: Principal): AppAbility {
  const { can, build } = new AbilityBuilder<AppAbility>(createMongoAbility);
  if (principal.isPlatformAdmin) {
    can('manage', 'all');
    return build();
  }
  can('read', 'User', { id: principal.userId });
  can('manage', 'ApiToken', { userId: principal.userId });
  // Which runtimes exist is not project data; registering one is for platform admins only.
  can('read', 'Plugin');
  for (const [projectId, role] of principal.memberships) {
    can('read', 'Project', { id: projectId });
    if (role === 'admin') can('update', 'Project', { id: projectId });
    for (const r of ROLE_ORDER.slice(0, ROLE_ORDER.indexOf(role) + 1)) {
      for (const [action, subjectType] of ROLE_RULES[r]) can(action, subjectType, { projectId });
    }
  }
  return build();
}

/** Tags a plain object with its subject type so CASL can match conditions on it. */
export function asSubject(type: Exclude<SubjectType, 'all'>, object: Record<string, unknown>): Tagged {
  return tagSubject(type, { ...object }) as unknown as Tagged;
}

/** Throws FORBIDDEN unless the caller may do `action` on the given object (or on any object of the type). */
export function assertCan(
  ability: AppAbility,
  action: Action,
  type: Exclude<SubjectType, 'all'>,
  object?: Record<string, unknown>,
): void {
  const allowed = object ? ability.can(action, asSubject(type, object)) : ability.can(action, type);
  if (!allowed) {
    const where = object && typeof object['projectId'] === 'string' ? ` in project ${object['projectId']}` : '';
    throw new GovernanceError(
      GovernanceErrorCode.FORBIDDEN,
      `You may not ${action} ${type}${where}. Ask an admin of the project for a role that allows it.`,
      { action, subject: type },
    );
  }
}

/** The ids of the projects in which the caller may `action` objects of `type`; null means every project. */
export function projectsWhere(principal: Principal, ability: AppAbility, action: Action, type: Exclude<SubjectType, 'all'>): string[] | null {
  if (principal.isPlatformAdmin) return null;
  // A Project's own id is `id`; every other subject names its project in `projectId`.
  return [...principal.memberships.keys()].filter((projectId) => ability.can(action, asSubject(type, type === 'Project' ? { id: projectId } : { projectId })));
}
