import { type CanActivate, type ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { defineAbilityFor } from '../domain/ability';
import { GovernanceError, GovernanceErrorCode } from '../domain/governance.errors';
import { IdentityService, type Caller } from '../domain/identity.service';
import { getCaller, PUBLIC_KEY, REQUIRES_KEY, type Requirement, setCaller } from './auth.decorators';
import { requestOf } from './request-of';

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

export async function authenticateRequest(identity: IdentityService, request: { headers: Record<string, string | string[] | undefined> }): Promise<Caller> {
  const cached = getCaller(request);
  if (cached) return cached;
  const principal = await identity.authenticate(bearerToken(request.headers['authorization']));
  const caller = { principal, ability: defineAbilityFor(principal) };
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
    private readonly identity: IdentityService,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_KEY, targets)) return true;
    const request = requestOf(ctx) as { headers: Record<string, string | string[] | undefined> };
    const caller = await authenticateRequest(this.identity, request);
    const requirement = this.reflector.getAllAndOverride<Requirement | null | undefined>(REQUIRES_KEY, targets);
    if (requirement && !caller.ability.can(requirement.action, requirement.subject)) {
      throw new GovernanceError(
        GovernanceErrorCode.FORBIDDEN,
        `You may not ${requirement.action} ${requirement.subject} in any project. Ask a project admin for a role that allows it.`,
        { action: requirement.action, subject: requirement.subject },
      );
    }
    return true;
  }
}
