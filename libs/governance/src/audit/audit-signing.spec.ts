import { createHash, createSecretKey, generateKeyPairSync, randomBytes } from 'node:crypto';
import { isModelportError } from '@modelport/errors';
import { buildChain } from './audit-chain.fixture';
import { GENESIS_HASH, exportLine } from './audit-event';
import { verifyExport } from './audit-export';
import { checkpointLine, keyFingerprint, parseSigningKey, signCheckpoint, verifyExportedCheckpoint } from './audit-signing';
import type { AuditCheckpoint, AuditExportFilter } from './audit.types';

const hmacKey = randomBytes(32);
const ed = generateKeyPairSync('ed25519');

function exportOf(n: number, key: Buffer | typeof ed.privateKey, filter: AuditExportFilter | null = null): { lines: string[]; checkpoint: AuditCheckpoint } {
  const events = buildChain(n);
  const lines = events.map((e) => `${exportLine(e)}\n`);
  const checkpoint: AuditCheckpoint = {
    seq: String(n),
    hash: events[n - 1]?.hash ?? GENESIS_HASH,
    at: '2026-11-02T00:00:00.000Z',
    rows: n,
    digest: createHash('sha256').update(lines.join(''), 'utf8').digest('hex'),
    filter,
  };
  return { lines: [...lines, `${checkpointLine(signCheckpoint(checkpoint, key))}\n`], checkpoint };
}

const errorCode = (fn: () => unknown): string | null => {
  try {
    fn();
  } catch (err) {
    return isModelportError(err) ? err.code : null;
  }
  return null;
};

describe('checkpoint signatures', () => {
  const checkpoint: AuditCheckpoint = { seq: '3', hash: 'ab'.repeat(32), at: '2026-11-02T00:00:00.000Z', rows: 3, digest: 'cd'.repeat(32), filter: null };

  it('signs with HMAC-SHA256 given a secret, and verifies with it', () => {
    const signed = signCheckpoint(checkpoint, hmacKey);
    expect(signed.alg).toBe('hmac-sha256');
    expect(signed.keyId).toBeUndefined();
    const line = checkpointLine(signed);
    expect(line).toMatch(/^\{"alg":"hmac-sha256","checkpoint":\{"at":"2026-11-02T00:00:00.000Z","digest":"c[^}]*"seq":"3"\},"signature":"[A-Za-z0-9+/=]+"\}$/);
    expect(verifyExportedCheckpoint(line, hmacKey)).toEqual({ valid: true, checkpoint, signed });
    expect(verifyExportedCheckpoint(line, createSecretKey(hmacKey)).valid).toBe(true);
  });

  it('signs with Ed25519 given a private key, naming the public key, and verifies with the public key', () => {
    const signed = signCheckpoint(checkpoint, ed.privateKey);
    expect(signed.alg).toBe('ed25519');
    const spki = ed.publicKey.export({ type: 'spki', format: 'der' });
    expect(signed.keyId).toBe(`sha256:${createHash('sha256').update(spki).digest('hex')}`);
    expect(keyFingerprint(ed.privateKey)).toBe(signed.keyId);
    const line = checkpointLine(signed);
    expect(verifyExportedCheckpoint(line, ed.publicKey)).toMatchObject({ valid: true, checkpoint });
    expect(verifyExportedCheckpoint(line, ed.privateKey).valid).toBe(true);
  });

  it('fails when any signed field or the signature is altered', () => {
    for (const key of [hmacKey, ed.privateKey]) {
      const line = checkpointLine(signCheckpoint(checkpoint, key));
      for (const altered of [
        line.replace('"rows":3', '"rows":4'),
        line.replace('"seq":"3"', '"seq":"2"'),
        line.replace('"filter":null', '"filter":{"action":null,"actor_id":null,"project_id":null,"since":null,"until":null}'),
      ]) {
        expect(verifyExportedCheckpoint(altered, key)).toEqual({ valid: false, reason: expect.stringMatching(/does not verify/) });
      }
      const signed = JSON.parse(line);
      const sig = Buffer.from(signed.signature, 'base64');
      sig[0] ^= 1;
      expect(verifyExportedCheckpoint(JSON.stringify({ ...signed, signature: sig.toString('base64') }), key).valid).toBe(false);
    }
  });

  it('fails with another key or another algorithm', () => {
    const hmacLine = checkpointLine(signCheckpoint(checkpoint, hmacKey));
    const edLine = checkpointLine(signCheckpoint(checkpoint, ed.privateKey));
    expect(verifyExportedCheckpoint(hmacLine, randomBytes(32))).toMatchObject({ valid: false, reason: expect.stringMatching(/does not verify/) });
    expect(verifyExportedCheckpoint(edLine, generateKeyPairSync('ed25519').publicKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/signed by key/) });
    expect(verifyExportedCheckpoint(hmacLine, ed.publicKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/signed with hmac-sha256/) });
    expect(verifyExportedCheckpoint(edLine, hmacKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/signed with ed25519/) });
    // An Ed25519 line relabelled as HMAC cannot pass as one.
    const relabelled = JSON.stringify({ ...JSON.parse(edLine), alg: 'hmac-sha256' });
    expect(verifyExportedCheckpoint(relabelled, hmacKey).valid).toBe(false);
  });

  it('fails on malformed lines', () => {
    expect(verifyExportedCheckpoint('not json', hmacKey)).toMatchObject({ valid: false, reason: expect.stringMatching(/not JSON/) });
    expect(verifyExportedCheckpoint('{"checkpoint":{}}', hmacKey).valid).toBe(false);
    const line = JSON.parse(checkpointLine(signCheckpoint(checkpoint, hmacKey)));
    expect(verifyExportedCheckpoint(JSON.stringify({ ...line, extra: 1 }), hmacKey).valid).toBe(false);
    expect(verifyExportedCheckpoint(JSON.stringify({ ...line, checkpoint: { ...checkpoint, rows: -1 } }), hmacKey)).toMatchObject({
      valid: false,
      reason: expect.stringMatching(/rows/),
    });
  });

  it('refuses keys it cannot sign with', () => {
    expect(errorCode(() => signCheckpoint(checkpoint, randomBytes(16)))).toBe('AUDIT_SIGNING_KEY_INVALID');
    expect(errorCode(() => signCheckpoint(checkpoint, ed.publicKey))).toBe('AUDIT_SIGNING_KEY_INVALID');
    expect(errorCode(() => signCheckpoint(checkpoint, generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey))).toBe('AUDIT_SIGNING_KEY_INVALID');
  });
});

describe('parseSigningKey', () => {
  it('reads a PEM Ed25519 private key', () => {
    const pem = ed.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    const key = parseSigningKey(`\n${pem}\n`);
    expect(keyFingerprint(key as typeof ed.privateKey)).toBe(keyFingerprint(ed.publicKey));
  });

  it('reads a base64 or base64url HMAC secret', () => {
    const secret = randomBytes(32);
    expect(parseSigningKey(secret.toString('base64'))).toEqual(secret);
    expect(parseSigningKey(secret.toString('base64url'))).toEqual(secret);
  });

  it('refuses short secrets, other key types and garbage', () => {
    expect(errorCode(() => parseSigningKey(randomBytes(16).toString('base64')))).toBe('AUDIT_SIGNING_KEY_INVALID');
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    expect(errorCode(() => parseSigningKey(rsa))).toBe('AUDIT_SIGNING_KEY_INVALID');
    expect(errorCode(() => parseSigningKey('-----BEGIN PRIVATE KEY-----\nnope\n-----END PRIVATE KEY-----'))).toBe('AUDIT_SIGNING_KEY_INVALID');
    expect(errorCode(() => parseSigningKey('not a key!'))).toBe('AUDIT_SIGNING_KEY_INVALID');
  });
});

describe('verifyExport', () => {
  it('accepts an intact full export, in any chunking', async () => {
    for (const key of [hmacKey, ed.privateKey]) {
      const { lines, checkpoint } = exportOf(5, key);
      const text = lines.join('');
      expect(await verifyExport(text, key)).toEqual({ valid: true, rows: 5, checkpoint });
      const bytes = Buffer.from(text, 'utf8');
      const chunks = Array.from({ length: Math.ceil(bytes.length / 7) }, (_, i) => bytes.subarray(i * 7, i * 7 + 7));
      expect(await verifyExport(chunks, key)).toMatchObject({ valid: true, rows: 5 });
    }
  });

  it('accepts an empty export', async () => {
    const { lines } = exportOf(0, hmacKey);
    expect(await verifyExport(lines.join(''), hmacKey)).toMatchObject({ valid: true, rows: 0, checkpoint: { seq: '0', hash: GENESIS_HASH } });
  });

  it('names the line whose content was altered', async () => {
    const { lines } = exportOf(5, hmacKey);
    lines[2] = lines[2]!.replace('event 3', 'event 9');
    expect(await verifyExport(lines.join(''), hmacKey)).toEqual({ valid: false, line: 3, reason: expect.stringMatching(/seq 3 does not match its hash/) });
  });

  it('finds a removed, a duplicated and a re-ordered line', async () => {
    const removed = exportOf(5, hmacKey).lines;
    removed.splice(1, 1);
    expect(await verifyExport(removed.join(''), hmacKey)).toMatchObject({ valid: false, line: 5, reason: expect.stringMatching(/4 event lines, but its checkpoint signed 5/) });
    const dup = exportOf(3, hmacKey).lines;
    dup.splice(1, 0, dup[1]!);
    expect(await verifyExport(dup.join(''), hmacKey)).toMatchObject({ valid: false, line: 3, reason: expect.stringMatching(/does not come after/) });
    const swapped = exportOf(3, hmacKey).lines;
    [swapped[0], swapped[1]] = [swapped[1]!, swapped[0]!];
    expect(await verifyExport(swapped.join(''), hmacKey)).toMatchObject({ valid: false, line: 2, reason: expect.stringMatching(/does not come after/) });
  });

  it('finds an altered signature and a missing or foreign checkpoint', async () => {
    const { lines } = exportOf(3, hmacKey);
    const last = JSON.parse(lines[3]!);
    const forged = [...lines.slice(0, 3), `${JSON.stringify({ ...last, signature: Buffer.alloc(32).toString('base64') })}\n`];
    expect(await verifyExport(forged.join(''), hmacKey)).toMatchObject({ valid: false, line: 4, reason: expect.stringMatching(/does not verify/) });
    expect(await verifyExport(lines.slice(0, 3).join(''), hmacKey)).toMatchObject({ valid: false, line: 4, reason: expect.stringMatching(/no checkpoint line/) });
    expect(await verifyExport(lines.join(''), randomBytes(32))).toMatchObject({ valid: false, line: 4 });
    expect(await verifyExport([...lines, '{"more":1}\n'].join(''), hmacKey)).toMatchObject({ valid: false, line: 5, reason: expect.stringMatching(/after the checkpoint/) });
  });

  it('finds a line rewritten with a recomputed hash: by the digest, and for a full export by the chain', async () => {
    const { lines } = exportOf(3, hmacKey);
    // A different, self-consistent seq 1: its own hash is right, the next line's prev_hash is not.
    lines[0] = `${exportLine(buildChain(1)[0]!)}\n`;
    expect(await verifyExport(lines.join(''), hmacKey)).toMatchObject({ valid: false, line: 4, reason: expect.stringMatching(/not the ones the checkpoint signed/) });
    // Even with a digest and rows that match (a forger who also has the key), the chain gives it away.
    const digest = createHash('sha256').update(lines.slice(0, 3).join(''), 'utf8').digest('hex');
    const resigned = signCheckpoint({ ...JSON.parse(lines[3]!).checkpoint, digest }, hmacKey);
    lines[3] = `${checkpointLine(resigned)}\n`;
    expect(await verifyExport(lines.join(''), hmacKey)).toMatchObject({ valid: false, line: 2, reason: expect.stringMatching(/prev_hash of seq 2/) });
  });

  it('checks a filtered export by its digest and rows, not as a chain', async () => {
    const filter: AuditExportFilter = { project_id: null, actor_id: null, action: 'createDeployment', since: null, until: null };
    const events = buildChain(6).filter((e) => Number(e.seq) % 2 === 0);
    const lines = events.map((e) => `${exportLine(e)}\n`);
    const checkpoint: AuditCheckpoint = {
      seq: '6',
      hash: events[2]!.hash,
      at: '2026-11-02T00:00:00.000Z',
      rows: 3,
      digest: createHash('sha256').update(lines.join(''), 'utf8').digest('hex'),
      filter,
    };
    const text = [...lines, `${checkpointLine(signCheckpoint(checkpoint, ed.privateKey))}\n`].join('');
    expect(await verifyExport(text, ed.publicKey)).toEqual({ valid: true, rows: 3, checkpoint });
    const fullClaim = [...lines, `${checkpointLine(signCheckpoint({ ...checkpoint, filter: null }, ed.privateKey))}\n`].join('');
    expect(await verifyExport(fullClaim, ed.publicKey)).toMatchObject({ valid: false, line: 1, reason: expect.stringMatching(/starts at seq 2/) });
  });
});
