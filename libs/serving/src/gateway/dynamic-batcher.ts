import type { Tensor, TensorData } from '@modelport/plugin-sdk';
import type { Route } from '../deployments/domain/route-table';
import type { InferCall } from './gateway.service';

type Run = (inputs: readonly Tensor[], outputs: readonly string[]) => Promise<Tensor[]>;

interface Waiting {
  readonly call: InferCall;
  readonly rows: number;
  resolve(outputs: Tensor[]): void;
  reject(err: unknown): void;
}

interface Pending {
  readonly route: Route;
  readonly run: Run;
  readonly items: Waiting[];
  rows: number;
  timer: NodeJS.Timeout | null;
}

/**
 * Dynamic batching per deployment: requests with the same inputs layout
 * (names, datatypes, every dimension but the first) and the same requested
 * outputs are joined along the first dimension, run as one plugin call, and
 * each request gets exactly its own rows back. A request that finds nothing
 * of its kind running goes at once (a lone request never waits); requests
 * that arrive while one is running gather into a batch, which runs when it
 * reaches maxBatchSize rows, when the running call ends, or after
 * maxBatchDelayMs, whichever is first.
 */
export class DynamicBatcher {
  private readonly pending = new Map<string, Pending>();
  /** Plugin calls in flight per batch key. */
  private readonly running = new Map<string, number>();
  private batches = 0;
  private batchedRequests = 0;

  /** Plugin calls that carried more than one request, and how many requests they carried. */
  stats(): { batches: number; batchedRequests: number } {
    return { batches: this.batches, batchedRequests: this.batchedRequests };
  }

  submit(route: Route, call: InferCall, run: Run): Promise<Tensor[]> {
    const maxRows = route.maxBatchSize ?? 1;
    const rows = call.inputs[0]?.shape[0] ?? 1;
    if (rows >= maxRows || call.inputs.some((t) => t.shape.length === 0 || t.shape[0] !== rows)) return run(call.inputs, call.outputs);
    const key = batchKey(route, call);
    if (!this.pending.has(key) && !this.running.get(key)) return this.track(key, run(call.inputs, call.outputs));
    return new Promise<Tensor[]>((resolve, reject) => {
      let batch = this.pending.get(key);
      if (batch && batch.rows + rows > maxRows) {
        this.flush(key);
        batch = undefined;
      }
      if (!batch) {
        batch = { route, run, items: [], rows: 0, timer: null };
        this.pending.set(key, batch);
        batch.timer = setTimeout(() => this.flush(key), route.maxBatchDelayMs ?? 0);
      }
      batch.items.push({ call, rows, resolve, reject });
      batch.rows += rows;
      if (batch.rows >= maxRows) this.flush(key);
    });
  }

  private flush(key: string): void {
    const batch = this.pending.get(key);
    if (!batch) return;
    this.pending.delete(key);
    if (batch.timer) clearTimeout(batch.timer);
    const { items } = batch;
    if (items.length === 1) {
      const only = items[0]!;
      this.track(key, batch.run(only.call.inputs, only.call.outputs)).then(only.resolve, only.reject);
      return;
    }
    this.batches++;
    this.batchedRequests += items.length;
    const first = items[0]!.call;
    const inputs = first.inputs.map((t, i) => concatRows(items.map((w) => w.call.inputs[i]!), batch.rows));
    this.track(key, batch.run(inputs, first.outputs)).then(
      (outputs) => {
        let offset = 0;
        for (const item of items) {
          try {
            item.resolve(outputs.map((o) => sliceRows(o, offset, item.rows, batch.rows)));
          } catch (err) {
            item.reject(err);
          }
          offset += item.rows;
        }
      },
      (err: unknown) => {
        for (const item of items) item.reject(err);
      },
    );
  }

  /** Counts a plugin call as running under `key`; when it ends, a batch gathered meanwhile goes at once. */
  private track<T>(key: string, call: Promise<T>): Promise<T> {
    this.running.set(key, (this.running.get(key) ?? 0) + 1);
    const done = () => {
      const left = (this.running.get(key) ?? 1) - 1;
      if (left > 0) this.running.set(key, left);
      else this.running.delete(key);
      if (this.pending.has(key)) this.flush(key);
    };
    call.then(done, done);
    return call;
  }
}

/** Requests that can share one plugin call: same deployment model, requested outputs and input layout. */
export function batchKey(route: Route, call: InferCall): string {
  let key = `${route.deploymentId}|${route.modelKey}|${call.outputs.join(',')}`;
  for (const t of call.inputs) key += `|${t.name}:${t.datatype}:${t.shape.slice(1).join('x')}`;
  return key;
}

type NumericArray = Exclude<TensorData, Buffer[]>;

/** Tensors of the same layout joined along the first dimension. */
export function concatRows(parts: readonly Tensor[], rows: number): Tensor {
  const head = parts[0]!;
  const shape = [rows, ...head.shape.slice(1)];
  if (Array.isArray(head.data)) return { ...head, shape, data: parts.flatMap((p) => p.data as Buffer[]) };
  const total = parts.reduce((n, p) => n + (p.data as NumericArray).length, 0);
  const Ctor = (head.data as NumericArray).constructor as new (n: number) => NumericArray;
  const data = new Ctor(total);
  let at = 0;
  for (const p of parts) {
    const d = p.data as NumericArray;
    (data as unknown as { set(a: ArrayLike<number | bigint>, o: number): void }).set(d as unknown as ArrayLike<number | bigint>, at);
    at += d.length;
  }
  return { ...head, shape, data };
}

/** Rows [offset, offset + rows) of an output of a joined call. */
export function sliceRows(t: Tensor, offset: number, rows: number, totalRows: number): Tensor {
  if (t.shape[0] !== totalRows) {
    throw new Error(`Output "${t.name}" has first dimension ${t.shape[0]} for a batch of ${totalRows} rows, so it cannot be split per request. Turn dynamic batching off for this deployment.`);
  }
  const perRow = totalRows === 0 ? 0 : (Array.isArray(t.data) ? t.data.length : (t.data as NumericArray).length) / totalRows;
  const shape = [rows, ...t.shape.slice(1)];
  const data = Array.isArray(t.data) ? t.data.slice(offset * perRow, (offset + rows) * perRow) : (t.data as NumericArray).slice(offset * perRow, (offset + rows) * perRow);
  return { ...t, shape, data: data as TensorData };
}
