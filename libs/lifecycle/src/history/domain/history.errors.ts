import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum HistoryErrorCode {
  /** A query argument is unusable (a range whose from is not before to, an unknown category, a negative threshold...). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** Two timeline sources were registered under one name (a wiring mistake). */
  TIMELINE_SOURCE_CONFLICT = 'TIMELINE_SOURCE_CONFLICT',
  /** A timeline source returned an entry the timeline cannot use (a wiring or source bug). */
  TIMELINE_SOURCE_FAILED = 'TIMELINE_SOURCE_FAILED',
}

const KIND: Record<HistoryErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  TIMELINE_SOURCE_CONFLICT: 'INTERNAL',
  TIMELINE_SOURCE_FAILED: 'INTERNAL',
};

/** The typed error of deployment timelines and the refresh report; `code` says what was refused. */
export class HistoryError extends ModelportError {
  constructor(code: HistoryErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'HistoryError';
  }
}

export function invalidHistoryArgument(field: string, message: string): HistoryError {
  return new HistoryError(HistoryErrorCode.INVALID_ARGUMENT, message, { field });
}
