import { AuditError, AuditErrorCode } from './audit.errors';
import { GENESIS_HASH, HASH_PATTERN, hashEvent } from './audit-event';
import type { AuditEvent, ChainProblem, TrustedCheckpoint, VerifyChainResult } from './audit.types';

interface Checkpoint {
  readonly seq: bigint;
  readonly hash: string;
}

/** Validates a trusted checkpoint; throws AUDIT_INVALID_CHECKPOINT. seq 0 with 64 zeros is the empty chain. */
export function parseCheckpoint(checkpoint: TrustedCheckpoint): Checkpoint {
  const raw = checkpoint?.seq;
  const text = typeof raw === 'bigint' ? raw.toString() : typeof raw === 'number' && Number.isSafeInteger(raw) ? String(raw) : raw;
  if (typeof text !== 'string' || !/^(0|[1-9][0-9]{0,18})$/.test(text)) {
    throw new AuditError(AuditErrorCode.AUDIT_INVALID_CHECKPOINT, `The checkpoint's seq must be a whole number of at least 0 (got ${JSON.stringify(String(raw))}).`);
  }
  const hash = typeof checkpoint.hash === 'string' ? checkpoint.hash.toLowerCase() : '';
  if (!HASH_PATTERN.test(hash)) {
    throw new AuditError(AuditErrorCode.AUDIT_INVALID_CHECKPOINT, "The checkpoint's hash must be 64 hexadecimal digits (a sha256).");
  }
  const seq = BigInt(text);
  if (seq === 0n && hash !== GENESIS_HASH) {
    throw new AuditError(AuditErrorCode.AUDIT_INVALID_CHECKPOINT, 'A checkpoint at seq 0 (the empty chain) must have the hash of 64 zeros.');
  }
  return { seq, hash };
}

interface Break {
  readonly seq: bigint;
  readonly problem: ChainProblem;
  readonly reason: string;
}

/**
 * Recomputes the chain one row at a time, in seq order, and remembers the first broken link.
 * Plain code with no database: `AuditService.verifyChain` feeds it pages of rows, and an export
 * can be checked the same way.
 *
 * For each row, in this order: its seq follows the previous one (else `seq-gap`, or
 * `unexpected-seq` at the start), its `prev_hash` is the previous row's hash (else
 * `prev-hash-mismatch`), its content gives its hash (else `hash-mismatch`), and at the trusted
 * checkpoint's seq its hash is the checkpoint's (else `checkpoint-mismatch`). At the end, a chain
 * that stops before the checkpoint's seq is `truncated`.
 */
export class ChainVerifier {
  private expected = 1n;
  private prev = GENESIS_HASH;
  private rows = 0;
  private broken: Break | null = null;
  private readonly checkpoint: Checkpoint | null;

  constructor(checkpoint: TrustedCheckpoint | null = null) {
    this.checkpoint = checkpoint ? parseCheckpoint(checkpoint) : null;
  }

  get ok(): boolean {
    return this.broken === null;
  }

  /** The seq after the last intact row. */
  get nextSeq(): bigint {
    return this.expected;
  }

  /** Checks the next row; returns false (and ignores later rows) once the chain is broken. */
  push(row: AuditEvent): boolean {
    if (this.broken) return false;
    const seq = BigInt(row.seq);
    const before = this.expected - 1n;
    if (seq > this.expected) {
      const missing = seq - this.expected === 1n ? `seq ${this.expected} is` : `seqs ${this.expected} to ${seq - 1n} are`;
      return this.fail(
        this.expected,
        'seq-gap',
        before === 0n
          ? `The chain starts at seq ${seq}: ${missing} missing (deleted rows).`
          : `${missing[0]!.toUpperCase()}${missing.slice(1)} missing: the row after seq ${before} is seq ${seq} (deleted rows).`,
      );
    }
    if (seq < this.expected) {
      return this.fail(seq, 'unexpected-seq', `Seq ${seq} comes where seq ${this.expected} was expected: the chain must start at seq 1.`);
    }
    if (row.prevHash !== this.prev) {
      return this.fail(
        seq,
        'prev-hash-mismatch',
        before === 0n
          ? `The prev_hash of seq 1 is not 64 zeros: the first row was replaced.`
          : `The prev_hash of seq ${seq} is not the hash of seq ${before}: rows were swapped, inserted or replaced here.`,
      );
    }
    if (hashEvent(row) !== row.hash) {
      return this.fail(seq, 'hash-mismatch', `The content of seq ${seq} does not match its hash: the row was changed after it was appended.`);
    }
    if (this.checkpoint && seq === this.checkpoint.seq && row.hash !== this.checkpoint.hash) {
      return this.fail(
        seq,
        'checkpoint-mismatch',
        `The hash of seq ${seq} is not the trusted checkpoint's: rows at or before seq ${seq} were rewritten and the chain re-hashed.`,
      );
    }
    this.rows++;
    this.prev = row.hash;
    this.expected = seq + 1n;
    return true;
  }

  result(): VerifyChainResult {
    if (!this.broken && this.checkpoint && this.checkpoint.seq >= this.expected) {
      const last = this.expected - 1n;
      this.fail(
        this.expected,
        'truncated',
        `The chain ends at seq ${last} but the trusted checkpoint is at seq ${this.checkpoint.seq}: ` +
          `${this.checkpoint.seq === this.expected ? `seq ${this.expected} was` : `seqs ${this.expected} to ${this.checkpoint.seq} were`} deleted from its end.`,
      );
    }
    if (this.broken) {
      return { ok: false, rowsChecked: this.rows, firstBrokenSeq: this.broken.seq.toString(), problem: this.broken.problem, reason: this.broken.reason };
    }
    return { ok: true, rows: this.rows, lastSeq: (this.expected - 1n).toString(), lastHash: this.prev };
  }

  private fail(seq: bigint, problem: ChainProblem, reason: string): false {
    this.broken = { seq, problem, reason };
    return false;
  }
}
