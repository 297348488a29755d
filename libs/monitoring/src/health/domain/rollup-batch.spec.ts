import { randomUUID } from 'node:crypto';
import type { PredictionLogRow } from '@modelport/serving';
import { NO_MODEL_VERSION } from './health.types';
import { latencyBucket } from './latency-histogram';
import { RollupBatch } from './rollup-batch';

const D1 = '11111111-1111-4111-8111-111111111111';
const D2 = '22222222-2222-4222-8222-222222222222';
const V1 = 'aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa';
const U1 = 'cccccccc-cccc-4ccc-8ccc-cccccccccccc';
const U2 = 'dddddddd-dddd-4ddd-8ddd-dddddddddddd';
const T0 = Date.UTC(2026, 10, 27, 10, 15, 0);

function row(overrides: Partial<PredictionLogRow> = {}): PredictionLogRow {
  return {
    id: randomUUID(),
    receivedAt: new Date(T0 + 5_000),
    deploymentId: D1,
    deploymentName: 'scorer',
    projectId: randomUUID(),
    modelId: randomUUID(),
    modelVersionId: V1,
    modelVersion: 1,
    artifactSha256: 'ab'.repeat(32),
    pluginId: 'fake',
    pluginVersion: '1',
    requestId: null,
    protocol: 'rest',
    consumerId: U1,
    status: 'ok',
    errorStatus: null,
    errorMessage: null,
    latencyUs: 1000,
    inputRows: 1,
    payloadStored: false,
    inputs: null,
    outputs: null,
    parameters: null,
    ...overrides,
  };
}

describe('RollupBatch', () => {
  it('counts requests, predictions, error classes, latency and distinct consumers per deployment, minute and version', () => {
    const batch = new RollupBatch();
    batch.add([
      row({ inputRows: 3, latencyUs: 2000 }),
      row({ inputRows: null, latencyUs: 1000.4, consumerId: U2 }),
      row({ inputRows: 0, consumerId: null }),
      row({ status: 'error', errorStatus: 400, inputRows: 5, latencyUs: 40 }),
      row({ status: 'error', errorStatus: 404, modelVersionId: null, latencyUs: 30 }),
      row({ status: 'error', errorStatus: 503, latencyUs: 9000 }),
      row({ status: 'error', errorStatus: null, latencyUs: 10 }),
      row({ receivedAt: new Date(T0 + 60_000), latencyUs: -3 }),
      row({ deploymentId: D2, deploymentName: 'other', latencyUs: 1e12 }),
    ]);
    expect(batch.rows).toBe(9);
    const minutes = batch.minutes();
    expect(minutes.map((m) => [m.deploymentId, new Date(m.minute).toISOString(), m.modelVersionKey])).toEqual([
      [D1, '2026-11-27T10:15:00.000Z', NO_MODEL_VERSION],
      [D1, '2026-11-27T10:15:00.000Z', V1],
      [D1, '2026-11-27T10:16:00.000Z', V1],
      [D2, '2026-11-27T10:15:00.000Z', V1],
    ]);
    const [noVersion, main, next, other] = minutes;
    expect(noVersion).toMatchObject({ requests: 1, predictions: 0, errors4xx: 1, errors5xx: 0, latencySumUs: 30, latencyMaxUs: 30 });
    expect(main).toMatchObject({ requests: 6, predictions: 3 + 1 + 0, errors4xx: 1, errors5xx: 2, latencySumUs: 2000 + 1000 + 1000 + 40 + 9000 + 10, latencyMaxUs: 9000 });
    expect([...main!.consumers].sort()).toEqual([U1, U2]);
    expect(main!.histogram.total).toBe(6);
    expect(main!.histogram.buckets()).toContainEqual([latencyBucket(1000), 2]);
    expect(next).toMatchObject({ requests: 1, latencySumUs: 0, latencyMaxUs: 0 });
    expect(other).toMatchObject({ requests: 1, latencyMaxUs: 2_147_483_647 });
    expect(batch.totals()).toEqual([
      { deploymentId: D1, deploymentName: 'scorer', requests: 8, predictions: 5, errors4xx: 2, errors5xx: 2, lastMinute: T0 + 60_000 },
      { deploymentId: D2, deploymentName: 'other', requests: 1, predictions: 1, errors4xx: 0, errors5xx: 0, lastMinute: T0 },
    ]);
    expect(batch.span()).toEqual({ from: '2026-11-27T10:15:00.000Z', to: '2026-11-27T10:17:00.000Z', deploymentIds: [D1, D2] });
  });

  it('is empty until rows are added', () => {
    const batch = new RollupBatch();
    expect([batch.isEmpty, batch.rows, batch.minutes(), batch.totals(), batch.span()]).toEqual([true, 0, [], [], null]);
  });

  it('takes the latest deployment name for the totals', () => {
    const batch = new RollupBatch();
    batch.add([row(), row({ deploymentName: 'renamed' })]);
    expect(batch.totals()[0]!.deploymentName).toBe('renamed');
  });
});
