/** Settings of a capped, jittered exponential backoff. */
export interface BackoffOptions {
  /** First delay in ms. */
  initialMs: number;
  /** Largest delay in ms, before jitter. */
  maxMs: number;
  /** Growth factor per failure. */
  factor?: number;
  /** Source of randomness in [0,1); injectable so tests are exact. */
  random?: () => number;
}

/**
 * Delays between reconnect attempts: grows by `factor` per failure up to `maxMs`, each
 * randomized to 0.5–1.5× so that a fleet of nodes does not reconnect in lock-step, and
 * back to `initialMs` after a success.
 */
export class Backoff {
  private failures = 0;
  private readonly factor: number;
  private readonly random: () => number;

  constructor(private readonly opts: BackoffOptions) {
    if (!(opts.initialMs > 0) || !(opts.maxMs >= opts.initialMs)) {
      throw new RangeError('backoff needs 0 < initialMs <= maxMs');
    }
    this.factor = opts.factor ?? 2;
    this.random = opts.random ?? Math.random;
  }

  /** The delay before the next attempt; counts one more failure. */
  next(): number {
    const base = Math.min(this.opts.maxMs, this.opts.initialMs * this.factor ** this.failures);
    this.failures++;
    return Math.round(base * (0.5 + this.random()));
  }

  /** Forgets past failures after a successful attempt. */
  reset(): void {
    this.failures = 0;
  }

  /** Failures counted since the last reset. */
  get attempts(): number {
    return this.failures;
  }
}
