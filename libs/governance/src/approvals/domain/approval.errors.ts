import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum ApprovalErrorCode {
  INVALID_POLICY = 'INVALID_POLICY',
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  POLICY_NOT_FOUND = 'POLICY_NOT_FOUND',
  POLICY_FORBIDDEN = 'POLICY_FORBIDDEN',
  POLICY_WEAKER_THAN_PLATFORM = 'POLICY_WEAKER_THAN_PLATFORM',
  CHANGE_REQUEST_NOT_FOUND = 'CHANGE_REQUEST_NOT_FOUND',
  SELF_REVIEW = 'SELF_REVIEW',
  REVIEWER_ROLE_REQUIRED = 'REVIEWER_ROLE_REQUIRED',
  /** The request names a reviewer group and the reviewer is not in it. */
  REVIEWER_GROUP_REQUIRED = 'REVIEWER_GROUP_REQUIRED',
  /** Policies of one scope covering one action would name different reviewer groups. */
  POLICY_GROUP_CONFLICT = 'POLICY_GROUP_CONFLICT',
  ALREADY_REVIEWED = 'ALREADY_REVIEWED',
  NOT_PENDING = 'NOT_PENDING',
  REQUEST_EXPIRED = 'REQUEST_EXPIRED',
  NOT_AUTHOR = 'NOT_AUTHOR',
  APPLIER_ALREADY_REGISTERED = 'APPLIER_ALREADY_REGISTERED',
}

const KIND: Record<ApprovalErrorCode, ErrorKind> = {
  INVALID_POLICY: 'BAD_USER_INPUT',
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  POLICY_NOT_FOUND: 'NOT_FOUND',
  POLICY_FORBIDDEN: 'FORBIDDEN',
  POLICY_WEAKER_THAN_PLATFORM: 'FORBIDDEN',
  CHANGE_REQUEST_NOT_FOUND: 'NOT_FOUND',
  SELF_REVIEW: 'FORBIDDEN',
  REVIEWER_ROLE_REQUIRED: 'FORBIDDEN',
  REVIEWER_GROUP_REQUIRED: 'FORBIDDEN',
  POLICY_GROUP_CONFLICT: 'CONFLICT',
  ALREADY_REVIEWED: 'CONFLICT',
  NOT_PENDING: 'CONFLICT',
  REQUEST_EXPIRED: 'CONFLICT',
  NOT_AUTHOR: 'FORBIDDEN',
  APPLIER_ALREADY_REGISTERED: 'INTERNAL',
};

/** The typed error of approval workflows; `code` says which rule refused. */
export class ApprovalError extends ModelportError {
  constructor(code: ApprovalErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'ApprovalError';
  }
}
