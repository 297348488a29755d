import { Controller, Get, Query as QueryParam, Res } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import { AuditService } from '../audit';
import { GovernanceError, GovernanceErrorCode } from '../domain/governance.errors';
import type { Caller } from '../domain/identity.service';
import { Authenticated, CurrentCaller } from '../graphql/auth.decorators';

interface StreamReply {
  header(name: string, value: string): unknown;
  send(payload: unknown): unknown;
}

/** GET /v1/audit/export: the audit trail as NDJSON, ending with a signed checkpoint (platform admins). */
@Controller('v1/audit')
export class AuditController {
  constructor(private readonly audit: AuditService) {}

  @Get('export')
  @Authenticated()
  async export(@CurrentCaller() caller: Caller, @Res() reply: StreamReply, @QueryParam('projectId') projectId?: string): Promise<void> {
    if (!caller.principal.isPlatformAdmin) throw new GovernanceError(GovernanceErrorCode.FORBIDDEN, 'Only platform admins may export the audit trail.');
    await this.audit.flush();
    // Fails before any byte is sent when no signing key is configured or the chain is broken.
    const lines = this.audit.exportLines(projectId ? { projectId } : {});
    const first = await lines.next();
    const body = new PassThrough();
    reply.header('content-type', 'application/x-ndjson');
    reply.send(body);
    if (!first.done) body.write(`${first.value}\n`);
    for await (const line of { [Symbol.asyncIterator]: () => lines }) body.write(`${line}\n`);
    body.end();
  }
}
