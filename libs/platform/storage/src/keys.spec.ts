import { artifactKey, assertSafeKey, assertSafePrefix, MAX_KEY_LENGTH, stagingKey } from './keys';
import { StorageError, StorageErrorCode } from './storage.errors';

function invalidKeyError(action: () => unknown): StorageError {
  try {
    action();
  } catch (err) {
    expect(err).toBeInstanceOf(StorageError);
    expect((err as StorageError).code).toBe(StorageErrorCode.INVALID_KEY);
    return err as StorageError;
  }
  throw new Error('expected INVALID_KEY, but nothing was thrown');
}

describe('artifactKey', () => {
  const sha = '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08';

  it('fans out by the first two hex characters', () => {
    expect(artifactKey(sha)).toBe(`artifacts/sha256/9f/${sha}`);
  });

  it.each([
    ['uppercase hex', sha.toUpperCase()],
    ['63 characters', sha.slice(1)],
    ['65 characters', `${sha}0`],
    ['a non-hex character', `g${sha.slice(1)}`],
    ['a path', `../${sha.slice(3)}`],
    ['the empty string', ''],
  ])('rejects %s', (_label, value) => {
    expect(invalidKeyError(() => artifactKey(value)).message).toContain('64 lowercase hex');
  });

  it('rejects a non-string', () => {
    invalidKeyError(() => artifactKey(42 as unknown as string));
  });
});

describe('stagingKey', () => {
  it('puts uploads under uploads/', () => {
    expect(stagingKey('0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f')).toBe('uploads/0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f');
  });

  it('lowercases an uppercase uuid', () => {
    expect(stagingKey('0B6F1C2E-7D3A-4C1B-9E8F-1A2B3C4D5E6F')).toBe('uploads/0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f');
  });

  it.each([
    ['no dashes', '0b6f1c2e7d3a4c1b9e8f1a2b3c4d5e6f'],
    ['a path', '../0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d'],
    ['a trailing segment', '0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f/x'],
    ['non-hex characters', 'zzzzzzzz-7d3a-4c1b-9e8f-1a2b3c4d5e6f'],
    ['the empty string', ''],
  ])('rejects %s', (_label, value) => {
    expect(invalidKeyError(() => stagingKey(value)).message).toContain('UUID');
  });
});

describe('assertSafeKey', () => {
  it.each([
    'a',
    'uploads/0b6f1c2e-7d3a-4c1b-9e8f-1a2b3c4d5e6f',
    `artifacts/sha256/ab/${'ab'.repeat(32)}`,
    'model.v1_final-2/weights.onnx',
    '..hidden/x..y/...',
    `${'a'.repeat(255)}/${'b'.repeat(255)}`,
  ])('accepts %s', (key) => {
    expect(() => assertSafeKey(key)).not.toThrow();
  });

  it.each([
    ['a parent segment', '../x', '".." path segment'],
    ['a nested parent segment', 'uploads/../../etc', '".." path segment'],
    ['a current-directory segment', 'a/./b', '"." path segment'],
    ['a leading slash', '/abs', 'starts with "/"'],
    ['an empty segment', 'a//b', 'empty path segment'],
    ['a trailing slash', 'a/', 'empty path segment'],
    ['uppercase', 'A', 'character "A"'],
    ['a NUL byte', 'a\0b', 'character "\\u0000"'],
    ['a space', 'a b', 'character " "'],
    ['a backslash', 'a\\b', 'character "\\\\"'],
    ['a percent escape', 'a%2f..', 'character "%"'],
    ['a non-ASCII letter', 'modèle', 'character "è"'],
    ['the empty string', '', 'empty'],
    ['a segment over 255 characters', `${'a'.repeat(256)}/b`, 'longer than 255'],
  ])('rejects %s', (_label, key, reason) => {
    expect(invalidKeyError(() => assertSafeKey(key)).message).toContain(reason);
  });

  it(`allows ${MAX_KEY_LENGTH} characters and no more`, () => {
    const longest = `${'a'.repeat(200)}/${'b'.repeat(200)}/${'c'.repeat(MAX_KEY_LENGTH - 402)}`;
    expect(longest).toHaveLength(MAX_KEY_LENGTH);
    expect(() => assertSafeKey(longest)).not.toThrow();
    expect(invalidKeyError(() => assertSafeKey(`${longest}c`)).message).toContain('513 characters');
  });

  it('rejects values that are not strings', () => {
    for (const value of [undefined, null, 7, ['a'], { key: 'a' }]) invalidKeyError(() => assertSafeKey(value));
  });

  it('gives a message that says what is allowed', () => {
    expect(invalidKeyError(() => assertSafeKey('A')).message).toMatch(/lowercase letters, digits/);
  });
});

describe('assertSafePrefix', () => {
  it.each(['', 'a', 'a/', 'artifacts/sha256/', 'artifacts/sha256/a', 'uploads/0b6f'])('accepts %j', (prefix) => {
    expect(() => assertSafePrefix(prefix)).not.toThrow();
  });

  it.each(['../x', '/abs', 'a//b', '//', 'A', 'a\0b', 'uploads/../../etc', './a', 'x'.repeat(513)])('rejects %j', (prefix) => {
    invalidKeyError(() => assertSafePrefix(prefix));
  });
});
