import { RegistryError, RegistryErrorCode } from './registry.errors';
import { validateLineage } from './registry.validation';

describe('validateLineage', () => {
  it('keeps a refresh run id (lower-cased) and a trigger', () => {
    expect(validateLineage({ refreshRunId: '0F3C2A1E-8B4D-4C6E-9A7B-1D2E3F4A5B6C', trigger: 'refresh run: drift red' })).toEqual({
      refreshRunId: '0f3c2a1e-8b4d-4c6e-9a7b-1d2e3f4a5b6c',
      trigger: 'refresh run: drift red',
    });
    expect(validateLineage({ codeCommit: 'abc123' })).toEqual({ codeCommit: 'abc123' });
  });

  it.each(['run-42', '', ' 0f3c2a1e-8b4d-4c6e-9a7b-1d2e3f4a5b6c', '0f3c2a1e8b4d4c6e9a7b1d2e3f4a5b6c'])('refuses the refresh run id %j with a message naming the field', (refreshRunId) => {
    let error: unknown;
    try {
      validateLineage({ refreshRunId });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(RegistryError);
    expect(error).toMatchObject({ code: RegistryErrorCode.INVALID_LINEAGE, message: expect.stringContaining('refreshRunId') });
  });
});
