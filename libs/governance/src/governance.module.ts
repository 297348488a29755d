import { Inject, Module, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { APP_GUARD, APP_INTERCEPTOR } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { JOB_QUEUE, LOGGER, MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import type { Logger } from '@modelport/observability';
import type { JobQueue } from '@modelport/queue';
import { ApprovalService, registerApprovalJobs } from './approvals';
import { AuditService, parseSigningKey } from './audit';
import { AuditResolver } from './graphql/audit.resolver';
import { AuditController } from './http/audit.controller';
import { IdentityService } from './domain/identity.service';
import { AccessService } from './access/access.service';
import { ExternalIdentityRepository, JwtAuthenticator } from './identity';
import { PolicyRuleEditing, PolicyService } from './policies';
import { GroupService, GroupsResolver, SqlGroupDirectory } from './groups';
import { ApprovalsResolver } from './graphql/approvals.resolver';
import { AUDIT_SINK, AuditInterceptor, type AuditSink } from './graphql/audit.interceptor';
import { AuthGuard } from './graphql/auth.guard';
import { GovernanceResolver } from './graphql/governance.resolver';
import { PoliciesResolver } from './graphql/policies.resolver';

@Module({
  controllers: [AuditController],
  providers: [
    {
      provide: IdentityService,
      inject: [DataSource, MODELPORT_CONFIG],
      useFactory: (db: DataSource, config: ModelportConfig) => new IdentityService(db, { maxPageSize: config.graphql.maxPageSize }),
    },
    {
      provide: PolicyService,
      inject: [DataSource, LOGGER],
      useFactory: (db: DataSource, logger: Logger) => new PolicyService(db, { logger: logger.child({ context: 'policies' }) }),
    },
    {
      provide: AccessService,
      inject: [DataSource, IdentityService, PolicyService, MODELPORT_CONFIG],
      useFactory: (db: DataSource, identity: IdentityService, policies: PolicyService, config: ModelportConfig) =>
        new AccessService(db, identity, policies, config.oidc ? new JwtAuthenticator(config.oidc, new ExternalIdentityRepository(db)) : null, new SqlGroupDirectory(db)),
    },
    {
      provide: PolicyRuleEditing,
      inject: [PolicyService, ApprovalService, { token: AUDIT_SINK, optional: true }],
      useFactory: (policies: PolicyService, approvals: ApprovalService, audit?: AuditSink) => new PolicyRuleEditing(policies, approvals, audit ?? null),
    },
    {
      provide: GroupService,
      inject: [DataSource, MODELPORT_CONFIG],
      useFactory: (db: DataSource, config: ModelportConfig) => new GroupService(db, { maxPageSize: config.graphql.maxPageSize }),
    },
    {
      provide: AuditService,
      inject: [DataSource, MODELPORT_CONFIG],
      useFactory: (db: DataSource, config: ModelportConfig) =>
        new AuditService(db, { maxPageSize: config.graphql.maxPageSize, signingKey: config.audit.signingKey ? parseSigningKey(config.audit.signingKey) : null }),
    },
    { provide: AUDIT_SINK, useExisting: AuditService },
    {
      provide: ApprovalService,
      inject: [DataSource, JOB_QUEUE, MODELPORT_CONFIG, LOGGER, AccessService, { token: AUDIT_SINK, optional: true }],
      useFactory: (db: DataSource, queue: JobQueue, config: ModelportConfig, logger: Logger, access: AccessService, audit?: AuditSink) =>
        new ApprovalService(db, queue, {
          resolveCaller: (userId, actingFor) => access.callerForUser(userId, actingFor),
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
    PoliciesResolver,
    GroupsResolver,
    ApprovalsResolver,
    AuditResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
    { provide: APP_INTERCEPTOR, useClass: AuditInterceptor },
  ],
  exports: [IdentityService, AccessService, PolicyService, GroupService, ApprovalService, AuditService, AUDIT_SINK],
})
export class GovernanceModule implements OnModuleInit, OnApplicationShutdown {
  constructor(
    private readonly approvals: ApprovalService,
    private readonly audit: AuditService,
    @Inject(JOB_QUEUE) private readonly queue: JobQueue,
  ) {}

  onModuleInit(): void {
    registerApprovalJobs(this.queue, this.approvals);
  }

  /** Audit events still queued in this process are written before the database closes. */
  async onApplicationShutdown(): Promise<void> {
    await this.audit.flush();
  }
}
