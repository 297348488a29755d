import { type CallHandler, type ExecutionContext, Inject, Injectable, type NestInterceptor, Optional } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import type { GraphQLResolveInfo } from 'graphql';
import { isModelportError } from '@modelport/errors';
import type { Logger } from '@modelport/observability';
import { LOGGER } from '@modelport/config';
import { type Observable, tap } from 'rxjs';
import type { AuditEventInput } from '../audit';
import { isUuid } from '@modelport/database';
import { getCaller } from './auth.decorators';
import { requestOf } from './request-of';

export interface AuditSink {
  append(event: AuditEventInput): Promise<unknown>;
}

export const AUDIT_SINK = 'modelport:audit-sink';

/** Argument names whose values never reach the audit trail. */
const SECRET = /token|secret|password|key$/i;

export function redactArgs(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[nested]';
  if (Array.isArray(value)) return value.slice(0, 50).map((v) => redactArgs(v, depth + 1));
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, SECRET.test(k) ? '[redacted]' : redactArgs(v, depth + 1)]));
  }
  return typeof value === 'string' && value.length > 1000 ? `${value.slice(0, 1000)}…` : value;
}

function idOf(value: unknown): string | null {
  const id = (value as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : null;
}

function projectOf(args: Record<string, unknown>, result: unknown): string | null {
  const input = (args['input'] ?? {}) as Record<string, unknown>;
  for (const candidate of [(result as { projectId?: unknown } | null)?.projectId, input['projectId'], args['projectId']]) {
    if (typeof candidate === 'string' && isUuid(candidate)) return candidate;
  }
  return null;
}

/**
 * Appends an audit event for every GraphQL mutation (its outcome, actor,
 * redacted input and the id of what it returned) and for every operation
 * refused for lack of permission or authentication. Access refused by the
 * guard itself is recorded by the guard.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(
    @Optional() @Inject(AUDIT_SINK) private readonly sink: AuditSink | null,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    if (!this.sink || ctx.getType<string>() !== 'graphql') return next.handle();
    const gql = GqlExecutionContext.create(ctx);
    const info = gql.getInfo<GraphQLResolveInfo>();
    const root = info.parentType.name;
    if (root !== 'Mutation' && root !== 'Query') return next.handle();
    const args = gql.getArgs<Record<string, unknown>>();
    const request = requestOf(ctx) as { id?: string };
    const record = (outcome: 'ok' | 'denied' | 'error', result: unknown, error?: unknown) => {
      const caller = getCaller(request);
      const event: AuditEventInput = {
        actorId: caller?.principal.userId ?? null,
        actorName: caller?.principal.userName ?? null,
        action: info.fieldName,
        resourceType: info.returnType.toString().replace(/[[\]!]/g, ''),
        resourceId: idOf(result) ?? idOf(args['input']) ?? (typeof args['id'] === 'string' ? args['id'] : null),
        projectId: projectOf(args, result),
        outcome,
        after: outcome === 'ok' ? { id: idOf(result) } : null,
        requestId: request.id ?? null,
        details: { operation: root.toLowerCase(), args: redactArgs(args), ...(error ? { error: (error as Error).message } : {}) },
      };
      this.sink!.append(event).catch((err: unknown) => this.logger.error({ err, action: event.action }, 'could not append an audit event'));
    };
    return next.handle().pipe(
      tap({
        next: (result) => {
          if (root === 'Mutation') record('ok', result);
        },
        error: (err: unknown) => {
          const kind = isModelportError(err) ? err.kind : null;
          if (kind === 'FORBIDDEN' || kind === 'UNAUTHENTICATED') record('denied', null, err);
          else if (root === 'Mutation') record('error', null, err);
        },
      }),
    );
  }
}
