import { assertCan, systemClock, type Caller, type Clock } from '@modelport/governance';
import type { DataSource } from 'typeorm';
import { DeploymentMonitoringSettingsEntity } from '../persistence/deployment-monitoring-settings.entity';
import { validateMonitoringSettings, type MonitoringSettings, type MonitoringSettingsInput } from './monitoring-settings';

/** What the accuracy context needs of a deployment. */
export interface DeploymentRef {
  readonly id: string;
  readonly projectId: string;
}

/**
 * Finds a deployment the caller may read, or throws the serving context's NOT_FOUND (also for
 * deployments the caller may not see). `DeploymentService` of @modelport/serving is one.
 */
export interface DeploymentLookup {
  get(caller: Caller, id: string): Promise<DeploymentRef>;
}

export interface MonitoringSettingsView extends MonitoringSettings {
  readonly deploymentId: string;
  readonly projectId: string;
  readonly updatedAt: Date;
  readonly updatedBy: string | null;
}

function view(row: DeploymentMonitoringSettingsEntity): MonitoringSettingsView {
  return {
    deploymentId: row.deploymentId,
    projectId: row.projectId,
    task: row.task,
    labelOutput: row.labelOutput,
    probabilityOutput: row.probabilityOutput,
    positiveClass: row.positiveClass,
    classes: row.classes,
    updatedAt: row.updatedAt,
    updatedBy: row.updatedBy,
  };
}

/** A deployment's monitoring settings: which task it does and which outputs hold what (table deployment_monitoring_settings). */
export class MonitoringSettingsService {
  constructor(
    private readonly db: DataSource,
    private readonly deployments: DeploymentLookup,
    private readonly clock: Clock = systemClock,
  ) {}

  /** The settings of a deployment the caller may read; null when none were set. */
  async get(caller: Caller, deploymentId: string): Promise<MonitoringSettingsView | null> {
    const deployment = await this.deployments.get(caller, deploymentId);
    return this.of(deployment.id);
  }

  /** Sets (replaces) the settings; the caller needs `update` on the deployment, as for changing the deployment itself. */
  async set(caller: Caller, deploymentId: string, input: MonitoringSettingsInput): Promise<MonitoringSettingsView> {
    const deployment = await this.deployments.get(caller, deploymentId);
    assertCan(caller.ability, 'update', 'Deployment', { ...deployment });
    const settings = validateMonitoringSettings(input);
    const row: DeploymentMonitoringSettingsEntity = {
      deploymentId: deployment.id,
      projectId: deployment.projectId,
      task: settings.task,
      labelOutput: settings.labelOutput,
      probabilityOutput: settings.probabilityOutput,
      positiveClass: settings.positiveClass,
      classes: settings.classes ? [...settings.classes] : null,
      updatedBy: caller.principal.userId,
      updatedAt: this.clock.now(),
    };
    await this.db.getRepository(DeploymentMonitoringSettingsEntity).upsert(row, ['deploymentId']);
    return view(row);
  }

  /** The settings of a deployment, without an access check (for services that checked already). */
  async of(deploymentId: string): Promise<MonitoringSettingsView | null> {
    const row = await this.db.getRepository(DeploymentMonitoringSettingsEntity).findOneBy({ deploymentId });
    return row ? view(row) : null;
  }
}
