import { randomUUID } from 'node:crypto';
import { APP_GUARD } from '@nestjs/core';
import { GraphQLModule } from '@nestjs/graphql';
import { MercuriusDriver, type MercuriusDriverConfig } from '@nestjs/mercurius';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import { AccessService, AuthGuard, GovernanceError, GovernanceErrorCode, type Caller } from '@modelport/governance';
import { silentLogger } from '@modelport/observability';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { AttentionService } from '../domain/attention.service';
import { RefreshService } from '../domain/refresh.service';
import { callerOf, FakeShadowAttacher, FakeSignals, refreshTestSchema, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../refresh.fixture';
import { RefreshResolver } from './refresh.resolver';

interface GqlAnswer<T> {
  data?: T;
  errors?: { message: string; path?: string[] }[];
}

/** The refresh operations through Nest, Mercurius and the real global guard. */
describe('RefreshResolver', () => {
  let db: TestDatabase;
  let app: NestFastifyApplication;
  let d: SeededDeployment;
  const tokens = new Map<string, Caller>();

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    d = await seedDeployment(db.dataSource);
    tokens.set('engineer', callerOf(d.creatorId, [[d.projectId, 'ml-engineer']]));
    tokens.set('viewer', callerOf(randomUUID(), [[d.projectId, 'viewer']]));
    tokens.set('platform-admin', callerOf(randomUUID(), [], true));
    const lookup = new SqlDeploymentLookup(db.dataSource);
    const refresh = new RefreshService(db.dataSource, { enqueue: async (_name: string, _data: unknown, options?: { jobId?: string }) => options?.jobId ?? 'job' }, lookup, new FakeSignals(), new FakeShadowAttacher(), {
      logger: silentLogger(),
      maxPageSize: 50,
      publicUrl: () => 'http://modelport.test',
    });
    const access = {
      authenticate: async (bearer: string | null) => {
        const caller = bearer ? tokens.get(bearer) : undefined;
        if (!caller) throw new GovernanceError(GovernanceErrorCode.TOKEN_INVALID, 'Send a valid API token.');
        return caller;
      },
    };
    const moduleRef = await Test.createTestingModule({
      imports: [GraphQLModule.forRoot<MercuriusDriverConfig>({ driver: MercuriusDriver, autoSchemaFile: true })],
      providers: [
        RefreshResolver,
        { provide: RefreshService, useValue: refresh },
        { provide: AttentionService, useValue: new AttentionService(db.dataSource, silentLogger()) },
        { provide: AccessService, useValue: access },
        { provide: APP_GUARD, useClass: AuthGuard },
      ],
    }).compile();
    app = moduleRef.createNestApplication<NestFastifyApplication>(new FastifyAdapter());
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(async () => {
    await app?.close();
    await db.drop();
  });

  async function gql<T>(token: string, query: string, variables: Record<string, unknown> = {}): Promise<GqlAnswer<T>> {
    const res = await app.inject({ method: 'POST', url: '/graphql', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, payload: { query, variables } });
    return res.json() as GqlAnswer<T>;
  }

  it('sets, reads, triggers, lists and deletes a policy; the secret is shown once', async () => {
    const set = await gql<{ setRefreshPolicy: { secret: string | null; policy: Record<string, unknown> } }>(
      'engineer',
      `mutation($d: ID!) { setRefreshPolicy(deploymentId: $d, input: { minIntervalMinutes: 30, action: "WEBHOOK", webhookUrl: "https://retrain.example.com/hook",
         accuracyBelow: { metric: "f1", threshold: 0.7 }, maxModelAgeDays: 60 }) { secret policy { deploymentId action webhookUrl minIntervalMinutes accuracyBelow { metric threshold } maxModelAgeDays dataWindowDays enabled onDriftRed } } }`,
      { d: d.deploymentId },
    );
    expect(set.errors).toBeUndefined();
    expect(set.data!.setRefreshPolicy.secret).toMatch(/^whsec_/);
    expect(set.data!.setRefreshPolicy.policy).toEqual({
      deploymentId: d.deploymentId,
      action: 'WEBHOOK',
      webhookUrl: 'https://retrain.example.com/hook',
      minIntervalMinutes: 30,
      accuracyBelow: { metric: 'f1', threshold: 0.7 },
      maxModelAgeDays: 60,
      dataWindowDays: 7,
      enabled: true,
      onDriftRed: false,
    });

    const read = await gql<{ refreshPolicy: { action: string; lastRunAt: string | null } }>('viewer', `query($d: ID!) { refreshPolicy(deploymentId: $d) { action lastRunAt } }`, { d: d.deploymentId });
    expect(read.data).toEqual({ refreshPolicy: { action: 'WEBHOOK', lastRunAt: null } });

    const denied = await gql('viewer', `mutation($d: ID!) { triggerRefresh(deploymentId: $d, reason: "please") { id } }`, { d: d.deploymentId });
    expect(denied.errors![0]!.message).toContain('You may not update Deployment');

    const run = await gql<{ triggerRefresh: { id: string; triggerKind: string; reason: string; state: string } }>(
      'engineer',
      `mutation($d: ID!) { triggerRefresh(deploymentId: $d, reason: "new labels") { id triggerKind reason state } }`,
      { d: d.deploymentId },
    );
    expect(run.data!.triggerRefresh).toMatchObject({ triggerKind: 'MANUAL', reason: 'new labels', state: 'PENDING' });
    const runs = await gql<{ refreshRuns: { id: string }[] }>('viewer', `query($d: ID!) { refreshRuns(deploymentId: $d, first: 5) { id } }`, { d: d.deploymentId });
    expect(runs.data!.refreshRuns).toEqual([{ id: run.data!.triggerRefresh.id }]);
    const tooSoon = await gql('engineer', `mutation($d: ID!) { triggerRefresh(deploymentId: $d, reason: "again") { id } }`, { d: d.deploymentId });
    expect(tooSoon.errors![0]!.message).toContain('at least 30 minutes between runs');

    const bad = await gql('engineer', `mutation($d: ID!) { setRefreshPolicy(deploymentId: $d, input: { minIntervalMinutes: 0, action: "QUEUE" }) { secret } }`, { d: d.deploymentId });
    expect(bad.errors![0]!.message).toContain('minIntervalMinutes must be a whole number of minutes from 1 to 525600');

    const deleted = await gql<{ deleteRefreshPolicy: boolean }>('engineer', `mutation($d: ID!) { deleteRefreshPolicy(deploymentId: $d) }`, { d: d.deploymentId });
    expect(deleted.data).toEqual({ deleteRefreshPolicy: true });
    expect((await gql('viewer', `query($d: ID!) { refreshPolicy(deploymentId: $d) { id } }`, { d: d.deploymentId })).data).toEqual({ refreshPolicy: null });
  });

  it('lists deployments needing attention, and keeps the evaluation for platform admins', async () => {
    await db.dataSource.query(`INSERT INTO deployment_attention (deployment_id, project_id, kind, reason, since) VALUES ($1, $2, 'DRIFT_STATUS', 'DRIFT_STATUS fired: 2 (above 2 over 60 min)', '2026-11-02T10:00:00Z')`, [
      d.deploymentId,
      d.projectId,
    ]);
    const listed = await gql<{ deploymentsNeedingAttention: unknown[] }>('viewer', `{ deploymentsNeedingAttention { deploymentId deploymentName since reasons { kind reason alertId since } } }`);
    expect(listed.data!.deploymentsNeedingAttention).toEqual([
      {
        deploymentId: d.deploymentId,
        deploymentName: d.deploymentName,
        since: '2026-11-02T10:00:00.000Z',
        reasons: [{ kind: 'DRIFT_STATUS', reason: 'DRIFT_STATUS fired: 2 (above 2 over 60 min)', alertId: null, since: '2026-11-02T10:00:00.000Z' }],
      },
    ]);

    const refused = await gql('engineer', `mutation { evaluateRefreshPoliciesNow }`);
    expect(refused.errors![0]!.message).toContain('Only platform admins');
    expect((await gql<{ evaluateRefreshPoliciesNow: number }>('platform-admin', `mutation { evaluateRefreshPoliciesNow }`)).data).toEqual({ evaluateRefreshPoliciesNow: 0 });
  });
});
