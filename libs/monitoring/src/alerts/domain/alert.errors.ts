import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum AlertErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  ALERT_RULE_NOT_FOUND = 'ALERT_RULE_NOT_FOUND',
  CHANNEL_NOT_FOUND = 'CHANNEL_NOT_FOUND',
  CHANNEL_NAME_TAKEN = 'CHANNEL_NAME_TAKEN',
}

const KIND: Record<AlertErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  ALERT_RULE_NOT_FOUND: 'NOT_FOUND',
  CHANNEL_NOT_FOUND: 'NOT_FOUND',
  CHANNEL_NAME_TAKEN: 'CONFLICT',
};

/** The typed error of alert rules, notification channels and deliveries. */
export class AlertError extends ModelportError {
  constructor(code: AlertErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
    this.name = 'AlertError';
  }
}

export function invalidAlertArgument(field: string, message: string): AlertError {
  return new AlertError(AlertErrorCode.INVALID_ARGUMENT, message, { field });
}
