import { createHash } from 'node:crypto';

/** The name-based (RFC 9562 version 5) namespace of replay prediction ids. */
const REPLAY_NAMESPACE = Buffer.from('5d0c1f0a6a3b4f0e9a8e4f6c2b7d9e10', 'hex');

/**
 * The id of the replay prediction that run `runId` writes for the live prediction `liveId`: a
 * version-5 UUID of both, so a retried or resumed job writes the same ids and `ON CONFLICT DO
 * NOTHING` skips the rows already there.
 */
export function replayPredictionId(runId: string, liveId: string): string {
  const hash = createHash('sha1').update(REPLAY_NAMESPACE).update(`${runId.toLowerCase()}/${liveId.toLowerCase()}`).digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
