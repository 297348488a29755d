import { AccuracyError, AccuracyErrorCode } from './accuracy.errors';

export type PredictionTask = 'classification' | 'regression';
export const PREDICTION_TASKS: readonly PredictionTask[] = ['classification', 'regression'];

/**
 * How to read a deployment's stored outputs to score them against actuals.
 *
 * - regression: `labelOutput` is the output tensor with the predicted number (one value per row).
 * - classification: `labelOutput` holds the predicted label (one per row; numbers and booleans are
 *   compared as their text, so 1 and "1" are the same label). Binary when `positiveClass` is set.
 *   `probabilityOutput`, optional, holds class probabilities: one column per entry of `classes`
 *   (in that order), or, for binary, a single column with P(positiveClass).
 */
export interface MonitoringSettings {
  readonly task: PredictionTask;
  readonly labelOutput: string;
  readonly probabilityOutput: string | null;
  readonly positiveClass: string | null;
  readonly classes: readonly string[] | null;
}

export interface MonitoringSettingsInput {
  readonly task: PredictionTask;
  readonly labelOutput: string;
  readonly probabilityOutput?: string | null;
  readonly positiveClass?: string | null;
  readonly classes?: readonly string[] | null;
}

export const MAX_OUTPUT_NAME_LENGTH = 256;
export const MAX_LABEL_LENGTH = 256;
export const MAX_CLASSES = 1000;

function invalid(field: string, message: string): AccuracyError {
  return new AccuracyError(AccuracyErrorCode.INVALID_MONITORING_SETTINGS, message, { field });
}

function outputName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '' || value.length > MAX_OUTPUT_NAME_LENGTH) {
    throw invalid(field, `${field} must name an output tensor of the model (1 to ${MAX_OUTPUT_NAME_LENGTH} characters).`);
  }
  return value;
}

function label(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '' || value.length > MAX_LABEL_LENGTH || value.includes('\u0000')) {
    throw invalid(field, `${field} must be a class label of 1 to ${MAX_LABEL_LENGTH} characters (write numeric classes as text, e.g. "1").`);
  }
  return value;
}

/** Checks monitoring settings for consistency; throws INVALID_MONITORING_SETTINGS saying what to change. */
export function validateMonitoringSettings(input: MonitoringSettingsInput): MonitoringSettings {
  if (!PREDICTION_TASKS.includes(input.task)) throw invalid('task', `task must be one of ${PREDICTION_TASKS.join(', ')}.`);
  const labelOutput = outputName('labelOutput', input.labelOutput);
  const probabilityOutput = input.probabilityOutput == null ? null : outputName('probabilityOutput', input.probabilityOutput);
  const positiveClass = input.positiveClass == null ? null : label('positiveClass', input.positiveClass);
  const classes = input.classes == null ? null : input.classes.map((c) => label('classes', c));

  if (input.task === 'regression') {
    for (const [field, value] of [
      ['probabilityOutput', probabilityOutput],
      ['positiveClass', positiveClass],
      ['classes', classes],
    ] as const) {
      if (value !== null) throw invalid(field, `${field} applies to classification only; leave it out for a regression.`);
    }
    return { task: 'regression', labelOutput, probabilityOutput: null, positiveClass: null, classes: null };
  }
  if (classes) {
    if (classes.length < 2 || classes.length > MAX_CLASSES) throw invalid('classes', `classes must list 2 to ${MAX_CLASSES} labels.`);
    const seen = new Set<string>();
    for (const c of classes) {
      if (seen.has(c)) throw invalid('classes', `classes lists "${c}" twice; each label once, in the column order of the probability output.`);
      seen.add(c);
    }
    if (positiveClass !== null && !seen.has(positiveClass)) throw invalid('positiveClass', `positiveClass "${positiveClass}" is not one of classes.`);
  }
  if (probabilityOutput !== null && probabilityOutput === labelOutput) {
    throw invalid('probabilityOutput', 'probabilityOutput must be another output than labelOutput (the labels are not probabilities).');
  }
  if (probabilityOutput !== null && positiveClass === null && !classes) {
    throw invalid(
      'classes',
      'A multiclass probability output needs classes: list the labels in the order of its columns (or set positiveClass for a binary model).',
    );
  }
  return { task: 'classification', labelOutput, probabilityOutput, positiveClass, classes };
}
