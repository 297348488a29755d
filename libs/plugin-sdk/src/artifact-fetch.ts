import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { fileURLToPath } from 'node:url';
import { CallError } from './call-error';

export interface ArtifactToFetch {
  /** file://, http:// or https:// */
  readonly uri: string;
  /** Lower-case hex sha256 the bytes must have. */
  readonly sha256: string;
  /** Expected size in bytes; 0 when the caller did not say. */
  readonly sizeBytes: number;
}

export interface FetchArtifactOptions {
  /** Folder for the temporary copy (created by the caller, private to the plugin). */
  readonly dir: string;
  readonly timeoutMs: number;
}

/**
 * Copies an artifact into a private temporary file while computing its
 * sha256, and refuses it (FAILED_PRECONDITION, nothing left behind) when the
 * digest or the size differs from what the core announced. Resolves with the
 * path of the verified copy; the caller deletes it.
 */
export async function fetchArtifact(artifact: ArtifactToFetch, options: FetchArtifactOptions): Promise<string> {
  const expected = artifact.sha256;
  const target = join(options.dir, `${randomUUID()}.artifact`);
  const hash = createHash('sha256');
  let received = 0;
  const limit = artifact.sizeBytes > 0 ? artifact.sizeBytes : Infinity;
  const meter = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      received += chunk.length;
      if (received > limit) {
        callback(new CallError('FAILED_PRECONDITION', `artifact size mismatch: expected ${artifact.sizeBytes} bytes, the artifact at ${describeUri(artifact.uri)} is larger`));
        return;
      }
      hash.update(chunk);
      callback(null, chunk);
    },
  });
  try {
    const source = await openSource(artifact.uri, options.timeoutMs);
    await pipeline(source, meter, createWriteStream(target, { flags: 'wx', mode: 0o600 }));
  } catch (err) {
    await rm(target, { force: true });
    if (err instanceof CallError) throw err;
    throw downloadError(artifact.uri, err);
  }
  const actual = hash.digest('hex');
  if (actual !== expected) {
    await rm(target, { force: true });
    const size = artifact.sizeBytes > 0 && received !== artifact.sizeBytes ? ` (and ${received} bytes instead of ${artifact.sizeBytes})` : '';
    throw new CallError('FAILED_PRECONDITION', `artifact sha256 mismatch: expected ${expected}, got ${actual}${size}; nothing was loaded`);
  }
  if (artifact.sizeBytes > 0 && received !== artifact.sizeBytes) {
    await rm(target, { force: true });
    throw new CallError('FAILED_PRECONDITION', `artifact size mismatch: expected ${artifact.sizeBytes} bytes, got ${received}; nothing was loaded`);
  }
  return target;
}

/** The schemes fetchArtifact understands; anything else is refused before any I/O. */
export function checkArtifactUri(uri: string): void {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    throw new CallError('INVALID_ARGUMENT', `artifact.uri is not a URL: ${JSON.stringify(uri.slice(0, 200))}`);
  }
  if (!['file:', 'http:', 'https:'].includes(url.protocol)) {
    throw new CallError('INVALID_ARGUMENT', `artifact.uri scheme "${url.protocol.replace(/:$/, '')}" is not supported; use file://, http:// or https://`);
  }
  if (url.protocol === 'file:' && url.host !== '' && url.host !== 'localhost') {
    throw new CallError('INVALID_ARGUMENT', `artifact.uri names a file on another host (${url.host}); file:// works on the same machine only`);
  }
}

async function openSource(uri: string, timeoutMs: number): Promise<Readable> {
  const url = new URL(uri);
  if (url.protocol === 'file:') {
    const stream = createReadStream(fileURLToPath(url));
    // Surface "no such file" before the pipeline starts, so the error is about the source.
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    return stream;
  }
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  if (!res.ok || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    const code = res.status >= 500 || res.status === 429 ? 'UNAVAILABLE' : 'FAILED_PRECONDITION';
    throw new CallError(code, `artifact download from ${describeUri(uri)} failed: HTTP ${res.status}`);
  }
  return Readable.fromWeb(res.body as unknown as WebReadableStream<Uint8Array>);
}

function downloadError(uri: string, err: unknown): CallError {
  const e = err as NodeJS.ErrnoException;
  if (e?.code === 'ENOENT') return new CallError('FAILED_PRECONDITION', `artifact file ${describeUri(uri)} does not exist`);
  if (e?.code === 'EACCES' || e?.code === 'EISDIR') return new CallError('FAILED_PRECONDITION', `artifact file ${describeUri(uri)} cannot be read (${e.code})`);
  if (e?.name === 'TimeoutError') return new CallError('UNAVAILABLE', `artifact download from ${describeUri(uri)} timed out`);
  const cause = (e?.cause as Error | undefined)?.message;
  return new CallError('UNAVAILABLE', `artifact download from ${describeUri(uri)} failed: ${e?.message ?? String(err)}${cause ? ` (${cause})` : ''}`);
}

/** The URI without its query string and credentials: signed URLs carry secrets there. */
export function describeUri(uri: string): string {
  try {
    const url = new URL(uri);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '<invalid uri>';
  }
}
