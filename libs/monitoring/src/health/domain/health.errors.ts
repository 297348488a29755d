import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum HealthErrorCode {
  /** The window or resolution of a health query cannot be answered (from after to, too many points, a bad id). */
  INVALID_HEALTH_QUERY = 'INVALID_HEALTH_QUERY',
  /** A rollup rebuild was asked for a window it cannot rebuild. */
  INVALID_BACKFILL = 'INVALID_BACKFILL',
}

const KIND: Record<HealthErrorCode, ErrorKind> = {
  INVALID_HEALTH_QUERY: 'BAD_USER_INPUT',
  INVALID_BACKFILL: 'BAD_USER_INPUT',
};

/** The typed error of service health (rollups and their queries). */
export class HealthError extends ModelportError {
  constructor(code: HealthErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'HealthError';
  }

  static invalidQuery(field: string, message: string, details: Record<string, unknown> = {}): HealthError {
    return new HealthError(HealthErrorCode.INVALID_HEALTH_QUERY, message, { field, ...details });
  }
}
