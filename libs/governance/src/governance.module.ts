import { Inject, Module, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { ApprovalService, registerApprovalJobs } from './approvals';
import { IdentityService } from './domain/identity.service';
import { ApprovalsResolver } from './graphql/approvals.resolver';
import { AUDIT_SINK, AuditInterceptor, type AuditSink } from './graphql/audit.interceptor';
import { AuthGuard } from './graphql/auth.guard';
import { GovernanceResolver } from './graphql/governance.resolver';

@Module({
  providers: [
    {
      provide: IdentityService,
      inject: [DataSource, MODELPORT_CONFIG],
      useFactory: (db: DataSource, config: ModelportConfig) => new IdentityService(db, { maxPageSize: config.graphql.maxPageSize }),
    },
    {
      provide: ApprovalService,
      inject: [DataSource, JOB_QUEUE, MODELPORT_CONFIG, LOGGER, { token: AUDIT_SINK, optional: true }],
      useFactory: (db: DataSource, queue: JobQueue, config: ModelportConfig, logger: Logger, audit?: AuditSink) =>
        new ApprovalService(db, queue, {
          maxPageSize: config.graphql.maxPageSize,
          logger: logger.child({ context: 'approvals' }),
          onEvent: audit
            ? async (e) => {
                await audit.append({
                  actorId: e.actorId,
                  actorName: null,
                  action: `changeRequest.${e.kind}`,
                  resourceType: 'ChangeRequest',
                  resourceId: e.requestId,
                  projectId: e.projectId,
                  outcome: 'ok',
                  requestId: null,
                  details: { action: e.action, targetType: e.targetType, targetId: e.targetId, from: e.fromStatus, to: e.toStatus, detail: e.detail },
                });
              }
            : undefined,
        }),
    },
    GovernanceResolver,
    ApprovalsResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [IdentityService, ApprovalService],
})
export class GovernanceModule implements OnModuleInit {
  constructor(
    private readonly approvals: ApprovalService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    registerApprovalJobs(this.queue, this.approvals);
  }
}
