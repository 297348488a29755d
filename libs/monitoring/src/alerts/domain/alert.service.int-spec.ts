import type { DatabaseSchema } from '@modelport/database';
import { approvalEntities, approvalMigrations, governanceEntities, governanceMigrations, groupEntities, groupMigrations } from '@modelport/governance';
import { capturingLogger } from '@modelport/observability';
import { registryEntities, registryMigrations } from '@modelport/registry';
import { servingEntities, servingMigrations } from '@modelport/serving';
import { createTestDatabase, type TestDatabase } from '@modelport/testing';
import { callerOf, manualClock, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../../accuracy/accuracy.fixture';
import { monitoringEntities, monitoringMigrations } from '../../persistence';
import { AlertService, AlertSignalRegistry, type AlertEvent } from './alert.service';
import { AlertKind } from './alert.types';

const schema: DatabaseSchema = {
  entities: [...governanceEntities, ...groupEntities, ...approvalEntities, ...registryEntities, ...servingEntities, ...monitoringEntities],
  migrations: [...governanceMigrations, ...groupMigrations, ...approvalMigrations, ...registryMigrations, ...servingMigrations, ...monitoringMigrations],
};

describe('AlertService alert-event listeners against PostgreSQL', () => {
  let db: TestDatabase;
  let d: SeededDeployment;
  let alerts: AlertService;
  const clock = manualClock(new Date('2026-11-02T10:00:00Z'));
  const { logger, lines } = capturingLogger();
  let errorRate: number | null = 0;

  beforeAll(async () => {
    db = await createTestDatabase(schema);
    d = await seedDeployment(db.dataSource);
    const signals = new AlertSignalRegistry().register(AlertKind.ERROR_RATE, async () => errorRate);
    alerts = new AlertService(db.dataSource, { enqueue: async () => 'unused' }, new SqlDeploymentLookup(db.dataSource) as unknown as ConstructorParameters<typeof AlertService>[2], signals, { logger, maxPageSize: 100, clock });
    await alerts.createRule(callerOf(d.ownerId, [[d.projectId, 'ml-engineer']]), d.deploymentId, { kind: 'ERROR_RATE', threshold: 0.2, windowMinutes: 5 });
  });
  afterAll(() => db.drop());

  it('tells listeners when an alert fires and resolves, after the inbox; a failing listener is logged and the evaluation goes on', async () => {
    const seen: AlertEvent[] = [];
    const inboxAtCall: number[] = [];
    const stopFailing = alerts.onAlertEvent(() => {
      throw new Error('listener broke');
    });
    const stop = alerts.onAlertEvent(async (e) => {
      seen.push(e);
      const [{ n }] = (await db.dataSource.query(`SELECT count(*)::int AS n FROM notifications WHERE alert_id = $1 AND event = $2`, [e.alert.id, e.event])) as { n: number }[];
      inboxAtCall.push(n);
    });

    errorRate = 0.5;
    expect(await alerts.evaluate()).toEqual({ evaluated: 1, fired: 1, resolved: 0 });
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ event: 'alert.fired', alert: { deploymentId: d.deploymentId, kind: 'ERROR_RATE', openedValue: 0.5, resolvedAt: null }, rule: { state: 'FIRING', lastValue: 0.5 } });
    expect(inboxAtCall).toEqual([1]);
    const failures = lines.filter((l) => l.level === 50 && l.msg.includes('alert event listener failed'));
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ alert: seen[0]!.alert.id, event: 'alert.fired', err: { message: 'listener broke' } });

    // Still breaching: nothing new to tell.
    expect(await alerts.evaluate()).toEqual({ evaluated: 1, fired: 0, resolved: 0 });
    expect(seen).toHaveLength(1);

    clock.set(new Date('2026-11-02T10:05:00Z'));
    errorRate = 0.01;
    expect(await alerts.evaluate()).toEqual({ evaluated: 1, fired: 0, resolved: 1 });
    expect(seen.map((e) => e.event)).toEqual(['alert.fired', 'alert.resolved']);
    expect(seen[1]).toMatchObject({ alert: { id: seen[0]!.alert.id, resolvedAt: new Date('2026-11-02T10:05:00Z') }, rule: { state: 'OK' } });

    // Unsubscribed listeners hear nothing more.
    stop();
    stopFailing();
    errorRate = 0.9;
    expect(await alerts.evaluate()).toMatchObject({ fired: 1 });
    expect(seen).toHaveLength(2);
    expect(lines.filter((l) => l.level === 50 && l.msg.includes('alert event listener failed'))).toHaveLength(2);
  });
});
