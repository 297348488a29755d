import { randomUUID } from 'node:crypto';
import { AlertKind, AlertService, AlertSignalRegistry, type AlertRuleEntity } from '@modelport/monitoring';
import { silentLogger } from '@modelport/observability';
import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { connectRefresh } from '../refresh.providers';
import { callerOf, FakeShadowAttacher, FakeSignals, manualClock, refreshTestSchema, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../refresh.fixture';
import { AttentionService } from './attention.service';
import { RefreshErrorCode } from './refresh.errors';
import { RefreshService } from './refresh.service';

const T0 = new Date('2026-11-02T10:00:00Z');

describe('deployments needing attention, from alerts, against PostgreSQL', () => {
  let db: TestDatabase;
  let alerts: AlertService;
  let attention: AttentionService;
  let disconnect: () => void;
  const clock = manualClock(T0);
  /** The value each rule reads, by `${kind}/${metric}` and deployment. */
  const values = new Map<string, number | null>();
  const key = (rule: Pick<AlertRuleEntity, 'deploymentId' | 'kind' | 'metric'>) => `${rule.deploymentId}/${rule.kind}/${rule.metric ?? ''}`;
  const set = (d: SeededDeployment, kind: string, value: number, metric: string | null = null) => values.set(key({ deploymentId: d.deploymentId, kind, metric }), value);
  const engineer = (d: SeededDeployment) => callerOf(d.creatorId, [[d.projectId, 'ml-engineer']]);
  const inbox = (deploymentId: string) =>
    db.dataSource.query(
      `SELECT user_id::text AS user_id, alert_id::text AS alert_id, title, body FROM notifications WHERE event = 'deployment.needs-attention' AND body->'deployment'->>'id' = $1 ORDER BY created_at, user_id`,
      [deploymentId],
    ) as Promise<{ user_id: string; alert_id: string; title: string; body: Record<string, unknown> }[]>;
  const marks = (deploymentId: string) =>
    db.dataSource.query(`SELECT kind, alert_id::text AS alert_id, reason, since, cleared_at FROM deployment_attention WHERE deployment_id = $1 ORDER BY since, kind`, [deploymentId]) as Promise<
      { kind: string; alert_id: string | null; reason: string; since: Date; cleared_at: Date | null }[]
    >;
  const openAlert = async (d: SeededDeployment, kind: string, metric: string | null = null) => {
    const [row] = (await db.dataSource.query(
      `SELECT a.id::text AS id FROM alerts a JOIN alert_rules r ON r.id = a.rule_id WHERE a.deployment_id = $1 AND a.kind = $2 AND r.metric IS NOT DISTINCT FROM $3 AND a.resolved_at IS NULL`,
      [d.deploymentId, kind, metric],
    )) as { id: string }[];
    return row?.id ?? null;
  };

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    const lookup = new SqlDeploymentLookup(db.dataSource);
    const signals = new AlertSignalRegistry();
    for (const kind of [AlertKind.DRIFT_STATUS, AlertKind.ACCURACY, AlertKind.MISSING_ACTUALS, AlertKind.ERROR_RATE]) signals.register(kind, async (rule) => values.get(key(rule)) ?? null);
    alerts = new AlertService(db.dataSource, { enqueue: async () => 'unused' }, lookup as unknown as ConstructorParameters<typeof AlertService>[2], signals, { logger: silentLogger(), maxPageSize: 50, clock });
    attention = new AttentionService(db.dataSource, silentLogger());
    const refresh = new RefreshService(db.dataSource, { enqueue: async () => 'unused' }, lookup, new FakeSignals(), new FakeShadowAttacher(), {
      logger: silentLogger(),
      maxPageSize: 50,
      publicUrl: () => 'http://modelport.test',
    });
    const registry = { onVersionRegistered: () => () => undefined };
    disconnect = connectRefresh({ alerts, registry, attention, refresh });
  });
  afterAll(async () => {
    disconnect();
    await db.drop();
  });

  it('marks the deployment when a drift alert fires, tells the model owner and the deployment creator once, and clears the mark when it resolves', async () => {
    const d = await seedDeployment(db.dataSource);
    await alerts.createRule(engineer(d), d.deploymentId, { kind: 'DRIFT_STATUS', threshold: 2, windowMinutes: 60 });
    await alerts.createRule(engineer(d), d.deploymentId, { kind: 'ERROR_RATE', threshold: 0.1, windowMinutes: 5 });
    set(d, 'DRIFT_STATUS', 2);
    set(d, 'ERROR_RATE', 0.5);
    clock.set(T0);
    await alerts.evaluate();

    const alertId = await openAlert(d, 'DRIFT_STATUS');
    // ERROR_RATE is the service's health, not the model's decay: no mark for it.
    expect(await marks(d.deploymentId)).toEqual([{ kind: 'DRIFT_STATUS', alert_id: alertId, reason: 'DRIFT_STATUS fired: 2 (above 2 over 60 min)', since: T0, cleared_at: null }]);
    const notices = await inbox(d.deploymentId);
    expect(notices.map((n) => n.user_id).sort()).toEqual([d.ownerId, d.creatorId].sort());
    expect(notices[0]).toMatchObject({
      alert_id: alertId,
      title: `${d.deploymentName} needs attention: DRIFT_STATUS fired: 2 (above 2 over 60 min)`,
      body: { event: 'deployment.needs-attention', kind: 'DRIFT_STATUS', deployment: { id: d.deploymentId, name: d.deploymentName, projectId: d.projectId }, alert: { id: alertId } },
    });

    const listed = await attention.needingAttention(engineer(d), d.projectId);
    expect(listed).toEqual([
      {
        deploymentId: d.deploymentId,
        deploymentName: d.deploymentName,
        projectId: d.projectId,
        since: T0,
        reasons: [{ kind: 'DRIFT_STATUS', reason: 'DRIFT_STATUS fired: 2 (above 2 over 60 min)', alertId, since: T0 }],
      },
    ]);
    expect(await attention.needingAttention(callerOf(randomUUID(), [[d.projectId, 'viewer']]))).toMatchObject([{ deploymentId: d.deploymentId }]);
    // Those who cannot read the deployment do not see it.
    expect(await attention.needingAttention(callerOf(randomUUID(), [[randomUUID(), 'admin']]))).toEqual([]);

    // Still firing: the same mark, no new notice.
    clock.set(new Date(T0.getTime() + 60_000));
    await alerts.evaluate();
    expect(await marks(d.deploymentId)).toHaveLength(1);
    expect(await inbox(d.deploymentId)).toHaveLength(2);

    const resolvedAt = new Date(T0.getTime() + 120_000);
    clock.set(resolvedAt);
    set(d, 'DRIFT_STATUS', 0);
    await alerts.evaluate();
    expect(await marks(d.deploymentId)).toMatchObject([{ kind: 'DRIFT_STATUS', cleared_at: resolvedAt }]);
    expect(await attention.needingAttention(engineer(d), d.projectId)).toEqual([]);

    // A new episode is a new mark and a new notice.
    clock.set(new Date(T0.getTime() + 180_000));
    set(d, 'DRIFT_STATUS', 2);
    await alerts.evaluate();
    expect((await marks(d.deploymentId)).map((m) => m.cleared_at)).toEqual([resolvedAt, null]);
    expect(await inbox(d.deploymentId)).toHaveLength(4);
  });

  it('keeps one mark per kind: a second accuracy alert shares it and carries it when the first resolves; missing actuals get their own', async () => {
    const d = await seedDeployment(db.dataSource);
    await alerts.createRule(engineer(d), d.deploymentId, { kind: 'ACCURACY', metric: 'f1', threshold: 0.7, windowMinutes: 60 });
    await alerts.createRule(engineer(d), d.deploymentId, { kind: 'ACCURACY', metric: 'accuracy', threshold: 0.8, windowMinutes: 60 });
    await alerts.createRule(engineer(d), d.deploymentId, { kind: 'MISSING_ACTUALS', threshold: 0.5, windowMinutes: 60 });
    clock.set(T0);
    set(d, 'ACCURACY', 0.6, 'f1');
    await alerts.evaluate();
    const f1Alert = await openAlert(d, 'ACCURACY', 'f1');
    expect(await marks(d.deploymentId)).toEqual([{ kind: 'ACCURACY', alert_id: f1Alert, reason: 'ACCURACY (f1) fired: 0.6 (below 0.7 over 60 min)', since: T0, cleared_at: null }]);

    clock.set(new Date(T0.getTime() + 60_000));
    set(d, 'ACCURACY', 0.7, 'accuracy');
    set(d, 'MISSING_ACTUALS', 0.9);
    await alerts.evaluate();
    const accuracyAlert = await openAlert(d, 'ACCURACY', 'accuracy');
    expect(accuracyAlert).not.toBeNull();
    expect((await marks(d.deploymentId)).map((m) => [m.kind, m.alert_id])).toEqual([
      ['ACCURACY', f1Alert],
      ['MISSING_ACTUALS', await openAlert(d, 'MISSING_ACTUALS')],
    ]);
    expect((await inbox(d.deploymentId)).map((n) => (n.body as { kind: string }).kind)).toEqual(['ACCURACY', 'ACCURACY', 'MISSING_ACTUALS', 'MISSING_ACTUALS']);
    expect((await attention.needingAttention(engineer(d)))[0]!.reasons.map((r) => r.kind)).toEqual(['ACCURACY', 'MISSING_ACTUALS']);

    // f1 recovers but accuracy is still low: the mark stays, now for the accuracy alert.
    clock.set(new Date(T0.getTime() + 120_000));
    set(d, 'ACCURACY', 0.9, 'f1');
    await alerts.evaluate();
    expect(await marks(d.deploymentId)).toMatchObject([
      { kind: 'ACCURACY', alert_id: accuracyAlert, reason: 'ACCURACY (accuracy) fired: 0.7 (below 0.8 over 60 min)', cleared_at: null },
      { kind: 'MISSING_ACTUALS', cleared_at: null },
    ]);

    clock.set(new Date(T0.getTime() + 180_000));
    set(d, 'ACCURACY', 0.95, 'accuracy');
    set(d, 'MISSING_ACTUALS', 0.1);
    await alerts.evaluate();
    expect((await marks(d.deploymentId)).map((m) => m.cleared_at)).toEqual([new Date(T0.getTime() + 180_000), new Date(T0.getTime() + 180_000)]);
    expect(await attention.needingAttention(engineer(d), d.projectId)).toEqual([]);
  });

  it('refuses a project id that is not one', async () => {
    const d = await seedDeployment(db.dataSource);
    expect(await caught(attention.needingAttention(engineer(d), 'project-1'))).toMatchObject({ code: RefreshErrorCode.INVALID_ARGUMENT, details: { field: 'projectId' } });
  });
});
