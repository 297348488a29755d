// Open-loop load at a constant rate: each send is scheduled by the clock, never after an answer, so a
// slow answer shows as latency instead of slowing the load down (no coordinated omission).
import { Agent, request } from 'node:http';
import { percentile } from '../serving/load-generator';

/** One request of a run, as the client saw it. */
export interface Sample {
  /** When the schedule wanted it sent, ms since the run started. */
  readonly dueMs: number;
  /** When it was handed to node:http, ms since the run started. */
  readonly sentMs: number;
  /** From sentMs until the whole answer was read (or the transport failed). */
  latencyMs: number;
  /** The HTTP status; 0 when there was no answer (connection refused or reset, timeout). */
  status: number;
  /** `parameters.model_version` of a 200 answer: which version answered. */
  version: string | null;
  /** What went wrong, for a non-200 answer or a transport error. */
  error?: string;
}

export interface Answer {
  status: number;
  version: string | null;
  latencyMs: number;
  error?: string;
}

export interface V2Client {
  /** POSTs one V2 infer body; never rejects (a transport error is status 0). */
  post(body: Buffer): Promise<Answer>;
  close(): void;
}

/**
 * V2 REST infer over keep-alive node:http connections (as many as the load needs, up to
 * `maxSockets`). Reads each answer to find the version that answered; a request with no answer
 * within `timeoutMs` fails as a transport error.
 */
export function v2Client(inferUrl: string, token: string, maxSockets = 512, timeoutMs = 30_000): V2Client {
  const target = new URL(inferUrl);
  const agent = new Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
  const post = (body: Buffer): Promise<Answer> =>
    new Promise((resolve) => {
      const started = performance.now();
      let settled = false;
      const finish = (status: number, version: string | null, error?: string) => {
        if (settled) return;
        settled = true;
        resolve({ status, version, latencyMs: performance.now() - started, ...(error === undefined ? {} : { error }) });
      };
      const req = request(
        {
          host: target.hostname,
          port: target.port,
          path: target.pathname,
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': String(body.length), authorization: `Bearer ${token}` },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (err) => finish(0, null, err.message));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString();
            if (res.statusCode !== 200) return finish(res.statusCode ?? 0, null, `HTTP ${res.statusCode}: ${text.slice(0, 300)}`);
            try {
              const parsed = JSON.parse(text) as { parameters?: Record<string, unknown> };
              const version = parsed.parameters?.['model_version'];
              finish(200, version === undefined ? null : String(version));
            } catch {
              finish(200, null, `HTTP 200 with a body that is not JSON: ${text.slice(0, 300)}`);
            }
          });
        },
      );
      req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (err) => finish(0, null, err.message));
      req.end(body);
    });
  return { post, close: () => agent.destroy() };
}

export interface OpenLoopRun {
  /** Every request sent so far, in send order (filled while the run goes). */
  readonly samples: Sample[];
  /** ms since the run started. */
  now(): number;
  /** Resolves once the last scheduled request was sent and every request has its answer (or failed). */
  readonly done: Promise<Sample[]>;
}

/**
 * Sends `ratePerSecond` requests a second for `durationMs`: request i is due at i / rate seconds and
 * sent as soon as the timer lets it (late sends go out at once, to catch up with the schedule).
 * `bodyFor(i)` is the body of request i.
 */
export function openLoop(client: V2Client, bodyFor: (i: number) => Buffer, ratePerSecond: number, durationMs: number): OpenLoopRun {
  const t0 = performance.now();
  const now = () => performance.now() - t0;
  const interval = 1000 / ratePerSecond;
  const total = Math.round((ratePerSecond * durationMs) / 1000);
  const samples: Sample[] = [];
  const answers: Promise<void>[] = [];
  let next = 0;
  const done = new Promise<Sample[]>((resolve) => {
    const tick = () => {
      while (next < total && next * interval <= now()) {
        const sample: Sample = { dueMs: next * interval, sentMs: now(), latencyMs: Number.NaN, status: 0, version: null };
        samples.push(sample);
        answers.push(
          client.post(bodyFor(next)).then((a) => {
            sample.latencyMs = a.latencyMs;
            sample.status = a.status;
            sample.version = a.version;
            if (a.error !== undefined) sample.error = a.error;
          }),
        );
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, next * interval - now()));
      else void Promise.all(answers).then(() => resolve(samples));
    };
    tick();
  });
  return { samples, now, done };
}

export interface Summary {
  requests: number;
  /** Non-200 answers and transport errors. */
  failed: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  /** Send rate over the samples (requests / span of their send times). */
  sentPerSecond: number;
  /** How late the client sent against its schedule: p99 and max, ms. */
  lagP99Ms: number;
  lagMaxMs: number;
  firstError?: string;
}

/** Latency percentiles (of the 200 answers), failures and how well the schedule was kept. */
export function summarize(samples: readonly Sample[]): Summary {
  const ok = samples.filter((s) => s.status === 200);
  const latencies = ok.map((s) => s.latencyMs).sort((a, b) => a - b);
  const lags = samples.map((s) => s.sentMs - s.dueMs).sort((a, b) => a - b);
  const span = samples.length > 1 ? (samples.at(-1)!.sentMs - samples[0]!.sentMs) / 1000 : 0;
  const firstError = samples.find((s) => s.status !== 200)?.error;
  return {
    requests: samples.length,
    failed: samples.length - ok.length,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    maxMs: latencies.at(-1) ?? 0,
    sentPerSecond: span > 0 ? (samples.length - 1) / span : 0,
    lagP99Ms: percentile(lags, 99),
    lagMaxMs: lags.at(-1) ?? 0,
    ...(firstError === undefined ? {} : { firstError }),
  };
}

/** How many answers each version gave (key 'none' for failures). */
export function versionCounts(samples: readonly Sample[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const s of samples) {
    const key = s.status === 200 ? (s.version ?? 'unknown') : 'none';
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}
