import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { AccuracyWindowResult } from '../domain/accuracy-windows';
import type { DeploymentAccuracy } from '../domain/accuracy.service';
import type { SubmitActualsResult, UnmatchedActual } from '../domain/actuals.service';
import type { MonitoringSettingsView } from '../domain/monitoring-settings.service';
import type { ClassificationMetrics, RegressionMetrics } from '../metrics';
import { ActualValueScalar } from './actual-value.scalar';

export enum PredictionTaskValue {
  CLASSIFICATION = 'classification',
  REGRESSION = 'regression',
}
registerEnumType(PredictionTaskValue, { name: 'PredictionTask', description: 'What a model predicts: a class (CLASSIFICATION) or a number (REGRESSION).' });

export enum AccuracyResolutionValue {
  MINUTE = 'minute',
  HOUR = 'hour',
  DAY = 'day',
}
registerEnumType(AccuracyResolutionValue, { name: 'AccuracyResolution', description: 'Window size of deploymentAccuracy; windows are aligned to UTC.' });

@InputType('DeploymentMonitoringSettingsInput')
export class DeploymentMonitoringSettingsInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => PredictionTaskValue) task!: PredictionTaskValue;
  @Field({ description: 'The output tensor with the predicted label (classification) or value (regression), one per row.' }) labelOutput!: string;
  @Field(() => String, {
    nullable: true,
    description: 'Classification only: the output tensor with class probabilities, one column per entry of classes (or, for a binary model, one column with P(positiveClass)).',
  })
  probabilityOutput?: string | null;
  @Field(() => String, { nullable: true, description: 'Binary classification: the positive class. Leave out for multiclass (macro averages).' }) positiveClass?: string | null;
  @Field(() => [String], { nullable: true, description: 'Classification: every label, in the column order of probabilityOutput. Labels outside it are not scored.' })
  classes?: string[] | null;
}

@ObjectType('DeploymentMonitoringSettings', { description: 'How the outputs of a deployment are scored against actuals.' })
export class DeploymentMonitoringSettingsObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => PredictionTaskValue) task!: PredictionTaskValue;
  @Field() labelOutput!: string;
  @Field(() => String, { nullable: true }) probabilityOutput!: string | null;
  @Field(() => String, { nullable: true }) positiveClass!: string | null;
  @Field(() => [String], { nullable: true }) classes!: string[] | null;
  @Field(() => GraphQLISODateTime) updatedAt!: Date;
  @Field(() => ID, { nullable: true }) updatedBy!: string | null;

  static from(s: MonitoringSettingsView): DeploymentMonitoringSettingsObject {
    return Object.assign(new DeploymentMonitoringSettingsObject(), {
      deploymentId: s.deploymentId,
      projectId: s.projectId,
      task: s.task as PredictionTaskValue,
      labelOutput: s.labelOutput,
      probabilityOutput: s.probabilityOutput,
      positiveClass: s.positiveClass,
      classes: s.classes ? [...s.classes] : null,
      updatedAt: s.updatedAt,
      updatedBy: s.updatedBy,
    });
  }
}

@InputType('ActualInput')
export class ActualInput {
  @Field({ description: 'The prediction_id the prediction answered with, or the V2 request id the client sent (the prediction id wins when both could match).' })
  associationId!: string;
  @Field(() => ActualValueScalar) value!: number | string | boolean;
  @Field(() => GraphQLISODateTime, { nullable: true, description: 'When the outcome happened (kept for reference; delays are measured to when Modelport received it).' })
  actualAt?: Date | null;
  @Field(() => Int, { nullable: true, description: "0-based row of the prediction's batch; required when the prediction had more than one row." }) row?: number | null;
}

@ObjectType('SubmitActualsResult')
export class SubmitActualsResultObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => Int, { description: 'Actuals stored and matched to a prediction.' }) accepted!: number;
  @Field(() => [String], { description: 'Association ids that already had an actual: not stored (the first one is kept).' }) duplicates!: string[];
  @Field(() => [String], {
    description: 'Association ids no prediction of the deployment has yet: stored unmatched (see unmatchedActuals), matched automatically if the prediction is logged later.',
  })
  unknown!: string[];

  static from(r: SubmitActualsResult): SubmitActualsResultObject {
    return Object.assign(new SubmitActualsResultObject(), r);
  }
}

@ObjectType('AccuracyCounts')
export class AccuracyCountsObject {
  @Field(() => Int, { description: 'Successful predictions in the window (all of them, payload stored or not).' }) predictions!: number;
  @Field(() => Int, { description: 'Failed predictions: nothing to score.' }) failedPredictions!: number;
  @Field(() => Int, { description: 'Successful predictions with at least one actual.' }) predictionsWithActuals!: number;
  @Field(() => Int, { description: 'Actuals matched to the predictions of the window.' }) actuals!: number;
  @Field(() => Int, { description: 'Actuals scored into the metrics.' }) scored!: number;
  @Field(() => Int, { description: 'Actuals of predictions whose payload was not stored (payload logging sampled or none): they cannot be scored.' }) withoutPayload!: number;
  @Field(() => Int, { description: 'Actuals not scored for another reason; see unscorable.' }) unscorable!: number;
}

@ObjectType('UnscorableActuals')
export class UnscorableActualsObject {
  @Field() reason!: string;
  @Field(() => Int) count!: number;
}

@ObjectType('ClassificationMetrics', {
  description:
    'null where undefined (e.g. precision when nothing was predicted positive). Binary: of the positive class. Multiclass: macro averages over the labels where defined; ROC AUC one-vs-rest. Log loss clips probabilities to [1e-15, 1-1e-15].',
})
export class ClassificationMetricsObject {
  @Field(() => Float, { nullable: true }) accuracy!: number | null;
  @Field(() => Float, { nullable: true }) precision!: number | null;
  @Field(() => Float, { nullable: true }) recall!: number | null;
  @Field(() => Float, { nullable: true }) f1!: number | null;
  @Field(() => Float, { nullable: true }) rocAuc!: number | null;
  @Field(() => Float, { nullable: true }) logLoss!: number | null;
  @Field({ description: '"binary" or "macro".' }) averaging!: string;

  static from(m: ClassificationMetrics | null): ClassificationMetricsObject | null {
    return m ? Object.assign(new ClassificationMetricsObject(), m) : null;
  }
}

@ObjectType('RegressionMetrics', { description: 'MAPE is a fraction (0.05 = 5 %) over the actuals that are not 0; R² is null with fewer than 2 rows or equal actuals.' })
export class RegressionMetricsObject {
  @Field(() => Float, { nullable: true }) rmse!: number | null;
  @Field(() => Float, { nullable: true }) mae!: number | null;
  @Field(() => Float, { nullable: true }) mape!: number | null;
  @Field(() => Float, { nullable: true }) r2!: number | null;

  static from(m: RegressionMetrics | null): RegressionMetricsObject | null {
    return m ? Object.assign(new RegressionMetricsObject(), m) : null;
  }
}

@ObjectType('ActualsTimeliness')
export class ActualsTimelinessObject {
  @Field(() => Float, { nullable: true, description: 'predictionsWithActuals / predictions.' }) shareWithActuals!: number | null;
  @Field(() => Float, { nullable: true, description: 'Median seconds from a prediction to Modelport receiving its actual.' }) medianDelaySeconds!: number | null;
  @Field(() => Float, { nullable: true }) p90DelaySeconds!: number | null;
}

@ObjectType('AccuracyWindow')
export class AccuracyWindowObject {
  @Field(() => GraphQLISODateTime) start!: Date;
  @Field(() => GraphQLISODateTime) end!: Date;
  @Field(() => AccuracyCountsObject) counts!: AccuracyCountsObject;
  @Field(() => [UnscorableActualsObject], { description: 'Why actuals were not scored, with counts; empty when all were.' }) unscorable!: UnscorableActualsObject[];
  @Field(() => ClassificationMetricsObject, { nullable: true, description: 'Set for a classification.' }) classification!: ClassificationMetricsObject | null;
  @Field(() => RegressionMetricsObject, { nullable: true, description: 'Set for a regression.' }) regression!: RegressionMetricsObject | null;
  @Field(() => ActualsTimelinessObject) timeliness!: ActualsTimelinessObject;

  static from(w: AccuracyWindowResult): AccuracyWindowObject {
    return Object.assign(new AccuracyWindowObject(), {
      start: w.start,
      end: w.end,
      counts: Object.assign(new AccuracyCountsObject(), w.counts),
      unscorable: w.unscorable.map((u) => Object.assign(new UnscorableActualsObject(), u)),
      classification: ClassificationMetricsObject.from(w.classification),
      regression: RegressionMetricsObject.from(w.regression),
      timeliness: Object.assign(new ActualsTimelinessObject(), w.timeliness),
    });
  }
}

@ObjectType('DeploymentAccuracy', { description: "A deployment's predictions joined to their actuals, per window of prediction time." })
export class DeploymentAccuracyObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field(() => AccuracyResolutionValue) resolution!: AccuracyResolutionValue;
  @Field(() => DeploymentMonitoringSettingsObject, { nullable: true, description: 'Null until set with setDeploymentMonitoringSettings: then nothing is scored.' })
  settings!: DeploymentMonitoringSettingsObject | null;
  @Field(() => [AccuracyWindowObject], { description: 'Every window of the range, oldest first, empty ones included; the first and last are clipped to the range.' })
  windows!: AccuracyWindowObject[];
  @Field(() => AccuracyWindowObject, { description: 'The whole range as one window.' }) total!: AccuracyWindowObject;
  @Field(() => Int, { description: 'Actuals of the deployment (any time) no prediction matched yet; see unmatchedActuals.' }) unmatchedActuals!: number;

  static from(a: DeploymentAccuracy): DeploymentAccuracyObject {
    return Object.assign(new DeploymentAccuracyObject(), {
      deploymentId: a.deploymentId,
      projectId: a.projectId,
      from: a.from,
      to: a.to,
      resolution: a.resolution as AccuracyResolutionValue,
      settings: a.settings ? DeploymentMonitoringSettingsObject.from(a.settings) : null,
      windows: a.windows.map(AccuracyWindowObject.from),
      total: AccuracyWindowObject.from(a.total),
      unmatchedActuals: a.unmatchedActuals,
    });
  }
}

@ObjectType('UnmatchedActual', { description: 'An actual whose association id no prediction of the deployment has (yet).' })
export class UnmatchedActualObject {
  @Field(() => ID) id!: string;
  @Field() associationId!: string;
  @Field(() => Int) row!: number;
  @Field(() => ActualValueScalar) value!: number | string;
  @Field(() => GraphQLISODateTime, { nullable: true }) actualAt!: Date | null;
  @Field(() => GraphQLISODateTime) receivedAt!: Date;

  static from(u: UnmatchedActual): UnmatchedActualObject {
    return Object.assign(new UnmatchedActualObject(), u);
  }
}

export const UnmatchedActualConnection = ConnectionType(UnmatchedActualObject, 'UnmatchedActual');
