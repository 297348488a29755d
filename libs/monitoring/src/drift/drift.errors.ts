import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum DriftErrorCode {
  /** A value of a numeric feature is not a number (a string, a boolean, an object); `details.row` names the row. */
  NON_NUMERIC_VALUE = 'NON_NUMERIC_VALUE',
  /** A value of a categorical feature is neither a string, a number nor a boolean. */
  INVALID_CATEGORY = 'INVALID_CATEGORY',
  /** A column has no usable value (no rows, or every row missing, NaN or ±Infinity). */
  EMPTY_COLUMN = 'EMPTY_COLUMN',
  /** Two sketches (or a sketch and a profile) were built on different bins, categories or features. */
  SKETCH_MISMATCH = 'SKETCH_MISMATCH',
  /** A stored sketch or profile (JSON) is malformed. */
  INVALID_SKETCH = 'INVALID_SKETCH',
  /** An option is out of range: bin count, threshold, share, or a test that does not apply to the feature's type. */
  INVALID_DRIFT_OPTIONS = 'INVALID_DRIFT_OPTIONS',
}

const KIND: Record<DriftErrorCode, ErrorKind> = {
  NON_NUMERIC_VALUE: 'BAD_USER_INPUT',
  INVALID_CATEGORY: 'BAD_USER_INPUT',
  EMPTY_COLUMN: 'BAD_USER_INPUT',
  SKETCH_MISMATCH: 'BAD_USER_INPUT',
  INVALID_SKETCH: 'BAD_USER_INPUT',
  INVALID_DRIFT_OPTIONS: 'BAD_USER_INPUT',
};

/** The typed error of drift statistics; `details.feature` names the feature when there is one. */
export class DriftError extends ModelportError {
  constructor(code: DriftErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'DriftError';
  }
}
