import { createHash, createHmac, createPrivateKey, createPublicKey, KeyObject, sign, timingSafeEqual, verify } from 'node:crypto';
import { canonicalJson } from './canonical-json';
import { AuditError, AuditErrorCode } from './audit.errors';
import { HASH_PATTERN } from './audit-event';
import type { AuditCheckpoint, AuditExportFilter, CheckpointAlgorithm, SignedAuditCheckpoint } from './audit.types';

/**
 * What signs export checkpoints: an HMAC-SHA256 secret of at least 32 bytes (a Buffer or a
 * secret KeyObject), or an Ed25519 private KeyObject. Verifying takes the same secret, or the
 * Ed25519 public (or private) key.
 */
export type AuditSigningKey = Buffer | KeyObject;

export const MIN_HMAC_KEY_BYTES = 32;

type Key =
  | { readonly alg: 'hmac-sha256'; readonly secret: KeyObject | Buffer }
  | { readonly alg: 'ed25519'; readonly privateKey: KeyObject | null; readonly publicKey: KeyObject; readonly keyId: string };

function invalidKey(message: string): AuditError {
  return new AuditError(AuditErrorCode.AUDIT_SIGNING_KEY_INVALID, message);
}

/** `sha256:` and the hex sha256 of an Ed25519 public key's SPKI DER encoding. */
export function keyFingerprint(key: KeyObject): string {
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return `sha256:${createHash('sha256').update(publicKey.export({ type: 'spki', format: 'der' })).digest('hex')}`;
}

function resolveKey(key: AuditSigningKey, forSigning: boolean): Key {
  if (Buffer.isBuffer(key)) {
    if (key.length < MIN_HMAC_KEY_BYTES) throw invalidKey(`The audit HMAC key has ${key.length} bytes; use at least ${MIN_HMAC_KEY_BYTES} random bytes.`);
    return { alg: 'hmac-sha256', secret: key };
  }
  if (!(key instanceof KeyObject)) throw invalidKey('The audit signing key must be a Buffer (HMAC secret) or a KeyObject (Ed25519 key or HMAC secret).');
  if (key.type === 'secret') {
    const size = key.symmetricKeySize ?? 0;
    if (size < MIN_HMAC_KEY_BYTES) throw invalidKey(`The audit HMAC key has ${size} bytes; use at least ${MIN_HMAC_KEY_BYTES} random bytes.`);
    return { alg: 'hmac-sha256', secret: key };
  }
  if (key.asymmetricKeyType !== 'ed25519') {
    throw invalidKey(`The audit signing key is a ${key.asymmetricKeyType} key; use an Ed25519 key or an HMAC secret.`);
  }
  if (key.type === 'public' && forSigning) throw invalidKey('Signing audit checkpoints needs the Ed25519 private key, not the public key.');
  const publicKey = key.type === 'private' ? createPublicKey(key) : key;
  return { alg: 'ed25519', privateKey: key.type === 'private' ? key : null, publicKey, keyId: keyFingerprint(publicKey) };
}

/** Checks a signing key up front, so a bad configuration fails at start rather than at the first export. */
export function assertSigningKey(key: AuditSigningKey): CheckpointAlgorithm {
  return resolveKey(key, true).alg;
}

function signedBytes(unsigned: Omit<SignedAuditCheckpoint, 'signature'>): Buffer {
  return Buffer.from(canonicalJson(unsigned), 'utf8');
}

/**
 * Signs a checkpoint. The signature (base64) covers the canonical JSON of the whole line without
 * its `signature`: the algorithm, the key id and every checkpoint field.
 */
export function signCheckpoint(checkpoint: AuditCheckpoint, signingKey: AuditSigningKey): SignedAuditCheckpoint {
  const key = resolveKey(signingKey, true);
  if (key.alg === 'hmac-sha256') {
    const unsigned = { alg: key.alg, checkpoint };
    return { ...unsigned, signature: createHmac('sha256', key.secret).update(signedBytes(unsigned)).digest('base64') };
  }
  const unsigned = { alg: key.alg, checkpoint, keyId: key.keyId };
  return { ...unsigned, signature: sign(null, signedBytes(unsigned), key.privateKey!).toString('base64') };
}

/** The last line of an export (without its newline). */
export function checkpointLine(signed: SignedAuditCheckpoint): string {
  return canonicalJson(signed);
}

export type CheckpointVerification =
  | { readonly valid: true; readonly checkpoint: AuditCheckpoint; readonly signed: SignedAuditCheckpoint }
  | { readonly valid: false; readonly reason: string };

const SEQ_OR_ZERO = /^(0|[1-9][0-9]{0,18})$/;
const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function exactKeys(value: unknown, required: readonly string[], optional: readonly string[] = []): value is Record<string, unknown> {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return false;
  const keys = Object.keys(value);
  return required.every((k) => keys.includes(k)) && keys.every((k) => required.includes(k) || optional.includes(k));
}

const nullableString = (v: unknown) => v === null || typeof v === 'string';

function checkpointProblem(c: unknown): string | null {
  if (!exactKeys(c, ['seq', 'hash', 'at', 'rows', 'digest', 'filter'])) return 'the checkpoint must have exactly seq, hash, at, rows, digest and filter';
  if (typeof c['seq'] !== 'string' || !SEQ_OR_ZERO.test(c['seq'])) return 'checkpoint.seq is not a decimal string';
  if (typeof c['hash'] !== 'string' || !HASH_PATTERN.test(c['hash'])) return 'checkpoint.hash is not a lower-case hex sha256';
  if (typeof c['digest'] !== 'string' || !HASH_PATTERN.test(c['digest'])) return 'checkpoint.digest is not a lower-case hex sha256';
  if (typeof c['at'] !== 'string' || !ISO_MS.test(c['at'])) return 'checkpoint.at is not an ISO 8601 UTC time with milliseconds';
  if (typeof c['rows'] !== 'number' || !Number.isSafeInteger(c['rows']) || c['rows'] < 0) return 'checkpoint.rows is not a whole number';
  const filter = c['filter'];
  if (filter !== null) {
    const keys: (keyof AuditExportFilter)[] = ['project_id', 'actor_id', 'action', 'since', 'until'];
    if (!exactKeys(filter, keys) || !keys.every((k) => nullableString(filter[k]))) return 'checkpoint.filter is not null or a filter';
  }
  return null;
}

/**
 * Checks the last line of an export: its form, that it was signed with this key's algorithm
 * (and, for Ed25519, by this key), and its signature. Pass the HMAC secret, or the Ed25519
 * public key (the private key works too). A valid line gives the checkpoint to trust, e.g. as
 * `verifyChain({ checkpoint })`; this does not read the event lines (see `verifyExport`).
 */
export function verifyExportedCheckpoint(line: string, verificationKey: AuditSigningKey): CheckpointVerification {
  const key = resolveKey(verificationKey, false);
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return { valid: false, reason: 'The checkpoint line is not JSON.' };
  }
  if (!exactKeys(parsed, ['alg', 'checkpoint', 'signature'], ['keyId'])) {
    return { valid: false, reason: 'The checkpoint line must have exactly alg, checkpoint, signature (and keyId for ed25519).' };
  }
  const { alg, signature, keyId } = parsed;
  if (alg !== 'hmac-sha256' && alg !== 'ed25519') return { valid: false, reason: `Unknown signature algorithm ${JSON.stringify(alg)}.` };
  if (alg !== key.alg) return { valid: false, reason: `The checkpoint is signed with ${alg}, but the key given is for ${key.alg}.` };
  const problem = checkpointProblem(parsed['checkpoint']);
  if (problem) return { valid: false, reason: `The checkpoint line is malformed: ${problem}.` };
  if (typeof signature !== 'string' || !BASE64.test(signature)) return { valid: false, reason: 'The signature is not base64.' };
  const checkpoint = parsed['checkpoint'] as unknown as AuditCheckpoint;
  const sig = Buffer.from(signature, 'base64');
  let good: boolean;
  if (key.alg === 'hmac-sha256') {
    if (keyId !== undefined) return { valid: false, reason: 'An hmac-sha256 checkpoint has no keyId.' };
    const expected = createHmac('sha256', key.secret).update(signedBytes({ alg, checkpoint })).digest();
    good = sig.length === expected.length && timingSafeEqual(sig, expected);
  } else {
    if (keyId !== key.keyId) return { valid: false, reason: `The checkpoint was signed by key ${JSON.stringify(keyId)}, not by ${key.keyId}.` };
    good = verify(null, signedBytes({ alg, checkpoint, keyId }), key.publicKey, sig);
  }
  if (!good) return { valid: false, reason: 'The checkpoint signature does not verify: the line was altered or signed with another key.' };
  return { valid: true, checkpoint, signed: parsed as unknown as SignedAuditCheckpoint };
}

/**
 * Reads a signing key from configuration text: a PEM Ed25519 private key ("-----BEGIN PRIVATE
 * KEY-----", PKCS#8, as `openssl genpkey -algorithm ed25519` writes it), or an HMAC secret of at
 * least 32 bytes in base64 or base64url (`openssl rand -base64 32`). Throws AUDIT_SIGNING_KEY_INVALID.
 */
export function parseSigningKey(text: string): AuditSigningKey {
  const value = text.trim();
  if (value.startsWith('-----BEGIN')) {
    let key: KeyObject;
    try {
      key = createPrivateKey(value);
    } catch (err) {
      throw invalidKey(`The audit signing key looks like PEM but is not a private key Node.js can read (${(err as Error).message}).`);
    }
    assertSigningKey(key);
    return key;
  }
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    throw invalidKey('The audit signing key must be a PEM Ed25519 private key or a base64 HMAC secret of at least 32 bytes.');
  }
  const secret = Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  assertSigningKey(secret);
  return secret;
}
