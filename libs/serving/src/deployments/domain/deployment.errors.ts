import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum DeploymentErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  DEPLOYMENT_NOT_FOUND = 'DEPLOYMENT_NOT_FOUND',
  DEPLOYMENT_NAME_TAKEN = 'DEPLOYMENT_NAME_TAKEN',
  UNSERVABLE_VERSION = 'UNSERVABLE_VERSION',
  ROLLOUT_IN_PROGRESS = 'ROLLOUT_IN_PROGRESS',
  ROLLOUT_FAILED = 'ROLLOUT_FAILED',
  DEPLOYMENT_NOT_READY = 'DEPLOYMENT_NOT_READY',
}

const KIND: Record<DeploymentErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  DEPLOYMENT_NOT_FOUND: 'NOT_FOUND',
  DEPLOYMENT_NAME_TAKEN: 'CONFLICT',
  UNSERVABLE_VERSION: 'BAD_USER_INPUT',
  ROLLOUT_IN_PROGRESS: 'CONFLICT',
  ROLLOUT_FAILED: 'UNAVAILABLE',
  DEPLOYMENT_NOT_READY: 'UNAVAILABLE',
};

export class DeploymentError extends ModelportError {
  constructor(code: DeploymentErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
  }
}
