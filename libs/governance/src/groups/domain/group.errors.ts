import { ModelportError, type ErrorKind } from '@modelport/errors';

/**
 * Why a group operation was refused. Clients get the code as `extensions.reason` and its kind as
 * `extensions.code` (the one error formatter maps every ModelportError that way).
 */
export enum GroupErrorCode {
  GROUP_NOT_FOUND = 'GROUP_NOT_FOUND',
  GROUP_NAME_TAKEN = 'GROUP_NAME_TAKEN',
  /** The group is still named as reviewer group by an approval policy or a pending change request. */
  GROUP_IN_USE = 'GROUP_IN_USE',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  INVALID_ROLE = 'INVALID_ROLE',
  FORBIDDEN = 'FORBIDDEN',
  USER_NOT_FOUND = 'USER_NOT_FOUND',
  PROJECT_NOT_FOUND = 'PROJECT_NOT_FOUND',
}

const KIND: Record<GroupErrorCode, ErrorKind> = {
  GROUP_NOT_FOUND: 'NOT_FOUND',
  GROUP_NAME_TAKEN: 'CONFLICT',
  GROUP_IN_USE: 'CONFLICT',
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  INVALID_ROLE: 'BAD_USER_INPUT',
  FORBIDDEN: 'FORBIDDEN',
  USER_NOT_FOUND: 'NOT_FOUND',
  PROJECT_NOT_FOUND: 'NOT_FOUND',
};

/** The typed error of user groups; `code` says which rule refused. */
export class GroupError extends ModelportError {
  constructor(code: GroupErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'GroupError';
  }
}
