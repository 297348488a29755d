import { createHash } from 'node:crypto';
import type { SignatureSpec, TensorSpec } from '@modelport/plugin-sdk';
import { DeploymentError, DeploymentErrorCode } from '../deployments/domain/deployment.errors';

/**
 * A deployment's traffic policy (the lifecycle issue): one champion, optional canaries sharing live traffic by
 * weight, and shadow challengers that get a copy of each request off the response path. Building blocks only:
 * validation, signature compatibility and the weighted (optionally sticky) choice; routing uses them next.
 */
export interface TrafficPolicyInput {
  readonly champion: { readonly versionId: string; readonly weight: number };
  readonly canaries?: readonly { readonly versionId: string; readonly weight: number }[] | null;
  readonly shadows?: readonly string[] | null;
  /** Sticky routing: requests with the same key (e.g. the caller, or a header's value) always get the same version. */
  readonly stickyBy?: 'none' | 'consumer' | 'request-parameter' | null;
  /** With stickyBy request-parameter: the V2 request parameter holding the key. */
  readonly stickyParameter?: string | null;
}

export interface TrafficPolicy {
  /** Live versions with their weights (champion first), summing to 100. */
  readonly live: readonly { readonly versionId: string; readonly weight: number; readonly role: 'champion' | 'canary' }[];
  readonly shadows: readonly string[];
  readonly stickyBy: 'none' | 'consumer' | 'request-parameter';
  readonly stickyParameter: string | null;
}

export const MAX_CANARIES = 5;
export const MAX_SHADOWS = 3;

function invalid(field: string, message: string): DeploymentError {
  return new DeploymentError(DeploymentErrorCode.INVALID_ARGUMENT, message, { field });
}

/** Checks a policy as submitted; every refusal names the field and what is allowed. */
export function validateTrafficPolicy(input: TrafficPolicyInput): TrafficPolicy {
  const canaries = [...(input.canaries ?? [])];
  const shadows = [...(input.shadows ?? [])];
  if (canaries.length > MAX_CANARIES) throw invalid('canaries', `At most ${MAX_CANARIES} canaries (got ${canaries.length}).`);
  if (shadows.length > MAX_SHADOWS) throw invalid('shadows', `At most ${MAX_SHADOWS} shadow challengers (got ${shadows.length}).`);
  const live = [
    { versionId: input.champion.versionId, weight: input.champion.weight, role: 'champion' as const },
    ...canaries.map((c) => ({ versionId: c.versionId, weight: c.weight, role: 'canary' as const })),
  ];
  for (const [i, l] of live.entries()) {
    const field = i === 0 ? 'champion.weight' : `canaries[${i - 1}].weight`;
    if (!Number.isInteger(l.weight) || l.weight < 0 || l.weight > 100) throw invalid(field, `${field} must be a whole number from 0 to 100 (got ${l.weight}).`);
  }
  const total = live.reduce((sum, l) => sum + l.weight, 0);
  if (total !== 100) {
    throw invalid('canaries', `The weights of the champion and the canaries must add up to 100; they add up to ${total} (${live.map((l) => `${l.role} ${l.weight}`).join(', ')}).`);
  }
  if (input.champion.weight === 0 && canaries.length === 0) throw invalid('champion.weight', 'With no canary, the champion takes all traffic: weight 100.');
  const seen = new Set<string>();
  for (const id of [...live.map((l) => l.versionId), ...shadows]) {
    if (seen.has(id)) throw invalid('shadows', `Version ${id} appears twice in the policy; a version is the champion, a canary or a shadow, once.`);
    seen.add(id);
  }
  const stickyBy = input.stickyBy ?? 'none';
  if (!['none', 'consumer', 'request-parameter'].includes(stickyBy)) throw invalid('stickyBy', `stickyBy must be none, consumer or request-parameter (got "${stickyBy}").`);
  const stickyParameter = input.stickyParameter ?? null;
  if (stickyBy === 'request-parameter' && (!stickyParameter || !/^[A-Za-z0-9_.-]{1,64}$/.test(stickyParameter))) {
    throw invalid('stickyParameter', 'stickyBy request-parameter needs stickyParameter: the name of the V2 request parameter holding the key (letters, digits, _ . -).');
  }
  if (stickyBy !== 'request-parameter' && stickyParameter) throw invalid('stickyParameter', 'stickyParameter applies only with stickyBy request-parameter.');
  return { live, shadows, stickyBy, stickyParameter };
}

function sameTensor(a: TensorSpec, b: TensorSpec): string | null {
  if (a.datatype !== b.datatype) return `datatype ${b.datatype} instead of ${a.datatype}`;
  if (a.shape.length !== b.shape.length) return `shape [${b.shape.join(',')}] instead of [${a.shape.join(',')}] (rank ${b.shape.length}, not ${a.shape.length})`;
  const clash = a.shape.findIndex((d, i) => d !== -1 && b.shape[i] !== -1 && d !== b.shape[i]);
  return clash === -1 ? null : `shape [${b.shape.join(',')}] instead of [${a.shape.join(',')}] (dimension ${clash})`;
}

/**
 * What keeps a challenger from taking the champion's traffic: every request the champion accepts must fit the
 * challenger's inputs, and the challenger must answer every output the champion does, with the same type and a
 * compatible shape. An empty list: compatible. Each entry names the tensor and the difference.
 */
export function signatureDifferences(champion: SignatureSpec, challenger: SignatureSpec): string[] {
  const problems: string[] = [];
  const inputs = new Map(challenger.inputs.map((t) => [t.name, t]));
  for (const t of champion.inputs) {
    const other = inputs.get(t.name);
    if (!other) problems.push(`input "${t.name}" is missing`);
    else {
      const why = sameTensor(t, other);
      if (why) problems.push(`input "${t.name}" has ${why}`);
    }
  }
  for (const t of challenger.inputs) if (!champion.inputs.some((c) => c.name === t.name)) problems.push(`input "${t.name}" is required but the champion's requests do not send it`);
  const outputs = new Map(challenger.outputs.map((t) => [t.name, t]));
  for (const t of champion.outputs) {
    const other = outputs.get(t.name);
    if (!other) problems.push(`output "${t.name}" is missing`);
    else {
      const why = sameTensor(t, other);
      if (why) problems.push(`output "${t.name}" has ${why}`);
    }
  }
  return problems;
}

/**
 * The live version a request goes to. Without a sticky key, `random` (0..1) decides by weight; with one, a
 * hash of the key does, so one caller keeps one version while the weights stay the same.
 */
export function chooseLiveVersion(policy: { readonly live: readonly { readonly versionId: string; readonly weight: number }[] }, stickyKey: string | null, random: () => number = Math.random): string {
  const bucket = stickyKey === null ? Math.floor(random() * 100) : createHash('sha256').update(stickyKey).digest().readUInt32BE(0) % 100;
  let upTo = 0;
  for (const l of policy.live) {
    upTo += l.weight;
    if (bucket < upTo) return l.versionId;
  }
  return policy.live[0]!.versionId;
}
