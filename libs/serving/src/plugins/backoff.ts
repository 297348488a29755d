export interface BackoffPolicy {
  /** Delay before the first restart (default 250 ms). */
  readonly initialDelayMs: number;
  /** The delay doubles up to this (default 30 s). */
  readonly maxDelayMs: number;
  /** A plugin that stayed up this long starts again from initialDelayMs (default 60 s). */
  readonly stableAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = Object.freeze({ initialDelayMs: 250, maxDelayMs: 30_000, stableAfterMs: 60_000 });

/** Exponential backoff: initial, 2×, 4×, … capped at the maximum; `reset()` after a stable period. */
export class Backoff {
  private consecutive = 0;

  constructor(private readonly policy: Pick<BackoffPolicy, 'initialDelayMs' | 'maxDelayMs'>) {}

  /** Failures since the last reset. */
  get failures(): number {
    return this.consecutive;
  }

  /** Records one more failure and returns how long to wait before trying again. */
  next(): number {
    const delay = Math.min(this.policy.maxDelayMs, this.policy.initialDelayMs * 2 ** Math.min(this.consecutive, 30));
    this.consecutive++;
    return delay;
  }

  reset(): void {
    this.consecutive = 0;
  }
}
