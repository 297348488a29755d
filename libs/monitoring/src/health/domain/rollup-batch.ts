import type { PredictionLogRow } from '@modelport/serving';
import { NO_MODEL_VERSION } from './health.types';
import { LatencyHistogram, storedLatencyUs } from './latency-histogram';

const MINUTE_MS = 60_000;

/** What a batch adds to one deployment, minute and model version. */
export interface MinuteDelta {
  readonly deploymentId: string;
  /** Start of the minute, ms since the epoch (UTC). */
  readonly minute: number;
  readonly modelVersionKey: string;
  requests: number;
  predictions: number;
  errors4xx: number;
  errors5xx: number;
  latencySumUs: number;
  latencyMaxUs: number;
  readonly histogram: LatencyHistogram;
  readonly consumers: Set<string>;
}

/** What a batch adds to one deployment's running totals. */
export interface TotalsDelta {
  readonly deploymentId: string;
  deploymentName: string;
  requests: number;
  predictions: number;
  errors4xx: number;
  errors5xx: number;
  /** Latest minute with requests, ms since the epoch. */
  lastMinute: number;
}

/** Whole numbers as the prediction log's int columns store them. */
function int(value: number | null | undefined): number | null {
  return value === null || value === undefined ? null : Math.round(value);
}

/**
 * Prediction log rows folded into additive deltas per (deployment, minute, model version): the
 * unit one rollup write applies. Rows fold in O(1) each; the batch's size grows with the number
 * of distinct minutes, versions and callers, not with the number of rows, so batches that wait
 * (while the database is slow or down) stay small.
 *
 * The figures follow the rows exactly as the log stores them, so that a rebuild from the
 * `predictions` table (HealthStore.backfill) gives the same numbers:
 *
 * * requests: every row; errors: rows with status 'error', 4xx when error_status is 400-499,
 *   otherwise 5xx (including a missing status);
 * * predictions: for rows with status 'ok', input_rows (1 when null);
 * * latency: latency_us of every row (clamped to [0, int4 max] and rounded, as stored);
 * * consumers: distinct non-null consumer_id;
 * * minute: received_at truncated to the minute in UTC; version: model_version_id, or the nil
 *   UUID when the request failed before a version was chosen.
 */
export class RollupBatch {
  private readonly deltas = new Map<string, MinuteDelta>();
  private readonly deployments = new Map<string, TotalsDelta>();
  private count = 0;

  add(rows: readonly PredictionLogRow[]): void {
    for (const row of rows) this.addRow(row);
  }

  addRow(row: PredictionLogRow): void {
    const minute = Math.floor(row.receivedAt.getTime() / MINUTE_MS) * MINUTE_MS;
    const modelVersionKey = row.modelVersionId ?? NO_MODEL_VERSION;
    const key = `${row.deploymentId}|${minute}|${modelVersionKey}`;
    let delta = this.deltas.get(key);
    if (!delta) {
      delta = {
        deploymentId: row.deploymentId,
        minute,
        modelVersionKey,
        requests: 0,
        predictions: 0,
        errors4xx: 0,
        errors5xx: 0,
        latencySumUs: 0,
        latencyMaxUs: 0,
        histogram: new LatencyHistogram(),
        consumers: new Set(),
      };
      this.deltas.set(key, delta);
    }
    const latency = storedLatencyUs(row.latencyUs);
    let predictions = 0;
    let errors4xx = 0;
    let errors5xx = 0;
    if (row.status === 'error') {
      const status = int(row.errorStatus);
      if (status !== null && status >= 400 && status <= 499) errors4xx = 1;
      else errors5xx = 1;
    } else {
      predictions = int(row.inputRows) ?? 1;
    }
    delta.requests += 1;
    delta.predictions += predictions;
    delta.errors4xx += errors4xx;
    delta.errors5xx += errors5xx;
    delta.latencySumUs += latency;
    if (latency > delta.latencyMaxUs) delta.latencyMaxUs = latency;
    delta.histogram.record(latency);
    if (row.consumerId) delta.consumers.add(row.consumerId);

    let totals = this.deployments.get(row.deploymentId);
    if (!totals) {
      totals = { deploymentId: row.deploymentId, deploymentName: row.deploymentName, requests: 0, predictions: 0, errors4xx: 0, errors5xx: 0, lastMinute: minute };
      this.deployments.set(row.deploymentId, totals);
    }
    totals.deploymentName = row.deploymentName;
    totals.requests += 1;
    totals.predictions += predictions;
    totals.errors4xx += errors4xx;
    totals.errors5xx += errors5xx;
    if (minute > totals.lastMinute) totals.lastMinute = minute;
    this.count += 1;
  }

  /** Rows folded in. */
  get rows(): number {
    return this.count;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Deltas in key order (deployment, minute, version): every writer locks rows in the same order. */
  minutes(): MinuteDelta[] {
    return [...this.deltas.values()].sort(
      (a, b) => compare(a.deploymentId, b.deploymentId) || a.minute - b.minute || compare(a.modelVersionKey, b.modelVersionKey),
    );
  }

  /** Totals deltas in deployment order. */
  totals(): TotalsDelta[] {
    return [...this.deployments.values()].sort((a, b) => compare(a.deploymentId, b.deploymentId));
  }

  /** The minutes covered, for logs: [first, last] as ISO strings, or null when empty. */
  span(): { readonly from: string; readonly to: string; readonly deploymentIds: string[] } | null {
    if (this.deltas.size === 0) return null;
    let from = Infinity;
    let to = -Infinity;
    for (const d of this.deltas.values()) {
      from = Math.min(from, d.minute);
      to = Math.max(to, d.minute + MINUTE_MS);
    }
    return { from: new Date(from).toISOString(), to: new Date(to).toISOString(), deploymentIds: [...this.deployments.keys()] };
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
