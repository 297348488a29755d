import { ActualEntity } from './actual.entity';
import { DeploymentMonitoringSettingsEntity } from './deployment-monitoring-settings.entity';

export { ActualEntity, DeploymentMonitoringSettingsEntity };
export { accuracyMigrations, MonitoringActuals1795801450000 } from './accuracy.migrations';
export const accuracyEntities = [ActualEntity, DeploymentMonitoringSettingsEntity];
