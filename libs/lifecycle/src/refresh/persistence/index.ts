import { DeploymentAttentionEntity, RefreshPolicyEntity, RefreshRunEntity } from './refresh.entities';
import { LifecycleRefresh1795910000000, refreshMigrationClasses } from './refresh.migrations';

export { DeploymentAttentionEntity, RefreshPolicyEntity, RefreshRunEntity, LifecycleRefresh1795910000000 };

/** The refresh area's entities; the server lists them after every other context's. */
export const refreshEntities = [RefreshPolicyEntity, RefreshRunEntity, DeploymentAttentionEntity];

/** The refresh area's migrations, in order; they run after monitoringMigrations (they reference alerts). */
export const refreshMigrations = refreshMigrationClasses;
