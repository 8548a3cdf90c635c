import type { Clock, TimerHandle } from '../../shared/clock.js';

/** The socket whose incoming bytes are metered. */
export interface MeteredSocket {
  readonly bytesRead: number;
}

/** The stream SSH reads the tunnel from: pausing it stops reading from the node. */
export interface PausableStream {
  pause(): unknown;
  resume(): unknown;
}

/** How often the throttle looks at the counters. */
const TICK_MS = 200;
/**
 * The longest one pause lasts, however far a burst overshot: both ends give up on a peer
 * whose keepalives go unanswered for ~28 s, and a paused server answers none.
 */
export const MAX_PAUSE_MS = 5_000;

/**
 * Holds a tunnel to a rate (bytes per second) by pausing the server's reading of it: a token
 * bucket refilled each tick, with a one-second burst. Pausing reads slows both directions,
 * because SSH only sends on a channel while the peer's window adjustments arrive; keepalives
 * and status lines are small enough to pass at any sensible rate.
 */
export class TunnelThrottle {
  private rate: number | null = null;
  private timer: TimerHandle | undefined;
  private tokens = 0;
  private lastRead = 0;
  private paused = false;

  constructor(
    private readonly clock: Clock,
    private readonly socket: MeteredSocket,
    private readonly stream: PausableStream,
  ) {}

  /** The rate in force, or null when the tunnel runs free. */
  get bytesPerSecond(): number | null {
    return this.rate;
  }

  /** Whether reading is paused right now. */
  get isPaused(): boolean {
    return this.paused;
  }

  /** Throttles to `bytesPerSecond`, or with null lets the tunnel run free again. */
  setRate(bytesPerSecond: number | null): void {
    if (bytesPerSecond === this.rate) return;
    this.rate = bytesPerSecond;
    if (bytesPerSecond === null) {
      this.stop();
      return;
    }
    if (this.timer) return;
    this.lastRead = this.socket.bytesRead;
    this.tokens = bytesPerSecond;
    this.schedule();
  }

  /** Stops throttling for good (the tunnel closed). */
  close(): void {
    this.rate = null;
    this.stop();
  }

  private stop(): void {
    if (this.timer) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    if (this.paused) {
      this.paused = false;
      this.stream.resume();
    }
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.tick(), TICK_MS);
  }

  private tick(): void {
    this.timer = undefined;
    const rate = this.rate;
    if (rate === null) return;
    const read = this.socket.bytesRead;
    const used = Math.max(0, read - this.lastRead);
    this.lastRead = read;
    this.tokens = Math.max(-(rate * MAX_PAUSE_MS) / 1000, Math.min(rate, this.tokens + (rate * TICK_MS) / 1000) - used);
    if (this.tokens < 0 && !this.paused) {
      this.paused = true;
      this.stream.pause();
    } else if (this.tokens >= 0 && this.paused) {
      this.paused = false;
      this.stream.resume();
    }
    this.schedule();
  }
}
