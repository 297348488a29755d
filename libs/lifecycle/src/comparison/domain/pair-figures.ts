import { classificationMetrics, regressionMetrics, type ClassificationMetrics, type MonitoringSettings, type RegressionMetrics } from '@modelport/monitoring';
import { failed, labelsOf, labelText, numbersOf, outputsByName, probabilityRows, tensorRows, UNCOMPARABLE, UNLABELLED } from './outputs';

/** An actual of the live prediction (matched by prediction id and row). */
export interface ActualValue {
  readonly row: number;
  readonly valueNumber: number | null;
  readonly valueLabel: string | null;
}

/**
 * One pair as the prediction log holds it: a live prediction (the champion's answer) and the
 * challenger's answer to the same inputs (a shadow or replay row).
 */
export interface StoredPair {
  readonly challengerStatus: string;
  /** With monitoring settings: the tensors named by labelOutput and probabilityOutput, per side. */
  readonly championLabel?: unknown;
  readonly championProbability?: unknown;
  readonly challengerLabel?: unknown;
  readonly challengerProbability?: unknown;
  /** Without settings: every stored output tensor, per side. */
  readonly championOutputs?: unknown;
  readonly challengerOutputs?: unknown;
  readonly actuals: readonly ActualValue[];
}

export interface ReasonCount {
  readonly reason: string;
  readonly count: number;
}

export interface LabelPairCount {
  readonly champion: string;
  readonly challenger: string;
  readonly count: number;
}

/** Classification: how often the two versions predict the same label. */
export interface AgreementFigures {
  /** Rows compared (a batch prediction counts once per row). */
  readonly rows: number;
  readonly agreeing: number;
  /** agreeing / rows; null without rows. */
  readonly agreementRate: number | null;
  /** The most frequent (champion label, challenger label) pairs, agreeing ones included, most frequent first. */
  readonly confusion: readonly LabelPairCount[];
  /** Rows whose probabilities both sides gave in the same shape. */
  readonly probabilityRows: number;
  /** Mean of |challenger - champion| over every probability of those rows; null without any. */
  readonly meanAbsProbabilityDifference: number | null;
}

/** Regression: the distribution of challenger - champion per row. Every figure is null without rows. */
export interface DifferenceFigures {
  readonly rows: number;
  readonly meanDifference: number | null;
  /** Population standard deviation of the differences. */
  readonly stdDifference: number | null;
  readonly p50AbsDifference: number | null;
  readonly p90AbsDifference: number | null;
  readonly p99AbsDifference: number | null;
  readonly maxAbsDifference: number | null;
}

/** Without monitoring settings: one output tensor compared element by element. */
export interface OutputDifference {
  readonly name: string;
  /** Pairs in which both sides had this output with the same number of elements. */
  readonly comparedPairs: number;
  /** Pairs in which the two sides' tensors of this name differ in size (or one is malformed). */
  readonly shapeDiffers: number;
  readonly elements: number;
  /** Elements equal on both sides (numbers exactly, anything else as text). */
  readonly equalElements: number;
  readonly equalShare: number | null;
  /** Elements that are numbers on both sides; the differences below are over these. */
  readonly numericElements: number;
  readonly meanAbsDifference: number | null;
  readonly maxAbsDifference: number | null;
}

export type ClassificationMetricValues = Omit<ClassificationMetrics, 'averaging'>;

export interface MetricsSideBySide<M, D> {
  readonly champion: M;
  readonly challenger: M;
  /** challenger - champion per metric; null where either is null. */
  readonly delta: D;
}

/** Both versions scored against the same actuals (the same rows on both sides). */
export interface AccuracyComparison {
  /** Rows with an actual that both sides' outputs could be scored on. */
  readonly labelledRows: number;
  /** Actuals of compared pairs left out, with why. */
  readonly unscorable: readonly ReasonCount[];
  readonly classification: MetricsSideBySide<ClassificationMetrics, ClassificationMetricValues> | null;
  readonly regression: MetricsSideBySide<RegressionMetrics, RegressionMetrics> | null;
}

/** What a set of pairs shows. */
export interface PairFigures {
  /** Pairs found: live predictions with a challenger answer. */
  readonly pairs: number;
  /** Pairs whose outputs could be compared (see unscorable for the others). */
  readonly comparedPairs: number;
  /** Rows compared (batch predictions count once per row; without settings, pairs). */
  readonly rows: number;
  readonly unscorable: readonly ReasonCount[];
  readonly classification: AgreementFigures | null;
  readonly regression: DifferenceFigures | null;
  /** Without monitoring settings only: every output tensor both sides have, compared elementwise. */
  readonly outputs: readonly OutputDifference[] | null;
  /** Without settings: output names the champion gave and the challenger never did (and the reverse). */
  readonly championOnlyOutputs: readonly string[];
  readonly challengerOnlyOutputs: readonly string[];
  /** Null without settings or without any labelled row. */
  readonly accuracy: AccuracyComparison | null;
}

const MAX_LISTED_NAMES = 50;

class OutputAccumulator {
  comparedPairs = 0;
  shapeDiffers = 0;
  elements = 0;
  equalElements = 0;
  numericElements = 0;
  absSum = 0;
  absMax = 0;

  constructor(readonly name: string) {}

  add(champion: unknown, challenger: unknown): void {
    const c = tensorRows(champion, 'champion', this.name);
    const h = tensorRows(challenger, 'challenger', this.name);
    if (failed(c) || failed(h) || c.values.length !== h.values.length) {
      this.shapeDiffers++;
      return;
    }
    this.comparedPairs++;
    for (let i = 0; i < c.values.length; i++) {
      const a = c.values[i];
      const b = h.values[i];
      this.elements++;
      if (typeof a === 'number' && typeof b === 'number' && Number.isFinite(a) && Number.isFinite(b)) {
        this.numericElements++;
        const d = Math.abs(b - a);
        this.absSum += d;
        if (d > this.absMax) this.absMax = d;
        if (d === 0) this.equalElements++;
      } else if (labelText(a) !== null && labelText(a) === labelText(b)) {
        this.equalElements++;
      }
    }
  }

  result(): OutputDifference {
    return {
      name: this.name,
      comparedPairs: this.comparedPairs,
      shapeDiffers: this.shapeDiffers,
      elements: this.elements,
      equalElements: this.equalElements,
      equalShare: this.elements === 0 ? null : this.equalElements / this.elements,
      numericElements: this.numericElements,
      meanAbsDifference: this.numericElements === 0 ? null : this.absSum / this.numericElements,
      maxAbsDifference: this.numericElements === 0 ? null : this.absMax,
    };
  }
}

/** The q-quantile (0..1) of ascending values by linear interpolation (NumPy's default). */
function quantileSorted(sorted: Float64Array, q: number): number | null {
  if (sorted.length === 0) return null;
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(below + 1, sorted.length - 1);
  return sorted[below]! + (sorted[above]! - sorted[below]!) * (position - below);
}

function delta(a: number | null, b: number | null): number | null {
  return a === null || b === null ? null : b - a;
}

/**
 * Accumulates pairs into PairFigures. With monitoring settings, each side's label (or value) and
 * probability outputs are read per row; without, every output tensor both sides have is compared
 * element by element. Holds one number per compared regression row and one entry per labelled row.
 */
export class PairAccumulator {
  private pairs = 0;
  private compared = 0;
  private rows = 0;
  private readonly unscorable = new Map<string, number>();
  // classification
  private agreeing = 0;
  private readonly confusion = new Map<string, number>();
  private probabilityCells = 0;
  private probabilitySum = 0;
  private probabilityRowCount = 0;
  // regression
  private diffs: number[] = [];
  // fallback
  private readonly outputs = new Map<string, OutputAccumulator>();
  private readonly championNames = new Set<string>();
  private readonly challengerNames = new Set<string>();
  // accuracy: the same rows on both sides
  private readonly labelled = {
    actualLabels: [] as string[],
    actualNumbers: [] as number[],
    champion: [] as (string | number)[],
    challenger: [] as (string | number)[],
    championProbabilities: [] as number[][],
    challengerProbabilities: [] as number[][],
    probabilitiesComplete: true,
  };
  private readonly unlabelled = new Map<string, number>();

  constructor(
    private readonly settings: MonitoringSettings | null,
    private readonly confusionTop = 20,
  ) {}

  /** Adds one pair; returns the rows it added to the comparison (0 when it could not be compared). */
  add(pair: StoredPair): number {
    this.pairs++;
    if (pair.challengerStatus !== 'ok') return this.skip(UNCOMPARABLE.challengerFailed);
    if (!this.settings) return this.addElementwise(pair);
    return this.settings.task === 'regression' ? this.addRegression(pair, this.settings) : this.addClassification(pair, this.settings);
  }

  result(): PairFigures {
    const s = this.settings;
    return {
      pairs: this.pairs,
      comparedPairs: this.compared,
      rows: this.rows,
      unscorable: reasonCounts(this.unscorable),
      classification: s?.task === 'classification' ? this.agreementFigures() : null,
      regression: s?.task === 'regression' ? this.differenceFigures() : null,
      outputs: s ? null : [...this.outputs.values()].map((o) => o.result()).sort((a, b) => a.name.localeCompare(b.name)),
      championOnlyOutputs: onlyIn(this.championNames, this.challengerNames),
      challengerOnlyOutputs: onlyIn(this.challengerNames, this.championNames),
      accuracy: s ? this.accuracy(s) : null,
    };
  }

  private skip(reason: string): number {
    this.unscorable.set(reason, (this.unscorable.get(reason) ?? 0) + 1);
    return 0;
  }

  private skipActual(reason: string): void {
    this.unlabelled.set(reason, (this.unlabelled.get(reason) ?? 0) + 1);
  }

  private addElementwise(pair: StoredPair): number {
    const champion = outputsByName(pair.championOutputs);
    const challenger = outputsByName(pair.challengerOutputs);
    let common = 0;
    for (const name of champion.keys()) this.championNames.add(name);
    for (const name of challenger.keys()) this.challengerNames.add(name);
    for (const [name, tensor] of champion) {
      if (!challenger.has(name)) continue;
      common++;
      let acc = this.outputs.get(name);
      if (!acc) this.outputs.set(name, (acc = new OutputAccumulator(name)));
      acc.add(tensor, challenger.get(name));
    }
    if (common === 0) return this.skip(UNCOMPARABLE.noCommonOutput);
    this.compared++;
    this.rows++;
    return 1;
  }

  private addRegression(pair: StoredPair, s: MonitoringSettings): number {
    const champion = numbersOf(pair.championLabel, 'champion', s.labelOutput);
    if (failed(champion)) return this.skip(champion.reason);
    const challenger = numbersOf(pair.challengerLabel, 'challenger', s.labelOutput);
    if (failed(challenger)) return this.skip(challenger.reason);
    if (champion.length !== challenger.length) return this.skip(UNCOMPARABLE.batchDiffers);
    for (let r = 0; r < champion.length; r++) this.diffs.push(challenger[r]! - champion[r]!);
    for (const a of pair.actuals) {
      if (a.row >= champion.length) this.skipActual(UNLABELLED.rowOutside);
      else if (a.valueNumber === null) this.skipActual(UNLABELLED.actualNotNumber);
      else {
        this.labelled.actualNumbers.push(a.valueNumber);
        this.labelled.champion.push(champion[a.row]!);
        this.labelled.challenger.push(challenger[a.row]!);
      }
    }
    this.compared++;
    this.rows += champion.length;
    return champion.length;
  }

  private addClassification(pair: StoredPair, s: MonitoringSettings): number {
    const champion = labelsOf(pair.championLabel, 'champion', s.labelOutput);
    if (failed(champion)) return this.skip(champion.reason);
    const challenger = labelsOf(pair.challengerLabel, 'challenger', s.labelOutput);
    if (failed(challenger)) return this.skip(challenger.reason);
    if (champion.length !== challenger.length) return this.skip(UNCOMPARABLE.batchDiffers);
    for (let r = 0; r < champion.length; r++) {
      if (champion[r] === challenger[r]) this.agreeing++;
      const key = JSON.stringify([champion[r], challenger[r]]);
      this.confusion.set(key, (this.confusion.get(key) ?? 0) + 1);
    }
    let championP: number[][] | null = null;
    let challengerP: number[][] | null = null;
    if (s.probabilityOutput !== null) {
      championP = probabilityRows(pair.championProbability);
      challengerP = probabilityRows(pair.challengerProbability);
      const usable =
        championP && challengerP && championP.length === champion.length && challengerP.length === champion.length && championP.every((row, r) => row.length === challengerP![r]!.length);
      if (usable) {
        for (let r = 0; r < championP!.length; r++) {
          this.probabilityRowCount++;
          for (let c = 0; c < championP![r]!.length; c++) {
            this.probabilityCells++;
            this.probabilitySum += Math.abs(challengerP![r]![c]! - championP![r]![c]!);
          }
        }
      } else {
        championP = challengerP = null;
      }
    }
    for (const a of pair.actuals) {
      if (a.row >= champion.length) {
        this.skipActual(UNLABELLED.rowOutside);
        continue;
      }
      const actual = a.valueLabel ?? labelText(a.valueNumber)!;
      const c = champion[a.row]!;
      const h = challenger[a.row]!;
      if (s.classes && !s.classes.includes(actual)) {
        this.skipActual(UNLABELLED.actualNotClass);
        continue;
      }
      if (s.classes && (!s.classes.includes(c) || !s.classes.includes(h))) {
        this.skipActual(UNLABELLED.predictedNotClass);
        continue;
      }
      this.labelled.actualLabels.push(actual);
      this.labelled.champion.push(c);
      this.labelled.challenger.push(h);
      if (championP && challengerP) {
        this.labelled.championProbabilities.push(championP[a.row]!);
        this.labelled.challengerProbabilities.push(challengerP[a.row]!);
      } else {
        this.labelled.probabilitiesComplete = false;
      }
    }
    this.compared++;
    this.rows += champion.length;
    return champion.length;
  }

  private agreementFigures(): AgreementFigures {
    const confusion = [...this.confusion.entries()]
      .map(([key, count]) => {
        const [champion, challenger] = JSON.parse(key) as [string, string];
        return { champion, challenger, count };
      })
      .sort((a, b) => b.count - a.count || a.champion.localeCompare(b.champion) || a.challenger.localeCompare(b.challenger))
      .slice(0, this.confusionTop);
    return {
      rows: this.rows,
      agreeing: this.agreeing,
      agreementRate: this.rows === 0 ? null : this.agreeing / this.rows,
      confusion,
      probabilityRows: this.probabilityRowCount,
      meanAbsProbabilityDifference: this.probabilityCells === 0 ? null : this.probabilitySum / this.probabilityCells,
    };
  }

  private differenceFigures(): DifferenceFigures {
    const n = this.diffs.length;
    if (n === 0) {
      return { rows: 0, meanDifference: null, stdDifference: null, p50AbsDifference: null, p90AbsDifference: null, p99AbsDifference: null, maxAbsDifference: null };
    }
    let sum = 0;
    for (const d of this.diffs) sum += d;
    const mean = sum / n;
    let squares = 0;
    for (const d of this.diffs) squares += (d - mean) ** 2;
    const abs = Float64Array.from(this.diffs, Math.abs).sort();
    return {
      rows: n,
      meanDifference: mean,
      stdDifference: Math.sqrt(squares / n),
      p50AbsDifference: quantileSorted(abs, 0.5),
      p90AbsDifference: quantileSorted(abs, 0.9),
      p99AbsDifference: quantileSorted(abs, 0.99),
      maxAbsDifference: abs[n - 1]!,
    };
  }

  private accuracy(s: MonitoringSettings): AccuracyComparison | null {
    const l = this.labelled;
    const labelledRows = l.champion.length;
    const unscorable = reasonCounts(this.unlabelled);
    if (labelledRows === 0) return unscorable.length ? { labelledRows, unscorable, classification: null, regression: null } : null;
    if (s.task === 'regression') {
      const champion = regressionMetrics(l.actualNumbers, l.champion as number[]);
      const challenger = regressionMetrics(l.actualNumbers, l.challenger as number[]);
      return {
        labelledRows,
        unscorable,
        classification: null,
        regression: {
          champion,
          challenger,
          delta: { rmse: delta(champion.rmse, challenger.rmse), mae: delta(champion.mae, challenger.mae), mape: delta(champion.mape, challenger.mape), r2: delta(champion.r2, challenger.r2) },
        },
      };
    }
    const side = (predicted: string[], probabilities: number[][]): ClassificationMetrics => {
      const withProbabilities = s.probabilityOutput !== null && l.probabilitiesComplete;
      if (s.positiveClass !== null) {
        const positive = withProbabilities ? positiveProbabilities(probabilities, s) : null;
        return classificationMetrics({ actual: l.actualLabels, predicted, positiveClass: s.positiveClass, classes: s.classes, positiveProbability: positive });
      }
      const usable = withProbabilities && s.classes !== null && probabilities.every((row) => row.length === s.classes!.length);
      return classificationMetrics({ actual: l.actualLabels, predicted, classes: s.classes, probabilities: usable ? probabilities : null });
    };
    const champion = side(l.champion as string[], l.championProbabilities);
    const challenger = side(l.challenger as string[], l.challengerProbabilities);
    return {
      labelledRows,
      unscorable,
      regression: null,
      classification: {
        champion,
        challenger,
        delta: {
          accuracy: delta(champion.accuracy, challenger.accuracy),
          precision: delta(champion.precision, challenger.precision),
          recall: delta(champion.recall, challenger.recall),
          f1: delta(champion.f1, challenger.f1),
          rocAuc: delta(champion.rocAuc, challenger.rocAuc),
          logLoss: delta(champion.logLoss, challenger.logLoss),
        },
      },
    };
  }
}

/** P(positive class) per row: a single column, or the positive class's column of one column per class; null when neither fits. */
function positiveProbabilities(rows: readonly number[][], s: MonitoringSettings): number[] | null {
  const column = s.classes ? s.classes.indexOf(s.positiveClass!) : -1;
  const out: number[] = [];
  for (const row of rows) {
    if (row.length === 1) out.push(row[0]!);
    else if (s.classes && row.length === s.classes.length && column >= 0) out.push(row[column]!);
    else return null;
  }
  return out;
}

/** Names of `a` never seen in `b`, sorted, at most MAX_LISTED_NAMES. */
function onlyIn(a: ReadonlySet<string>, b: ReadonlySet<string>): string[] {
  return [...a].filter((name) => !b.has(name)).sort().slice(0, MAX_LISTED_NAMES);
}

function reasonCounts(map: ReadonlyMap<string, number>): ReasonCount[] {
  return [...map.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason));
}
