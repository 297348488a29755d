import { isModelportError, type ModelportError } from '@modelport/errors';

/** The ModelportError `promise` rejects with; fails the test when it resolves or rejects with anything else. */
export async function caught(promise: Promise<unknown>): Promise<ModelportError> {
  try {
    await promise;
  } catch (err) {
    if (isModelportError(err)) return err;
    throw err;
  }
  throw new Error('expected a ModelportError, nothing was thrown');
}
