import { Field, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { StaleModel, StaleModelsReport } from '../domain/refresh-report.service';
import type { TimelineActor, TimelineEntry, TimelineReference, TimelineVersion } from '../domain/timeline.types';

export enum TimelineCategoryValue {
  VERSION = 'VERSION',
  TRAFFIC = 'TRAFFIC',
  APPROVAL = 'APPROVAL',
  ROLLBACK = 'ROLLBACK',
  ALERT = 'ALERT',
  REFRESH = 'REFRESH',
  BAKE = 'BAKE',
  DEPLOYMENT = 'DEPLOYMENT',
}
registerEnumType(TimelineCategoryValue, {
  name: 'TimelineCategory',
  description:
    'What a timeline entry is about: VERSION (the champion changed or a change of it failed or was refused), TRAFFIC (canaries, shadows, weights), APPROVAL (change requests and their reviews), ROLLBACK, ALERT (opened and resolved), REFRESH (refresh runs), BAKE (bake periods after a promotion), DEPLOYMENT (created, ready, failed, deleted, and anything else).',
});

@ObjectType('TimelineActor', { description: 'The user who did it.' })
export class TimelineActorObject {
  @Field(() => ID) id!: string;
  @Field({ description: 'Display name, else user name.' }) name!: string;

  static from(a: TimelineActor | null): TimelineActorObject | null {
    return a ? Object.assign(new TimelineActorObject(), { id: a.id, name: a.name }) : null;
  }
}

@ObjectType('TimelineVersion', { description: 'A model version an entry involves.' })
export class TimelineVersionObject {
  @Field(() => ID) id!: string;
  @Field(() => Int, { nullable: true, description: 'Its number; null if the version no longer exists.' }) version!: number | null;

  static from(v: TimelineVersion | null): TimelineVersionObject | null {
    return v ? Object.assign(new TimelineVersionObject(), { id: v.id, version: v.version }) : null;
  }
}

@ObjectType('TimelineReference', { description: 'What an entry points at.' })
export class TimelineReferenceObject {
  @Field({ description: 'change-request, alert, refresh-run, ...' }) type!: string;
  @Field(() => ID) id!: string;

  static from(r: TimelineReference | null): TimelineReferenceObject | null {
    return r ? Object.assign(new TimelineReferenceObject(), { type: r.type, id: r.id }) : null;
  }
}

@ObjectType('TimelineEntry', { description: 'One thing that happened to a deployment.' })
export class TimelineEntryObject {
  @Field(() => ID, { description: 'Unique in the timeline: <source>:<id in the source>.' }) id!: string;
  @Field(() => GraphQLISODateTime) at!: Date;
  @Field(() => TimelineCategoryValue) category!: TimelineCategoryValue;
  @Field({ description: "The source's own kind, e.g. version-replaced, traffic-changed, change-request-approved, alert-opened." }) kind!: string;
  @Field({ description: 'Where the entry comes from: deployment-events, change-requests, alerts, ...' }) source!: string;
  @Field(() => TimelineActorObject, { nullable: true, description: 'Who did it; null when the system did (a job, a watcher, an expiry).' })
  actor!: TimelineActorObject | null;
  @Field({ description: 'The line to show: the reason when one was given, else the detail.' }) text!: string;
  @Field({ description: 'What happened.' }) detail!: string;
  @Field(() => String, { nullable: true, description: 'Why, when someone said: the reason given with the change, or the review comment.' }) reason!: string | null;
  @Field(() => TimelineVersionObject, { nullable: true }) fromVersion!: TimelineVersionObject | null;
  @Field(() => TimelineVersionObject, { nullable: true }) toVersion!: TimelineVersionObject | null;
  @Field(() => TimelineReferenceObject, { nullable: true, description: 'The change request, alert, refresh run... behind the entry.' })
  reference!: TimelineReferenceObject | null;

  static from(e: TimelineEntry): TimelineEntryObject {
    return Object.assign(new TimelineEntryObject(), {
      id: e.id,
      at: e.at,
      category: e.category as TimelineCategoryValue,
      kind: e.kind,
      source: e.source,
      actor: TimelineActorObject.from(e.actor),
      text: e.text,
      detail: e.detail,
      reason: e.reason,
      fromVersion: TimelineVersionObject.from(e.fromVersion),
      toVersion: TimelineVersionObject.from(e.toVersion),
      reference: TimelineReferenceObject.from(e.reference),
    });
  }
}

export const TimelineEntryConnection = ConnectionType(TimelineEntryObject, 'TimelineEntry');

@ObjectType('StaleProductionModel', { description: 'A production deployment whose model was never refreshed or whose champion is older than the threshold.' })
export class StaleProductionModelObject {
  @Field(() => ID) deploymentId!: string;
  @Field() deploymentName!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => ID) modelId!: string;
  @Field() modelName!: string;
  @Field(() => ID, { description: 'The version the deployment serves.' }) championVersionId!: string;
  @Field(() => Int) championVersion!: number;
  @Field(() => GraphQLISODateTime, { description: 'When the champion was registered.' }) registeredAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'Since when the champion serves on this deployment; null when no event says.' })
  servingSince!: Date | null;
  @Field(() => Int, { description: 'Whole days since the champion was registered.' }) ageDays!: number;
  @Field({ description: 'A version of the model came from a refresh (lineage refreshRunId or trigger), or the deployment was ever given another version.' })
  everRefreshed!: boolean;
  @Field(() => GraphQLISODateTime, { nullable: true }) lastRefreshAt!: Date | null;
  @Field(() => [String], { description: 'Why it is listed: "never refreshed", "champion is 97 days old (threshold 90)".' }) reasons!: string[];
  @Field({ description: 'The reasons joined with "; ".' }) reason!: string;

  static from(m: StaleModel): StaleProductionModelObject {
    return Object.assign(new StaleProductionModelObject(), { ...m, reasons: [...m.reasons] });
  }
}

@ObjectType('StaleProductionModels', { description: 'The refresh report: production models never refreshed or older than a threshold, oldest champion first.' })
export class StaleProductionModelsObject {
  @Field(() => GraphQLISODateTime, { description: 'The time ages are measured to.' }) asOf!: Date;
  @Field(() => Int) olderThanDays!: number;
  @Field(() => Int, { description: 'Every matching deployment, also those beyond first.' }) totalCount!: number;
  @Field(() => [StaleProductionModelObject]) models!: StaleProductionModelObject[];

  static from(r: StaleModelsReport): StaleProductionModelsObject {
    return Object.assign(new StaleProductionModelsObject(), {
      asOf: r.asOf,
      olderThanDays: r.olderThanDays,
      totalCount: r.totalCount,
      models: r.models.map(StaleProductionModelObject.from),
    });
  }
}
