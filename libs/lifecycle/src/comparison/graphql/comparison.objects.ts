import { Field, Float, GraphQLISODateTime, ID, InputType, Int, ObjectType, registerEnumType } from '@nestjs/graphql';
import { ConnectionType } from '@modelport/graphql';
import type { ClassificationMetrics, RegressionMetrics } from '@modelport/monitoring';
import type { ChallengerComparison, ChampionVersionFigures } from '../domain/comparison.service';
import type { AccuracyComparison, AgreementFigures, ClassificationMetricValues, DifferenceFigures, OutputDifference, PairFigures, ReasonCount } from '../domain/pair-figures';
import type { ServiceFigures, VerdictThresholds } from '../domain/verdict';
import type { ReplayRunEntity } from '../persistence/replay-run.entity';

export enum ComparisonSourceValue {
  SHADOW = 'SHADOW',
  REPLAY = 'REPLAY',
  ANY = 'ANY',
}
registerEnumType(ComparisonSourceValue, {
  name: 'ComparisonSource',
  description: "Which challenger answers to pair with live predictions: shadow rows (written while serving), replay rows (written by a replay job), or either (a shadow row first).",
});

export enum ChallengerVerdictValue {
  CHALLENGER_BETTER = 'CHALLENGER_BETTER',
  NO_WORSE = 'NO_WORSE',
  CHALLENGER_WORSE = 'CHALLENGER_WORSE',
  INSUFFICIENT_DATA = 'INSUFFICIENT_DATA',
}
registerEnumType(ChallengerVerdictValue, { name: 'ChallengerVerdict', description: 'The verdict of a challenger comparison; its evidence says why.' });

export enum ComparisonTaskValue {
  CLASSIFICATION = 'classification',
  REGRESSION = 'regression',
}
registerEnumType(ComparisonTaskValue, { name: 'ComparisonTask', description: "The task of the deployment's monitoring settings, which say how outputs are read." });

export enum ReplayRunStateValue {
  QUEUED = 'QUEUED',
  RUNNING = 'RUNNING',
  SUCCEEDED = 'SUCCEEDED',
  FAILED = 'FAILED',
  CANCELLED = 'CANCELLED',
}
registerEnumType(ReplayRunStateValue, { name: 'ReplayRunState' });

@InputType('ComparisonThresholdsInput', { description: 'Overrides of the verdict thresholds; each left out keeps its default.' })
export class ComparisonThresholdsInput {
  @Field(() => Int, { nullable: true, description: 'Fewer compared pairs: INSUFFICIENT_DATA. Default 100.' }) minPairs?: number | null;
  @Field(() => Int, { nullable: true, description: 'Labelled rows needed before accuracy can make a challenger better or worse. Default 50.' }) minActuals?: number | null;
  @Field(() => Float, { nullable: true, description: "Worse when the challenger's error rate exceeds the champion's by more than this (0.01 = 1 point). Default 0.01." })
  maxErrorRateIncrease?: number | null;
  @Field(() => Float, { nullable: true, description: "Worse when the challenger's p99 latency exceeds this multiple of the champion's. Default 2." }) maxLatencyRatio?: number | null;
  @Field(() => Float, { nullable: true, description: 'Classification: accuracy differences within ± this count as equal. Default 0.01.' }) accuracyTolerance?: number | null;
  @Field(() => Float, { nullable: true, description: "Regression: RMSE differences within ± this fraction of the champion's count as equal. Default 0.05." })
  rmseTolerance?: number | null;
}

@ObjectType('ComparisonThresholds')
export class ComparisonThresholdsObject {
  @Field(() => Int) minPairs!: number;
  @Field(() => Int) minActuals!: number;
  @Field(() => Float) maxErrorRateIncrease!: number;
  @Field(() => Float) maxLatencyRatio!: number;
  @Field(() => Float) accuracyTolerance!: number;
  @Field(() => Float) rmseTolerance!: number;

  static from(t: VerdictThresholds): ComparisonThresholdsObject {
    return Object.assign(new ComparisonThresholdsObject(), t);
  }
}

@ObjectType('ComparisonServiceFigures', { description: 'Requests, errors and latency of one side over the window.' })
export class ServiceFiguresObject {
  @Field(() => Int) requests!: number;
  @Field(() => Int) errors!: number;
  @Field(() => Float, { nullable: true, description: 'errors / requests; null without requests.' }) errorRate!: number | null;
  @Field(() => Float, { nullable: true, description: 'Median latency of the successful requests, in milliseconds.' }) latencyP50Ms!: number | null;
  @Field(() => Float, { nullable: true }) latencyP99Ms!: number | null;

  static from(s: ServiceFigures): ServiceFiguresObject {
    return Object.assign(new ServiceFiguresObject(), s);
  }
}

@ObjectType('ComparisonReasonCount')
export class ReasonCountObject {
  @Field() reason!: string;
  @Field(() => Int) count!: number;

  static from(r: ReasonCount): ReasonCountObject {
    return Object.assign(new ReasonCountObject(), r);
  }
}

@ObjectType('LabelPairCount', { description: 'How often the champion predicted one label and the challenger another (or the same).' })
export class LabelPairCountObject {
  @Field() champion!: string;
  @Field() challenger!: string;
  @Field(() => Int) count!: number;
}

@ObjectType('LabelAgreement', { description: 'Classification: how often both versions predict the same label (batch rows count separately).' })
export class LabelAgreementObject {
  @Field(() => Int) rows!: number;
  @Field(() => Int) agreeing!: number;
  @Field(() => Float, { nullable: true }) agreementRate!: number | null;
  @Field(() => [LabelPairCountObject], { description: 'The most frequent (champion, challenger) label pairs, agreeing ones included.' }) confusion!: LabelPairCountObject[];
  @Field(() => Int, { description: 'Rows whose probabilities both versions gave in the same shape.' }) probabilityRows!: number;
  @Field(() => Float, { nullable: true, description: 'Mean |challenger - champion| over every probability of those rows.' }) meanAbsProbabilityDifference!: number | null;

  static from(a: AgreementFigures | null): LabelAgreementObject | null {
    return a ? Object.assign(new LabelAgreementObject(), { ...a, confusion: a.confusion.map((c) => Object.assign(new LabelPairCountObject(), c)) }) : null;
  }
}

@ObjectType('ValueDifference', { description: 'Regression: the distribution of challenger - champion per row; quantiles interpolate linearly.' })
export class ValueDifferenceObject {
  @Field(() => Int) rows!: number;
  @Field(() => Float, { nullable: true }) meanDifference!: number | null;
  @Field(() => Float, { nullable: true, description: 'Population standard deviation.' }) stdDifference!: number | null;
  @Field(() => Float, { nullable: true }) p50AbsDifference!: number | null;
  @Field(() => Float, { nullable: true }) p90AbsDifference!: number | null;
  @Field(() => Float, { nullable: true }) p99AbsDifference!: number | null;
  @Field(() => Float, { nullable: true }) maxAbsDifference!: number | null;

  static from(d: DifferenceFigures | null): ValueDifferenceObject | null {
    return d ? Object.assign(new ValueDifferenceObject(), d) : null;
  }
}

@ObjectType('OutputDifference', { description: 'Without monitoring settings: one output tensor of both versions compared element by element.' })
export class OutputDifferenceObject {
  @Field() name!: string;
  @Field(() => Int) comparedPairs!: number;
  @Field(() => Int, { description: 'Pairs whose tensors of this name differ in size or are malformed.' }) shapeDiffers!: number;
  @Field(() => Int) elements!: number;
  @Field(() => Int) equalElements!: number;
  @Field(() => Float, { nullable: true }) equalShare!: number | null;
  @Field(() => Int) numericElements!: number;
  @Field(() => Float, { nullable: true }) meanAbsDifference!: number | null;
  @Field(() => Float, { nullable: true }) maxAbsDifference!: number | null;

  static from(o: OutputDifference): OutputDifferenceObject {
    return Object.assign(new OutputDifferenceObject(), o);
  }
}

@ObjectType('ComparedClassificationMetrics', { description: 'As deploymentAccuracy computes them (null where undefined).' })
export class ComparedClassificationMetricsObject {
  @Field(() => Float, { nullable: true }) accuracy!: number | null;
  @Field(() => Float, { nullable: true }) precision!: number | null;
  @Field(() => Float, { nullable: true }) recall!: number | null;
  @Field(() => Float, { nullable: true }) f1!: number | null;
  @Field(() => Float, { nullable: true }) rocAuc!: number | null;
  @Field(() => Float, { nullable: true }) logLoss!: number | null;
  @Field(() => String, { nullable: true, description: '"binary" or "macro"; null for deltas.' }) averaging!: string | null;

  static from(m: ClassificationMetrics | ClassificationMetricValues): ComparedClassificationMetricsObject {
    return Object.assign(new ComparedClassificationMetricsObject(), { averaging: null, ...m });
  }
}

@ObjectType('ComparedRegressionMetrics')
export class ComparedRegressionMetricsObject {
  @Field(() => Float, { nullable: true }) rmse!: number | null;
  @Field(() => Float, { nullable: true }) mae!: number | null;
  @Field(() => Float, { nullable: true }) mape!: number | null;
  @Field(() => Float, { nullable: true }) r2!: number | null;

  static from(m: RegressionMetrics): ComparedRegressionMetricsObject {
    return Object.assign(new ComparedRegressionMetricsObject(), m);
  }
}

@ObjectType('ClassificationAccuracyComparison')
export class ClassificationAccuracyComparisonObject {
  @Field(() => ComparedClassificationMetricsObject) champion!: ComparedClassificationMetricsObject;
  @Field(() => ComparedClassificationMetricsObject) challenger!: ComparedClassificationMetricsObject;
  @Field(() => ComparedClassificationMetricsObject, { description: 'challenger - champion per metric.' }) delta!: ComparedClassificationMetricsObject;
}

@ObjectType('RegressionAccuracyComparison')
export class RegressionAccuracyComparisonObject {
  @Field(() => ComparedRegressionMetricsObject) champion!: ComparedRegressionMetricsObject;
  @Field(() => ComparedRegressionMetricsObject) challenger!: ComparedRegressionMetricsObject;
  @Field(() => ComparedRegressionMetricsObject, { description: 'challenger - champion per metric.' }) delta!: ComparedRegressionMetricsObject;
}

@ObjectType('AccuracyComparison', { description: 'Both versions scored against the same actuals, on the same rows.' })
export class AccuracyComparisonObject {
  @Field(() => Int) labelledRows!: number;
  @Field(() => [ReasonCountObject], { description: 'Actuals of compared pairs left out, with why.' }) unscorable!: ReasonCountObject[];
  @Field(() => ClassificationAccuracyComparisonObject, { nullable: true }) classification!: ClassificationAccuracyComparisonObject | null;
  @Field(() => RegressionAccuracyComparisonObject, { nullable: true }) regression!: RegressionAccuracyComparisonObject | null;

  static from(a: AccuracyComparison | null): AccuracyComparisonObject | null {
    if (!a) return null;
    const c = a.classification;
    const r = a.regression;
    return Object.assign(new AccuracyComparisonObject(), {
      labelledRows: a.labelledRows,
      unscorable: a.unscorable.map(ReasonCountObject.from),
      classification: c
        ? Object.assign(new ClassificationAccuracyComparisonObject(), {
            champion: ComparedClassificationMetricsObject.from(c.champion),
            challenger: ComparedClassificationMetricsObject.from(c.challenger),
            delta: ComparedClassificationMetricsObject.from(c.delta),
          })
        : null,
      regression: r
        ? Object.assign(new RegressionAccuracyComparisonObject(), {
            champion: ComparedRegressionMetricsObject.from(r.champion),
            challenger: ComparedRegressionMetricsObject.from(r.challenger),
            delta: ComparedRegressionMetricsObject.from(r.delta),
          })
        : null,
    });
  }
}

@ObjectType({ isAbstract: true })
export abstract class PairFiguresObject {
  @Field(() => Int, { description: 'Live predictions (successful, payload stored) with a challenger answer.' }) pairs!: number;
  @Field(() => Int, { description: 'Pairs whose outputs could be compared; see unscorable for the others.' }) comparedPairs!: number;
  @Field(() => Int, { description: 'Rows compared: batch rows count separately (without settings, pairs).' }) rows!: number;
  @Field(() => [ReasonCountObject]) unscorable!: ReasonCountObject[];
  @Field(() => LabelAgreementObject, { nullable: true }) classification!: LabelAgreementObject | null;
  @Field(() => ValueDifferenceObject, { nullable: true }) regression!: ValueDifferenceObject | null;
  @Field(() => [OutputDifferenceObject], { nullable: true, description: 'Without monitoring settings only.' }) outputs!: OutputDifferenceObject[] | null;
  @Field(() => [String]) championOnlyOutputs!: string[];
  @Field(() => [String]) challengerOnlyOutputs!: string[];
  @Field(() => AccuracyComparisonObject, { nullable: true, description: 'Null without settings or actuals.' }) accuracy!: AccuracyComparisonObject | null;

  protected static fields(f: PairFigures) {
    return {
      pairs: f.pairs,
      comparedPairs: f.comparedPairs,
      rows: f.rows,
      unscorable: f.unscorable.map(ReasonCountObject.from),
      classification: LabelAgreementObject.from(f.classification),
      regression: ValueDifferenceObject.from(f.regression),
      outputs: f.outputs ? f.outputs.map(OutputDifferenceObject.from) : null,
      championOnlyOutputs: [...f.championOnlyOutputs],
      challengerOnlyOutputs: [...f.challengerOnlyOutputs],
      accuracy: AccuracyComparisonObject.from(f.accuracy),
    };
  }
}

@ObjectType('ChampionVersionComparison', { description: 'The pairs whose live prediction one champion version served, and its own traffic.' })
export class ChampionVersionComparisonObject extends PairFiguresObject {
  @Field(() => ID, { nullable: true }) championVersionId!: string | null;
  @Field(() => ServiceFiguresObject) service!: ServiceFiguresObject;

  static from(v: ChampionVersionFigures): ChampionVersionComparisonObject {
    return Object.assign(new ChampionVersionComparisonObject(), { ...PairFiguresObject.fields(v), championVersionId: v.championVersionId, service: ServiceFiguresObject.from(v.service) });
  }
}

@ObjectType('ChallengerComparison', { description: 'A challenger version against the champion on shared traffic, with a verdict and its evidence.' })
export class ChallengerComparisonObject extends PairFiguresObject {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => ID) challengerVersionId!: string;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field(() => ComparisonSourceValue) source!: ComparisonSourceValue;
  @Field(() => ComparisonTaskValue, { nullable: true, description: 'Null without monitoring settings: every common output is then compared elementwise.' }) task!: ComparisonTaskValue | null;
  @Field({ description: 'True when the comparison stopped at its maximum of pairs or rows before the end of the window.' }) capped!: boolean;
  @Field(() => ServiceFiguresObject, { description: 'Live traffic of the champion versions that have pairs.' }) champion!: ServiceFiguresObject;
  @Field(() => ServiceFiguresObject, { description: "The challenger's shadow or replay answers to the window's live requests." }) challenger!: ServiceFiguresObject;
  @Field(() => [ChampionVersionComparisonObject]) byChampionVersion!: ChampionVersionComparisonObject[];
  @Field(() => ChallengerVerdictValue) verdict!: ChallengerVerdictValue;
  @Field(() => [String], { description: 'Each names the figure and the threshold it was held against.' }) evidence!: string[];
  @Field(() => ComparisonThresholdsObject) thresholds!: ComparisonThresholdsObject;

  static from(c: ChallengerComparison): ChallengerComparisonObject {
    return Object.assign(new ChallengerComparisonObject(), {
      ...PairFiguresObject.fields(c),
      deploymentId: c.deploymentId,
      projectId: c.projectId,
      challengerVersionId: c.challengerVersionId,
      from: c.from,
      to: c.to,
      source: c.source as ComparisonSourceValue,
      task: c.task as ComparisonTaskValue | null,
      capped: c.capped,
      champion: ServiceFiguresObject.from(c.champion),
      challenger: ServiceFiguresObject.from(c.challenger),
      byChampionVersion: c.byChampionVersion.map(ChampionVersionComparisonObject.from),
      verdict: c.verdict as ChallengerVerdictValue,
      evidence: [...c.evidence],
      thresholds: ComparisonThresholdsObject.from(c.thresholds),
    });
  }
}

@InputType('StartReplayInput')
export class StartReplayInput {
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID, { description: "A version of the deployment's model other than its champion." }) versionId!: string;
  @Field(() => GraphQLISODateTime, { description: 'Start of the window of live predictions to replay (inclusive).' }) from!: Date;
  @Field(() => GraphQLISODateTime, { description: 'End of the window (exclusive); not in the future.' }) to!: Date;
  @Field(() => Int, { description: 'Most live predictions to replay (the earliest of the window), 1 to 1000000.' }) maxRows!: number;
}

@ObjectType('ReplayRun', { description: "A version scoring the stored inputs of a deployment's live predictions over a past window." })
export class ReplayRunObject {
  @Field(() => ID) id!: string;
  @Field(() => ID) deploymentId!: string;
  @Field(() => ID) projectId!: string;
  @Field(() => ID, { description: 'The version replayed.' }) versionId!: string;
  @Field(() => ID, { nullable: true, description: 'The champion when the run started.' }) championVersionId!: string | null;
  @Field(() => GraphQLISODateTime) from!: Date;
  @Field(() => GraphQLISODateTime) to!: Date;
  @Field(() => Int) maxRows!: number;
  @Field(() => ReplayRunStateValue) state!: ReplayRunStateValue;
  @Field(() => Int, { nullable: true, description: 'Live predictions to replay; null until the job counted them.' }) total!: number | null;
  @Field(() => Int, { description: 'Replayed so far, failed ones included.' }) done!: number;
  @Field(() => Int, { description: 'Replayed rows the version failed on.' }) failed!: number;
  @Field(() => Float, { nullable: true, description: 'done / total (1 for an empty window); null until counted.' }) progress!: number | null;
  @Field(() => String, { nullable: true }) error!: string | null;
  @Field(() => ID, { nullable: true }) createdBy!: string | null;
  @Field(() => GraphQLISODateTime) createdAt!: Date;
  @Field(() => GraphQLISODateTime, { nullable: true }) startedAt!: Date | null;
  @Field(() => GraphQLISODateTime, { nullable: true }) finishedAt!: Date | null;

  static from(r: ReplayRunEntity): ReplayRunObject {
    return Object.assign(new ReplayRunObject(), {
      id: r.id,
      deploymentId: r.deploymentId,
      projectId: r.projectId,
      versionId: r.versionId,
      championVersionId: r.championVersionId,
      from: r.windowFrom,
      to: r.windowTo,
      maxRows: r.maxRows,
      state: r.state as ReplayRunStateValue,
      total: r.total,
      done: r.done,
      failed: r.failed,
      progress: r.total === null ? null : r.total === 0 ? 1 : Math.min(1, r.done / r.total),
      error: r.error,
      createdBy: r.createdBy,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      finishedAt: r.finishedAt,
    });
  }
}

export const ReplayRunConnection = ConnectionType(ReplayRunObject, 'ReplayRun');
