import { WebSocket } from 'ws';
import type { Clock, TimerHandle } from '../shared/clock.js';

/** How long a tunnel attempt's WebSocket close may take before the socket is cut. */
const CLOSE_FALLBACK_MS = 2_000;

/**
 * Ends one tunnel attempt, once. The WebSocket's close is the last event of every attempt
 * (it carries the server's reason code, which can arrive just after SSH reports the auth
 * failure), so the attempt finishes there and the next one is planned from there; a close
 * that sticks is cut after 2 s.
 */
export class TunnelAttemptEnd {
  /** Why the attempt ended: the last reason given. */
  why = 'connection closed';
  private finished = false;
  private fallback: TimerHandle | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly ssh: { end(): void },
    private readonly clock: Clock,
    /** Runs once, when the attempt is over. */
    private readonly onFinish: (why: string) => void,
  ) {}

  /** Starts ending the attempt: SSH and the WebSocket close, and `finish()` follows their close. */
  end(reason: string): void {
    this.why = reason;
    if (this.fallback || this.finished) return;
    this.ssh.end();
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close();
    this.fallback = this.clock.setTimeout(() => {
      this.ws.terminate();
      this.finish();
    }, CLOSE_FALLBACK_MS);
  }

  /** The attempt is over (its WebSocket closed); idempotent. */
  finish(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.fallback) this.clock.clearTimeout(this.fallback);
    this.onFinish(this.why);
  }
}
