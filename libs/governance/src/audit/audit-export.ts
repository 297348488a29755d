import { createHash } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import { ChainVerifier } from './audit-chain';
import { hashEvent, parseExportLine } from './audit-event';
import { verifyExportedCheckpoint, type AuditSigningKey } from './audit-signing';
import type { AuditCheckpoint, AuditEvent } from './audit.types';

export type ExportSource = string | Iterable<string | Uint8Array> | AsyncIterable<string | Uint8Array>;

export type ExportVerification =
  | { readonly valid: true; readonly rows: number; readonly checkpoint: AuditCheckpoint }
  | { readonly valid: false; readonly line: number; readonly reason: string };

/** Splits text chunks (or UTF-8 bytes, possibly cut inside a character) into lines without their newline. */
async function* splitLines(source: ExportSource): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  for await (const chunk of typeof source === 'string' ? [source] : source) {
    rest += typeof chunk === 'string' ? chunk : decoder.write(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    let start = 0;
    for (let end = rest.indexOf('\n'); end >= 0; end = rest.indexOf('\n', start)) {
      yield rest.slice(start, end);
      start = end + 1;
    }
    rest = rest.slice(start);
  }
  rest += decoder.end();
  if (rest !== '') yield rest;
}

function isCheckpointLine(line: string): boolean {
  try {
    const parsed: unknown = JSON.parse(line);
    return !!parsed && typeof parsed === 'object' && 'checkpoint' in parsed;
  } catch {
    return false;
  }
}

/**
 * Checks a whole NDJSON export offline (no database): every event line's own hash, the order of
 * seqs, the signed checkpoint on the last line, that the lines are the ones it signed (their
 * count and the sha256 digest of their bytes), and for a full export that the lines form the
 * chain from seq 1 to the checkpoint's seq and hash. Reports the first line that fails.
 */
export async function verifyExport(source: ExportSource, verificationKey: AuditSigningKey): Promise<ExportVerification> {
  const digest = createHash('sha256');
  const chain = new ChainVerifier();
  let chainBreak: { line: number; reason: string } | null = null;
  let rows = 0;
  let lineNo = 0;
  let last: AuditEvent | null = null;
  let checkpoint: AuditCheckpoint | null = null;
  const invalid = (line: number, reason: string): ExportVerification => ({ valid: false, line, reason });

  for await (const line of splitLines(source)) {
    lineNo++;
    if (checkpoint) {
      if (line === '') continue;
      return invalid(lineNo, 'There are lines after the checkpoint line.');
    }
    if (isCheckpointLine(line)) {
      const verified = verifyExportedCheckpoint(line, verificationKey);
      if (!verified.valid) return invalid(lineNo, verified.reason);
      checkpoint = verified.checkpoint;
      continue;
    }
    digest.update(`${line}\n`, 'utf8');
    rows++;
    let event: AuditEvent;
    try {
      event = parseExportLine(line);
    } catch (err) {
      return invalid(lineNo, `The line is not an audit event: ${(err as Error).message}.`);
    }
    if (hashEvent(event) !== event.hash) return invalid(lineNo, `The content of seq ${event.seq} does not match its hash: the line was altered.`);
    if (last && BigInt(event.seq) <= BigInt(last.seq)) return invalid(lineNo, `Seq ${event.seq} does not come after seq ${last.seq}.`);
    if (!chain.push(event) && !chainBreak) {
      const result = chain.result();
      chainBreak = { line: lineNo, reason: result.ok ? '' : result.reason };
    }
    last = event;
  }

  if (!checkpoint) return invalid(lineNo + 1, 'The export has no checkpoint line: it is incomplete.');
  const checkpointLineNo = rows + 1;
  if (rows !== checkpoint.rows) return invalid(checkpointLineNo, `The export has ${rows} event lines, but its checkpoint signed ${checkpoint.rows}.`);
  if (digest.digest('hex') !== checkpoint.digest) return invalid(checkpointLineNo, 'The event lines are not the ones the checkpoint signed: lines were altered, added or removed.');
  if (checkpoint.filter === null) {
    // A full export is the chain itself, from seq 1 to the checkpoint.
    if (chainBreak) return invalid(chainBreak.line, chainBreak.reason);
    const head = chain.result();
    if (!head.ok || head.lastSeq !== checkpoint.seq || head.lastHash !== checkpoint.hash) {
      return invalid(checkpointLineNo, `The chain in the export ends at seq ${last?.seq ?? '0'}, not at the checkpoint's seq ${checkpoint.seq} and hash.`);
    }
  } else if (last && BigInt(last.seq) > BigInt(checkpoint.seq)) {
    return invalid(rows, `Seq ${last.seq} comes after the checkpoint's seq ${checkpoint.seq}.`);
  }
  return { valid: true, rows, checkpoint };
}
