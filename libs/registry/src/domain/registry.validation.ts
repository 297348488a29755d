import { isUuid } from '@modelport/database';
import { MODEL_FORMATS, type Lineage, type ModelFormat } from './registry.types';
import { RegistryError, RegistryErrorCode } from './registry.errors';

export const MAX_TAGS = 50;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N}_.:=+@-]{0,127}$/u;
const ALIAS = /^[a-z][a-z0-9_-]{0,63}$/;
const SHA256 = /^[0-9a-f]{64}$/;

export function validateTags(tags: readonly unknown[] | null | undefined): string[] {
  if (!tags) return [];
  if (tags.length > MAX_TAGS) throw new RegistryError(RegistryErrorCode.INVALID_TAG, `At most ${MAX_TAGS} tags are allowed (got ${tags.length}).`);
  const out = new Set<string>();
  for (const tag of tags) {
    const t = typeof tag === 'string' ? tag.normalize('NFC') : '';
    if (!TAG.test(t)) {
      throw new RegistryError(
        RegistryErrorCode.INVALID_TAG,
        `Invalid tag ${JSON.stringify(tag)}: a tag is 1-128 letters, digits or _ . : = + @ -, starting with a letter or digit.`,
      );
    }
    out.add(t);
  }
  return [...out];
}

export function validateAlias(alias: unknown): string {
  if (typeof alias !== 'string' || !ALIAS.test(alias)) {
    throw new RegistryError(
      RegistryErrorCode.INVALID_ALIAS,
      `Invalid alias ${JSON.stringify(alias)}: an alias is 1-64 lowercase letters, digits, _ or -, starting with a letter (for example "champion").`,
    );
  }
  return alias;
}

export function validateSha256(sha256: unknown): string {
  const s = typeof sha256 === 'string' ? sha256.toLowerCase() : '';
  if (!SHA256.test(s)) {
    throw new RegistryError(RegistryErrorCode.INVALID_SHA256, `sha256 must be 64 hexadecimal characters (got ${JSON.stringify(sha256)}); compute it with \`sha256sum FILE\`.`);
  }
  return s;
}

export function validateSize(size: unknown, maxBytes: number): number {
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 1) {
    throw new RegistryError(RegistryErrorCode.INVALID_SIZE, `sizeBytes must be a positive whole number of bytes (got ${JSON.stringify(size)}).`);
  }
  if (size > maxBytes) {
    throw new RegistryError(
      RegistryErrorCode.ARTIFACT_TOO_LARGE,
      `The artifact is ${size} bytes, over the limit of ${maxBytes} bytes (MODELPORT_MAX_ARTIFACT_BYTES).`,
      { maxBytes },
    );
  }
  return size;
}

export function validateFormat(format: unknown): ModelFormat {
  const f = typeof format === 'string' ? format.toLowerCase() : '';
  if (!(MODEL_FORMATS as readonly string[]).includes(f)) {
    throw new RegistryError(RegistryErrorCode.INVALID_FORMAT, `Unknown format ${JSON.stringify(format)}; use one of ${MODEL_FORMATS.join(', ')}.`);
  }
  return f as ModelFormat;
}

const MAX_LINEAGE_ENTRIES = 200;

export function validateLineage(input: Lineage | null | undefined): Lineage {
  if (!input) return {};
  const fail = (why: string): never => {
    throw new RegistryError(RegistryErrorCode.INVALID_LINEAGE, `Invalid lineage: ${why}.`);
  };
  const out: { -readonly [K in keyof Lineage]: Lineage[K] } = {};
  if (input.trainingDataUri != null) {
    try {
      const u = new URL(input.trainingDataUri);
      if (!u.protocol) fail('trainingDataUri must be an absolute URI');
    } catch {
      fail(`trainingDataUri ${JSON.stringify(input.trainingDataUri)} is not an absolute URI (for example s3://bucket/data.parquet)`);
    }
    if (input.trainingDataUri.length > 2048) fail('trainingDataUri is longer than 2048 characters');
    out.trainingDataUri = input.trainingDataUri;
  }
  if (input.codeCommit != null) {
    if (!/^[\x21-\x7e]{1,200}$/.test(input.codeCommit)) fail('codeCommit must be 1-200 visible ASCII characters (a commit hash or tag)');
    out.codeCommit = input.codeCommit;
  }
  for (const [field, list] of [
    ['parameters', input.parameters],
    ['metrics', input.metrics],
  ] as const) {
    if (!list) continue;
    if (list.length > MAX_LINEAGE_ENTRIES) fail(`${field} has more than ${MAX_LINEAGE_ENTRIES} entries`);
    const seen = new Set<string>();
    for (const entry of list) {
      if (!entry.key || entry.key.length > 256 || /[\p{Cc}]/u.test(entry.key)) fail(`${field} keys must be 1-256 characters without control characters`);
      if (seen.has(entry.key)) fail(`${field} key "${entry.key}" appears twice`);
      seen.add(entry.key);
      if (field === 'metrics' && !Number.isFinite(entry.value)) fail(`metric "${entry.key}" must be a finite number`);
      if (field === 'parameters' && String(entry.value).length > 4096) fail(`parameter "${entry.key}" is longer than 4096 characters`);
    }
  }
  if (input.parameters) out.parameters = input.parameters.map((p) => ({ key: p.key, value: String(p.value) }));
  if (input.metrics) out.metrics = input.metrics.map((m) => ({ key: m.key, value: m.value }));
  if (input.trigger != null) out.trigger = String(input.trigger).slice(0, 1024);
  if (input.refreshRunId != null) {
    if (!isUuid(input.refreshRunId)) fail(`refreshRunId ${JSON.stringify(input.refreshRunId)} is not a refresh run id (a UUID); use the runId of the refresh request`);
    out.refreshRunId = String(input.refreshRunId).toLowerCase();
  }
  return out;
}
