import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import type { BakeSettings } from '../../deployments/persistence/deployment.entity';
import type { TrafficMember, TrafficPolicyView } from '../traffic.service';

export enum TrafficRoleValue {
  CHAMPION = 'champion',
  CANARY = 'canary',
  SHADOW = 'shadow',
  STANDBY = 'standby',
}
registerEnumType(TrafficRoleValue, {
  name: 'TrafficRole',
  description: 'CHAMPION answers the traffic the canaries leave; CANARY answers its weight; SHADOW gets copies, never answers; STANDBY is the previous champion kept loaded for a rollback.',
});

export enum StickyByValue {
  NONE = 'none',
  CONSUMER = 'consumer',
  REQUEST_PARAMETER = 'request-parameter',
}
registerEnumType(StickyByValue, { name: 'StickyBy', description: 'How requests stick to one live version: not at all, by caller, or by a V2 request parameter.' });

export enum DriftLevelValue {
  AMBER = 'amber',
  RED = 'red',
}
registerEnumType(DriftLevelValue, { name: 'DriftLevel' });

@ObjectType('TrafficMember', { description: 'One version in a deployment traffic policy.' })
export class TrafficMemberObject {
  @Field(() => ID) modelVersionId!: string;
  @Field(() => Int) version!: number;
  @Field(() => TrafficRoleValue) role!: TrafficRoleValue;
  @Field(() => Int, { description: 'Percent of live traffic (champion and canaries); 0 for shadows and the standby.' }) weight!: number;
  @Field({ description: 'LOADING, READY or FAILED; only READY versions get traffic.' }) state!: string;
  @Field(() => String, { nullable: true }) failure!: string | null;
  @Field({ description: 'Why it was added.' }) reason!: string;
  @Field(() => GraphQLISODateTime, { nullable: true }) addedAt!: Date | null;

  static from(m: TrafficMember): TrafficMemberObject {
    return Object.assign(new TrafficMemberObject(), { ...m, role: m.role as TrafficRoleValue });
  }
}

@ObjectType('BakeSettings', { description: 'What a newly promoted champion is watched for during its bake period.' })
export class BakeSettingsObject {
  @Field(() => Int) minutes!: number;
  @Field(() => Float, { nullable: true }) maxErrorRate!: number | null;
  @Field(() => Float, { nullable: true }) maxP99LatencyMs!: number | null;
  @Field(() => DriftLevelValue, { nullable: true }) rollbackOnDrift!: DriftLevelValue | null;
  @Field(() => String, { nullable: true }) accuracyMetric!: string | null;
  @Field(() => Float, { nullable: true }) accuracyThreshold!: number | null;
  @Field(() => Int) minRequests!: number;
  @Field(() => GraphQLISODateTime) promotedAt!: Date;

  static from(b: BakeSettings): BakeSettingsObject {
    return Object.assign(new BakeSettingsObject(), { ...b, rollbackOnDrift: b.rollbackOnDrift as DriftLevelValue | null, promotedAt: new Date(b.promotedAt) });
  }
}

@ObjectType('TrafficPolicy')
export class TrafficPolicyObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => [TrafficMemberObject], { description: 'The champion first, then canaries, shadows and the standby.' }) members!: TrafficMemberObject[];
  @Field(() => StickyByValue) stickyBy!: StickyByValue;
  @Field(() => String, { nullable: true }) stickyParameter!: string | null;
  @Field(() => ID, { nullable: true, description: 'Where a rollback goes: the champion before the last promotion.' }) previousVersionId!: string | null;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Set during a bake period: until then the champion is rolled back automatically if it crosses a threshold.' })
  bakeUntil!: Date | null;
  @Field(() => BakeSettingsObject, { nullable: true }) bake!: BakeSettingsObject | null;

  static from(v: TrafficPolicyView): TrafficPolicyObject {
    return Object.assign(new TrafficPolicyObject(), {
      deploymentId: v.deploymentId,
      members: v.members.map(TrafficMemberObject.from),
      stickyBy: v.stickyBy as StickyByValue,
      stickyParameter: v.stickyParameter,
      previousVersionId: v.previousVersionId,
      bakeUntil: v.bakeUntil,
      bake: v.bakeSettings ? BakeSettingsObject.from(v.bakeSettings) : null,
    });
  }
}

@InputType()
export class CanaryInput {
  @Field(() => Int) version!: number;
  @Field(() => Int, { description: 'Percent of live traffic, 0 to 100.' }) weight!: number;
}

@InputType()
export class SetTrafficPolicyInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => Int, { description: 'The champion share; with the canary weights it must add up to 100.' }) championWeight!: number;
  @Field(() => [CanaryInput], { nullable: true }) canaries?: CanaryInput[] | null;
  @Field(() => [Int], { nullable: true, description: 'Version numbers to run as shadow challengers.' }) shadows?: number[] | null;
  @Field(() => StickyByValue, { nullable: true }) stickyBy?: StickyByValue | null;
  @Field(() => String, { nullable: true, description: 'With stickyBy REQUEST_PARAMETER: the V2 request parameter holding the key.' }) stickyParameter?: string | null;
  @Field({ description: 'Why; kept in the timeline and the audit trail.' }) reason!: string;
}

@InputType()
export class BakeInputObject {
  @Field(() => Int, { description: 'Minutes to watch the new champion; 0 unloads the previous champion at once.' }) minutes!: number;
  @Field(() => Float, { nullable: true, description: 'Roll back when the share of failed requests exceeds this (0..1).' }) maxErrorRate?: number | null;
  @Field(() => Float, { nullable: true }) maxP99LatencyMs?: number | null;
  @Field(() => DriftLevelValue, { nullable: true }) rollbackOnDrift?: DriftLevelValue | null;
  @Field(() => String, { nullable: true, description: 'An accuracy metric (accuracy, f1, auc, rmse, mae, ...); error metrics roll back above the threshold, others below.' })
  accuracyMetric?: string | null;
  @Field(() => Float, { nullable: true }) accuracyThreshold?: number | null;
  @Field(() => Int, { nullable: true, description: 'Requests on the new champion before health thresholds are judged (default 20).' }) minRequests?: number | null;
}

@InputType()
export class PromoteDeploymentVersionInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => Int, { description: 'A READY canary or shadow of the deployment.' }) version!: number;
  @Field() reason!: string;
  @Field(() => BakeInputObject, { nullable: true }) bake?: BakeInputObject | null;
}

@InputType()
export class RollbackDeploymentInput {
  @Field(() => ID) deploymentId!: string;
  @Field() reason!: string;
}
