// Closed-loop load: N workers, each sending its next request as soon as the previous one answered.
import { Agent, request } from 'node:http';

/** Sends one request: resolves undefined on success, or a description when the server answered with an error; rejects when the transport failed. */
export type Send = () => Promise<string | undefined>;

export interface LoadResult {
  /** Answered successfully. */
  ok: number;
  /** Answered with an error (HTTP status other than 200, gRPC error status). */
  failed: number;
  /** No answer (connection refused or reset, ...). */
  transportErrors: number;
  elapsedMs: number;
  /** Latencies of the successful requests, in milliseconds. */
  latenciesMs: number[];
  firstError?: string;
}

export function emptyResult(): LoadResult {
  return { ok: 0, failed: 0, transportErrors: 0, elapsedMs: 0, latenciesMs: [] };
}

/** Adds `more` into `into` (rounds of the same cell). */
export function addResult(into: LoadResult, more: LoadResult): void {
  into.ok += more.ok;
  into.failed += more.failed;
  into.transportErrors += more.transportErrors;
  into.elapsedMs += more.elapsedMs;
  for (const l of more.latenciesMs) into.latenciesMs.push(l);
  into.firstError ??= more.firstError;
}

/** Runs `concurrency` workers for `durationMs`; requests in flight at the deadline finish and count. */
export async function closedLoop(send: Send, concurrency: number, durationMs: number): Promise<LoadResult> {
  const result = emptyResult();
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        try {
          const error = await send();
          if (error === undefined) {
            result.ok++;
            result.latenciesMs.push(performance.now() - t0);
          } else {
            result.failed++;
            result.firstError ??= error;
          }
        } catch (err) {
          result.transportErrors++;
          result.firstError ??= err instanceof Error ? err.message : String(err);
        }
      }
    }),
  );
  result.elapsedMs = performance.now() - started;
  return result;
}

/** Nearest-rank percentile of sorted values (0 when there are none). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export interface JsonPoster {
  send: Send;
  close(): void;
}

/**
 * POSTs the same JSON body over keep-alive connections (node:http, at most `maxSockets` open).
 * A 200 answer's body is read and dropped, so the client spends as little CPU as it can; any other
 * status is an error with its body as the description.
 */
export function jsonPoster(url: string, body: string, headers: Record<string, string>, maxSockets: number): JsonPoster {
  const target = new URL(url);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const payload = Buffer.from(body);
  const allHeaders = { ...headers, 'content-type': 'application/json', 'content-length': String(payload.length) };
  const send: Send = () =>
    new Promise((resolve, reject) => {
      const req = request({ host: target.hostname, port: target.port, path: target.pathname, method: 'POST', agent, headers: allHeaders }, (res) => {
        res.on('error', reject);
        if (res.statusCode === 200) {
          res.on('end', () => resolve(undefined));
          res.resume();
          return;
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve(`HTTP ${res.statusCode}: ${Buffer.concat(chunks).toString().slice(0, 300)}`));
      });
      req.on('error', reject);
      req.end(payload);
    });
  return { send, close: () => agent.destroy() };
}
