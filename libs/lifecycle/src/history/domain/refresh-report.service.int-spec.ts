import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { callerOf, day, historyTestSchema, manualClock, Seeder } from '../history.fixture';
import { HistoryErrorCode } from './history.errors';
import { RefreshReportService } from './refresh-report.service';

const NOW = new Date('2026-06-01T00:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const HOUR = 3_600_000;

describe('RefreshReportService against PostgreSQL', () => {
  let db: TestDatabase;
  let seed: Seeder;
  let report: RefreshReportService;
  const clock = manualClock(NOW);
  const ids: Record<string, string> = {};
  let member: ReturnType<typeof callerOf>;
  let outsider: ReturnType<typeof callerOf>;
  let admin: ReturnType<typeof callerOf>;

  /** A model with versions registered at the given times (with lineage), and a deployment serving `champion` (1-based). */
  async function production(
    key: string,
    projectId: string,
    versions: { at: Date; lineage?: Record<string, unknown> }[],
    champion: number,
    deployment: { production?: boolean; state?: string; deleted?: boolean } = {},
  ): Promise<{ deploymentId: string; versionIds: string[] }> {
    const model = await seed.model(projectId, ids['alice']!, `model-${key}`);
    const versionIds: string[] = [];
    for (const [i, v] of versions.entries()) versionIds.push(await seed.version(model, projectId, ids['alice']!, i + 1, v.at, v.lineage ?? {}));
    const deploymentId = await seed.deployment({
      projectId,
      modelId: model,
      versionId: versionIds[champion - 1]!,
      ownerId: ids['alice']!,
      production: deployment.production ?? true,
      state: deployment.state,
      deleted: deployment.deleted,
      name: `deploy-${key}`,
    });
    ids[key] = deploymentId;
    return { deploymentId, versionIds };
  }

  beforeAll(async () => {
    db = await createTestDatabase(historyTestSchema);
    seed = new Seeder(db.dataSource);
    report = new RefreshReportService(db.dataSource, { maxPageSize: 50 }, clock);
    const alice = (ids['alice'] = await seed.user('alice'));
    const p1 = (ids['p1'] = await seed.project(alice));
    const p2 = (ids['p2'] = await seed.project(alice));

    // Never refreshed, champion 100 days old.
    let d = await production('old-never', p1, [{ at: ago(day(100)) }], 1);
    await seed.event(d.deploymentId, 'ready', ago(day(99)), { to: d.versionIds[0] });
    // Refreshed 10 days ago (lineage trigger) and promoted.
    d = await production('young-refreshed', p1, [{ at: ago(day(200)) }, { at: ago(day(10)), lineage: { trigger: 'refresh policy nightly' } }], 2);
    await seed.event(d.deploymentId, 'ready', ago(day(199)), { to: d.versionIds[0] });
    await seed.event(d.deploymentId, 'promoted', ago(day(9)), { from: d.versionIds[0], to: d.versionIds[1] });
    // Refreshed (a refresh run's version), but 120 days ago.
    d = await production('old-refreshed', p1, [{ at: ago(day(300)) }, { at: ago(day(120)), lineage: { refreshRunId: 'run-7' } }], 2);
    await seed.event(d.deploymentId, 'ready', ago(day(299)), { to: d.versionIds[0] });
    await seed.event(d.deploymentId, 'version-replaced', ago(day(119)), { from: d.versionIds[0], to: d.versionIds[1] });
    // Never refreshed, young.
    d = await production('young-never', p1, [{ at: ago(day(5)) }], 1);
    await seed.event(d.deploymentId, 'ready', ago(day(5) - HOUR), { to: d.versionIds[0] });
    // Its version was replaced (no lineage): that is a refresh too. 50 days old.
    d = await production('replaced', p1, [{ at: ago(day(400)) }, { at: ago(day(50)) }], 2);
    await seed.event(d.deploymentId, 'version-replaced', ago(day(49)), { from: d.versionIds[0], to: d.versionIds[1] });
    // 90 days and one hour old: 90 whole days; its only version came from a refresh.
    await production('boundary', p1, [{ at: ago(day(90) + HOUR), lineage: { trigger: 'scheduled retraining' } }], 1);
    // A blank trigger is no refresh.
    await production('blank-trigger', p1, [{ at: ago(day(30)), lineage: { trigger: '  ' } }], 1);
    // Not in production: never listed.
    await production('not-production', p1, [{ at: ago(day(500)) }], 1, { production: false });
    await production('deleted', p1, [{ at: ago(day(500)) }], 1, { deleted: true });
    await production('awaiting-approval', p1, [{ at: ago(day(500)) }], 1, { state: 'AWAITING_APPROVAL' });
    // Another project.
    await production('elsewhere', p2, [{ at: ago(day(365)) }], 1);

    member = callerOf(await seed.user('bob'), [[p1, 'viewer']]);
    const dave = await seed.user('dave');
    outsider = callerOf(dave, [[await seed.project(dave), 'admin']]);
    admin = callerOf(await seed.user('root'), [], true);
  });
  afterAll(() => db.drop());

  it('lists production models never refreshed or older than the threshold, oldest champion first, with a reason each', async () => {
    const result = await report.staleModels(member, { olderThanDays: 90 });
    expect(result).toMatchObject({ asOf: NOW, olderThanDays: 90, totalCount: 4 });
    expect(result.models.map((m) => [m.deploymentName, m.reason])).toEqual([
      ['deploy-old-refreshed', 'champion is 120 days old (threshold 90)'],
      ['deploy-old-never', 'never refreshed; champion is 100 days old (threshold 90)'],
      ['deploy-blank-trigger', 'never refreshed'],
      ['deploy-young-never', 'never refreshed'],
    ]);
    const [oldRefreshed, oldNever] = result.models;
    expect(oldRefreshed).toMatchObject({
      deploymentId: ids['old-refreshed'],
      projectId: ids['p1'],
      modelName: 'model-old-refreshed',
      championVersion: 2,
      registeredAt: ago(day(120)),
      servingSince: ago(day(119)),
      ageDays: 120,
      everRefreshed: true,
      lastRefreshAt: ago(day(119)),
      reasons: ['champion is 120 days old (threshold 90)'],
    });
    expect(oldNever).toMatchObject({
      championVersion: 1,
      registeredAt: ago(day(100)),
      servingSince: ago(day(99)),
      ageDays: 100,
      everRefreshed: false,
      lastRefreshAt: null,
      reasons: ['never refreshed', 'champion is 100 days old (threshold 90)'],
    });
  });

  it('compares whole days with the threshold: older than N days means more than N whole days', async () => {
    const at90 = await report.staleModels(member, { olderThanDays: 90 });
    expect(at90.models.map((m) => m.deploymentName)).not.toContain('deploy-boundary');
    const at89 = await report.staleModels(member, { olderThanDays: 89 });
    expect(at89.models.find((m) => m.deploymentName === 'deploy-boundary')).toMatchObject({
      ageDays: 90,
      everRefreshed: true,
      lastRefreshAt: ago(day(90) + HOUR),
      servingSince: null,
      reason: 'champion is 90 days old (threshold 89)',
    });
  });

  it('counts a replaced or promoted version as a refresh, and reports since when the champion serves', async () => {
    const at40 = await report.staleModels(member, { olderThanDays: 40 });
    expect(at40.models.find((m) => m.deploymentName === 'deploy-replaced')).toMatchObject({
      everRefreshed: true,
      lastRefreshAt: ago(day(49)),
      servingSince: ago(day(49)),
      reason: 'champion is 50 days old (threshold 40)',
    });
    const at5 = await report.staleModels(member, { olderThanDays: 5 });
    expect(at5.models.find((m) => m.deploymentName === 'deploy-young-refreshed')).toMatchObject({
      everRefreshed: true,
      lastRefreshAt: ago(day(9)),
      servingSince: ago(day(9)),
      reason: 'champion is 10 days old (threshold 5)',
    });
    // Never refreshed is listed whatever its age; 5 whole days is not older than 5.
    expect(at5.models.find((m) => m.deploymentName === 'deploy-young-never')!.reason).toBe('never refreshed');
    const at4 = await report.staleModels(member, { olderThanDays: 4 });
    expect(at4.models.find((m) => m.deploymentName === 'deploy-young-never')!.reason).toBe('never refreshed; champion is 5 days old (threshold 4)');
  });

  it('with threshold 0 lists every production model at least a day old, and never non-production, deleted or unapproved ones', async () => {
    const result = await report.staleModels(member, { olderThanDays: 0 });
    expect(result.models.map((m) => m.deploymentName)).toEqual([
      'deploy-old-refreshed',
      'deploy-old-never',
      'deploy-boundary',
      'deploy-replaced',
      'deploy-blank-trigger',
      'deploy-young-refreshed',
      'deploy-young-never',
    ]);
    expect(result.totalCount).toBe(7);
  });

  it('cuts to first but counts every match', async () => {
    const result = await report.staleModels(member, { olderThanDays: 90, first: 2 });
    expect(result.models.map((m) => m.deploymentName)).toEqual(['deploy-old-refreshed', 'deploy-old-never']);
    expect(result.totalCount).toBe(4);
  });

  it('shows each caller only the deployments they may read, and filters by project', async () => {
    const all = await report.staleModels(admin, { olderThanDays: 90 });
    expect(all.models.map((m) => m.deploymentName)).toEqual(['deploy-elsewhere', 'deploy-old-refreshed', 'deploy-old-never', 'deploy-blank-trigger', 'deploy-young-never']);
    expect((await report.staleModels(admin, { olderThanDays: 90, projectId: ids['p2'] })).models.map((m) => m.deploymentName)).toEqual(['deploy-elsewhere']);
    expect(await report.staleModels(member, { olderThanDays: 90, projectId: ids['p2'] })).toMatchObject({ totalCount: 0, models: [] });
    expect(await report.staleModels(outsider, { olderThanDays: 0 })).toMatchObject({ totalCount: 0, models: [] });
  });

  it('measures ages to the clock', async () => {
    clock.set(new Date(NOW.getTime() + day(30)));
    try {
      const result = await report.staleModels(member, { olderThanDays: 90 });
      expect(result.asOf).toEqual(new Date(NOW.getTime() + day(30)));
      expect(result.models.find((m) => m.deploymentName === 'deploy-young-never')!.ageDays).toBe(35);
      expect(result.models.map((m) => m.deploymentName)).toContain('deploy-boundary');
    } finally {
      clock.set(NOW);
    }
  });

  it('refuses bad input with what to send', async () => {
    const negative = await caught(report.staleModels(member, { olderThanDays: -1 }));
    expect(negative).toMatchObject({ code: HistoryErrorCode.INVALID_ARGUMENT, kind: 'BAD_USER_INPUT', details: { field: 'olderThanDays' } });
    expect(negative.message).toBe('olderThanDays must be a whole number of days from 0 to 36500 (got -1), e.g. 90.');
    expect((await caught(report.staleModels(member, { olderThanDays: 1.5 }))).code).toBe(HistoryErrorCode.INVALID_ARGUMENT);
    expect((await caught(report.staleModels(member, { olderThanDays: 36_501 }))).code).toBe(HistoryErrorCode.INVALID_ARGUMENT);
    const project = await caught(report.staleModels(member, { olderThanDays: 90, projectId: 'p1' }));
    expect(project).toMatchObject({ code: HistoryErrorCode.INVALID_ARGUMENT, details: { field: 'projectId' } });
    expect((await caught(report.staleModels(member, { olderThanDays: 90, first: 0 }))).code).toBe('INVALID_PAGE_SIZE');
    expect((await caught(report.staleModels(member, { olderThanDays: 90, first: 51 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
  });
});
