import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ChangeRequestObject } from '@modelport/governance';
import { ConnectionType } from '@modelport/graphql';
import type { DeploymentEntity, DeploymentEventEntity } from '../persistence/deployment.entity';
import type { DeploymentChange } from '../domain/deployment.service';

export enum DeploymentStateValue {
  AWAITING_APPROVAL = 'AWAITING_APPROVAL',
  PENDING = 'PENDING',
  LOADING = 'LOADING',
  READY = 'READY',
  FAILED = 'FAILED',
}
registerEnumType(DeploymentStateValue, { name: 'DeploymentState', description: 'PENDING → LOADING → READY, or FAILED with the reason; AWAITING_APPROVAL first for a production deployment an approval policy covers.' });

export enum DeploymentKindValue {
  SERVED = 'served',
  EXTERNAL = 'external',
}
registerEnumType(DeploymentKindValue, {
  name: 'DeploymentKind',
  description: 'SERVED: Modelport loads and serves the model. EXTERNAL: the model runs elsewhere; its predictions (and actuals) are ingested and monitored the same way.',
});

export enum PayloadLoggingValue {
  FULL = 'full',
  SAMPLED = 'sampled',
  NONE = 'none',
}
registerEnumType(PayloadLoggingValue, { name: 'PayloadLogging', description: 'Which prediction payloads the log keeps; metadata is always kept.' });

@ObjectType('RuntimeSetting')
export class RuntimeSettingObject {
  @Field() key!: string;
  @Field() value!: string;
}

@InputType('RuntimeSettingInput')
export class RuntimeSettingInput {
  @Field() key!: string;
  @Field() value!: string;
}

@ObjectType('Deployment', { description: 'A model version served on a plugin under a name, which is also its V2 model name.' })
export class DeploymentObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) projectId!: string;
  @Field() name!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field(() => String, { nullable: true, description: 'The alias the version was chosen by, when it was.' }) sourceAlias!: string | null;
  @Field(() => DeploymentStateValue) state!: DeploymentStateValue;
  @Field(() => String, { nullable: true, description: 'Why the deployment is FAILED.' }) failure!: string | null;
  @Field(() => String, { nullable: true, description: 'The plugin the deployment asked for; null lets Modelport choose by format and priority.' }) requestedPlugin!: string | null;
  @Field(() => String, { nullable: true, description: 'The plugin serving it now.' }) plugin!: string | null;
  @Field(() => [RuntimeSettingObject]) runtimeConfig!: RuntimeSettingObject[];
  @Field(() => PayloadLoggingValue) payloadLogging!: PayloadLoggingValue;
  @Field(() => Float) payloadSampleRate!: number;
  @Field(() => Int, { nullable: true, description: 'Dynamic batching: most rows per plugin call (null: off).' }) maxBatchSize!: number | null;
  @Field(() => Int, { nullable: true }) maxBatchDelayMs!: number | null;
  @Field() production!: boolean;
  @Field(() => DeploymentKindValue) kind!: DeploymentKindValue;
  @Field(() => String, { nullable: true, description: 'For external deployments: where their predictions are sent (NDJSON).' }) ingestPath!: string | null;
  @Field(() => Int, { description: 'Incremented by every change of the served version.' }) revision!: number;
  @Field(() => String, { nullable: true, description: 'Why the last version replacement failed (the previous version kept serving).' }) rolloutError!: string | null;
  @Field(() => ID) createdBy!: string;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) readyAt!: Date | null;
  @Field({ description: 'Path of the V2 REST inference endpoint.' }) inferPath!: string;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Set when the deployment was read as of a past time (deployment(name, asOf)).' })
  asOf!: Date | null;
  @Field(() => ID, { nullable: true, description: 'With asOf: the version that served at that time (null if none was serving yet).' })
  servedVersionId!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'With asOf: since when that version served.' }) servingSince!: Date | null;
  @Field(() => ID, { nullable: true, description: 'With asOf: the approved change request that put that version into service, if one did.' })
  servedByChangeRequestId!: string | null;
  @Field(() => ChangeRequestObject, {
    nullable: true,
    description: 'Set by a mutation whose change an approval policy holds back: the deployment is unchanged until the request is approved.',
  })
  changeRequest!: ChangeRequestObject | null;

  static from(e: DeploymentEntity): DeploymentObject {
    return Object.assign(new DeploymentObject(), {
      id: e.id,
      projectId: e.projectId,
      name: e.name,
      modelId: e.modelId,
      modelVersionId: e.modelVersionId,
      sourceAlias: e.sourceAlias,
      state: e.state as DeploymentStateValue,
      failure: e.failure,
      requestedPlugin: e.requestedPlugin,
      plugin: e.state === 'READY' ? e.pluginName : null,
      runtimeConfig: Object.entries(e.runtimeConfig).map(([key, value]) => ({ key, value })),
      payloadLogging: e.payloadLogging as PayloadLoggingValue,
      payloadSampleRate: e.payloadSampleRate,
      maxBatchSize: e.maxBatchSize,
      maxBatchDelayMs: e.maxBatchDelayMs,
      production: e.production,
      kind: e.kind as DeploymentKindValue,
      ingestPath: e.kind === 'external' ? `/v1/deployments/${e.id}/predictions` : null,
      revision: e.revision,
      rolloutError: e.rolloutError,
      createdBy: e.createdBy,
      createdAt: e.createdAt,
      updatedAt: e.updatedAt,
      readyAt: e.readyAt,
      inferPath: `/v2/models/${e.name}/infer`,
      asOf: null,
      servedVersionId: null,
      servingSince: null,
      servedByChangeRequestId: null,
      changeRequest: null,
    });
  }
}
/** A mutation's answer: the deployment, and the change request when the change awaits approval. */
export function fromChange(change: DeploymentChange): DeploymentObject {
  return Object.assign(DeploymentObject.from(change.deployment), { changeRequest: change.changeRequest ? ChangeRequestObject.from(change.changeRequest) : null });
}
export const DeploymentConnection = ConnectionType(DeploymentObject, 'Deployment');

@ObjectType('DeploymentEvent', { description: 'One change of a deployment, for its timeline.' })
export class DeploymentEventObject {
  @Field(() => GraphQLISODateTime) at!: Date;
  @Field({
    description:
      'created, awaiting-approval, approved, not-approved, ready, failed, version-replaced, replace-failed, traffic-changed, shadow-attached, promoted, rolled-back, auto-rolled-back, bake-passed or deleted.',
  })
  kind!: string;
  @Field(() => ID, { nullable: true }) actorId!: string | null;
  @Field(() => ID, { nullable: true }) fromVersionId!: string | null;
  @Field(() => ID, { nullable: true }) toVersionId!: string | null;
  @Field() detail!: string;
  @Field(() => String, { nullable: true, description: 'Why, as given by whoever made the change (or by the watcher that rolled back).' }) reason!: string | null;
  @Field(() => ID, { nullable: true, description: 'The approved change request that made the change, when one did.' }) changeRequestId!: string | null;

  static from(e: DeploymentEventEntity): DeploymentEventObject {
    return Object.assign(new DeploymentEventObject(), {
      at: e.at,
      kind: e.kind,
      actorId: e.actorId,
      fromVersionId: e.fromVersionId,
      toVersionId: e.toVersionId,
      detail: e.detail,
      reason: e.reason,
      changeRequestId: e.changeRequestId,
    });
  }
}

@InputType()
export class CreateDeploymentInput {
  @Field(() => ID) projectId!: string;
  @Field({ description: 'Lower-case letters, digits and hyphens; the V2 model name.' }) name!: string;
  @Field(() => ID) modelId!: string;
  @Field(() => Int, { nullable: true, description: 'The version number to serve; or give an alias.' }) version?: number | null;
  @Field(() => String, { nullable: true, description: 'An alias of the model (e.g. "production") resolved now to its version.' }) alias?: string | null;
  @Field(() => String, { nullable: true, description: 'A plugin by name; default: the healthy plugin with the highest priority for the format.' }) plugin?: string | null;
  @Field(() => [RuntimeSettingInput], { nullable: true, description: 'Runtime settings passed to the plugin, e.g. intra_op_threads.' }) runtimeConfig?: RuntimeSettingInput[] | null;
  @Field(() => PayloadLoggingValue, { nullable: true }) payloadLogging?: PayloadLoggingValue | null;
  @Field(() => Float, { nullable: true, description: 'Share of payloads kept when payloadLogging is sampled (0..1).' }) payloadSampleRate?: number | null;
  @Field(() => Int, { nullable: true }) maxBatchSize?: number | null;
  @Field(() => Int, { nullable: true }) maxBatchDelayMs?: number | null;
  @Field(() => Boolean, { nullable: true }) production?: boolean | null;
  @Field(() => DeploymentKindValue, { nullable: true, description: 'SERVED (default) or EXTERNAL.' }) kind?: DeploymentKindValue | null;
  @Field({ nullable: true, defaultValue: true, description: 'Return once READY or FAILED (default), or at once while PENDING.' }) wait?: boolean;
}

@InputType()
export class ReplaceDeploymentModelVersionInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => Int, { nullable: true }) version?: number | null;
  @Field(() => String, { nullable: true }) alias?: string | null;
}
