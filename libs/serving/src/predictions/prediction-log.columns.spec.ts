import { columnArrays, encodeRow, INSERT_PREDICTIONS_SQL, PREDICTION_COLUMNS, RowEncodingError, TEXT_LIMITS } from './prediction-log.columns';
import type { PredictionLogRow } from './prediction-log.types';

const row: PredictionLogRow = {
  id: '01900000-0000-7000-8000-000000000001',
  receivedAt: new Date('2026-11-01T12:00:00.123Z'),
  deploymentId: '11111111-1111-4111-8111-111111111111',
  deploymentName: 'iris',
  projectId: '22222222-2222-4222-8222-222222222222',
  modelId: null,
  modelVersionId: null,
  modelVersion: null,
  artifactSha256: null,
  pluginId: null,
  pluginVersion: null,
  requestId: 'r-1',
  protocol: 'rest',
  consumerId: null,
  status: 'ok',
  errorStatus: null,
  errorMessage: null,
  latencyUs: 1234.6,
  inputRows: 2,
  payloadStored: true,
  inputs: { a: [1, 2] },
  outputs: { b: 'x' },
  parameters: { p: true },
};

function encoded(r: PredictionLogRow, withoutPayload = false): Record<string, unknown> {
  const columns = columnArrays(1);
  encodeRow(r, columns, 0, withoutPayload);
  return Object.fromEntries(PREDICTION_COLUMNS.map(([name], i) => [name, columns[i]![0]]));
}

describe('the prediction log INSERT', () => {
  it('passes one typed array per column to unnest and skips rows already written', () => {
    expect(INSERT_PREDICTIONS_SQL).toContain('SELECT * FROM unnest($1::uuid[], $2::timestamptz[]');
    expect(INSERT_PREDICTIONS_SQL).toContain(`$${PREDICTION_COLUMNS.length}::uuid[])`);
    expect(INSERT_PREDICTIONS_SQL).toMatch(/ON CONFLICT \(id\) DO NOTHING$/);
  });
});

describe('encodeRow', () => {
  it('encodes the row column by column, JSON as text and the time in ISO 8601', () => {
    expect(encoded(row)).toMatchObject({
      id: row.id,
      received_at: '2026-11-01T12:00:00.123Z',
      latency_us: 1235,
      input_rows: 2,
      payload_stored: true,
      inputs: '{"a":[1,2]}',
      outputs: '{"b":"x"}',
      parameters: '{"p":true}',
      model_version_id: null,
    });
  });

  it('writes no inputs or outputs when the policy did not keep the payload, whatever the row carries', () => {
    expect(encoded({ ...row, payloadStored: false })).toMatchObject({ payload_stored: false, inputs: null, outputs: null, parameters: '{"p":true}' });
  });

  it('drops inputs, outputs and parameters in the fallback for a refused row', () => {
    expect(encoded(row, true)).toMatchObject({ payload_stored: false, inputs: null, outputs: null, parameters: null, request_id: 'r-1' });
  });

  it('cuts client-supplied text at its limit and replaces NUL', () => {
    const e = encoded({ ...row, requestId: 'x'.repeat(5000), errorMessage: `bad\u0000${'e'.repeat(20_000)}` });
    expect(e['request_id']).toHaveLength(TEXT_LIMITS.requestId);
    expect(e['error_message']).toHaveLength(TEXT_LIMITS.errorMessage);
    expect((e['error_message'] as string).startsWith('bad\uFFFDe')).toBe(true);
  });

  it('replaces the JSON escape of NUL, and only that', () => {
    const e = encoded({ ...row, inputs: { nul: '\u0000', text: '\\u0000', both: '\\\u0000' } });
    expect(JSON.parse(e['inputs'] as string)).toEqual({ nul: '\uFFFD', text: '\\u0000', both: '\\\uFFFD' });
  });

  it('keeps latency within the integer column', () => {
    expect(encoded({ ...row, latencyUs: 5e12 })['latency_us']).toBe(2_147_483_647);
    expect(encoded({ ...row, latencyUs: -3 })['latency_us']).toBe(0);
  });

  it('reports a payload JSON cannot represent, or an invalid time, as a RowEncodingError naming the prediction', () => {
    expect(() => encoded({ ...row, outputs: { big: 1n } })).toThrow(RowEncodingError);
    expect(() => encoded({ ...row, outputs: { big: 1n } })).toThrow(row.id);
    expect(() => encoded({ ...row, receivedAt: new Date('nope') })).toThrow(RowEncodingError);
    // Without the payload the first one can be written.
    expect(encoded({ ...row, outputs: { big: 1n } }, true)['outputs']).toBeNull();
  });
});
