import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { DataSource } from 'typeorm';
import { MODELPORT_CONFIG, type ModelportConfig } from '@modelport/config';
import { IdentityService } from './domain/identity.service';
import { AuthGuard } from './graphql/auth.guard';
import { GovernanceResolver } from './graphql/governance.resolver';

@Module({
  providers: [
    {
      provide: IdentityService,
      inject: [DataSource, MODELPORT_CONFIG],
      useFactory: (db: DataSource, config: ModelportConfig) => new IdentityService(db, { maxPageSize: config.graphql.maxPageSize }),
    },
    GovernanceResolver,
    { provide: APP_GUARD, useClass: AuthGuard },
  ],
  exports: [IdentityService],
})
export class GovernanceModule {}
