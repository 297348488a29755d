import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import { asSubject, type AppAbility } from '@modelport/governance';
import type { PluginSummary } from '../plugins';
import type { PredictionReceipt } from '../predictions';

@ObjectType('PluginFormat')
export class PluginFormatObject {
  @Field() name!: string;
  @Field(() => Int, { description: 'Higher wins when several plugins serve the format.' }) priority!: number;
}

@ObjectType('Plugin', { description: 'A serving plugin: launched by this server (local) or registered over gRPC (remote).' })
export class PluginObject {
  @Field() name!: string;
  @Field({ description: 'local or remote.' }) kind!: string;
  @Field(() => String, { nullable: true, description: 'The id the plugin reports about itself.' }) pluginId!: string | null;
  @Field(() => String, { nullable: true }) version!: string | null;
  @Field(() => Int, { nullable: true }) protocolVersion!: number | null;
  @Field(() => [PluginFormatObject]) formats!: PluginFormatObject[];
  @Field({ description: 'SERVING, NOT_SERVING, STARTING, RESTARTING, DOWN or UNKNOWN.' }) health!: string;
  @Field(() => String, { nullable: true }) address!: string | null;
  @Field(() => Int, { nullable: true }) pid!: number | null;
  @Field(() => Int) restarts!: number;
  @Field(() => String, { nullable: true }) lastError!: string | null;
  @Field(() => [String], { description: 'Model keys the plugin reports as loaded.' }) loadedModels!: string[];

  static from(p: PluginSummary): PluginObject {
    return Object.assign(new PluginObject(), {
      name: p.name,
      kind: p.kind,
      pluginId: p.id,
      version: p.version,
      protocolVersion: p.protocolVersion,
      formats: p.formats.map((f) => ({ name: f.name, priority: f.priority })),
      health: String(p.health),
      address: p.address,
      pid: p.pid,
      restarts: p.restarts,
      lastError: p.lastError,
      loadedModels: [...p.loadedModels],
    });
  }
}

@ObjectType('ApprovalTrace', { description: 'The approved change request that put a model version into service, and who approved it.' })
export class ApprovalTraceObject {
  @Field(() => ID) changeRequestId!: string;
  @Field(() => ID) authorId!: string;
  @Field(() => [ID], { description: 'Reviewers who approved, in order.' }) approverIds!: string[];
  @Field(() => GraphQLISODateTime, { nullable: true }) appliedAt!: Date | null;
}

@ObjectType('Prediction', { description: 'One logged prediction: its receipt, and its payload when the deployment keeps payloads.' })
export class PredictionObject {
  @Field(() => ID, { description: 'The prediction_id of the receipt (a time-ordered UUID).' }) id!: string;
  @Field(() => GraphQLISODateTime) receivedAt!: Date;
  @Field(() => ID) deploymentId!: string;
  @Field() deploymentName!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => ID, { nullable: true }) modelId!: string | null;
  @Field(() => ID, { nullable: true }) modelVersionId!: string | null;
  @Field(() => Int, { nullable: true }) modelVersion!: number | null;
  @Field(() => String, { nullable: true }) artifactSha256!: string | null;
  @Field(() => String, { nullable: true }) pluginId!: string | null;
  @Field(() => String, { nullable: true }) pluginVersion!: string | null;
  @Field(() => String, { nullable: true, description: 'The id the client sent with the request.' }) requestId!: string | null;
  @Field() protocol!: string;
  @Field(() => ID, { nullable: true }) consumerId!: string | null;
  @Field({ description: 'ok or error.' }) status!: string;
  @Field(() => Int, { nullable: true }) errorStatus!: number | null;
  @Field(() => String, { nullable: true }) errorMessage!: string | null;
  @Field(() => Float) latencyMs!: number;
  @Field(() => Int, { nullable: true }) inputRows!: number | null;
  @Field() payloadStored!: boolean;
  @Field(() => String, { nullable: true, description: 'The request parameters, as JSON.' }) parametersJson!: string | null;
  @Field(() => String, { nullable: true, description: 'The input tensors in V2 JSON form, when stored.' }) inputsJson!: string | null;
  @Field(() => String, { nullable: true, description: 'The output tensors in V2 JSON form, when stored.' }) outputsJson!: string | null;
  @Field({ description: 'True when an access rule hides some of inputs, outputs and parameters from the caller (they are then null).' }) payloadHidden!: boolean;

  /**
   * The prediction as the caller may see it: inputs, outputs and parameters are left out (and
   * `payloadHidden` set) when a field rule forbids reading them, e.g. viewers not seeing payloads.
   */
  static visibleTo(ability: AppAbility, r: PredictionReceipt): PredictionObject {
    const subject = asSubject('Prediction', predictionSubject(r));
    const hide = { inputs: !ability.can('read', subject, 'inputs'), outputs: !ability.can('read', subject, 'outputs'), parameters: !ability.can('read', subject, 'parameters') };
    const object = PredictionObject.from(r);
    if (hide.inputs) object.inputsJson = null;
    if (hide.outputs) object.outputsJson = null;
    if (hide.parameters) object.parametersJson = null;
    object.payloadHidden = hide.inputs || hide.outputs || hide.parameters;
    return object;
  }

  static from(r: PredictionReceipt): PredictionObject {
    return Object.assign(new PredictionObject(), {
      payloadHidden: false,
      id: r.id,
      receivedAt: r.receivedAt,
      deploymentId: r.deployment.id,
      deploymentName: r.deployment.name,
      projectId: r.projectId,
      modelId: r.modelVersion?.modelId ?? null,
      modelVersionId: r.modelVersion?.id ?? null,
      modelVersion: r.modelVersion?.version ?? null,
      artifactSha256: r.modelVersion?.artifactSha256 ?? null,
      pluginId: r.plugin?.id ?? null,
      pluginVersion: r.plugin?.version ?? null,
      requestId: r.requestId,
      protocol: r.protocol,
      consumerId: r.consumerId,
      status: r.status,
      errorStatus: r.error?.status ?? null,
      errorMessage: r.error?.message ?? null,
      latencyMs: r.latencyUs / 1000,
      inputRows: r.inputRows,
      payloadStored: r.payloadStored,
      parametersJson: r.parameters ? JSON.stringify(r.parameters) : null,
      inputsJson: r.payload ? JSON.stringify(r.payload.inputs) : null,
      outputsJson: r.payload ? JSON.stringify(r.payload.outputs) : null,
    });
  }
}
export const PredictionConnection = ConnectionType(PredictionObject, 'Prediction');

/** A logged prediction with the attribute names access rules use (policies/domain/policy-catalogue.ts). */
export function predictionSubject(r: PredictionReceipt): Record<string, unknown> {
  return {
    id: r.id,
    projectId: r.projectId,
    deploymentId: r.deployment.id,
    deploymentName: r.deployment.name,
    modelId: r.modelVersion?.modelId ?? null,
    modelVersionId: r.modelVersion?.id ?? null,
    modelVersion: r.modelVersion?.version ?? null,
    consumerId: r.consumerId,
    status: r.status,
    protocol: r.protocol,
    latencyUs: r.latencyUs,
    errorStatus: r.error?.status ?? null,
    errorMessage: r.error?.message ?? null,
    requestId: r.requestId,
    pluginId: r.plugin?.id ?? null,
    receivedAt: r.receivedAt,
  };
}
