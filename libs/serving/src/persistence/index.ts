import { DeploymentEntity, DeploymentEventEntity, DeploymentVersionEntity } from '../deployments/persistence/deployment.entity';
import {
  ServingDeploymentEventChangeRequests1795800500000,
  ServingDeployments1764600000000,
  ServingDeploymentsAwaitingApproval1795801000000,
  ServingExternalDeployments1795801400000,
  ServingTrafficPolicies1795900000000,
} from '../deployments/persistence/deployments.migrations';
import { servingPredictionMigrations } from '../predictions';

export const servingEntities = [DeploymentEntity, DeploymentEventEntity, DeploymentVersionEntity];
/** In order: deployments need the registry's tables; the prediction log stands alone. */
export const servingMigrations = [
  ServingDeployments1764600000000,
  ...servingPredictionMigrations,
  ServingDeploymentEventChangeRequests1795800500000,
  ServingDeploymentsAwaitingApproval1795801000000,
  ServingExternalDeployments1795801400000,
  ServingTrafficPolicies1795900000000,
];
