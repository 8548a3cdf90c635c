import { Backoff } from '../shared/backoff.js';
import { TUNNEL_CLOSE } from '../shared/tunnelClose.js';

/** How one connection attempt ended, as far as choosing the next delay goes. */
export interface AttemptOutcome {
  /** How long the tunnel was up (0 if it never came up). */
  connectedForMs: number;
  /** Retry-After (ms) the server sent with a 503: it knows its backlog better than we do. */
  retryHintMs?: number;
  /** The WebSocket close code, when the server closed it with a reason (revoked, pending). */
  closeCode?: number;
  /**
   * How the server's address turned the attempt away before any tunnel: `refused` (nothing
   * listens there now) or `reset` (a connection cut before TLS finished, as a server
   * shedding a storm of connections from one address does).
   */
  turnedAway?: 'refused' | 'reset';
}

/** The delay chosen, and why, for the agent's report. */
export interface ReconnectDelay {
  delayMs: number;
  /** Set when the outcome says more than the transport error did. */
  lastError?: string;
}

/** Settings of the policy; the defaults are what agents run with. */
export interface ReconnectPolicyOptions {
  backoffInitialMs: number;
  backoffMaxMs: number;
  /** How long a node waiting for approval waits between tries. */
  pendingRetryMs: number;
  /** A connection is "stable" after this long; only then does backoff start over. */
  stableMs?: number;
  /** While a lost server refuses connections, retry this often (±50 %)... */
  restartRetryMs?: number;
  /**
   * ...and while it resets them, twice that at first, growing by half with each reset in a
   * row up to this (±50 %).
   */
  busyRetryMaxMs?: number;
  /** ...for this long after the tunnel was last up; then plain backoff again. */
  restartGraceMs?: number;
  /** A revoked node keeps knocking, but rarely: an admin may un-revoke it. */
  revokedRetryMs?: number;
  random?: () => number;
}

/**
 * Chooses the wait before the next connection attempt. Plain capped, jittered backoff,
 * except where the failure itself says more:
 * - a 503's Retry-After is followed (spread within its second);
 * - a revoked node waits long; a pending one knocks again soon, since the server holds each
 *   knock open for a while and lets it in as soon as an administrator approves it;
 * - a server that just went away (or that the agent just started towards) and refuses
 *   connections is restarting: a refused connect costs it nothing (the kernel answers), so
 *   the agent keeps trying every second or so for a grace period instead of drifting into
 *   a long backoff and coming back many seconds after the server could take it;
 * - one that resets them is up but shedding the storm of its whole fleet coming back (its
 *   per-address cap): the agent retries after 2 s, then a little later with each reset in
 *   a row (up to busyRetryMaxMs). Retrying every 2 s regardless, 10 000 nodes made ~16
 *   attempts each, and the failed attempts took more CPU, on both sides, than the
 *   handshakes that got through.
 * Neither counts towards the backoff, and past the grace period the agent backs off as
 *   usual, so a server gone for good is not knocked on forever at that rate.
 */
export class ReconnectPolicy {
  private readonly backoff: Backoff;
  private readonly random: () => number;
  private readonly o: Required<Omit<ReconnectPolicyOptions, 'random'>>;
  private lastUpAt: number | undefined;
  private resetsInARow = 0;

  constructor(opts: ReconnectPolicyOptions) {
    this.random = opts.random ?? Math.random;
    this.backoff = new Backoff({ initialMs: opts.backoffInitialMs, maxMs: opts.backoffMaxMs, random: this.random });
    this.o = { stableMs: 10_000, restartRetryMs: 1_000, busyRetryMaxMs: 15_000, restartGraceMs: 120_000, revokedRetryMs: 10 * 60_000, ...opts };
  }

  /**
   * The agent starts at `now`: it expects its server to be there, as after a drop (a fleet
   * behind one NAT address powering up together meets the server's per-address cap).
   */
  started(now: number): void {
    this.lastUpAt = now;
  }

  /** The wait before the next attempt, after an attempt that ended at `now` with `outcome`. */
  next(outcome: AttemptOutcome, now: number): ReconnectDelay {
    this.resetsInARow = outcome.turnedAway === 'reset' ? this.resetsInARow + 1 : 0;
    if (outcome.connectedForMs > 0) this.lastUpAt = now;
    if (outcome.connectedForMs >= this.o.stableMs) this.backoff.reset();
    if (outcome.retryHintMs !== undefined) {
      // Spread within the hinted second so a whole fleet told "3 s" does not return at once.
      return { delayMs: outcome.retryHintMs + Math.floor(this.random() * 1000) };
    }
    if (outcome.closeCode === TUNNEL_CLOSE.revoked.code) {
      return { delayMs: this.o.revokedRetryMs, lastError: 'this node has been revoked by an administrator' };
    }
    if (outcome.closeCode === TUNNEL_CLOSE.pending.code) {
      // Not the backoff: the server paced this knock by holding it, and a long wait here is
      // the delay an approved node would sit out before it comes online.
      return { delayMs: this.o.pendingRetryMs, lastError: 'this node is waiting for an administrator to approve it' };
    }
    // Not counted as failures: the first error after the server is back must not find a
    // backoff grown by a minute of refusals.
    const restarting = outcome.turnedAway !== undefined && this.lastUpAt !== undefined && now - this.lastUpAt <= this.o.restartGraceMs;
    if (restarting) {
      const interval = outcome.turnedAway === 'reset' ? Math.min(this.o.busyRetryMaxMs, 2 * this.o.restartRetryMs * 1.5 ** (this.resetsInARow - 1)) : this.o.restartRetryMs;
      return { delayMs: Math.round(interval * (0.5 + this.random())) };
    }
    return { delayMs: this.backoff.next() };
  }
}
