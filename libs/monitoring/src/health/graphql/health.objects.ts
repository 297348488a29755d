import { Field, Float, GraphQLISODateTime, ID, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { HealthResolution, type HealthFigures, type HealthPoint, type HealthSeries } from '../domain/health.types';
import { LATENCY_RELATIVE_ERROR } from '../domain/latency-histogram';

registerEnumType(HealthResolution, {
  name: 'HealthResolution',
  description: 'Width of one point of a health series; points start at whole multiples of it in UTC (days at UTC midnight).',
});

const ms = (us: number | null): number | null => (us === null ? null : us / 1000);

@ObjectType('HealthFigures', { description: 'Service health of a set of requests. Counts are exact; latency quantiles are within 2% of the exact (nearest-rank) value.' })
export class HealthFiguresObject {
  @Field(() => Float, { description: 'Requests answered, ok or error.' }) requests!: number;
  @Field(() => Float, { description: 'Predictions made: the batch dimension of each answered request (1 when unknown). Failed requests make none.' })
  predictions!: number;
  @Field(() => Float, { description: 'Requests answered with a 4xx error (the caller’s mistake: bad input, refused access).' }) errors4xx!: number;
  @Field(() => Float, { description: 'Requests answered with a 5xx error (the deployment’s or the platform’s failure).' }) errors5xx!: number;
  @Field(() => Float, { description: 'Share of requests answered with an error, 0 to 1 (0 without requests).' }) errorRate!: number;
  @Field(() => Float) errorRate4xx!: number;
  @Field(() => Float) errorRate5xx!: number;
  @Field(() => Int, { description: 'Distinct callers; anonymous requests are not counted.' }) distinctConsumers!: number;
  @Field(() => Float, { nullable: true, description: 'Mean latency of all requests in milliseconds; null without requests.' }) latencyMeanMs!: number | null;
  @Field(() => Float, { nullable: true }) latencyP50Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyP90Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyP95Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyP99Ms!: number | null;
  @Field(() => Float, { nullable: true, description: 'Exact.' }) latencyMaxMs!: number | null;

  static fill<T extends HealthFiguresObject>(target: T, f: HealthFigures): T {
    return Object.assign(target, {
      requests: f.requests,
      predictions: f.predictions,
      errors4xx: f.errors4xx,
      errors5xx: f.errors5xx,
      errorRate: f.errorRate,
      errorRate4xx: f.errorRate4xx,
      errorRate5xx: f.errorRate5xx,
      distinctConsumers: f.distinctConsumers,
      latencyMeanMs: ms(f.latencyMeanUs),
      latencyP50Ms: ms(f.latencyP50Us),
      latencyP90Ms: ms(f.latencyP90Us),
      latencyP95Ms: ms(f.latencyP95Us),
      latencyP99Ms: ms(f.latencyP99Us),
      latencyMaxMs: ms(f.latencyMaxUs),
    });
  }
}

@ObjectType('HealthPoint', { description: 'Service health of the requests received in [start, end).' })
export class HealthPointObject extends HealthFiguresObject {
  @Field(() => GraphQLISODateTime) start!: Date;
  @Field(() => GraphQLISODateTime) end!: Date;

  static from(p: HealthPoint): HealthPointObject {
    return HealthFiguresObject.fill(Object.assign(new HealthPointObject(), { start: p.start, end: p.end }), p);
  }
}

@ObjectType('DeploymentHealth', { description: 'Service health of a deployment over a window, from per-minute rollups of its prediction log.' })
export class DeploymentHealthObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { nullable: true, description: 'The model version the figures are limited to; null for all.' }) modelVersionId!: string | null;
  @Field(() => GraphQLISODateTime, { description: 'Start of the first point: the asked from, rounded down to the resolution.' }) from!: Date;
  @Field(() => GraphQLISODateTime, { description: 'End of the last point: the asked to, rounded up to the resolution.' }) to!: Date;
  @Field(() => HealthResolution) resolution!: HealthResolution;
  @Field(() => Int) resolutionSeconds!: number;
  @Field(() => Float, { description: 'Largest relative error of the latency quantiles against the exact nearest-rank quantile (0.02).' })
  latencyRelativeError!: number;
  @Field(() => HealthFiguresObject, { description: 'The whole window (distinct consumers over the window, not the sum of the points’).' })
  totals!: HealthFiguresObject;
  @Field(() => [HealthPointObject], { description: 'Every point of the window in time order, empty ones included.' }) points!: HealthPointObject[];

  static from(s: HealthSeries): DeploymentHealthObject {
    return Object.assign(new DeploymentHealthObject(), {
      deploymentId: s.deploymentId,
      modelVersionId: s.window.modelVersionId,
      from: s.window.from,
      to: s.window.to,
      resolution: s.window.resolution,
      resolutionSeconds: s.window.stepSeconds,
      latencyRelativeError: LATENCY_RELATIVE_ERROR,
      totals: HealthFiguresObject.fill(new HealthFiguresObject(), s.totals),
      points: s.points.map(HealthPointObject.from),
    });
  }
}
