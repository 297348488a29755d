import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { PLUGIN_SECRET_METADATA } from '@modelport/proto';

/** grpc.health.v1 stays open: it reveals only whether the plugin and a named key are serving. */
export const OPEN_SERVICE_PREFIX = '/grpc.health.v1.Health/';

/**
 * Refuses every call whose `x-modelport-plugin-secret` metadata is missing or
 * differs from the secret (compared in constant time), with UNAUTHENTICATED,
 * before the handler sees it. Health calls pass.
 */
export function secretInterceptor(secret: string): grpc.ServerInterceptor {
  if (!secret) throw new Error('the plugin secret must not be empty');
  const matches = secretMatcher(secret);
  return (method, call) => {
    if (method.path.startsWith(OPEN_SERVICE_PREFIX)) return new grpc.ServerInterceptingCall(call);
    return new grpc.ServerInterceptingCall(call, {
      start: (next) =>
        next({
          onReceiveMetadata: (metadata, pass) => {
            const values = metadata.get(PLUGIN_SECRET_METADATA);
            if (values.length === 1 && matches(values[0]!)) {
              pass(metadata);
              return;
            }
            call.sendStatus({
              code: grpc.status.UNAUTHENTICATED,
              details: values.length === 0 ? `missing ${PLUGIN_SECRET_METADATA} metadata` : `wrong ${PLUGIN_SECRET_METADATA} metadata`,
              metadata: new grpc.Metadata(),
            });
          },
        }),
    });
  };
}

/** A constant-time comparison against the secret (digests first, so lengths never leak). */
export function secretMatcher(secret: string): (given: string | Buffer) => boolean {
  const expected = createHash('sha256').update(secret, 'utf8').digest();
  return (given) => {
    const digest = createHash('sha256').update(given).digest();
    return timingSafeEqual(digest, expected);
  };
}

/** Counts calls being worked on, so that shutdown can wait for them. */
export class InFlightCalls {
  private count = 0;
  private waiters: (() => void)[] = [];

  get size(): number {
    return this.count;
  }

  async track<T>(work: () => Promise<T>): Promise<T> {
    this.count++;
    try {
      return await work();
    } finally {
      this.count--;
      if (this.count === 0) for (const w of this.waiters.splice(0)) w();
    }
  }

  /** Resolves once no call is in flight. */
  idle(): Promise<void> {
    if (this.count === 0) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}
