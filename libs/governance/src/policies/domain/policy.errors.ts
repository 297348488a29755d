import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum PolicyErrorCode {
  /** A submitted rule names an unknown role, action, subject or field, or a condition the platform cannot enforce. */
  INVALID_POLICY_RULE = 'INVALID_POLICY_RULE',
  POLICY_RULE_NOT_FOUND = 'POLICY_RULE_NOT_FOUND',
  /** An access question names something unknown (an action, a subject, a resource, a user). */
  INVALID_ACCESS_QUESTION = 'INVALID_ACCESS_QUESTION',
  RESOURCE_NOT_FOUND = 'RESOURCE_NOT_FOUND',
  /** The caller may not change this layer of the policy. */
  POLICY_FORBIDDEN = 'POLICY_FORBIDDEN',
  /** A rule reached the SQL adapter with a condition it cannot translate exactly (a bug: validation should have refused it). */
  UNSUPPORTED_CONDITION = 'UNSUPPORTED_CONDITION',
}

const KIND: Record<PolicyErrorCode, ErrorKind> = {
  INVALID_POLICY_RULE: 'BAD_USER_INPUT',
  POLICY_RULE_NOT_FOUND: 'NOT_FOUND',
  INVALID_ACCESS_QUESTION: 'BAD_USER_INPUT',
  RESOURCE_NOT_FOUND: 'NOT_FOUND',
  POLICY_FORBIDDEN: 'FORBIDDEN',
  UNSUPPORTED_CONDITION: 'INTERNAL',
};

/** The typed error of data-driven policies; `code` says what was refused. */
export class PolicyError extends ModelportError {
  constructor(code: PolicyErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'PolicyError';
  }
}
