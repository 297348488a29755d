import { createParamDecorator, type ExecutionContext, SetMetadata } from '@nestjs/common';
import type { Action, SubjectType } from '../domain/ability';
import type { Caller } from '../domain/identity.service';
import { requestOf } from './request-of';

export const PUBLIC_KEY = 'modelport:public';
export const REQUIRES_KEY = 'modelport:requires';

export interface Requirement {
  readonly action: Action;
  readonly subject: SubjectType;
}

/** Marks an operation that needs no token (health only). Everything else is authenticated by the global guard. */
export const Public = () => SetMetadata(PUBLIC_KEY, true);

/**
 * Declares the coarse permission an operation needs; the guard refuses callers
 * that hold it in no project. Domain services then check the exact object.
 */
export const Can = (action: Action, subject: SubjectType) => SetMetadata(REQUIRES_KEY, { action, subject } satisfies Requirement);

/** For operations every authenticated caller may use (e.g. `me`); the domain still checks objects. */
export const Authenticated = () => SetMetadata(REQUIRES_KEY, null);

const CALLER = Symbol('modelport.caller');

export interface CallerCarrier {
  [CALLER]?: Caller;
}

export function setCaller(request: object, caller: Caller): void {
  (request as CallerCarrier)[CALLER] = caller;
}

export function getCaller(request: object): Caller | undefined {
  return (request as CallerCarrier)[CALLER];
}

/** The authenticated caller of this request (set by the auth guard). */
export const CurrentCaller = createParamDecorator((_: unknown, ctx: ExecutionContext): Caller => {
  const caller = getCaller(requestOf(ctx));
  if (!caller) throw new Error('CurrentCaller used on an operation without authentication');
  return caller;
});
