/**
 * The audit trail of the governance context: `audit_events`, an append-only hash chain (see
 * README.md here), the service that appends, verifies, exports and lists it, and the offline
 * checks of an export.
 */
export { auditMigrations, GovernanceAudit1795800000000 } from './audit.migrations';
export { AuditService, type AuditServiceOptions, type AuditListRequest } from './audit.service';
export { AuditError, AuditErrorCode } from './audit.errors';
export { canonicalJson } from './canonical-json';
export { GENESIS_HASH, hashEvent, eventRecord, exportLine, parseExportLine, normalizeEvent } from './audit-event';
export { ChainVerifier, parseCheckpoint } from './audit-chain';
export {
  verifyExportedCheckpoint,
  signCheckpoint,
  checkpointLine,
  parseSigningKey,
  assertSigningKey,
  keyFingerprint,
  MIN_HMAC_KEY_BYTES,
  type AuditSigningKey,
  type CheckpointVerification,
} from './audit-signing';
export { verifyExport, type ExportSource, type ExportVerification } from './audit-export';
export {
  AUDIT_OUTCOMES,
  type AuditOutcome,
  type AuditEvent,
  type AuditEventInput,
  type AuditFilter,
  type AuditCheckpoint,
  type AuditExportFilter,
  type SignedAuditCheckpoint,
  type CheckpointAlgorithm,
  type TrustedCheckpoint,
  type ChainProblem,
  type VerifyChainOptions,
  type VerifyChainResult,
  type JsonValue,
} from './audit.types';
