import { type CanActivate, type ExecutionContext, Inject, Injectable, Optional } from '@nestjs/common';
import { GqlExecutionContext } from '@nestjs/graphql';
import { Reflector } from '@nestjs/core';
import { GovernanceError, GovernanceErrorCode } from '../domain/governance.errors';
import type { Caller } from '../domain/identity.service';
import { AccessService } from '../access/access.service';
import { getCaller, PUBLIC_KEY, REQUIRES_KEY, type Requirement, setCaller } from './auth.decorators';
import { requestOf } from './request-of';
import { AUDIT_SINK, redactArgs, type AuditSink } from './audit.interceptor';

const BEARER = /^Bearer\s+(\S+)\s*$/i;

/** The token in an Authorization header value, or null when absent. A malformed header is an error. */
export function bearerToken(header: string | string[] | undefined): string | null {
  if (header === undefined || header === '') return null;
  const value = Array.isArray(header) ? header[0] : header;
  const match = value ? BEARER.exec(value) : null;
  if (!match) {
    throw new GovernanceError(GovernanceErrorCode.TOKEN_INVALID, 'The Authorization header must be "Bearer <token>".');
  }
  return match[1]!;
}

export async function authenticateRequest(access: AccessService, request: { headers: Record<string, string | string[] | undefined> }): Promise<Caller> {
  const cached = getCaller(request);
  if (cached) return cached;
  const caller = await access.authenticate(bearerToken(request.headers['authorization']));
  setCaller(request, caller);
  return caller;
}

/**
 * Global guard: every operation needs a valid token unless marked @Public();
 * @Can(action, subject) also needs the caller to hold that permission somewhere.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessService,
    @Optional() @Inject(AUDIT_SINK) private readonly audit: AuditSink | null = null,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = requestOf(ctx) as { headers: Record<string, string | string[] | undefined>; id?: string };
    let caller: Caller;
    try {
      caller = await authenticateRequest(this.access, request);
    } catch (err) {
      this.denied(ctx, request, null, 'UNAUTHENTICATED', err);
      throw err;
    }
    const requirement = this.reflector.getAllAndOverride<Requirement | null | undefined>(REQUIRES_KEY, targets);
    if (requirement && !caller.ability.can(requirement.action, requirement.subject)) {
      const err = new GovernanceError(
        GovernanceErrorCode.FORBIDDEN,
        `You may not ${requirement.action} ${requirement.subject} in any project. Ask a project admin for a role that allows it.`,
        { action: requirement.action, subject: requirement.subject },
      );
      this.denied(ctx, request, caller, 'FORBIDDEN', err);
      throw err;
    }
    return true;
  }

  /** Every access the guard refuses goes to the audit trail (when one is wired). */
  private denied(ctx: ExecutionContext, request: { id?: string }, caller: Caller | null, reason: string, err: unknown): void {
    if (!this.audit) return;
    const graphql = ctx.getType<string>() === 'graphql' ? GqlExecutionContext.create(ctx) : null;
    const operation = graphql ? graphql.getInfo<{ fieldName: string }>().fieldName : `${ctx.getClass().name}.${ctx.getHandler().name}`;
    this.audit
      .append({
        actorId: caller?.principal.userId ?? null,
        actorName: caller?.principal.userName ?? null,
        action: 'access.denied',
        resourceType: operation,
        resourceId: null,
        projectId: null,
        outcome: 'denied',
        requestId: request.id ?? null,
        details: { reason, message: (err as Error).message, args: graphql ? redactArgs(graphql.getArgs()) : null },
      })
      .catch(() => undefined);
  }
}
