import * as grpc from '@grpc/grpc-js';
import { PluginError } from './runtime';
import { TensorError } from './tensors';

/** gRPC status names, e.g. 'NOT_FOUND'. */
export type StatusName = Exclude<keyof typeof grpc.status, number>;

/** An error the SDK answers a call with: a gRPC status name and a message the caller can act on. */
export class CallError extends Error {
  constructor(
    readonly code: StatusName,
    message: string,
  ) {
    super(message);
    this.name = 'CallError';
  }
}

/** The status name of a numeric gRPC code ('UNKNOWN' for codes this library does not know). */
export function statusName(code: number): StatusName {
  const name = (grpc.status as unknown as Record<number, string>)[code];
  return (name ?? 'UNKNOWN') as StatusName;
}

/**
 * Maps anything thrown while serving a call to the status the caller sees:
 * CallError and PluginError keep their status, TensorError is INVALID_ARGUMENT
 * (RESOURCE_EXHAUSTED when a tensor is too large),
 * anything else is INTERNAL with its message.
 */
export function toStatus(err: unknown): { code: grpc.status; details: string } {
  if (err instanceof CallError) return { code: grpc.status[err.code], details: err.message };
  if (err instanceof PluginError) return { code: grpc.status[err.status], details: err.message };
  if (err instanceof TensorError) {
    return { code: err.problem === 'TOO_LARGE' ? grpc.status.RESOURCE_EXHAUSTED : grpc.status.INVALID_ARGUMENT, details: err.message };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { code: grpc.status.INTERNAL, details: message || 'internal error' };
}
