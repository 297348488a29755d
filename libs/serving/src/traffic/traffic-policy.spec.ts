import type { SignatureSpec } from '@modelport/plugin-sdk';
import { DeploymentError } from '../deployments/domain/deployment.errors';
import { chooseLiveVersion, signatureDifferences, validateTrafficPolicy } from './traffic-policy';

function refusal(fn: () => unknown): DeploymentError {
  try {
    fn();
  } catch (err) {
    if (err instanceof DeploymentError) return err;
    throw err;
  }
  throw new Error('expected a DeploymentError');
}

describe('validateTrafficPolicy', () => {
  it('accepts a champion alone, and a champion with canaries and shadows summing to 100', () => {
    expect(validateTrafficPolicy({ champion: { versionId: 'v1', weight: 100 } })).toEqual({
      live: [{ versionId: 'v1', weight: 100, role: 'champion' }],
      shadows: [],
      stickyBy: 'none',
      stickyParameter: null,
    });
    const p = validateTrafficPolicy({ champion: { versionId: 'v1', weight: 80 }, canaries: [{ versionId: 'v2', weight: 20 }], shadows: ['v3'], stickyBy: 'consumer' });
    expect(p.live.map((l) => [l.role, l.weight])).toEqual([
      ['champion', 80],
      ['canary', 20],
    ]);
  });

  it.each([
    [{ champion: { versionId: 'v1', weight: 90 } }, /add up to 100; they add up to 90 \(champion 90\)/],
    [{ champion: { versionId: 'v1', weight: 70 }, canaries: [{ versionId: 'v2', weight: 40 }] }, /add up to 110/],
    [{ champion: { versionId: 'v1', weight: 110 }, canaries: [{ versionId: 'v2', weight: -10 }] }, /champion.weight must be a whole number from 0 to 100/],
    [{ champion: { versionId: 'v1', weight: 50 }, canaries: [{ versionId: 'v2', weight: 50.5 }] }, /canaries\[0\].weight must be a whole number/],
    [{ champion: { versionId: 'v1', weight: 50 }, canaries: [{ versionId: 'v1', weight: 50 }] }, /Version v1 appears twice/],
    [{ champion: { versionId: 'v1', weight: 100 }, shadows: ['v1'] }, /appears twice/],
    [{ champion: { versionId: 'v1', weight: 100 }, stickyBy: 'request-parameter' as const }, /needs stickyParameter/],
  ])('refuses %j', (input, message) => {
    expect(refusal(() => validateTrafficPolicy(input)).message).toMatch(message);
  });
});

describe('signatureDifferences', () => {
  const champion: SignatureSpec = {
    inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [
      { name: 'label', datatype: 'INT64', shape: [-1] },
      { name: 'probabilities', datatype: 'FP32', shape: [-1, 3] },
    ],
  };

  it('finds none for the same signature, or one with an extra output and a variable dimension', () => {
    expect(signatureDifferences(champion, champion)).toEqual([]);
    expect(
      signatureDifferences(champion, {
        inputs: [{ name: 'features', datatype: 'FP32', shape: [-1, -1] }],
        outputs: [...champion.outputs, { name: 'embedding', datatype: 'FP32', shape: [-1, 16] }],
      }),
    ).toEqual([]);
  });

  it('names every differing tensor and how it differs', () => {
    expect(
      signatureDifferences(champion, {
        inputs: [
          { name: 'features', datatype: 'FP64', shape: [-1, 4] },
          { name: 'region', datatype: 'BYTES', shape: [-1] },
        ],
        outputs: [{ name: 'label', datatype: 'INT64', shape: [-1, 2] }],
      }),
    ).toEqual([
      'input "features" has datatype FP64 instead of FP32',
      'input "region" is required but the champion\'s requests do not send it',
      'output "label" has shape [-1,2] instead of [-1] (rank 2, not 1)',
      'output "probabilities" is missing',
    ]);
  });
});

describe('chooseLiveVersion', () => {
  const policy = validateTrafficPolicy({ champion: { versionId: 'champion', weight: 90 }, canaries: [{ versionId: 'canary', weight: 10 }] });

  it('splits traffic by weight', () => {
    let s = 0;
    const counts = { champion: 0, canary: 0 };
    for (let i = 0; i < 10_000; i++) counts[chooseLiveVersion(policy, null, () => ((s = (s + 0.6180339887) % 1), s)) as 'champion' | 'canary']++;
    expect(counts.canary).toBeGreaterThan(900);
    expect(counts.canary).toBeLessThan(1100);
  });

  it('keeps one sticky key on one version, and spreads many keys by weight', () => {
    const first = chooseLiveVersion(policy, 'user-42');
    for (let i = 0; i < 50; i++) expect(chooseLiveVersion(policy, 'user-42', () => Math.random())).toBe(first);
    const canaries = Array.from({ length: 5000 }, (_, i) => chooseLiveVersion(policy, `user-${i}`)).filter((v) => v === 'canary').length;
    expect(canaries).toBeGreaterThan(400);
    expect(canaries).toBeLessThan(600);
  });
});
