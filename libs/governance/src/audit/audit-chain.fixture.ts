import { randomUUID } from 'node:crypto';
import { GENESIS_HASH, hashEvent } from './audit-event';
import type { AuditEvent } from './audit.types';

/** Test fixture (no database): a valid chain of `n` events, one second apart from T0. */
export const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);

export function buildChain(n: number): AuditEvent[] {
  const events: AuditEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= n; i++) {
    const unhashed = {
      seq: String(i),
      id: randomUUID(),
      at: new Date(T0 + i * 1000),
      actorId: randomUUID(),
      actorName: 'ada',
      action: 'createDeployment',
      resourceType: 'Deployment',
      resourceId: `d-${i}`,
      projectId: null,
      outcome: 'ok' as const,
      before: null,
      after: { replicas: i },
      requestId: `req-${i}`,
      details: { note: `event ${i}` },
      prevHash,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    events.push(event);
    prevHash = event.hash;
  }
  return events;
}
