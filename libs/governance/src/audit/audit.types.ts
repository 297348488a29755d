export const AUDIT_OUTCOMES = ['ok', 'denied', 'error'] as const;
export type AuditOutcome = (typeof AUDIT_OUTCOMES)[number];

/** A JSON value as PostgreSQL's jsonb stores it and gives it back. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

/**
 * One event to append. The service assigns `seq`, `id`, `at`, `prevHash` and `hash`.
 * Structurally the same as the `AuditEventInput` the GraphQL interceptor and guard build, so
 * `AuditService` can be bound as their `AUDIT_SINK`.
 *
 * Values are normalised before they are hashed, so that what is hashed is exactly what
 * PostgreSQL gives back: `before`, `after` and `details` go through JSON (Dates become ISO
 * strings, `undefined` properties are dropped, bigints become decimal strings, NaN and the
 * infinities become null, `-0` becomes 0); U+0000 and lone surrogates, which PostgreSQL text
 * and jsonb cannot hold, become U+FFFD in every string and key; UUIDs are lower-cased.
 */
export interface AuditEventInput {
  readonly actorId?: string | null;
  readonly actorName?: string | null;
  /** What happened: the mutation name (`createDeployment`) or a dotted event (`access.denied`, `token.revoked`). */
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId?: string | null;
  readonly projectId?: string | null;
  readonly outcome: AuditOutcome;
  readonly before?: unknown;
  readonly after?: unknown;
  readonly requestId?: string | null;
  readonly details?: Record<string, unknown> | null;
}

/** One row of the audit trail. `seq` is a decimal string: it is a PostgreSQL bigint. */
export interface AuditEvent {
  readonly seq: string;
  readonly id: string;
  /** Millisecond precision, UTC; never earlier than the previous event's. */
  readonly at: Date;
  readonly actorId: string | null;
  readonly actorName: string | null;
  readonly action: string;
  readonly resourceType: string;
  readonly resourceId: string | null;
  readonly projectId: string | null;
  readonly outcome: AuditOutcome;
  readonly before: JsonValue;
  readonly after: JsonValue;
  readonly requestId: string | null;
  readonly details: JsonValue;
  /** The previous event's hash; 64 zeros for seq 1. */
  readonly prevHash: string;
  /** sha256 (hex) of the canonical form of this event, which includes `prevHash`. */
  readonly hash: string;
}

/** Which events `list` and `exportNdjson` return; all conditions must hold. */
export interface AuditFilter {
  readonly projectId?: string | null;
  readonly actorId?: string | null;
  readonly action?: string | null;
  /** Inclusive. */
  readonly since?: Date | null;
  /** Exclusive. */
  readonly until?: Date | null;
}

/** A point of the chain someone trusts: typically the checkpoint of the last signed export. */
export interface TrustedCheckpoint {
  readonly seq: string | number | bigint;
  readonly hash: string;
}

/**
 * Why verification stopped:
 * * `hash-mismatch`: the row's content does not give its stored hash (a changed byte);
 * * `prev-hash-mismatch`: the row's `prev_hash` is not the previous row's hash (rows swapped,
 *   or a row inserted or replaced);
 * * `seq-gap`: a sequence number is missing (a row was deleted);
 * * `unexpected-seq`: the chain does not start at seq 1;
 * * `checkpoint-mismatch`: the chain is consistent but its hash at the checkpoint's seq is not
 *   the checkpoint's (rows at or before that seq were rewritten and re-hashed);
 * * `truncated`: the chain ends before the checkpoint's seq (rows at its end were deleted).
 */
export type ChainProblem = 'hash-mismatch' | 'prev-hash-mismatch' | 'seq-gap' | 'unexpected-seq' | 'checkpoint-mismatch' | 'truncated';

export type VerifyChainResult =
  | { readonly ok: true; readonly rows: number; readonly lastSeq: string; readonly lastHash: string }
  | {
      readonly ok: false;
      /** Rows found intact before the first broken link. */
      readonly rowsChecked: number;
      /** The first seq that is wrong (for a gap or a truncation: the first one missing). */
      readonly firstBrokenSeq: string;
      readonly problem: ChainProblem;
      readonly reason: string;
    };

export interface VerifyChainOptions {
  readonly checkpoint?: TrustedCheckpoint | null;
  /** Rows read per query (default 1000). */
  readonly pageSize?: number;
}

/** The filter of an export as the signed checkpoint records it. */
export interface AuditExportFilter {
  readonly project_id: string | null;
  readonly actor_id: string | null;
  readonly action: string | null;
  readonly since: string | null;
  readonly until: string | null;
}

/**
 * The head of the chain when an export was made, and what the export holds: `rows` event lines
 * whose bytes (each line with its newline) have the sha256 `digest`.
 */
export interface AuditCheckpoint {
  readonly seq: string;
  readonly hash: string;
  /** When the export was made (ISO 8601, UTC). */
  readonly at: string;
  readonly rows: number;
  readonly digest: string;
  /** null for a full export, whose lines are the whole chain from seq 1 to `seq`. */
  readonly filter: AuditExportFilter | null;
}

export type CheckpointAlgorithm = 'hmac-sha256' | 'ed25519';

/** The last line of an export. */
export interface SignedAuditCheckpoint {
  readonly alg: CheckpointAlgorithm;
  readonly checkpoint: AuditCheckpoint;
  /** Ed25519 only: `sha256:` and the hex sha256 of the public key (SPKI DER). */
  readonly keyId?: string;
  /** Base64 of the signature over the canonical JSON of this object without `signature`. */
  readonly signature: string;
}
