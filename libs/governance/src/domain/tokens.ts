import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'mpt_';

/** A new API token: 256 random bits, shown to its owner once. Only its sha256 is stored. */
export function generateToken(): string {
  return TOKEN_PREFIX + randomBytes(32).toString('base64url');
}

/** Tokens carry 256 bits of entropy, so a plain sha256 is a safe, indexable lookup key. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** What may be shown later to recognise a token: its first characters. */
export function tokenHint(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
