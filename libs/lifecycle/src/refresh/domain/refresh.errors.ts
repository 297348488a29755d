import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum RefreshErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  REFRESH_POLICY_NOT_FOUND = 'REFRESH_POLICY_NOT_FOUND',
  REFRESH_TOO_SOON = 'REFRESH_TOO_SOON',
  PAYLOAD_HIDDEN = 'PAYLOAD_HIDDEN',
}

const KIND: Record<RefreshErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  REFRESH_POLICY_NOT_FOUND: 'NOT_FOUND',
  REFRESH_TOO_SOON: 'CONFLICT',
  PAYLOAD_HIDDEN: 'FORBIDDEN',
};

/** The typed error of refresh policies, refresh runs, the labelled-data export and the attention marks. */
export class RefreshError extends ModelportError {
  constructor(code: RefreshErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'RefreshError';
  }
}

export function invalidRefreshArgument(field: string, message: string): RefreshError {
  return new RefreshError(RefreshErrorCode.INVALID_ARGUMENT, message, { field });
}
