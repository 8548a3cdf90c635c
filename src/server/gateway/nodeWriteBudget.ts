import type { Clock } from '../../shared/clock.js';

/** What one take from the budget says. */
export type BudgetTake = { ok: true; dropped: number } | { ok: false };

/**
 * A per-node token bucket for the rows a node's own actions write (status history, audit
 * entries): `perMinute` writes in a burst, refilled evenly over a minute. A node over its
 * budget has its writes dropped and counted; the next write let through says how many were
 * dropped, so the record stays honest without letting one tunnel flood the database.
 */
export class NodeWriteBudget {
  private readonly buckets = new Map<string, { tokens: number; at: number; dropped: number }>();

  constructor(
    private readonly clock: Clock,
    private readonly perMinute: number,
  ) {
    if (!(perMinute > 0)) throw new RangeError('perMinute must be positive');
  }

  /** Takes one write for `nodeId`. */
  take(nodeId: string): BudgetTake {
    const now = this.clock.now();
    const b = this.buckets.get(nodeId) ?? { tokens: this.perMinute, at: now, dropped: 0 };
    b.tokens = Math.min(this.perMinute, b.tokens + ((now - b.at) * this.perMinute) / 60_000);
    b.at = now;
    this.buckets.set(nodeId, b);
    if (b.tokens < 1) {
      b.dropped += 1;
      return { ok: false };
    }
    b.tokens -= 1;
    const dropped = b.dropped;
    b.dropped = 0;
    return { ok: true, dropped };
  }
}
