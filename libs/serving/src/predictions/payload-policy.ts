import { PredictionLogError, PredictionLogErrorCode } from './prediction-log.errors';

/** What a deployment keeps of each prediction's inputs and outputs; the metadata row is always written. */
export type PayloadLogging = 'full' | 'sampled' | 'none';

export const PAYLOAD_LOGGING_MODES: readonly PayloadLogging[] = ['full', 'sampled', 'none'];

export interface PayloadPolicy {
  readonly payloadLogging: PayloadLogging;
  /** Share of predictions whose payload is kept, from 0 to 1; used (and required) with 'sampled'. */
  readonly sampleRate?: number | null;
}

/**
 * Whether to keep this prediction's payload. Called on the gateway's hot path with a policy that
 * `validatePayloadPolicy` accepted when the deployment was configured: no allocation, no throw.
 * 'sampled' keeps a prediction when `random()` (uniform in [0, 1)) falls below the rate, so a
 * rate of 0 keeps none and 1 keeps all.
 */
export function shouldStorePayload(policy: PayloadPolicy, random: () => number = Math.random): boolean {
  switch (policy.payloadLogging) {
    case 'full':
      return true;
    case 'none':
      return false;
    case 'sampled': {
      const rate = policy.sampleRate ?? 0;
      if (rate <= 0) return false;
      if (rate >= 1) return true;
      return random() < rate;
    }
    default:
      return false;
  }
}

/** Checks a policy from user input (deployment create/update); returns it normalised. */
export function validatePayloadPolicy(policy: { payloadLogging: unknown; sampleRate?: unknown }): PayloadPolicy {
  const mode = policy.payloadLogging;
  if (typeof mode !== 'string' || !(PAYLOAD_LOGGING_MODES as readonly string[]).includes(mode)) {
    throw new PredictionLogError(
      PredictionLogErrorCode.INVALID_PAYLOAD_POLICY,
      `payloadLogging must be one of ${PAYLOAD_LOGGING_MODES.join(', ')} (got ${JSON.stringify(mode)}).`,
    );
  }
  const rate = policy.sampleRate ?? null;
  if (mode === 'sampled') {
    if (typeof rate !== 'number' || !Number.isFinite(rate) || rate < 0 || rate > 1) {
      throw new PredictionLogError(
        PredictionLogErrorCode.INVALID_PAYLOAD_POLICY,
        `payloadLogging 'sampled' needs a sampleRate from 0 to 1, e.g. 0.05 to keep one payload in twenty (got ${JSON.stringify(rate)}).`,
      );
    }
    return { payloadLogging: 'sampled', sampleRate: rate };
  }
  if (rate !== null) {
    throw new PredictionLogError(
      PredictionLogErrorCode.INVALID_PAYLOAD_POLICY,
      `sampleRate only applies to payloadLogging 'sampled'; leave it out with '${mode}'.`,
    );
  }
  return { payloadLogging: mode as PayloadLogging, sampleRate: null };
}
