import type { Clock, TimerHandle } from '../shared/clock.js';
import type { Logger } from '../shared/log.js';

/** How long the refusals from one address are counted before they are logged as one line. */
export const REFUSAL_SUMMARY_MS = 10_000;

/**
 * Logs connections turned away by a per-address cap without flooding the log: the first
 * refusal from an address at once, then how many more there were, once per interval. A
 * 10 000-node fleet coming back through one NAT address was turned away ~77 000 times in
 * two minutes, which had been as many log lines.
 */
export class RefusalLog {
  private readonly counting = new Map<string, { more: number; open: number; timer: TimerHandle }>();

  constructor(
    private readonly log: Logger,
    private readonly clock: Clock,
    private readonly message: string,
    private readonly intervalMs = REFUSAL_SUMMARY_MS,
  ) {}

  /** Notes one connection from `ip` refused while it held `open` connections. */
  refused(ip: string, open: number): void {
    const entry = this.counting.get(ip);
    if (entry) {
      entry.more += 1;
      entry.open = open;
      return;
    }
    this.log.warn({ ip, open }, this.message);
    this.counting.set(ip, { more: 0, open, timer: this.clock.setTimeout(() => this.summarize(ip), this.intervalMs) });
  }

  /** Stops the pending summaries (the server is stopping). */
  close(): void {
    for (const e of this.counting.values()) this.clock.clearTimeout(e.timer);
    this.counting.clear();
  }

  private summarize(ip: string): void {
    const entry = this.counting.get(ip);
    this.counting.delete(ip);
    if (!entry || entry.more === 0) return;
    this.log.warn({ ip, open: entry.open, refused: entry.more, seconds: this.intervalMs / 1000 }, `${this.message} (${entry.more} more times in ${this.intervalMs / 1000} s)`);
  }
}
