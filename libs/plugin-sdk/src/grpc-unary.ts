import type * as grpc from '@grpc/grpc-js';

/**
 * The request and response types of a generated unary client method. The
 * generated methods are overloaded; conditional types see the last overload,
 * `(argument, callback)`, which carries both types.
 */
export type RequestOf<F> = F extends (argument: infer A, callback: infer _C) => unknown ? A : never;
export type ResponseOf<F> = F extends (argument: never, callback: (err: grpc.ServiceError | null, value?: infer R) => void) => unknown ? R : never;

type FullUnary<Req, Res> = (
  argument: Req,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
  callback: (err: grpc.ServiceError | null, value?: Res) => void,
) => grpc.ClientUnaryCall;

/** Calls a generated unary method and resolves with its response (rejects with the grpc ServiceError). */
export function unaryCall<F>(
  client: grpc.Client,
  method: F,
  request: RequestOf<F>,
  metadata: grpc.Metadata,
  options: grpc.CallOptions,
): Promise<ResponseOf<F>> {
  return new Promise((resolve, reject) => {
    (method as unknown as FullUnary<RequestOf<F>, ResponseOf<F>>).call(client, request, metadata, options, (err, value) =>
      err ? reject(err) : resolve(value as ResponseOf<F>),
    );
  });
}
