import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum ComparisonErrorCode {
  /** An argument is malformed or out of range (`details.field` names it; the message says the allowed values). */
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  /** The time window is unusable: not two dates, not from < to, or (for a replay) reaching into the future. */
  INVALID_WINDOW = 'INVALID_WINDOW',
  /** The version is not a version of the deployment's model (or does not exist). */
  VERSION_NOT_OF_DEPLOYMENT_MODEL = 'VERSION_NOT_OF_DEPLOYMENT_MODEL',
  /** A replay of the version the deployment serves as champion: there is nothing to compare. */
  VERSION_IS_CHAMPION = 'VERSION_IS_CHAMPION',
  /** No replay run with this id is visible to the caller. */
  REPLAY_RUN_NOT_FOUND = 'REPLAY_RUN_NOT_FOUND',
  /** A replay of the same version of the deployment is already queued or running. */
  REPLAY_ALREADY_RUNNING = 'REPLAY_ALREADY_RUNNING',
  /** Cancelling a replay run that already succeeded or failed. */
  REPLAY_FINISHED = 'REPLAY_FINISHED',
}

const KIND: Record<ComparisonErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  INVALID_WINDOW: 'BAD_USER_INPUT',
  VERSION_NOT_OF_DEPLOYMENT_MODEL: 'BAD_USER_INPUT',
  VERSION_IS_CHAMPION: 'BAD_USER_INPUT',
  REPLAY_RUN_NOT_FOUND: 'NOT_FOUND',
  REPLAY_ALREADY_RUNNING: 'CONFLICT',
  REPLAY_FINISHED: 'CONFLICT',
};

/** The typed error of challenger comparison and replay; `code` says what was refused. */
export class ComparisonError extends ModelportError {
  constructor(code: ComparisonErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'ComparisonError';
  }
}

export function invalidComparisonArgument(field: string, message: string): ComparisonError {
  return new ComparisonError(ComparisonErrorCode.INVALID_ARGUMENT, message, { field });
}
