import { GovernanceError, GovernanceErrorCode } from './governance.errors';
import { MAX_NAME_LENGTH, nameKey, validateName } from './names';

function invalidName(kind: string, raw: unknown): GovernanceError {
  try {
    validateName(kind, raw);
  } catch (err) {
    expect(err).toBeInstanceOf(GovernanceError);
    expect((err as GovernanceError).code).toBe(GovernanceErrorCode.INVALID_NAME);
    expect((err as GovernanceError).kind).toBe('BAD_USER_INPUT');
    return err as GovernanceError;
  }
  throw new Error(`expected INVALID_NAME for ${JSON.stringify(raw)}, but the name was accepted`);
}

describe('nameKey', () => {
  it.each([
    ['case', 'Fraud Detector', 'fraud detector'],
    ['upper case', 'FRAUD DETECTOR', 'fraud detector'],
    ['full-width letters', 'ＦＲＡＵＤ', 'fraud'],
    ['full-width digits and space', 'model\u3000１２', 'model 12'],
    ['the ﬁ ligature', 'ﬁle', 'file'],
    ['the ﬀ ligature', 'eﬀect', 'effect'],
    ['ß and SS', 'Straße', 'STRASSE'],
    ['ß and ss', 'straße', 'strasse'],
    ['capital sharp s ẞ and SS', 'STRAẞE', 'Strasse'],
    ['capital sharp s ẞ and ß', 'STRAẞE', 'straße'],
    ['NFC é and NFD e + combining acute', 'caf\u00e9', 'cafe\u0301'],
    ['NFD É and NFC é', 'CAFE\u0301', 'caf\u00e9'],
    ['Kelvin sign and K', '\u212a-means', 'k-means'],
    ['long s and s', '\u017fort', 'sort'],
    ['final and medial sigma', 'ΟΔΟΣ', 'οδοσ'],
    ['superscript digit', 'v\u00b2', 'v2'],
  ])('treats %s as the same name', (_label, a, b) => {
    expect(nameKey(a)).toBe(nameKey(b));
  });

  it.each([
    ['different letters', 'fraud', 'fraub'],
    ['e and é', 'cafe', 'café'],
    ['a trailing digit', 'model', 'model1'],
    ['inner spacing', 'a b', 'ab'],
    ['Latin a and Cyrillic а', 'a', '\u0430'],
  ])('keeps %s apart', (_label, a, b) => {
    expect(nameKey(a)).not.toBe(nameKey(b));
  });

  it('is idempotent and lower case', () => {
    for (const name of ['Straße', 'ＦＲＡＵＤ ﬁle', 'CAFE\u0301', 'STRAẞE', 'ΟΔΟΣ']) {
      const key = nameKey(name);
      expect(nameKey(key)).toBe(key);
      expect(key).toBe(key.toLowerCase());
      expect(key).toBe(key.normalize('NFKC'));
    }
  });
});

describe('validateName', () => {
  it('returns the name in NFC form', () => {
    expect(validateName('model', 'cafe\u0301')).toBe('caf\u00e9');
    expect(validateName('model', 'Fraud Detector v2')).toBe('Fraud Detector v2');
  });

  it('keeps compatibility forms as typed (only the key folds them)', () => {
    expect(validateName('model', 'ﬁle ＦＲＡＵＤ')).toBe('ﬁle ＦＲＡＵＤ');
  });

  it(`accepts ${MAX_NAME_LENGTH} characters, counted as code points`, () => {
    expect(validateName('model', 'm'.repeat(MAX_NAME_LENGTH))).toHaveLength(MAX_NAME_LENGTH);
    // 256 astral characters are 512 UTF-16 units but 256 characters.
    expect([...validateName('model', '\u{1F600}'.repeat(MAX_NAME_LENGTH))]).toHaveLength(MAX_NAME_LENGTH);
    // 256 NFD é (512 code points) become 256 NFC characters.
    expect(validateName('model', 'e\u0301'.repeat(MAX_NAME_LENGTH))).toBe('\u00e9'.repeat(MAX_NAME_LENGTH));
  });

  it.each([
    ['not a string', 42, 'it must be a string'],
    ['null', null, 'it must be a string'],
    ['empty', '', 'it is empty'],
    ['only spaces', '   ', 'it holds only whitespace'],
    ['only an ideographic space', '\u3000', 'it holds only whitespace'],
    ['a leading space', ' model', 'it starts or ends with whitespace'],
    ['a trailing no-break space', 'model\u00a0', 'it starts or ends with whitespace'],
    ['257 characters', 'm'.repeat(MAX_NAME_LENGTH + 1), `it is ${MAX_NAME_LENGTH + 1} characters long`],
    ['257 astral characters', '\u{1F600}'.repeat(MAX_NAME_LENGTH + 1), `it is ${MAX_NAME_LENGTH + 1} characters long`],
    ['NUL', 'a\u0000b', 'it contains a NUL character'],
    ['CR', 'a\rb', 'it contains a line break'],
    ['LF', 'a\nb', 'it contains a line break'],
    ['a tab', 'a\tb', 'it contains a control or invisible formatting character'],
    ['DEL', 'a\u007fb', 'it contains a control or invisible formatting character'],
    ['a C1 control', 'a\u0085b', 'it contains a control or invisible formatting character'],
    ['a zero-width space', 'a\u200bb', 'it contains a control or invisible formatting character'],
    ['a zero-width joiner', 'a\u200db', 'it contains a control or invisible formatting character'],
    ['a right-to-left override', 'a\u202eb', 'it contains a control or invisible formatting character'],
    ['a byte-order mark', 'a\ufeffb', 'it contains a control or invisible formatting character'],
    ['a line separator', 'a\u2028b', 'it contains a control or invisible formatting character'],
    ['a private-use character', 'a\ue000b', 'it contains a control or invisible formatting character'],
    ['a lone surrogate', 'a\ud800b', 'it contains a control or invisible formatting character'],
    ['a slash', 'a/b', "it contains '/' or '\\'"],
    ['a backslash', 'a\\b', "it contains '/' or '\\'"],
    ['dot dot', 'a..b', "it contains '..'"],
    ['only dot dot', '..', "it contains '..'"],
  ])('rejects %s, saying why and what is allowed', (_label, raw, why) => {
    const err = invalidName('model', raw);
    expect(err.message).toContain(`Invalid model name: ${why}.`);
    expect(err.message).toContain(`Use 1-${MAX_NAME_LENGTH} visible characters without '/', '\\', '..' or control characters.`);
    expect(err.details).toEqual({ kind: 'model' });
  });

  it('names the kind of thing in the message', () => {
    expect(invalidName('project', '').message).toMatch(/^Invalid project name: it is empty\./);
    expect(invalidName('user', 'a/b').message).toMatch(/^Invalid user name: /);
  });

  it('accepts single dots, Unicode letters and inner spaces', () => {
    for (const name of ['v1.2', '.hidden', 'Modèle de fraude', '模型', 'a b c', 'x']) {
      expect(validateName('model', name)).toBe(name);
    }
  });
});
