import { silentLogger } from '@modelport/observability';
import type { BakeSettings, DeploymentEntity } from '@modelport/serving';
import { bakeBreach, BakeWatcher, MIN_SCORED_FOR_ACCURACY, type BakeFigures } from './bake-watcher';

const settings = (over: Partial<BakeSettings> = {}): BakeSettings => ({
  minutes: 30,
  maxErrorRate: null,
  maxP99LatencyMs: null,
  rollbackOnDrift: null,
  accuracyMetric: null,
  accuracyThreshold: null,
  minRequests: 20,
  promotedAt: '2026-11-27T10:00:00.000Z',
  changeRequestId: null,
  ...over,
});
const healthy: BakeFigures = { requests: 100, errorRate: 0.01, p99LatencyMs: 12, driftStatus: 'green', accuracy: { value: 0.9, scored: 50 } };

describe('bakeBreach: when a new champion goes back', () => {
  it('stays while every watched figure is within its threshold', () => {
    expect(bakeBreach(settings({ maxErrorRate: 0.05, maxP99LatencyMs: 50, rollbackOnDrift: 'red', accuracyMetric: 'accuracy', accuracyThreshold: 0.8 }), healthy)).toBeNull();
  });

  it('rolls back on the error rate, the p99 latency, drift and accuracy, naming the figure and the limit', () => {
    expect(bakeBreach(settings({ maxErrorRate: 0.05 }), { ...healthy, errorRate: 0.08 })).toBe('error rate 8.00% over 100 requests is above the bake limit of 5.00%');
    expect(bakeBreach(settings({ maxP99LatencyMs: 10 }), healthy)).toBe('p99 latency 12.0 ms over 100 requests is above the bake limit of 10 ms');
    expect(bakeBreach(settings({ rollbackOnDrift: 'red' }), { ...healthy, driftStatus: 'red' })).toMatch(/drift status is red/);
    expect(bakeBreach(settings({ rollbackOnDrift: 'amber' }), { ...healthy, driftStatus: 'amber' })).toMatch(/drift status is amber/);
    expect(bakeBreach(settings({ rollbackOnDrift: 'red' }), { ...healthy, driftStatus: 'amber' })).toBeNull();
    expect(bakeBreach(settings({ accuracyMetric: 'accuracy', accuracyThreshold: 0.95 }), healthy)).toBe('accuracy 0.9000 over 50 scored predictions is below the bake threshold of 0.95');
  });

  it('reads error metrics the other way round: higher is worse', () => {
    expect(bakeBreach(settings({ accuracyMetric: 'rmse', accuracyThreshold: 0.5 }), { ...healthy, accuracy: { value: 0.7, scored: 40 } })).toMatch(/rmse 0.7000 .* above the bake threshold of 0.5/);
    expect(bakeBreach(settings({ accuracyMetric: 'rmse', accuracyThreshold: 0.5 }), { ...healthy, accuracy: { value: 0.3, scored: 40 } })).toBeNull();
  });

  it('does not judge on too little evidence', () => {
    expect(bakeBreach(settings({ maxErrorRate: 0.05, minRequests: 200 }), { ...healthy, errorRate: 0.5 })).toBeNull();
    expect(bakeBreach(settings({ accuracyMetric: 'accuracy', accuracyThreshold: 0.95 }), { ...healthy, accuracy: { value: 0.1, scored: MIN_SCORED_FOR_ACCURACY - 1 } })).toBeNull();
    expect(bakeBreach(settings({ maxErrorRate: 0.05 }), { ...healthy, requests: 0, errorRate: null })).toBeNull();
  });
});

describe('BakeWatcher', () => {
  const deployment = (id: string, bakeUntil: Date, s: BakeSettings) => ({ id, name: id, projectId: 'p', modelVersionId: 'v2', previousVersionId: 'v1', bakeUntil, bakeSettings: s }) as DeploymentEntity;
  const now = new Date('2026-11-27T10:10:00Z');

  it('rolls back a breaching champion with the breach as the reason and audits it; ends a clean bake whose time is up; leaves the rest', async () => {
    const calls: string[] = [];
    const audited: unknown[] = [];
    const baking = [
      deployment('breaching', new Date('2026-11-27T10:30:00Z'), settings({ maxErrorRate: 0.05 })),
      deployment('done', new Date('2026-11-27T10:05:00Z'), settings({ maxErrorRate: 0.05 })),
      deployment('still-baking', new Date('2026-11-27T10:30:00Z'), settings({ maxErrorRate: 0.05 })),
    ];
    const watcher = new BakeWatcher(
      {
        baking: async () => baking,
        autoRollback: async (id, reason) => (calls.push(`rollback ${id}: ${reason}`), baking[0]!),
        finishBake: async (id) => (calls.push(`finish ${id}`), true),
      },
      async (d) => (d.id === 'breaching' ? { ...healthy, errorRate: 0.2 } : healthy),
      silentLogger(),
      { append: async (e) => void audited.push(e) },
      { now: () => now },
    );
    expect(await watcher.check()).toEqual({ checked: 3, rolledBack: ['breaching'], passed: ['done'] });
    expect(calls).toEqual(['rollback breaching: automatic rollback during the bake period: error rate 20.00% over 100 requests is above the bake limit of 5.00%', 'finish done']);
    expect(audited).toEqual([expect.objectContaining({ action: 'deployment.auto-rollback', resourceId: 'breaching', actorId: null, outcome: 'ok' })]);
  });

  it('a deployment whose figures cannot be read is skipped this time, the others are still checked', async () => {
    const calls: string[] = [];
    const watcher = new BakeWatcher(
      {
        baking: async () => [deployment('broken', now, settings({ maxErrorRate: 0.05 })), deployment('done', now, settings({ maxErrorRate: 0.05 }))],
        autoRollback: async () => {
          throw new Error('not expected');
        },
        finishBake: async (id) => (calls.push(id), true),
      },
      async (d) => {
        if (d.id === 'broken') throw new Error('database away');
        return healthy;
      },
      silentLogger(),
      null,
      { now: () => now },
    );
    expect(await watcher.check()).toEqual({ checked: 2, rolledBack: [], passed: ['done'] });
    expect(calls).toEqual(['done']);
  });
});
