import { randomUUID } from 'node:crypto';
import type { RawRuleOf } from '@casl/ability';
import { createPolicyAbility, GovernanceErrorCode, type AppAbility, type Caller } from '@modelport/governance';
import { caught, createTestDatabase, type TestDatabase } from '@modelport/testing';
import { callerOf, insertPredictions, refreshTestSchema, seedDeployment, SqlDeploymentLookup, type SeededDeployment } from '../refresh.fixture';
import { LabelledDataService, type LabelledPrediction } from './labelled-data.service';
import { RefreshErrorCode } from './refresh.errors';

const at = (iso: string) => new Date(`2026-11-02T${iso}Z`);

/** A caller whose ability is exactly these rules (as stored policies would give). */
function callerWith(rules: RawRuleOf<AppAbility>[], projectId: string): Caller {
  const principal = { userId: randomUUID(), userName: 'policy-user', isPlatformAdmin: false, tokenId: 'test', memberships: new Map([[projectId, 'viewer' as const]]) };
  return { principal, ability: createPolicyAbility(rules) };
}

describe('LabelledDataService against PostgreSQL', () => {
  let db: TestDatabase;
  let d: SeededDeployment;
  let ids: string[];
  const consumer = randomUUID();

  async function read(service: LabelledDataService, caller: Caller, range: { from?: unknown; to?: unknown }): Promise<LabelledPrediction[]> {
    const lines: LabelledPrediction[] = [];
    for await (const line of await service.open(caller, d.deploymentId, range)) lines.push(JSON.parse(line) as LabelledPrediction);
    return lines;
  }

  beforeAll(async () => {
    db = await createTestDatabase(refreshTestSchema);
    d = await seedDeployment(db.dataSource);
    ids = await insertPredictions(db.dataSource, d, [
      { receivedAt: at('07:00:00'), features: [1.5, 2], actuals: [1] },
      { receivedAt: at('07:00:00'), features: [3, 4], actuals: ['cat', 'dog'], consumerId: consumer },
      { receivedAt: at('08:00:00'), features: [5, 6] },
      { receivedAt: at('08:10:00'), features: [7, 8], actuals: [0], role: 'shadow' },
      { receivedAt: at('08:20:00'), features: null, actuals: [1] },
      { receivedAt: at('08:30:00'), features: [9, 9], actuals: [1], status: 'error' },
      { receivedAt: new Date('2026-10-01T00:00:00Z'), features: [0, 0], actuals: [1] },
      { receivedAt: at('09:00:00'), features: [10, 11], actuals: [0.25] },
    ]);
    // Two rows in the same millisecond, apart by microseconds: the keyset must not repeat or skip one.
    await db.dataSource.query(`UPDATE predictions SET received_at = '2026-11-02T07:00:00.000600Z' WHERE id = $1`, [ids[0]]);
    await db.dataSource.query(`UPDATE predictions SET received_at = '2026-11-02T07:00:00.000900Z' WHERE id = $1`, [ids[1]]);
  });
  afterAll(() => db.drop());

  const expected = (): LabelledPrediction[] => [
    {
      predictionId: ids[0]!,
      receivedAt: '2026-11-02T07:00:00.000Z',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [1.5, 2] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
      actuals: [{ row: 0, value: 1 }],
    },
    {
      predictionId: ids[1]!,
      receivedAt: '2026-11-02T07:00:00.000Z',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [3, 4] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
      actuals: [
        { row: 0, value: 'cat' },
        { row: 1, value: 'dog' },
      ],
    },
    {
      predictionId: ids[7]!,
      receivedAt: '2026-11-02T09:00:00.000Z',
      inputs: [{ name: 'features', datatype: 'FP32', shape: [1, 2], data: [10, 11] }],
      outputs: [{ name: 'label', datatype: 'INT64', shape: [1], data: [1] }],
      actuals: [{ row: 0, value: 0.25 }],
    },
  ];

  it('lists the live, successful predictions of the range that have a stored payload and actuals, oldest first, in batches', async () => {
    const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
    const range = { from: '2026-11-02T00:00:00Z', to: '2026-11-03T00:00:00Z' };
    for (const batch of [1, 2, 500]) expect(await read(new LabelledDataService(db.dataSource, new SqlDeploymentLookup(db.dataSource), batch), viewer, range)).toEqual(expected());
    // The end of the range is open.
    expect((await read(new LabelledDataService(db.dataSource, new SqlDeploymentLookup(db.dataSource)), viewer, { from: '2026-11-02T00:00:00Z', to: '2026-11-02T09:00:00Z' })).map((l) => l.predictionId)).toEqual([
      ids[0],
      ids[1],
    ]);
  });

  it('refuses callers whose access rules hide the payloads, and leaves out the rows whose payload a conditional rule hides', async () => {
    const service = new LabelledDataService(db.dataSource, new SqlDeploymentLookup(db.dataSource), 1);
    const range = { from: '2026-11-02T00:00:00Z', to: '2026-11-03T00:00:00Z' };
    const read_ = [
      { action: 'read', subject: 'Deployment', conditions: { projectId: d.projectId } },
      { action: 'read', subject: 'Prediction', conditions: { projectId: d.projectId } },
    ] as RawRuleOf<AppAbility>[];
    const hidden = callerWith([...read_, { action: 'read', subject: 'Prediction', fields: ['inputs', 'outputs', 'parameters'], inverted: true }] as RawRuleOf<AppAbility>[], d.projectId);
    const refusal = await caught(service.open(hidden, d.deploymentId, range));
    expect(refusal).toMatchObject({ code: RefreshErrorCode.PAYLOAD_HIDDEN, kind: 'FORBIDDEN', details: { fields: ['inputs', 'outputs'] } });
    expect(refusal.message).toContain('hide the inputs and outputs');

    const oneConsumerHidden = callerWith(
      [...read_, { action: 'read', subject: 'Prediction', fields: ['inputs'], inverted: true, conditions: { consumerId: consumer } }] as RawRuleOf<AppAbility>[],
      d.projectId,
    );
    expect((await read(service, oneConsumerHidden, range)).map((l) => l.predictionId)).toEqual([ids[0], ids[7]]);

    const noPredictions = callerWith([read_[0]!], d.projectId);
    expect(await caught(service.open(noPredictions, d.deploymentId, range))).toMatchObject({ code: GovernanceErrorCode.FORBIDDEN });
    expect(await caught(service.open(callerOf(randomUUID(), []), d.deploymentId, range))).toMatchObject({ kind: 'NOT_FOUND' });
  });

  it('refuses a missing, reversed or too long range, naming the parameter', async () => {
    const service = new LabelledDataService(db.dataSource, new SqlDeploymentLookup(db.dataSource));
    const viewer = callerOf(randomUUID(), [[d.projectId, 'viewer']]);
    const cases: [{ from?: unknown; to?: unknown }, string][] = [
      [{ to: '2026-11-03T00:00:00Z' }, 'from'],
      [{ from: 'yesterday', to: '2026-11-03T00:00:00Z' }, 'from'],
      [{ from: '2026-11-02T00:00:00Z' }, 'to'],
      [{ from: '2026-11-03T00:00:00Z', to: '2026-11-02T00:00:00Z' }, 'to'],
      [{ from: '2025-01-01T00:00:00Z', to: '2026-11-02T00:00:00Z' }, 'from'],
    ];
    for (const [range, field] of cases) {
      expect(await caught(service.open(viewer, d.deploymentId, range))).toMatchObject({ code: RefreshErrorCode.INVALID_ARGUMENT, details: { field } });
    }
  });
});
