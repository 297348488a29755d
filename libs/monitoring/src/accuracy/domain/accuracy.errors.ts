import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum AccuracyErrorCode {
  /** An actual (or a line of an NDJSON body) is malformed: what is wrong and how to fix it is in the message. */
  INVALID_ACTUAL = 'INVALID_ACTUAL',
  /** More actuals in one submitActuals call than allowed. */
  TOO_MANY_ACTUALS = 'TOO_MANY_ACTUALS',
  /** The NDJSON body is over the byte limit; the complete lines before the limit were processed. */
  ACTUALS_BODY_TOO_LARGE = 'ACTUALS_BODY_TOO_LARGE',
  /** The actuals endpoint was called with another content type than application/x-ndjson. */
  UNSUPPORTED_CONTENT_TYPE = 'UNSUPPORTED_CONTENT_TYPE',
  /** The monitoring settings of a deployment are inconsistent (e.g. probabilities for a regression). */
  INVALID_MONITORING_SETTINGS = 'INVALID_MONITORING_SETTINGS',
  /** The time range or resolution of an accuracy query is unusable or too large. */
  INVALID_RANGE = 'INVALID_RANGE',
}

const KIND: Record<AccuracyErrorCode, ErrorKind> = {
  INVALID_ACTUAL: 'BAD_USER_INPUT',
  TOO_MANY_ACTUALS: 'BAD_USER_INPUT',
  ACTUALS_BODY_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  UNSUPPORTED_CONTENT_TYPE: 'BAD_USER_INPUT',
  INVALID_MONITORING_SETTINGS: 'BAD_USER_INPUT',
  INVALID_RANGE: 'BAD_USER_INPUT',
};

/** The typed error of actuals and accuracy; `code` says what was refused. */
export class AccuracyError extends ModelportError {
  constructor(code: AccuracyErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'AccuracyError';
  }
}
