import { GovernanceError, GovernanceErrorCode } from './governance.errors';

export const MAX_NAME_LENGTH = 256;

/**
 * The comparison key of a user-visible name: NFKC normalisation (so that
 * full-width, ligature and other compatibility forms collapse) and full case
 * folding (upper then lower catches ß/SS, final sigma and friends; lowering
 * first turns capital sharp s ẞ into ß so that it too becomes ss). Two names
 * with the same key are the same name.
 */
export function nameKey(name: string): string {
  return name.normalize('NFKC').toLowerCase().toUpperCase().toLowerCase().normalize('NFKC');
}

// Control characters (C0, DEL, C1) and invisible format characters (zero-width
// joiners, bidi overrides, BOM) make names that look alike but differ.
const FORBIDDEN_CHARS = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\u2028\u2029]/u;

/**
 * Validates a name for a project, model, user or alias and returns it in NFC
 * form. Errors say exactly what is wrong and what is allowed.
 */
export function validateName(kind: string, raw: unknown): string {
  const fail = (why: string): never => {
    throw new GovernanceError(
      GovernanceErrorCode.INVALID_NAME,
      `Invalid ${kind} name: ${why}. Use 1-${MAX_NAME_LENGTH} visible characters without '/', '\\', '..' or control characters.`,
      { kind },
    );
  };
  if (typeof raw !== 'string') return fail('it must be a string');
  const name = raw.normalize('NFC');
  if (name.length === 0) return fail('it is empty');
  if (name.trim().length === 0) return fail('it holds only whitespace');
  if (name !== name.trim()) return fail('it starts or ends with whitespace');
  if ([...name].length > MAX_NAME_LENGTH) return fail(`it is ${[...name].length} characters long`);
  if (name.includes('\0')) return fail('it contains a NUL character');
  if (/[\r\n]/.test(name)) return fail('it contains a line break');
  if (FORBIDDEN_CHARS.test(name)) return fail('it contains a control or invisible formatting character');
  if (name.includes('/') || name.includes('\\')) return fail("it contains '/' or '\\'");
  if (name.includes('..')) return fail("it contains '..'");
  return name;
}
