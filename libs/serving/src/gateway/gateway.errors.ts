import { status as GrpcStatus } from '@grpc/grpc-js';

/**
 * An error in the Open Inference Protocol's form: a message naming what was
 * wrong, an HTTP status for REST and a gRPC status code for gRPC.
 */
export class GatewayError extends Error {
  constructor(
    readonly httpStatus: number,
    readonly grpcCode: GrpcStatus,
    message: string,
  ) {
    super(message);
    this.name = 'GatewayError';
  }

  static badRequest(message: string): GatewayError {
    return new GatewayError(400, GrpcStatus.INVALID_ARGUMENT, message);
  }
  static unauthenticated(message: string): GatewayError {
    return new GatewayError(401, GrpcStatus.UNAUTHENTICATED, message);
  }
  static forbidden(message: string): GatewayError {
    return new GatewayError(403, GrpcStatus.PERMISSION_DENIED, message);
  }
  static notFound(message: string): GatewayError {
    return new GatewayError(404, GrpcStatus.NOT_FOUND, message);
  }
  static conflict(message: string): GatewayError {
    return new GatewayError(409, GrpcStatus.FAILED_PRECONDITION, message);
  }
  static tooLarge(message: string): GatewayError {
    return new GatewayError(413, GrpcStatus.RESOURCE_EXHAUSTED, message);
  }
  static unavailable(message: string): GatewayError {
    return new GatewayError(503, GrpcStatus.UNAVAILABLE, message);
  }
  static internal(message: string): GatewayError {
    return new GatewayError(500, GrpcStatus.INTERNAL, message);
  }
}

const FROM_KIND: Record<string, (m: string) => GatewayError> = {
  BAD_USER_INPUT: GatewayError.badRequest,
  UNAUTHENTICATED: GatewayError.unauthenticated,
  FORBIDDEN: GatewayError.forbidden,
  NOT_FOUND: GatewayError.notFound,
  PAYLOAD_TOO_LARGE: GatewayError.tooLarge,
  UNAVAILABLE: GatewayError.unavailable,
};

/** Any error as a GatewayError: typed domain errors keep their kind, the rest is INTERNAL. */
export function toGatewayError(err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  const e = err as { kind?: string; message?: string; problem?: string; tensor?: string; name?: string };
  if (e?.name === 'TensorError') return e.problem === 'TOO_LARGE' ? GatewayError.tooLarge(e.message!) : GatewayError.badRequest(e.message!);
  if (e?.kind && FROM_KIND[e.kind]) return FROM_KIND[e.kind]!(e.message ?? 'error');
  return GatewayError.internal('The gateway failed unexpectedly; the error is in the server log.');
}

/** How a plugin's gRPC failure reaches the client: the plugin's own words, with a status that says whose fault it is. */
export function fromPluginError(err: unknown, deployment: string): GatewayError {
  const e = err as { code?: number; details?: string; message?: string };
  const detail = e?.details ?? e?.message ?? String(err);
  switch (e?.code) {
    case GrpcStatus.INVALID_ARGUMENT:
      return GatewayError.badRequest(detail);
    case GrpcStatus.RESOURCE_EXHAUSTED:
      return GatewayError.tooLarge(detail);
    case GrpcStatus.UNAVAILABLE:
    case GrpcStatus.CANCELLED:
    case GrpcStatus.NOT_FOUND:
    case GrpcStatus.DEADLINE_EXCEEDED:
      return GatewayError.unavailable(`The runtime serving deployment "${deployment}" is unavailable (${detail}); retry shortly.`);
    default:
      return GatewayError.internal(`The runtime serving deployment "${deployment}" failed: ${detail}`);
  }
}
