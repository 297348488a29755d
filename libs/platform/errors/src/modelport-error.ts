/**
 * How an error reaches a client. One filter maps these kinds to GraphQL
 * `extensions.code` and to HTTP/gRPC statuses; domain code only picks a kind.
 */
export type ErrorKind =
  | 'BAD_USER_INPUT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'PAYLOAD_TOO_LARGE'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const HTTP_STATUS: Readonly<Record<ErrorKind, number>> = {
  BAD_USER_INPUT: 400,
  UNAUTHENTICATED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/** Base class of every typed domain error: a stable code, a kind and a message a user can act on. */
export class ModelportError extends Error {
  constructor(
    readonly code: string,
    readonly kind: ErrorKind,
    message: string,
    readonly details: Readonly<Record<string, unknown>> = {},
  ) {
    super(message);
    this.name = 'ModelportError';
  }

  get httpStatus(): number {
    return HTTP_STATUS[this.kind];
  }
}

export function isModelportError(err: unknown): err is ModelportError {
  return err instanceof ModelportError;
}
