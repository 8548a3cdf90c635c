import type { Duplex } from 'node:stream';

/** What a WebUI channel reports to the connection that owns it. */
export interface WebuiChannelEvents {
  data: (chunk: Buffer) => void;
  /** The channel takes writes again (after `blocked`, or once open). */
  writable: () => void;
  /** The channel is gone; `ended` when the WebUI closed it cleanly. */
  gone: (ended: boolean) => void;
  openFailed: (err: Error) => void;
}

/**
 * A browser connection's channel to the node's WebUI: opened on the first write, with
 * what is written meanwhile sent in order once it is open, and opened afresh after the
 * WebUI closed it. Events of a channel already let go of are not reported.
 */
export class WebuiChannel {
  private stream: Duplex | null = null;
  private pending: Buffer[] = [];
  /** A channel is being opened; writes wait for it. */
  opening = false;
  /** The last write found the channel's buffer full; wait for `writable`. */
  blocked = false;
  private answeredOnce = false;
  private closed = false;

  constructor(
    private readonly open: () => Promise<Duplex>,
    private readonly events: WebuiChannelEvents,
  ) {}

  write(chunk: Buffer): void {
    if (this.stream && !this.opening) {
      if (!this.stream.write(chunk)) this.blocked = true;
      return;
    }
    this.pending.push(chunk);
    if (!this.opening) this.openNow();
  }

  /** The WebUI finished an answer on this channel. */
  answered(): void {
    this.answeredOnce = true;
  }

  /** Whether the open channel carried a whole answer: a close before the next one is then a keep-alive race, not a dead WebUI. */
  get reused(): boolean {
    return this.answeredOnce;
  }

  pause(): void {
    this.stream?.pause();
  }

  resume(): void {
    this.stream?.resume();
  }

  /** Half-closes the channel (the browser is done sending). */
  end(): void {
    this.stream?.end();
  }

  /** Lets go of the channel; the next write opens a new one. */
  drop(): void {
    const s = this.stream;
    this.stream = null;
    s?.destroy();
  }

  /** Lets go for good: a channel still opening is closed as soon as it is there. */
  close(): void {
    this.drop();
    this.pending = [];
    this.closed = true;
  }

  private openNow(): void {
    this.opening = true;
    this.answeredOnce = false;
    this.open().then(
      (s) => {
        this.opening = false;
        if (this.closed) {
          s.destroy();
          return;
        }
        this.attach(s);
        for (const chunk of this.pending.splice(0)) if (!s.write(chunk)) this.blocked = true;
        this.events.writable();
      },
      (err: Error) => {
        this.opening = false;
        this.pending = [];
        if (!this.closed) this.events.openFailed(err);
      },
    );
  }

  private attach(s: Duplex): void {
    this.stream = s;
    s.on('data', (d: Buffer) => {
      if (s === this.stream) this.events.data(d);
    });
    s.on('drain', () => {
      if (s !== this.stream) return;
      this.blocked = false;
      this.events.writable();
    });
    const gone = (ended: boolean) => {
      if (s !== this.stream) return;
      this.stream = null;
      s.destroy();
      this.events.gone(ended);
    };
    s.on('end', () => gone(true));
    s.on('close', () => gone(false));
    s.on('error', () => s.destroy());
  }
}
