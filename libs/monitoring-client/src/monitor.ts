/**
 * A small client for services that run their own models: it queues predictions (and actuals) of an
 * external Modelport deployment, sends them in NDJSON batches, and retries what failed for a reason that
 * may pass (network errors, 429, 5xx, lines the server asks to send again) with exponential backoff and
 * jitter. Lines the server refuses for good are reported, never retried.
 */

export type FeatureValue = number | string | boolean | null;

export interface PredictionRecord {
  /** The id actuals will name later (e.g. your request or transaction id). */
  readonly associationId?: string;
  /** When the prediction was made (default: when the server receives it). */
  readonly timestamp?: Date | string;
  readonly features?: Readonly<Record<string, FeatureValue>>;
  readonly prediction?: Readonly<Record<string, FeatureValue>>;
  readonly latencyMs?: number;
  /** For a prediction that failed: its HTTP-like status (400-599) and message. */
  readonly error?: { readonly status: number; readonly message?: string };
  readonly parameters?: Readonly<Record<string, unknown>>;
}

export interface ActualRecord {
  readonly associationId: string;
  readonly value: number | string | boolean;
  readonly actualAt?: Date | string;
}

export interface MonitorOptions {
  /** The Modelport server, e.g. https://modelport.example.com */
  readonly url: string;
  /** An API token that may predict on the deployment (a `predict` scope is enough). */
  readonly token: string;
  readonly deploymentId: string;
  /** Lines per request (default 500). */
  readonly batchSize?: number;
  /** Send what is queued at least this often (default 1000 ms); 0 sends only on flush(). */
  readonly flushIntervalMs?: number;
  /** Tries per batch beyond the first (default 5). */
  readonly maxRetries?: number;
  /** First backoff (default 200 ms), doubled per try, with up to 50 % jitter, capped at 30 s. */
  readonly retryBaseMs?: number;
  /** Most lines held while the server is unreachable; beyond it `record*` returns false (default 100,000). */
  readonly maxQueued?: number;
  /** Called for every line refused for good and every batch given up. */
  readonly onError?: (error: MonitorError) => void;
  readonly fetch?: typeof fetch;
}

export interface MonitorError {
  readonly kind: 'rejected' | 'dropped';
  readonly stream: 'predictions' | 'actuals';
  readonly message: string;
  readonly record?: unknown;
}

export interface MonitorStats {
  sent: number;
  rejected: number;
  retried: number;
  dropped: number;
}

type Stream = 'predictions' | 'actuals';

interface Queued {
  readonly record: PredictionRecord | ActualRecord;
  readonly line: string;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class ModelportMonitor {
  readonly stats: MonitorStats = { sent: 0, rejected: 0, retried: 0, dropped: 0 };
  private readonly queues: Record<Stream, Queued[]> = { predictions: [], actuals: [] };
  private readonly timer: ReturnType<typeof setInterval> | null;
  private sending: Promise<void> | null = null;
  private closed = false;
  private readonly fetcher: typeof fetch;

  constructor(private readonly options: MonitorOptions) {
    if (!/^https?:\/\//.test(options.url)) throw new Error(`url must start with http:// or https:// (got "${options.url}").`);
    if (!options.token) throw new Error('token is required: an API token that may predict on the deployment.');
    if (!options.deploymentId) throw new Error('deploymentId is required: the id of an EXTERNAL deployment.');
    this.fetcher = options.fetch ?? fetch;
    const interval = options.flushIntervalMs ?? 1000;
    this.timer = interval > 0 ? setInterval(() => void this.flush().catch(() => undefined), interval) : null;
    this.timer?.unref?.();
  }

  /** Queues a prediction; false when the queue is full (the server has been unreachable for long) or closed. */
  recordPrediction(record: PredictionRecord): boolean {
    const line = JSON.stringify({ ...record, timestamp: record.timestamp instanceof Date ? record.timestamp.toISOString() : record.timestamp });
    return this.enqueue('predictions', record, line);
  }

  /** Queues the actual outcome of a prediction, named by its association id. */
  recordActual(record: ActualRecord): boolean {
    const line = JSON.stringify({ ...record, actualAt: record.actualAt instanceof Date ? record.actualAt.toISOString() : record.actualAt });
    return this.enqueue('actuals', record, line);
  }

  /** Sends everything queued now (and waits for a send in progress). */
  async flush(): Promise<void> {
    while (this.sending) await this.sending;
    if (this.queues.predictions.length === 0 && this.queues.actuals.length === 0) return;
    this.sending = this.drain().finally(() => {
      this.sending = null;
    });
    await this.sending;
  }

  /** Flushes and stops the timer; later records are refused. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    await this.flush();
  }

  private enqueue(stream: Stream, record: PredictionRecord | ActualRecord, line: string): boolean {
    if (this.closed) return false;
    if (this.queues.predictions.length + this.queues.actuals.length >= (this.options.maxQueued ?? 100_000)) return false;
    this.queues[stream].push({ record, line });
    if (this.queues[stream].length >= (this.options.batchSize ?? 500) && !this.sending) void this.flush().catch(() => undefined);
    return true;
  }

  private async drain(): Promise<void> {
    // Predictions first: actuals name them.
    for (const stream of ['predictions', 'actuals'] as const) {
      while (this.queues[stream].length > 0) {
        const batch = this.queues[stream].splice(0, this.options.batchSize ?? 500);
        await this.send(stream, batch);
      }
    }
  }

  private async send(stream: Stream, batch: Queued[]): Promise<void> {
    const maxRetries = this.options.maxRetries ?? 5;
    let pending = batch;
    for (let attempt = 0; pending.length > 0; attempt++) {
      let retry: Queued[] = [];
      let reason = '';
      try {
        const res = await this.fetcher(`${this.options.url.replace(/\/+$/, '')}/v1/deployments/${this.options.deploymentId}/${stream}`, {
          method: 'POST',
          headers: { authorization: `Bearer ${this.options.token}`, 'content-type': 'application/x-ndjson' },
          body: `${pending.map((q) => q.line).join('\n')}\n`,
        });
        const text = await res.text();
        let answer: Record<string, unknown> = {};
        try {
          answer = JSON.parse(text) as Record<string, unknown>;
        } catch {
          answer = {};
        }
        // A per-line answer (it counts what it accepted) also comes with 413 (body over the limit) and 503 (log full).
        const perLine = typeof answer['accepted'] === 'number';
        if (res.status === 200 || (perLine && (res.status === 413 || res.status === 503))) {
          // Per line: accepted, refused for good, or to send again.
          const retryLines = new Set<number>();
          const refusedBefore = this.stats.rejected;
          for (const r of (answer['rejected'] ?? answer['errors'] ?? []) as { line: number; error?: string; message?: string; retryable?: boolean }[]) {
            const item = pending[r.line - 1];
            if (!item) continue;
            if (r.retryable) retryLines.add(r.line);
            else this.reject(stream, item.record, r.error ?? r.message ?? 'refused');
          }
          for (const key of ['duplicates', 'unknown'] as const) {
            for (const r of (answer[key] ?? []) as { line: number; associationId?: string }[]) {
              const item = pending[r.line - 1];
              if (item) this.reject(stream, item.record, key === 'duplicates' ? `duplicate association id ${r.associationId ?? ''}` : `unknown association id ${r.associationId ?? ''}`);
            }
          }
          const truncated = typeof answer['truncatedAtLine'] === 'number' ? (answer['truncatedAtLine'] as number) : null;
          pending.forEach((item, i) => {
            if (retryLines.has(i + 1) || (truncated !== null && i + 1 >= truncated)) retry.push(item);
          });
          this.stats.sent += pending.length - retry.length - (this.stats.rejected - refusedBefore);
          reason = `the server asked to send ${retry.length} line(s) again`;
        } else if (res.status === 429 || res.status >= 500) {
          retry = pending;
          reason = `the server answered ${res.status}`;
        } else {
          // 4xx for the whole request (auth, not external, malformed): retrying will not help.
          for (const item of pending) this.reject(stream, item.record, `the server answered ${res.status}: ${String(answer['error'] ?? answer['message'] ?? text).slice(0, 500)}`);
          return;
        }
      } catch (err) {
        retry = pending;
        reason = `could not reach the server: ${(err as Error).message}`;
      }
      if (retry.length === 0) return;
      if (attempt >= maxRetries) {
        this.stats.dropped += retry.length;
        this.options.onError?.({ kind: 'dropped', stream, message: `gave up on ${retry.length} line(s) after ${attempt + 1} tries: ${reason}` });
        return;
      }
      this.stats.retried += retry.length;
      const base = (this.options.retryBaseMs ?? 200) * 2 ** attempt;
      await sleep(Math.min(30_000, base * (1 + Math.random() * 0.5)));
      pending = retry;
    }
  }

  private reject(stream: Stream, record: unknown, message: string): void {
    this.stats.rejected++;
    this.options.onError?.({ kind: 'rejected', stream, message, record });
  }
}
