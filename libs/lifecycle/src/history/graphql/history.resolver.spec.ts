import type { Caller } from '@modelport/governance';
import type { RefreshReportService, StaleModelsReport } from '../domain/refresh-report.service';
import type { TimelineService } from '../domain/timeline.service';
import type { TimelineEntry } from '../domain/timeline.types';
import { StaleProductionModelObject, TimelineEntryObject } from './history.objects';
import { HistoryResolver } from './history.resolver';

const caller = { principal: { userId: 'u' } } as unknown as Caller;
const entry: TimelineEntry = {
  id: 'deployment-events:00000000000000000007',
  source: 'deployment-events',
  at: new Date('2026-11-02T10:21:00Z'),
  category: 'VERSION',
  kind: 'version-replaced',
  actor: { id: 'a', name: 'Alice' },
  detail: 'version 2 on plugin onnx',
  reason: 'better',
  text: 'better',
  fromVersion: { id: 'v1', version: 1 },
  toVersion: { id: 'v2', version: null },
  reference: { type: 'change-request', id: 'cr' },
};

describe('HistoryResolver', () => {
  it('passes the timeline arguments through and maps entries and page info', async () => {
    const timeline = { timeline: jest.fn(async () => ({ items: [entry], hasNextPage: true, endCursor: 'c1' })) };
    const resolver = new HistoryResolver(timeline as unknown as TimelineService, {} as RefreshReportService);
    const from = new Date('2026-11-01T00:00:00Z');
    const result = await resolver.deploymentTimeline(caller, 'd1', { first: 5, after: 'c0' }, from, null, ['VERSION']);
    expect(timeline.timeline).toHaveBeenCalledWith(caller, 'd1', { from, to: null, categories: ['VERSION'], first: 5, after: 'c0' });
    expect(result.pageInfo).toEqual({ hasNextPage: true, endCursor: 'c1' });
    expect(result.nodes[0]).toBeInstanceOf(TimelineEntryObject);
    expect(result.nodes[0]).toMatchObject({
      id: entry.id,
      category: 'VERSION',
      actor: { id: 'a', name: 'Alice' },
      text: 'better',
      fromVersion: { id: 'v1', version: 1 },
      toVersion: { id: 'v2', version: null },
      reference: { type: 'change-request', id: 'cr' },
    });
  });

  it('passes the report arguments through and maps its rows', async () => {
    const report: StaleModelsReport = {
      asOf: new Date('2026-06-01T00:00:00Z'),
      olderThanDays: 90,
      totalCount: 1,
      models: [
        {
          deploymentId: 'd',
          deploymentName: 'n',
          projectId: 'p',
          modelId: 'm',
          modelName: 'mn',
          championVersionId: 'v',
          championVersion: 3,
          registeredAt: new Date('2026-01-01T00:00:00Z'),
          servingSince: null,
          ageDays: 151,
          everRefreshed: false,
          lastRefreshAt: null,
          reasons: ['never refreshed', 'champion is 151 days old (threshold 90)'],
          reason: 'never refreshed; champion is 151 days old (threshold 90)',
        },
      ],
    };
    const service = { staleModels: jest.fn(async () => report) };
    const resolver = new HistoryResolver({} as TimelineService, service as unknown as RefreshReportService);
    const result = await resolver.staleProductionModels(caller, 90, 'p', 10);
    expect(service.staleModels).toHaveBeenCalledWith(caller, { olderThanDays: 90, projectId: 'p', first: 10 });
    expect(result).toMatchObject({ olderThanDays: 90, totalCount: 1, asOf: report.asOf });
    expect(result.models[0]).toBeInstanceOf(StaleProductionModelObject);
    expect(result.models[0]).toMatchObject({ ageDays: 151, reasons: report.models[0]!.reasons, reason: report.models[0]!.reason, servingSince: null });
  });
});
