import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { callerOf, historyTestSchema, Seeder } from '../history.fixture';
import { HistoryErrorCode } from './history.errors';
import { createTimelineService, type TimelineService } from './timeline.service';
import type { TimelineEntry, TimelineSource } from './timeline.types';

const at = (hhmmss: string) => new Date(`2026-11-02T${hhmmss}Z`);

describe('TimelineService against PostgreSQL', () => {
  let db: TestDatabase;
  let timeline: TimelineService;
  let seed: Seeder;
  const ids: Record<string, string> = {};
  let member: ReturnType<typeof callerOf>;
  let outsider: ReturnType<typeof callerOf>;

  const all = async (caller = member, deploymentId = ids['d']!, query: Parameters<TimelineService['timeline']>[2] = {}): Promise<TimelineEntry[]> =>
    (await timeline.timeline(caller, deploymentId, { first: 50, ...query })).items;
  const kinds = (entries: TimelineEntry[]) => entries.map((e) => e.kind);

  beforeAll(async () => {
    db = await createTestDatabase(historyTestSchema);
    seed = new Seeder(db.dataSource);
    timeline = createTimelineService(db.dataSource, { maxPageSize: 50 });

    const alice = (ids['alice'] = await seed.user('alice', 'Alice Doe'));
    const bob = (ids['bob'] = await seed.user('bob'));
    const carol = (ids['carol'] = await seed.user('carol', 'Carol C'));
    const project = (ids['project'] = await seed.project(alice));
    const model = await seed.model(project, alice);
    const v1 = (ids['v1'] = await seed.version(model, project, alice, 1, at('08:00:00')));
    const v2 = (ids['v2'] = await seed.version(model, project, alice, 2, at('08:10:00')));
    const v3 = (ids['v3'] = await seed.version(model, project, alice, 3, at('08:20:00')));
    const d = (ids['d'] = await seed.deployment({ projectId: project, modelId: model, versionId: v2, ownerId: alice, production: true }));

    await seed.event(d, 'created', at('09:00:00'), { actorId: alice, to: v1, detail: 'version 1' });
    await seed.event(d, 'ready', at('09:01:00'), { to: v1, detail: 'on plugin onnx' });

    const cr1 = (ids['cr1'] = await seed.changeRequest({ projectId: project, deploymentId: d, authorId: alice, summary: 'Serve version 2.', createdAt: at('10:00:00') }));
    await seed.requestEvent(cr1, 'created', at('10:00:00'), { actorId: alice, detail: 'Serve version 2.', to: 'PENDING' });
    await seed.review(cr1, bob, 'APPROVE', 'looks fine', at('10:10:00'));
    await seed.requestEvent(cr1, 'review-approved', at('10:10:00'), { actorId: bob, detail: 'approval 1 of 2: looks fine', from: 'PENDING', to: 'PENDING' });
    await seed.review(cr1, carol, 'APPROVE', 'ship it', at('10:20:00'));
    await seed.requestEvent(cr1, 'approved', at('10:20:00'), { actorId: carol, detail: 'approval 2 of 2: ship it', from: 'PENDING', to: 'APPROVED' });
    // The change and the request's "applied" at the same millisecond, from two sources.
    await seed.requestEvent(cr1, 'applied', at('10:21:00'), { from: 'APPROVED', to: 'APPLIED' });
    await seed.event(d, 'version-replaced', at('10:21:00'), { actorId: alice, from: v1, to: v2, detail: 'version 2 on plugin onnx', changeRequestId: cr1 });

    // Two events of one source at the same millisecond.
    await seed.event(d, 'canary-added', at('11:00:00'), { actorId: alice, to: v3, detail: 'canary version 3 at 10%', reason: 'try the new features' });
    await seed.event(d, 'traffic-changed', at('11:00:00'), { actorId: alice, detail: 'champion 90, canary version 3 10' });
    await seed.event(d, 'promoted', at('12:00:00'), { actorId: alice, from: v2, to: v3, detail: 'version 3 is the champion', reason: 'the canary looked better' });
    await seed.event(d, 'bake-started', at('12:00:00.500'), { detail: 'bake for 60 minutes' });
    ids['alert'] = await seed.alert({
      deploymentId: d,
      projectId: project,
      kind: 'ERROR_RATE',
      threshold: 0.05,
      comparison: 'above',
      windowMinutes: 15,
      openedAt: at('12:30:00'),
      openedValue: 0.123456,
      resolvedAt: at('13:00:00'),
      lastValue: 0.01,
    });
    await seed.event(d, 'auto-rolled-back', at('12:31:00'), { from: v3, to: v2, detail: 'back to version 2', reason: 'error rate 0.12 above 0.05' });
    await seed.event(d, 'note-added', at('13:30:00'), { actorId: alice, detail: 'a kind this timeline does not know yet' });
    const cr2 = (ids['cr2'] = await seed.changeRequest({ projectId: project, deploymentId: d, authorId: alice, summary: 'Serve version 3 again.', createdAt: at('14:00:00'), status: 'REJECTED' }));
    await seed.requestEvent(cr2, 'created', at('14:00:00'), { actorId: alice, detail: 'Serve version 3 again.', to: 'PENDING' });
    await seed.review(cr2, bob, 'REJECT', 'not again', at('14:05:00'));
    await seed.requestEvent(cr2, 'rejected', at('14:05:00'), { actorId: bob, detail: 'not again', from: 'PENDING', to: 'REJECTED' });

    // Another deployment of the same project: nothing of it may show in d's timeline.
    const other = (ids['other'] = await seed.deployment({ projectId: project, modelId: model, versionId: v1, ownerId: alice, production: true }));
    await seed.event(other, 'created', at('09:30:00'), { actorId: alice, to: v1 });
    await seed.alert({ deploymentId: other, projectId: project, kind: 'NO_TRAFFIC', threshold: 0, comparison: 'below', windowMinutes: 60, openedAt: at('12:45:00'), openedValue: 0 });
    const crOther = await seed.changeRequest({ projectId: project, deploymentId: other, authorId: alice, summary: 'Other.', createdAt: at('10:30:00') });
    await seed.requestEvent(crOther, 'created', at('10:30:00'), { actorId: alice, detail: 'Other.', to: 'PENDING' });

    member = callerOf(bob, [[project, 'viewer']]);
    const dave = await seed.user('dave');
    outsider = callerOf(dave, [[await seed.project(dave), 'admin']]);
  });
  afterAll(() => db.drop());

  const FULL = [
    'change-request-rejected',
    'change-request-created',
    'note-added',
    'alert-resolved',
    'auto-rolled-back',
    'alert-opened',
    'bake-started',
    'promoted',
    'traffic-changed',
    'canary-added',
    'version-replaced',
    'change-request-applied',
    'change-request-approved',
    'change-request-review-approved',
    'change-request-created',
    'ready',
    'created',
  ];

  it('merges deployment events, change requests and alerts newest first, ties by id', async () => {
    const entries = await all();
    expect(kinds(entries)).toEqual(FULL);
    for (let i = 1; i < entries.length; i++) expect(entries[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(entries[i]!.at.getTime());
    expect(new Set(entries.map((e) => e.id)).size).toBe(entries.length);
    expect(entries.map((e) => e.category)).toEqual([
      'APPROVAL',
      'APPROVAL',
      'DEPLOYMENT',
      'ALERT',
      'ROLLBACK',
      'ALERT',
      'BAKE',
      'VERSION',
      'TRAFFIC',
      'TRAFFIC',
      'VERSION',
      'APPROVAL',
      'APPROVAL',
      'APPROVAL',
      'APPROVAL',
      'DEPLOYMENT',
      'DEPLOYMENT',
    ]);
  });

  it('names actors (display name, else user name), versions with their numbers, and the change request behind a change', async () => {
    const byKind = new Map((await all()).map((e) => [e.kind, e]));
    expect(byKind.get('version-replaced')).toMatchObject({
      source: 'deployment-events',
      at: at('10:21:00'),
      actor: { id: ids['alice'], name: 'Alice Doe' },
      fromVersion: { id: ids['v1'], version: 1 },
      toVersion: { id: ids['v2'], version: 2 },
      reference: { type: 'change-request', id: ids['cr1'] },
      detail: 'version 2 on plugin onnx',
      reason: null,
      text: 'version 2 on plugin onnx',
    });
    expect(byKind.get('ready')).toMatchObject({ actor: null, fromVersion: null, toVersion: { id: ids['v1'], version: 1 }, reference: null });
    expect(byKind.get('auto-rolled-back')).toMatchObject({
      actor: null,
      fromVersion: { version: 3 },
      toVersion: { version: 2 },
      detail: 'back to version 2',
      reason: 'error rate 0.12 above 0.05',
      text: 'error rate 0.12 above 0.05',
    });
    expect(byKind.get('change-request-review-approved')!.actor!.name).toMatch(/^bob-/);
    expect(byKind.get('change-request-approved')).toMatchObject({
      source: 'change-requests',
      actor: { id: ids['carol'], name: 'Carol C' },
      detail: 'Change request approved (approval 2 of 2): Serve version 2.',
      reason: 'ship it',
      text: 'ship it',
      reference: { type: 'change-request', id: ids['cr1'] },
    });
    expect(byKind.get('change-request-rejected')).toMatchObject({ actor: { id: ids['bob'] }, reason: 'not again', reference: { id: ids['cr2'] } });
    expect(byKind.get('change-request-applied')).toMatchObject({ actor: null, detail: 'Change request applied: Serve version 2.', reason: null });
    const created = (await all()).filter((e) => e.kind === 'change-request-created').map((e) => e.detail);
    expect(created).toEqual([
      'Change request made (deployment.replace-version, needs 2 approvals from ml-engineer): Serve version 3 again.',
      'Change request made (deployment.replace-version, needs 2 approvals from ml-engineer): Serve version 2.',
    ]);
    expect(byKind.get('alert-opened')).toMatchObject({
      source: 'alerts',
      actor: null,
      detail: 'ERROR_RATE alert opened: 0.1235 is above the threshold 0.05 over 15 min',
      reference: { type: 'alert', id: ids['alert'] },
    });
    expect(byKind.get('alert-resolved')!.detail).toBe('ERROR_RATE alert resolved: last value 0.01 (threshold 0.05)');
    expect(byKind.get('note-added')).toMatchObject({ category: 'DEPLOYMENT', text: 'a kind this timeline does not know yet' });
  });

  it('pages with first/after through the same entries, ties included, whatever the page size', async () => {
    const expected = (await all()).map((e) => e.id);
    for (const first of [1, 2, 3, 5]) {
      const seen: string[] = [];
      let after: string | null = null;
      for (;;) {
        const page = await timeline.timeline(member, ids['d']!, { first, after });
        expect(page.items.length).toBeLessThanOrEqual(first);
        seen.push(...page.items.map((e) => e.id));
        if (!page.hasNextPage) break;
        after = page.endCursor;
      }
      expect(seen).toEqual(expected);
    }
  });

  it('pages through events stored with microseconds, several in one millisecond', async () => {
    const model = await seed.model(ids['project']!, ids['alice']!);
    const version = await seed.version(model, ids['project']!, ids['alice']!, 1, at('07:00:00'));
    const d = await seed.deployment({ projectId: ids['project']!, modelId: model, versionId: version, ownerId: ids['alice']! });
    for (const [kind, stamp] of [
      ['m1', '16:00:00.123456'],
      ['m2', '16:00:00.122999'],
      ['m3', '16:00:00.123789'],
      ['m4', '16:00:00.124500'],
      ['m5', '16:00:00.123001'],
    ]) {
      await db.dataSource.query(`INSERT INTO deployment_events (deployment_id, at, kind) VALUES ($1, $2::timestamptz, $3)`, [d, `2026-11-02T${stamp}Z`, kind]);
    }
    const expected = ['m4', 'm5', 'm3', 'm1', 'm2'];
    expect(kinds(await all(member, d))).toEqual(expected);
    const seen: string[] = [];
    let after: string | null = null;
    do {
      const page = await timeline.timeline(member, d, { first: 1, after });
      seen.push(...kinds(page.items));
      after = page.hasNextPage ? page.endCursor : null;
    } while (after);
    expect(seen).toEqual(expected);
    expect(kinds(await all(member, d, { from: at('16:00:00.123'), to: at('16:00:00.124') }))).toEqual(['m5', 'm3', 'm1']);
  });

  it('filters by category, also across pages', async () => {
    expect(kinds(await all(member, ids['d'], { categories: ['APPROVAL'] }))).toEqual([
      'change-request-rejected',
      'change-request-created',
      'change-request-applied',
      'change-request-approved',
      'change-request-review-approved',
      'change-request-created',
    ]);
    expect(kinds(await all(member, ids['d'], { categories: ['ALERT', 'ROLLBACK'] }))).toEqual(['alert-resolved', 'auto-rolled-back', 'alert-opened']);
    expect(kinds(await all(member, ids['d'], { categories: ['DEPLOYMENT'] }))).toEqual(['note-added', 'ready', 'created']);
    expect(kinds(await all(member, ids['d'], { categories: ['REFRESH'] }))).toEqual([]);
    const first = await timeline.timeline(member, ids['d']!, { categories: ['VERSION', 'TRAFFIC'], first: 2 });
    const second = await timeline.timeline(member, ids['d']!, { categories: ['VERSION', 'TRAFFIC'], first: 2, after: first.endCursor });
    expect([...kinds(first.items), ...kinds(second.items)]).toEqual(['promoted', 'traffic-changed', 'canary-added', 'version-replaced']);
    expect(second.hasNextPage).toBe(false);
  });

  it('keeps entries with from <= at < to', async () => {
    expect(kinds(await all(member, ids['d'], { from: at('10:21:00'), to: at('12:00:00') }))).toEqual([
      'traffic-changed',
      'canary-added',
      'version-replaced',
      'change-request-applied',
    ]);
    expect(kinds(await all(member, ids['d'], { from: at('13:00:00') }))).toEqual(['change-request-rejected', 'change-request-created', 'note-added', 'alert-resolved']);
    expect(kinds(await all(member, ids['d'], { to: at('09:01:00') }))).toEqual(['created']);
  });

  it("shows nothing of another deployment, and another project's caller gets NOT_FOUND", async () => {
    const entries = await all();
    expect(entries.filter((e) => e.kind === 'alert-opened')).toHaveLength(1);
    expect(kinds(await all(member, ids['other']))).toEqual(['alert-opened', 'change-request-created', 'created']);

    const invisible = await caught(timeline.timeline(outsider, ids['d']!));
    expect(invisible).toMatchObject({ code: 'DEPLOYMENT_NOT_FOUND', kind: 'NOT_FOUND' });
    const missing = await caught(timeline.timeline(member, '00000000-0000-4000-8000-000000000000'));
    expect(missing.code).toBe('DEPLOYMENT_NOT_FOUND');
    expect((await caught(timeline.timeline(member, 'not-an-id'))).code).toBe('DEPLOYMENT_NOT_FOUND');

    const admin = callerOf(ids['carol']!, [], true);
    expect(kinds(await all(admin))).toEqual(FULL);
  });

  it("keeps a deleted deployment's timeline for those who may read it", async () => {
    const model = await seed.model(ids['project']!, ids['alice']!);
    const version = await seed.version(model, ids['project']!, ids['alice']!, 1, at('07:00:00'));
    const gone = await seed.deployment({ projectId: ids['project']!, modelId: model, versionId: version, ownerId: ids['alice']!, deleted: true });
    await seed.event(gone, 'created', at('09:00:00'), { actorId: ids['alice'], to: version });
    await seed.event(gone, 'deleted', at('15:00:00'), { actorId: ids['alice'], from: version, reason: 'replaced by another deployment' });
    expect(kinds(await all(member, gone))).toEqual(['deleted', 'created']);
    expect((await caught(timeline.timeline(outsider, gone))).code).toBe('DEPLOYMENT_NOT_FOUND');
  });

  it('takes one more source with registerSource (refresh runs) and merges it in', async () => {
    const withRefresh = createTimelineService(db.dataSource, { maxPageSize: 50 });
    const asked: string[] = [];
    const refreshRuns: TimelineSource = async (deploymentId, range) => {
      asked.push(deploymentId);
      const runs = [
        { id: 'run-1', at: at('11:30:00'), category: 'REFRESH' as const, kind: 'refresh-succeeded', actor: null, detail: 'retrained on October data', reason: 'accuracy decayed' },
      ];
      return runs
        .filter((r) => (!range.from || r.at >= range.from) && (!range.to || r.at < range.to))
        .map((r) => ({ ...r, fromVersion: null, toVersion: { id: ids['v3']!, version: 3 }, reference: { type: 'refresh-run', id: r.id } }));
    };
    withRefresh.registerSource('refresh-runs', refreshRuns);
    expect(withRefresh.sourceNames()).toEqual(['deployment-events', 'change-requests', 'alerts', 'refresh-runs']);
    const entries = (await withRefresh.timeline(member, ids['d']!, { first: 50 })).items;
    expect(kinds(entries)).toEqual([...FULL.slice(0, 8), 'refresh-succeeded', ...FULL.slice(8)]);
    expect(entries[8]).toMatchObject({ id: 'refresh-runs:run-1', category: 'REFRESH', text: 'accuracy decayed', reference: { type: 'refresh-run', id: 'run-1' } });
    expect(asked.every((id) => id === ids['d'])).toBe(true);
    expect(kinds((await withRefresh.timeline(member, ids['d']!, { categories: ['REFRESH'] })).items)).toEqual(['refresh-succeeded']);

    expect((await caught(Promise.resolve().then(() => withRefresh.registerSource('alerts', refreshRuns)))).code).toBe(HistoryErrorCode.TIMELINE_SOURCE_CONFLICT);
    expect((await caught(Promise.resolve().then(() => withRefresh.registerSource('Bad Name', refreshRuns)))).code).toBe(HistoryErrorCode.TIMELINE_SOURCE_CONFLICT);
  });

  it('refuses bad input with what to send, before reading anything', async () => {
    const reversed = await caught(timeline.timeline(member, ids['d']!, { from: at('12:00:00'), to: at('11:00:00') }));
    expect(reversed).toMatchObject({ code: HistoryErrorCode.INVALID_ARGUMENT, kind: 'BAD_USER_INPUT', details: { field: 'from' } });
    expect(reversed.message).toContain('must be before to');
    expect((await caught(timeline.timeline(member, ids['d']!, { from: at('12:00:00'), to: at('12:00:00') }))).code).toBe(HistoryErrorCode.INVALID_ARGUMENT);
    expect((await caught(timeline.timeline(member, ids['d']!, { from: new Date('nope') }))).message).toContain('valid ISO 8601');

    const category = await caught(timeline.timeline(member, ids['d']!, { categories: ['ALERT', 'ALERTS'] }));
    expect(category).toMatchObject({ code: HistoryErrorCode.INVALID_ARGUMENT, details: { field: 'categories' } });
    expect(category.message).toBe('Unknown category "ALERTS"; send any of VERSION, TRAFFIC, APPROVAL, ROLLBACK, ALERT, REFRESH, BAKE, DEPLOYMENT (or none for all).');

    expect((await caught(timeline.timeline(member, ids['d']!, { first: 0 }))).code).toBe('INVALID_PAGE_SIZE');
    expect((await caught(timeline.timeline(member, ids['d']!, { first: 51 }))).code).toBe('PAGE_SIZE_TOO_LARGE');
    expect((await caught(timeline.timeline(member, ids['d']!, { after: 'garbage' }))).code).toBe('INVALID_CURSOR');
    const forged = Buffer.from(JSON.stringify(['not a date', 'x:1'])).toString('base64url');
    expect((await caught(timeline.timeline(member, ids['d']!, { after: forged }))).code).toBe('INVALID_CURSOR');
    // The outsider's bad input is refused as bad input too: no hint whether the deployment exists.
    expect((await caught(timeline.timeline(outsider, ids['d']!, { categories: ['X'] }))).code).toBe(HistoryErrorCode.INVALID_ARGUMENT);
  });
});
