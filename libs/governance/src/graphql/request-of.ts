import type { ExecutionContext } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';

/** The underlying HTTP request of a GraphQL or HTTP execution context. */
export function requestOf(ctx: ExecutionContext): object {
  if (ctx.getType<string>() === 'graphql') {
    const context = GqlExecutionContext.create(ctx).getContext<{ req?: object; reply?: { request?: object } }>();
    const req = context.req ?? context.reply?.request;
    if (!req) throw new Error('GraphQL context carries no request');
    return req;
  }
  return ctx.switchToHttp().getRequest<object>();
}
