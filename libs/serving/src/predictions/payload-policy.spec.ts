import { isModelportError } from '@modelport/errors';
import { shouldStorePayload, validatePayloadPolicy } from './payload-policy';

/** A deterministic stand-in for Math.random: an evenly spread sequence over [0, 1). */
function evenSequence(n: number): () => number {
  let i = 0;
  return () => (i++ % n) / n;
}

describe('shouldStorePayload', () => {
  it("keeps every payload with 'full' and none with 'none', without consulting randomness", () => {
    const random = jest.fn(() => 0.5);
    for (let i = 0; i < 100; i++) {
      expect(shouldStorePayload({ payloadLogging: 'full' }, random)).toBe(true);
      expect(shouldStorePayload({ payloadLogging: 'none' }, random)).toBe(false);
    }
    expect(random).not.toHaveBeenCalled();
  });

  it("keeps the sampled share of payloads with 'sampled'", () => {
    for (const rate of [0.01, 0.1, 0.25, 0.5, 0.9]) {
      const random = evenSequence(10_000);
      let kept = 0;
      for (let i = 0; i < 10_000; i++) if (shouldStorePayload({ payloadLogging: 'sampled', sampleRate: rate }, random)) kept++;
      expect(kept).toBe(Math.round(rate * 10_000));
    }
  });

  it('compares the draw strictly below the rate', () => {
    const policy = { payloadLogging: 'sampled', sampleRate: 0.3 } as const;
    expect(shouldStorePayload(policy, () => 0.2999)).toBe(true);
    expect(shouldStorePayload(policy, () => 0.3)).toBe(false);
  });

  it('keeps none at rate 0 and all at rate 1, whatever the draw', () => {
    expect(shouldStorePayload({ payloadLogging: 'sampled', sampleRate: 0 }, () => 0)).toBe(false);
    expect(shouldStorePayload({ payloadLogging: 'sampled', sampleRate: 1 }, () => 0.999999)).toBe(true);
  });

  it('with Math.random, keeps roughly the sampled share', () => {
    let kept = 0;
    for (let i = 0; i < 100_000; i++) if (shouldStorePayload({ payloadLogging: 'sampled', sampleRate: 0.2 })) kept++;
    expect(kept).toBeGreaterThan(19_000);
    expect(kept).toBeLessThan(21_000);
  });
});

describe('validatePayloadPolicy', () => {
  it('accepts the three modes and normalises the rate', () => {
    expect(validatePayloadPolicy({ payloadLogging: 'full' })).toEqual({ payloadLogging: 'full', sampleRate: null });
    expect(validatePayloadPolicy({ payloadLogging: 'none', sampleRate: null })).toEqual({ payloadLogging: 'none', sampleRate: null });
    expect(validatePayloadPolicy({ payloadLogging: 'sampled', sampleRate: 0.05 })).toEqual({ payloadLogging: 'sampled', sampleRate: 0.05 });
    expect(validatePayloadPolicy({ payloadLogging: 'sampled', sampleRate: 0 })).toEqual({ payloadLogging: 'sampled', sampleRate: 0 });
  });

  it.each([
    [{ payloadLogging: 'some' }, /one of full, sampled, none/],
    [{ payloadLogging: 'sampled' }, /needs a sampleRate from 0 to 1/],
    [{ payloadLogging: 'sampled', sampleRate: 1.5 }, /needs a sampleRate from 0 to 1/],
    [{ payloadLogging: 'sampled', sampleRate: -0.1 }, /needs a sampleRate from 0 to 1/],
    [{ payloadLogging: 'sampled', sampleRate: Number.NaN }, /needs a sampleRate from 0 to 1/],
    [{ payloadLogging: 'sampled', sampleRate: '0.5' }, /needs a sampleRate from 0 to 1/],
    [{ payloadLogging: 'full', sampleRate: 0.5 }, /only applies to payloadLogging 'sampled'/],
  ])('refuses %j with INVALID_PAYLOAD_POLICY', (policy, message) => {
    let thrown: unknown;
    try {
      validatePayloadPolicy(policy);
    } catch (err) {
      thrown = err;
    }
    expect(isModelportError(thrown)).toBe(true);
    expect((thrown as { code: string }).code).toBe('INVALID_PAYLOAD_POLICY');
    expect((thrown as { kind: string }).kind).toBe('BAD_USER_INPUT');
    expect((thrown as Error).message).toMatch(message);
  });
});
