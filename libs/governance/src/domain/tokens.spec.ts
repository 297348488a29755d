import { createHash } from 'node:crypto';
import { generateToken, hashToken, TOKEN_PREFIX, tokenHint } from './tokens';

describe('generateToken', () => {
  it('is the prefix then 256 random bits in base64url', () => {
    const token = generateToken();
    expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
    const body = token.slice(TOKEN_PREFIX.length);
    expect(body).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Buffer.from(body, 'base64url')).toHaveLength(32);
  });

  it('never repeats', () => {
    const tokens = new Set(Array.from({ length: 1000 }, () => generateToken()));
    expect(tokens.size).toBe(1000);
  });

  it('is safe in an Authorization header (no spaces, quotes or padding)', () => {
    for (let i = 0; i < 200; i++) expect(generateToken()).toMatch(/^mpt_[A-Za-z0-9_-]+$/);
  });
});

describe('hashToken', () => {
  it('is the hex sha256 of the UTF-8 token', () => {
    // FIPS 180-2 test vector.
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    const token = generateToken();
    expect(hashToken(token)).toBe(createHash('sha256').update(token).digest('hex'));
  });

  it('is 64 lowercase hex characters and differs from the token', () => {
    const token = generateToken();
    expect(hashToken(token)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashToken(token)).not.toContain(token.slice(TOKEN_PREFIX.length));
  });

  it('is deterministic and tells tokens apart', () => {
    const token = generateToken();
    expect(hashToken(token)).toBe(hashToken(token));
    expect(hashToken(token)).not.toBe(hashToken(`${token}x`));
    expect(hashToken(token)).not.toBe(hashToken(token.toUpperCase()));
  });
});

describe('tokenHint', () => {
  it('shows the prefix and six characters, never the whole secret', () => {
    const token = generateToken();
    const hint = tokenHint(token);
    expect(hint).toBe(token.slice(0, TOKEN_PREFIX.length + 6));
    expect(hint).toHaveLength(TOKEN_PREFIX.length + 6);
    // 6 of 43 base64url characters: 36 bits shown, 220 bits still secret.
    expect(token.length - hint.length).toBeGreaterThanOrEqual(37);
  });
});
