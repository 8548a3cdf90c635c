import type { Server as NetServer, Socket } from 'node:net';
import type { Clock, TimerHandle } from '../shared/clock.js';

/** What the gate reports when it turns a connection away: whose, and how many handshakes were under way. */
export type OnShed = (socket: Socket, inFlight: number) => void;

/** What the gate needs. */
export interface HandshakeGateDeps {
  /** TLS handshakes allowed under way at once on the listener. */
  maxInFlight: number;
  /** A connection still without a finished handshake by then is cut, and its slot freed. */
  timeoutMs: number;
  clock: Clock;
  onShed?: OnShed;
}

/** One admitted connection whose handshake is under way. */
interface Slot {
  timer: TimerHandle;
  release: () => void;
}

/**
 * Admission control for a TLS listener: at most `maxInFlight` TLS handshakes under way at
 * once. When a whole fleet connects at the same moment (a cold start, the survivors taking
 * a dead instance's nodes), unbounded handshakes share the CPU until each takes longer than
 * the clients wait, and then none completes at all. Past the bound a connection is cut
 * before its ClientHello is read, which costs the server next to nothing; the agent takes a
 * cut connection as "busy" and comes back after its backoff, with jitter. A handshake not
 * finished in `timeoutMs` is cut too, so silent connections cannot hold the slots.
 */
export class HandshakeGate {
  /** Connections admitted and not yet through their handshake, by `address:port`. */
  private readonly slots = new Map<string, Slot>();
  /** Connections turned away since start. */
  shed = 0;

  constructor(private readonly deps: HandshakeGateDeps) {
    if (!Number.isInteger(deps.maxInFlight) || deps.maxInFlight < 1) throw new Error('maxInFlight must be a positive integer');
  }

  /**
   * Watches `server`: raw connections are admitted or cut before TLS sees them (prepended,
   * so attach it before anything that must run first, such as a PROXY protocol gate), and a
   * finished handshake frees its slot.
   */
  attach(server: NetServer): void {
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
    server.on('secureConnection', (tls: Socket) => this.secured(tls));
  }

  /** TLS handshakes under way now. */
  get inFlight(): number {
    return this.slots.size;
  }

  /** Takes a slot for `socket`, or cuts it when none is free; returns whether it was admitted. */
  admit(socket: Socket): boolean {
    // Already cut by a listener before this one (the per-address cap).
    if (socket.destroyed) return false;
    if (this.slots.size >= this.deps.maxInFlight) {
      this.shed += 1;
      socket.destroy();
      this.deps.onShed?.(socket, this.slots.size);
      return false;
    }
    const key = slotKey(socket);
    const release = () => {
      const slot = this.slots.get(key);
      if (!slot) return;
      this.slots.delete(key);
      this.deps.clock.clearTimeout(slot.timer);
      socket.off('close', release);
    };
    const timer = this.deps.clock.setTimeout(() => {
      release();
      socket.destroy();
    }, this.deps.timeoutMs);
    this.slots.set(key, { timer, release });
    socket.once('close', release);
    return true;
  }

  /** The handshake of the connection under `tls` finished: its slot is free. */
  secured(tls: Pick<Socket, 'remoteAddress' | 'remotePort'>): void {
    this.slots.get(slotKey(tls))?.release();
  }
}

/** The same key for the raw socket and the TLS socket over it (they share the peer's address and port). */
function slotKey(s: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  return `${s.remoteAddress ?? ''}:${s.remotePort ?? 0}`;
}
