import { isModelportError, type ModelportError } from '@modelport/errors';
import { GroupErrorCode } from './group.errors';
import { higherRole, MAX_GROUP_DESCRIPTION_LENGTH, projectRoleRank, validateGroupDescription, validateGroupRole, validateId } from './group.rules';

function refusal(fn: () => unknown): ModelportError {
  try {
    fn();
  } catch (err) {
    if (isModelportError(err)) return err;
    throw err;
  }
  throw new Error('expected a ModelportError');
}

describe('group input checks', () => {
  it('accept ids as UUIDs, in lower case', () => {
    expect(validateId('groupId', 'group', 'AAAAAAAA-AAAA-4AAA-8AAA-AAAAAAAAAAAA')).toBe('aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa');
  });

  it.each([['sre'], [''], [null], [42]])('refuse the id %p, naming the field and what an id is', (value) => {
    const err = refusal(() => validateId('userId', 'user', value));
    expect(err.code).toBe(GroupErrorCode.INVALID_ARGUMENT);
    expect(err.kind).toBe('BAD_USER_INPUT');
    expect(err.details).toEqual({ field: 'userId' });
    expect(err.message).toMatch(/is not a user id \(a UUID\); pass the id field of the user\.$/);
  });

  it('accept the four project roles and refuse anything else, listing them', () => {
    expect(validateGroupRole('ml-engineer')).toBe('ml-engineer');
    for (const bad of ['owner', 'Admin', 'platform-admin', '', undefined]) {
      const err = refusal(() => validateGroupRole(bad));
      expect(err.code).toBe(GroupErrorCode.INVALID_ROLE);
      expect(err.kind).toBe('BAD_USER_INPUT');
      expect(err.message).toMatch(/; use one of admin, ml-engineer, data-scientist, viewer\.$/);
    }
  });

  it('trim descriptions, default them to empty and bound their length', () => {
    expect(validateGroupDescription(undefined)).toBe('');
    expect(validateGroupDescription(null)).toBe('');
    expect(validateGroupDescription('  on-call SREs ')).toBe('on-call SREs');
    expect(validateGroupDescription('é'.repeat(MAX_GROUP_DESCRIPTION_LENGTH))).toHaveLength(MAX_GROUP_DESCRIPTION_LENGTH);
    const long = refusal(() => validateGroupDescription('x'.repeat(MAX_GROUP_DESCRIPTION_LENGTH + 1)));
    expect(long.details).toEqual({ field: 'description' });
    expect(long.message).toBe(`description is ${MAX_GROUP_DESCRIPTION_LENGTH + 1} characters long; at most ${MAX_GROUP_DESCRIPTION_LENGTH} are allowed.`);
    expect(refusal(() => validateGroupDescription(7)).message).toBe('description must be text.');
  });
});

describe('project role order', () => {
  it('ranks viewer < data-scientist < ml-engineer < admin', () => {
    expect((['viewer', 'data-scientist', 'ml-engineer', 'admin'] as const).map(projectRoleRank)).toEqual([0, 1, 2, 3]);
    expect(higherRole('admin', 'viewer')).toBe('admin');
    expect(higherRole('data-scientist', 'ml-engineer')).toBe('ml-engineer');
  });
});
