// Test fixtures shared by the lifecycle int-specs: the full database schema, callers with real CASL
// abilities, and a deployment lookup that behaves as DeploymentService.get. Not part of the public index.
import type { DatabaseSchema } from '@modelport/database';
import {
  approvalEntities,
  approvalMigrations,
  asSubject,
  defineAbilityFor,
  governanceEntities,
  governanceMigrations,
  groupEntities,
  groupMigrations,
  type Caller,
  type ProjectRole,
} from '@modelport/governance';
import { monitoringEntities, monitoringMigrations } from '@modelport/monitoring';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { DeploymentError, DeploymentErrorCode, servingEntities, servingMigrations } from '@modelport/serving';
import type { DataSource } from 'typeorm';
import { lifecycleEntities, lifecycleMigrations } from '../persistence';

/** Every context's tables in the server's order, the lifecycle's last. */
export const lifecycleTestSchema: DatabaseSchema = {
  entities: [...governanceEntities, ...groupEntities, ...approvalEntities, ...registryEntities, ...servingEntities, ...monitoringEntities, ...lifecycleEntities],
  migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations, ...registryMigrations, ...servingMigrations, ...monitoringMigrations, ...lifecycleMigrations],
};

export function callerOf(userId: string, memberships: [string, ProjectRole][], isPlatformAdmin = false): Caller {
  const principal = { userId, userName: `user-${userId.slice(0, 8)}`, isPlatformAdmin, tokenId: 'test', memberships: new Map(memberships) };
  return { principal, ability: defineAbilityFor(principal) };
}

/** A live deployment as the lookups of the lifecycle see it. */
export interface LookedUpDeployment {
  readonly id: string;
  readonly projectId: string;
  readonly name: string;
  readonly modelId: string;
  readonly modelVersionId: string;
  readonly createdBy: string;
}

/** Reads deployments as DeploymentService.get does: NOT_FOUND unless live and readable by the caller. */
export class SqlDeploymentLookup {
  constructor(private readonly db: DataSource) {}

  async get(caller: Caller, id: string): Promise<LookedUpDeployment> {
    const [row] = (await this.db.query(
      `SELECT id::text AS id, project_id::text AS "projectId", name, model_id::text AS "modelId", model_version_id::text AS "modelVersionId", created_by::text AS "createdBy"
         FROM deployments WHERE id::text = $1 AND deleted_at IS NULL`,
      [id],
    )) as LookedUpDeployment[];
    if (!row || !caller.ability.can('read', asSubject('Deployment', { ...row }))) {
      throw new DeploymentError(DeploymentErrorCode.DEPLOYMENT_NOT_FOUND, `No deployment "${id}" is visible to you.`);
    }
    return row;
  }
}
