import { Args, Field, Float, GraphQLISODateTime, ID, InputType, Int, Mutation, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { Can, CurrentCaller, type Caller } from '@modelport/governance';
import type { DriftOptions, FeatureDrift } from '../drift';
import { invalidAlertArgument } from '../alerts/domain/alert.errors';
import { DriftService, type DeploymentDrift } from './drift.service';
import { ReferenceService, type ReferenceProfileRow } from './reference.service';

@ObjectType('ReferenceProfile', { description: "A model version's reference data set, profiled per feature and prediction column." })
export class ReferenceProfileObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) modelVersionId!: string;
  @Field({ description: 'PENDING (the job is profiling it), READY or FAILED (see failure).' }) status!: string;
  @Field(() => String, { nullable: true }) failure!: string | null;
  @Field() format!: string;
  @Field(() => [String]) featureColumns!: string[];
  @Field(() => [String]) predictionColumns!: string[];
  @Field(() => [String]) categoricalColumns!: string[];
  @Field(() => Int, { nullable: true }) rowCount!: number | null;
  @Field(() => String, { nullable: true, description: 'The profiles (bin edges, counts, moments; top categories) as JSON.' }) profilesJson!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) completedAt!: Date | null;

  static from(r: ReferenceProfileRow): ReferenceProfileObject {
    return Object.assign(new ReferenceProfileObject(), {
      ...r,
      featureColumns: [...r.featureColumns],
      predictionColumns: [...r.predictionColumns],
      categoricalColumns: [...r.categoricalColumns],
      profilesJson: r.profiles ? JSON.stringify(r.profiles) : null,
    });
  }
}

@InputType()
export class CreateReferenceProfileInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { description: 'An upload of the project (createArtifactUpload, then PUT the file).' }) uploadId!: string;
  @Field({ description: 'CSV (with a header line) or JSONL (one object per row).' }) format!: string;
  @Field(() => [String], { description: "The feature columns, in the order of the model's input columns." }) featureColumns!: string[];
  @Field(() => [String], { nullable: true, description: "Columns with the model's predictions on these rows, named like its outputs." }) predictionColumns?: string[] | null;
  @Field(() => [String], { nullable: true, description: 'Columns profiled as categories; all others must hold numbers.' }) categoricalColumns?: string[] | null;
}

@ObjectType('FeatureDrift')
export class FeatureDriftObject {
  @Field() feature!: string;
  @Field({ description: 'feature or prediction.' }) role!: string;
  @Field({ description: 'numeric or categorical.' }) type!: string;
  @Field({ description: 'ks, wasserstein, psi, jensen_shannon, chi_square or z (the deciding test).' }) test!: string;
  @Field({ description: 'exact (raw values) or binned (pre-aggregated sketches).' }) method!: string;
  @Field() reason!: string;
  @Field(() => Float, { description: 'The value compared with the threshold: a p-value or a distance.' }) score!: number;
  @Field(() => Float, { nullable: true }) statistic!: number | null;
  @Field(() => Float, { nullable: true }) pValue!: number | null;
  @Field(() => Float, { nullable: true }) adjustedPValue!: number | null;
  @Field(() => Float) threshold!: number;
  @Field() drifted!: boolean;
  @Field(() => Int) referenceCount!: number;
  @Field(() => Int) windowCount!: number;
  @Field(() => Float) windowMissingShare!: number;
  @Field({ description: 'Further statistics asked for with alsoCompute, as JSON.' }) statisticsJson!: string;

  static from(f: FeatureDrift): FeatureDriftObject {
    return Object.assign(new FeatureDriftObject(), {
      ...f,
      statistic: f.statistic ?? null,
      pValue: f.pValue ?? null,
      adjustedPValue: f.adjustedPValue ?? null,
      statisticsJson: JSON.stringify(f.statistics),
    });
  }
}

@ObjectType('DeploymentDrift')
export class DeploymentDriftObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field(() => ID, { nullable: true }) referenceProfileId!: string | null;
  @Field(() => Int, { description: 'Predictions with a stored payload in the window.' }) rows!: number;
  @Field({ description: 'green, amber, red, or unknown (no reference or no data).' }) status!: string;
  @Field(() => String, { nullable: true, description: 'Why there is no report.' }) message!: string | null;
  @Field(() => Int) testedFeatures!: number;
  @Field(() => Int) driftedFeatures!: number;
  @Field() benjaminiHochberg!: boolean;
  @Field(() => [FeatureDriftObject]) features!: FeatureDriftObject[];
  @Field(() => [FeatureDriftObject]) predictions!: FeatureDriftObject[];
  @Field(() => [String], { description: 'Features not tested in this window, with the reason.' }) skipped!: string[];

  static from(d: DeploymentDrift): DeploymentDriftObject {
    const r = d.report;
    return Object.assign(new DeploymentDriftObject(), {
      deploymentId: d.deploymentId,
      from: d.from,
      to: d.to,
      referenceProfileId: d.profile?.id ?? null,
      rows: d.rows,
      status: r?.status ?? 'unknown',
      message: d.message,
      testedFeatures: r?.testedFeatures ?? 0,
      driftedFeatures: r?.driftedFeatures ?? 0,
      benjaminiHochberg: r?.benjaminiHochberg ?? false,
      features: (r?.features ?? []).map(FeatureDriftObject.from),
      predictions: (r?.predictions ?? []).map(FeatureDriftObject.from),
      skipped: (r?.skipped ?? []).map((s) => `${s.feature}: ${s.message}`),
    });
  }
}

@Resolver()
export class BaselinesResolver {
  constructor(
    private readonly references: ReferenceService,
    private readonly drift: DriftService,
  ) {}

  @Mutation(() => ReferenceProfileObject, { description: 'Profiles a reference data set for the version the deployment serves (a job; poll referenceProfile).' })
  @Can('update', 'Deployment')
  async createReferenceProfile(@CurrentCaller() caller: Caller, @Args('input') input: CreateReferenceProfileInput): Promise<ReferenceProfileObject> {
    return ReferenceProfileObject.from(await this.references.create(caller, input));
  }

  @Query(() => ReferenceProfileObject, { nullable: true, description: "A deployment's reference profile by id, or its latest." })
  @Can('read', 'Deployment')
  async referenceProfile(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('id', { type: () => ID, nullable: true }) id?: string,
  ): Promise<ReferenceProfileObject | null> {
    const row = await this.references.get(caller, deploymentId, id);
    return row ? ReferenceProfileObject.from(row) : null;
  }

  @Query(() => DeploymentDriftObject, { description: 'Drift of a window against the reference profile, per feature and prediction, with the deployment status.' })
  @Can('read', 'Deployment')
  async deploymentDrift(
    @CurrentCaller() caller: Caller,
    @Args('deploymentId', { type: () => ID }) deploymentId: string,
    @Args('from', { type: () => GraphQLISODateTime }) from: Date,
    @Args('to', { type: () => GraphQLISODateTime }) to: Date,
  ): Promise<DeploymentDriftObject> {
    return DeploymentDriftObject.from(await this.drift.report(caller, deploymentId, from, to));
  }

  @Mutation(() => String, {
    description:
      'Drift settings of a deployment as JSON: {"benjaminiHochberg": true, "features": {"age": {"test": "psi", "threshold": 0.2}}, "status": {"amberShare": 0, "redShare": 0.5}}. Returns them as stored.',
  })
  @Can('update', 'Deployment')
  async setDriftSettings(@CurrentCaller() caller: Caller, @Args('deploymentId', { type: () => ID }) deploymentId: string, @Args('settingsJson') settingsJson: string): Promise<string> {
    let options: DriftOptions;
    try {
      options = JSON.parse(settingsJson) as DriftOptions;
    } catch (err) {
      throw invalidAlertArgument('settingsJson', `settingsJson is not valid JSON (${(err as Error).message}).`);
    }
    if (typeof options !== 'object' || options === null || Array.isArray(options)) throw invalidAlertArgument('settingsJson', 'settingsJson must be a JSON object.');
    return JSON.stringify(await this.drift.setSettings(caller, deploymentId, options));
  }
}
