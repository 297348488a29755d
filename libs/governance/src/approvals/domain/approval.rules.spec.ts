import { ApprovalError, ApprovalErrorCode } from './approval.errors';
import {
  combinePolicies,
  DEFAULT_EXPIRY_HOURS,
  jsonObject,
  storableResult,
  validateComment,
  validatePolicyInput,
  validateSummary,
  validateTarget,
  weakerThan,
  type ApprovalPolicyInput,
  type PolicyLike,
} from './approval.rules';
import { ApprovalAction, reviewerRank, REVIEWER_ROLES } from './approval.types';

const PROJECT = '11111111-1111-4111-8111-111111111111';
const OTHER = '22222222-2222-4222-8222-222222222222';
const GROUP = '33333333-3333-4333-8333-333333333333';
const GROUP2 = '44444444-4444-4444-8444-444444444444';

function refusal(fn: () => unknown): ApprovalError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ApprovalError) return err;
    throw err;
  }
  throw new Error('expected an ApprovalError');
}

const valid: ApprovalPolicyInput = { projectId: PROJECT, actions: ['deployment.replace-version'], requiredApprovals: 2, reviewerRole: 'ml-engineer' };

describe('validatePolicyInput', () => {
  it('accepts a policy, removes repeated actions and applies the default expiry', () => {
    const policy = validatePolicyInput({ ...valid, actions: ['deployment.delete', 'deployment.delete', 'policy.edit'], description: '  prod guard  ' });
    expect(policy).toEqual({
      projectId: PROJECT,
      actions: [ApprovalAction.DEPLOYMENT_DELETE, ApprovalAction.POLICY_EDIT],
      requiredApprovals: 2,
      reviewerRole: 'ml-engineer',
      reviewerGroupId: null,
      expiresAfterHours: DEFAULT_EXPIRY_HOURS,
      description: 'prod guard',
    });
  });

  it('treats a missing project as platform-wide', () => {
    expect(validatePolicyInput({ ...valid, projectId: undefined }).projectId).toBeNull();
  });

  it('accepts a reviewer group id (stored lower-case) and treats a missing one as no group', () => {
    expect(validatePolicyInput({ ...valid, reviewerGroupId: GROUP.toUpperCase() }).reviewerGroupId).toBe(GROUP);
    expect(validatePolicyInput({ ...valid, reviewerGroupId: null }).reviewerGroupId).toBeNull();
    expect(validatePolicyInput(valid).reviewerGroupId).toBeNull();
  });

  it.each<[string, Partial<ApprovalPolicyInput>, string, RegExp]>([
    ['no action', { actions: [] }, 'actions', /at least one action.*deployment\.create/],
    ['an unknown action', { actions: ['deployment.scale'] }, 'actions', /Unknown action "deployment\.scale"; use one of deployment\.create/],
    ['zero approvals', { requiredApprovals: 0 }, 'requiredApprovals', /whole number from 1 to 10 \(got 0\)/],
    ['eleven approvals', { requiredApprovals: 11 }, 'requiredApprovals', /from 1 to 10 \(got 11\)/],
    ['a fractional count', { requiredApprovals: 1.5 }, 'requiredApprovals', /got 1\.5/],
    ['an unknown role', { reviewerRole: 'owner' }, 'reviewerRole', /Unknown reviewer role "owner".*viewer, data-scientist, ml-engineer, admin.*platform-admin/],
    ['a zero expiry', { expiresAfterHours: 0 }, 'expiresAfterHours', /from 1 to 720 \(30 days\), got 0/],
    ['a too long expiry', { expiresAfterHours: 721 }, 'expiresAfterHours', /got 721/],
    ['a long description', { description: 'x'.repeat(501) }, 'description', /501 characters long; at most 500/],
    ['a project id that is no UUID', { projectId: 'prod' }, 'projectId', /"prod" is not a project id/],
    ['a group given by name', { reviewerGroupId: 'sre' }, 'reviewerGroupId', /"sre" is not a group id \(a UUID\); pass the id of a group, or leave reviewerGroupId empty/],
    ['an empty group id', { reviewerGroupId: '' }, 'reviewerGroupId', /"" is not a group id/],
  ])('refuses %s with a message naming the field', (_name, change, field, message) => {
    const err = refusal(() => validatePolicyInput({ ...valid, ...change }));
    expect(err.code).toBe(ApprovalErrorCode.INVALID_POLICY);
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ field });
    expect(err.message).toMatch(message);
  });
});

describe('combinePolicies', () => {
  const policy = (
    id: string,
    projectId: string | null,
    requiredApprovals: number,
    reviewerRole: PolicyLike['reviewerRole'],
    expiresAfterHours = 72,
    reviewerGroupId: string | null = null,
  ): PolicyLike => ({
    id,
    projectId,
    requiredApprovals,
    reviewerRole,
    reviewerGroupId,
    expiresAfterHours,
  });

  it('is null when nothing covers the action', () => {
    expect(combinePolicies([], PROJECT)).toBeNull();
  });

  it('uses the platform-wide policies when the project has none of its own', () => {
    expect(combinePolicies([policy('p', null, 2, 'admin'), policy('o', OTHER, 5, 'viewer')], PROJECT)).toEqual({
      requiredApprovals: 2,
      reviewerRole: 'admin',
      reviewerGroupId: null,
      expiresAfterHours: 72,
      policyIds: ['p'],
    });
  });

  it("lets the project's own policies win over the platform-wide ones, also when they ask less", () => {
    expect(combinePolicies([policy('p', null, 3, 'platform-admin'), policy('own', PROJECT, 1, 'viewer', 24)], PROJECT)).toEqual({
      requiredApprovals: 1,
      reviewerRole: 'viewer',
      reviewerGroupId: null,
      expiresAfterHours: 24,
      policyIds: ['own'],
    });
  });

  it('combines several policies of the winning scope to the strictest', () => {
    const combined = combinePolicies([policy('a', PROJECT, 1, 'admin', 48), policy('b', PROJECT, 3, 'data-scientist', 12), policy('p', null, 9, 'platform-admin', 1)], PROJECT);
    expect(combined).toEqual({ requiredApprovals: 3, reviewerRole: 'admin', reviewerGroupId: null, expiresAfterHours: 12, policyIds: ['a', 'b'] });
  });

  it('keeps the reviewer group when any policy of the winning scope names one (role and group both required)', () => {
    const combined = combinePolicies([policy('a', PROJECT, 1, 'admin', 48), policy('b', PROJECT, 2, 'viewer', 72, GROUP), policy('c', PROJECT, 1, 'viewer', 72, GROUP)], PROJECT);
    expect(combined).toEqual({ requiredApprovals: 2, reviewerRole: 'admin', reviewerGroupId: GROUP, expiresAfterHours: 48, policyIds: ['a', 'b', 'c'] });
  });

  it("ignores the platform-wide policy's group when the project has its own policies", () => {
    expect(combinePolicies([policy('p', null, 1, 'viewer', 72, GROUP), policy('own', PROJECT, 1, 'viewer')], PROJECT)?.reviewerGroupId).toBeNull();
    expect(combinePolicies([policy('p', null, 1, 'viewer', 72, GROUP)], PROJECT)?.reviewerGroupId).toBe(GROUP);
  });

  it('refuses, naming the policies, when policies of the winning scope name different groups', () => {
    const err = refusal(() => combinePolicies([policy('a', PROJECT, 1, 'admin', 72, GROUP), policy('b', PROJECT, 1, 'admin', 72, GROUP2), policy('p', null, 1, 'admin')], PROJECT));
    expect(err.code).toBe(ApprovalErrorCode.POLICY_GROUP_CONFLICT);
    expect(err.kind).toBe('CONFLICT');
    expect(err.message).toMatch(/policies a, b cover this change and name different reviewer groups .*delete all but one/);
    // Different groups in the scope that does not win do not matter.
    expect(combinePolicies([policy('a', null, 1, 'admin', 72, GROUP), policy('b', null, 1, 'admin', 72, GROUP2), policy('own', PROJECT, 1, 'viewer')], PROJECT)?.policyIds).toEqual(['own']);
  });

  it('ignores project policies for a request that belongs to no project', () => {
    expect(combinePolicies([policy('own', PROJECT, 1, 'viewer'), policy('p', null, 2, 'platform-admin')], null)?.policyIds).toEqual(['p']);
  });
});

describe('weakerThan', () => {
  const platform = { requiredApprovals: 2, reviewerRole: 'ml-engineer' as const, reviewerGroupId: null, expiresAfterHours: 72, policyIds: ['p'] };
  it('says how a policy asks less than the platform-wide requirement', () => {
    expect(weakerThan({ requiredApprovals: 1, reviewerRole: 'admin' }, platform)).toBe('1 approval(s) instead of 2');
    expect(weakerThan({ requiredApprovals: 2, reviewerRole: 'viewer' }, platform)).toBe('reviewers from viewer instead of ml-engineer');
  });
  it('is null for a policy at least as strict', () => {
    expect(weakerThan({ requiredApprovals: 2, reviewerRole: 'ml-engineer' }, platform)).toBeNull();
    expect(weakerThan({ requiredApprovals: 4, reviewerRole: 'platform-admin' }, platform)).toBeNull();
    expect(weakerThan({ requiredApprovals: 2, reviewerRole: 'ml-engineer', reviewerGroupId: GROUP }, platform)).toBeNull();
  });
  it('says when a policy drops or changes the platform-wide reviewer group', () => {
    const grouped = { ...platform, reviewerGroupId: GROUP };
    expect(weakerThan({ requiredApprovals: 2, reviewerRole: 'ml-engineer' }, grouped)).toBe(`reviewers from any group instead of group ${GROUP}`);
    expect(weakerThan({ requiredApprovals: 2, reviewerRole: 'ml-engineer', reviewerGroupId: GROUP2 }, grouped)).toBe(`reviewers from group ${GROUP2} instead of group ${GROUP}`);
    expect(weakerThan({ requiredApprovals: 3, reviewerRole: 'admin', reviewerGroupId: GROUP }, grouped)).toBeNull();
  });
});

describe('reviewer roles', () => {
  it('rank each project role below platform admin', () => {
    expect(REVIEWER_ROLES.map(reviewerRank)).toEqual([0, 1, 2, 3, 4]);
    expect(reviewerRank('platform-admin')).toBeGreaterThan(reviewerRank('admin'));
  });
});

describe('request input checks', () => {
  it('require a comment to reject, not to approve', () => {
    expect(validateComment(undefined, false)).toBe('');
    expect(refusal(() => validateComment('  ', true)).message).toMatch(/rejection needs a comment/);
    expect(refusal(() => validateComment('x'.repeat(2001), false)).message).toMatch(/at most 2000/);
  });

  it('require a summary', () => {
    expect(validateSummary('  Replace v3 by v4 ')).toBe('Replace v3 by v4');
    expect(refusal(() => validateSummary('')).details).toEqual({ field: 'summary' });
  });

  it('check the target', () => {
    expect(validateTarget('Deployment', undefined)).toEqual({ targetType: 'Deployment', targetId: null });
    expect(refusal(() => validateTarget('no spaces', null)).details).toEqual({ field: 'targetType' });
    expect(refusal(() => validateTarget('Deployment', '')).details).toEqual({ field: 'targetId' });
  });

  it('store payloads as JSON objects of bounded size', () => {
    expect(jsonObject('payload', { at: new Date(0), n: 1 }, 1000)).toEqual({ at: '1970-01-01T00:00:00.000Z', n: 1 });
    expect(refusal(() => jsonObject('payload', [1], 1000)).message).toBe('payload must be a JSON object.');
    expect(refusal(() => jsonObject('payload', { big: 1n }, 1000)).message).toMatch(/payload cannot be stored as JSON/);
    expect(refusal(() => jsonObject('precondition', { s: 'x'.repeat(100) }, 50)).message).toMatch(/precondition is \d+ bytes as JSON; at most 50/);
  });

  it('turn any apply result into storable JSON', () => {
    expect(storableResult(undefined)).toBeNull();
    expect(storableResult({ id: 'd', at: new Date(0) })).toEqual({ id: 'd', at: '1970-01-01T00:00:00.000Z' });
    expect(storableResult({ n: 1n })).toEqual({ unserializable: expect.any(String) });
  });
});
