import { decodeInferOutputs, encodeInferInputs, fromJson, toJson } from '@modelport/plugin-sdk';
import type { DataSource } from 'typeorm';
import type { DeploymentService } from '../deployments/domain/deployment.service';
import type { ServingBackend } from '../deployments/domain/serving-backend';
import { DeploymentVersionEntity } from '../deployments/persistence/deployment.entity';

/** A tensor in V2 JSON form (as the prediction log stores it). */
export interface ReplayTensor {
  readonly name: string;
  readonly datatype: string;
  readonly shape: readonly number[];
  readonly data: readonly unknown[];
}

/**
 * Scores stored inputs on a version of a deployment for a replay job: on the copy the deployment already has
 * loaded (champion, canary, shadow or standby), or on a copy loaded for the replay alone under its own model key
 * and unloaded afterwards, so live traffic never shares a key with a replay.
 */
export class DeploymentReplayScorer {
  constructor(
    private readonly db: DataSource,
    private readonly deployments: DeploymentService,
    private readonly backend: ServingBackend,
    private readonly deadlineMs: number,
  ) {}

  async withVersion<T>(deploymentId: string, versionId: string, fn: (score: (inputs: ReplayTensor[]) => Promise<ReplayTensor[]>) => Promise<T>): Promise<T> {
    const deployment = await this.deployments.reload(deploymentId);
    if (deployment.deletedAt) throw new Error(`deployment ${deployment.name} was deleted`);
    if (deployment.kind === 'external') throw new Error(`deployment ${deployment.name} is external: Modelport cannot run its model for a replay`);
    const member = await this.db.getRepository(DeploymentVersionEntity).findOneBy({ deploymentId, modelVersionId: versionId, state: 'READY' });
    let placed: { pluginName: string; modelKey: string } | null =
      deployment.modelVersionId === versionId && deployment.state === 'READY' && deployment.pluginName && deployment.modelKey
        ? { pluginName: deployment.pluginName, modelKey: deployment.modelKey }
        : member?.pluginName && member.modelKey
          ? { pluginName: member.pluginName, modelKey: member.modelKey }
          : null;
    const own = placed === null;
    if (!placed) placed = await this.deployments.place(deployment, versionId, '/replay');
    const at = placed;
    const score = async (inputs: ReplayTensor[]): Promise<ReplayTensor[]> => {
      const encoded = encodeInferInputs(inputs.map((t) => fromJson(t as Parameters<typeof fromJson>[0])), 'raw');
      const response = await this.backend.infer(at.pluginName, { model_name: at.modelKey, id: 'replay', inputs: encoded.inputs, raw_input_contents: encoded.raw_input_contents, outputs: [] }, this.deadlineMs);
      return decodeInferOutputs(response).map((t) => toJson(t) as ReplayTensor);
    };
    try {
      return await fn(score);
    } finally {
      if (own) await this.deployments.retire({ name: deployment.name, pluginName: at.pluginName, modelKey: at.modelKey }, null);
    }
  }
}
