import { Args, Field, GraphQLISODateTime, ID, Int, ObjectType, Query, Resolver } from '@nestjs/graphql';
import { ConnectionType, PageArgs, toConnection, type Connection } from '@modelport/graphql';
import { AuditService, type AuditEvent } from '../audit';
import { GovernanceError, GovernanceErrorCode } from '../domain/governance.errors';
import type { Caller } from '../domain/identity.service';
import { Authenticated, CurrentCaller } from './auth.decorators';

@ObjectType('AuditEvent', { description: 'One entry of the append-only, hash-chained audit trail.' })
export class AuditEventObject {
  @Field({ description: 'Position in the chain (a decimal string).' }) seq!: string;
  @Field(() => GraphQLISODateTime) at!: Date;
  @Field(() => ID, { nullable: true }) actorId!: string | null;
  @Field(() => String, { nullable: true }) actorName!: string | null;
  @Field() action!: string;
  @Field() resourceType!: string;
  @Field(() => String, { nullable: true }) resourceId!: string | null;
  @Field(() => ID, { nullable: true }) projectId!: string | null;
  @Field({ description: 'ok, denied or error.' }) outcome!: string;
  @Field(() => String, { nullable: true }) requestId!: string | null;
  @Field({ description: 'before, after and details, as JSON.' }) dataJson!: string;
  @Field() hash!: string;
  @Field() prevHash!: string;

  static from(e: AuditEvent): AuditEventObject {
    return Object.assign(new AuditEventObject(), {
      seq: e.seq,
      at: e.at,
      actorId: e.actorId,
      actorName: e.actorName,
      action: e.action,
      resourceType: e.resourceType,
      resourceId: e.resourceId,
      projectId: e.projectId,
      outcome: e.outcome,
      requestId: e.requestId,
      dataJson: JSON.stringify({ before: e.before, after: e.after, details: e.details }),
      hash: e.hash,
      prevHash: e.prevHash,
    });
  }
}
export const AuditEventConnection = ConnectionType(AuditEventObject, 'AuditEvent');

@ObjectType('AuditChainVerification', { description: 'The result of recomputing the audit hash chain.' })
export class AuditChainVerificationObject {
  @Field() ok!: boolean;
  @Field(() => Int) rowsChecked!: number;
  @Field(() => String, { nullable: true }) lastSeq!: string | null;
  @Field(() => String, { nullable: true }) lastHash!: string | null;
  @Field(() => String, { nullable: true, description: 'The first seq that is wrong.' }) firstBrokenSeq!: string | null;
  @Field(() => String, { nullable: true, description: 'hash-mismatch, prev-hash-mismatch, seq-gap, unexpected-seq, checkpoint-mismatch or truncated.' })
  problem!: string | null;
  @Field(() => String, { nullable: true }) reason!: string | null;
}

function assertPlatformAdmin(caller: Caller): void {
  if (!caller.principal.isPlatformAdmin) {
    throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'Only platform admins may read and verify the audit trail.');
  }
}

@Resolver()
export class AuditResolver {
  constructor(private readonly audit: AuditService) {}

  @Query(() => AuditEventConnection, { description: 'Audit events, newest first (platform admins).' })
  @Authenticated()
  async auditEvents(
    @CurrentCaller() caller: Caller,
    @Args() page: PageArgs,
    @Args('projectId', { type: () => ID, nullable: true }) projectId?: string,
    @Args('action', { type: () => String, nullable: true }) action?: string,
  ): Promise<Connection<AuditEventObject>> {
    assertPlatformAdmin(caller);
    return toConnection(await this.audit.list({ projectId, action, first: page.first, after: page.after }), AuditEventObject.from);
  }

  @Query(() => AuditChainVerificationObject, {
    description: 'Recomputes the audit hash chain and names the first broken link; give the checkpoint of the last export to detect a truncated tail.',
  })
  @Authenticated()
  async verifyAuditChain(
    @CurrentCaller() caller: Caller,
    @Args('checkpointSeq', { type: () => String, nullable: true }) checkpointSeq?: string,
    @Args('checkpointHash', { type: () => String, nullable: true }) checkpointHash?: string,
  ): Promise<AuditChainVerificationObject> {
    assertPlatformAdmin(caller);
    await this.audit.flush();
    const result = await this.audit.verifyChain({ checkpoint: checkpointSeq && checkpointHash ? { seq: checkpointSeq, hash: checkpointHash } : null });
    return Object.assign(
      new AuditChainVerificationObject(),
      result.ok
        ? { ok: true, rowsChecked: result.rows, lastSeq: result.lastSeq, lastHash: result.lastHash, firstBrokenSeq: null, problem: null, reason: null }
        : { ok: false, rowsChecked: result.rowsChecked, lastSeq: null, lastHash: null, firstBrokenSeq: result.firstBrokenSeq, problem: result.problem, reason: result.reason },
    );
  }
}
