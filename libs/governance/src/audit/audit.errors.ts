import { ModelportError, type ErrorKind } from '@modelport/errors';

/** Error codes of the audit trail, prefixed so they can join `GovernanceErrorCode` without a clash. */
export enum AuditErrorCode {
  AUDIT_INVALID_EVENT = 'AUDIT_INVALID_EVENT',
  AUDIT_INVALID_FILTER = 'AUDIT_INVALID_FILTER',
  AUDIT_INVALID_CHECKPOINT = 'AUDIT_INVALID_CHECKPOINT',
  AUDIT_TRANSACTION_REQUIRED = 'AUDIT_TRANSACTION_REQUIRED',
  AUDIT_READ_COMMITTED_REQUIRED = 'AUDIT_READ_COMMITTED_REQUIRED',
  AUDIT_SIGNING_KEY_MISSING = 'AUDIT_SIGNING_KEY_MISSING',
  AUDIT_SIGNING_KEY_INVALID = 'AUDIT_SIGNING_KEY_INVALID',
  AUDIT_CHAIN_BROKEN = 'AUDIT_CHAIN_BROKEN',
}

const KIND: Record<AuditErrorCode, ErrorKind> = {
  AUDIT_INVALID_EVENT: 'INTERNAL',
  AUDIT_INVALID_FILTER: 'BAD_USER_INPUT',
  AUDIT_INVALID_CHECKPOINT: 'BAD_USER_INPUT',
  AUDIT_TRANSACTION_REQUIRED: 'INTERNAL',
  AUDIT_READ_COMMITTED_REQUIRED: 'INTERNAL',
  AUDIT_SIGNING_KEY_MISSING: 'UNAVAILABLE',
  AUDIT_SIGNING_KEY_INVALID: 'INTERNAL',
  AUDIT_CHAIN_BROKEN: 'CONFLICT',
};

export class AuditError extends ModelportError {
  constructor(code: AuditErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'AuditError';
  }

  static invalidEvent(message: string): AuditError {
    return new AuditError(AuditErrorCode.AUDIT_INVALID_EVENT, `The audit event is not valid: ${message}`);
  }

  static invalidFilter(message: string): AuditError {
    return new AuditError(AuditErrorCode.AUDIT_INVALID_FILTER, message);
  }
}
