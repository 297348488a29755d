import { ModelportError, type ErrorKind } from '@modelport/errors';

export enum DeploymentErrorCode {
  INVALID_ARGUMENT = 'INVALID_ARGUMENT',
  DEPLOYMENT_NOT_FOUND = 'DEPLOYMENT_NOT_FOUND',
  DEPLOYMENT_NAME_TAKEN = 'DEPLOYMENT_NAME_TAKEN',
  UNSERVABLE_VERSION = 'UNSERVABLE_VERSION',
  ROLLOUT_IN_PROGRESS = 'ROLLOUT_IN_PROGRESS',
  ROLLOUT_FAILED = 'ROLLOUT_FAILED',
  DEPLOYMENT_NOT_READY = 'DEPLOYMENT_NOT_READY',
  /** A challenger that could not take the champion's requests (the differing tensors are named). */
  SIGNATURE_INCOMPATIBLE = 'SIGNATURE_INCOMPATIBLE',
  /** Promoting or rolling back to a version that is not loaded and ready on the deployment. */
  VERSION_NOT_READY = 'VERSION_NOT_READY',
  /** Another change of the same deployment committed first (e.g. two promotions racing). */
  CONCURRENT_CHANGE = 'CONCURRENT_CHANGE',
  /** A rollback with no previous champion to go back to. */
  NOTHING_TO_ROLL_BACK = 'NOTHING_TO_ROLL_BACK',
}

const KIND: Record<DeploymentErrorCode, ErrorKind> = {
  INVALID_ARGUMENT: 'BAD_USER_INPUT',
  DEPLOYMENT_NOT_FOUND: 'NOT_FOUND',
  DEPLOYMENT_NAME_TAKEN: 'CONFLICT',
  UNSERVABLE_VERSION: 'BAD_USER_INPUT',
  ROLLOUT_IN_PROGRESS: 'CONFLICT',
  ROLLOUT_FAILED: 'UNAVAILABLE',
  DEPLOYMENT_NOT_READY: 'UNAVAILABLE',
  SIGNATURE_INCOMPATIBLE: 'BAD_USER_INPUT',
  VERSION_NOT_READY: 'CONFLICT',
  CONCURRENT_CHANGE: 'CONFLICT',
  NOTHING_TO_ROLL_BACK: 'CONFLICT',
};

export class DeploymentError extends ModelportError {
  constructor(code: DeploymentErrorCode, message: string, details: Record<string, unknown> = {}) {
    super(code, KIND[code], message, details);
  }
}
