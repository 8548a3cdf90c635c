import { randomBytes } from 'node:crypto';
import type { Duplex } from 'node:stream';
import type { Clock, TimerHandle } from '../../shared/clock.js';
import { BurrowError } from '../../shared/errors.js';
import { constantTimeEqual, sha256Hex } from '../../shared/secrets.js';
import { PROOF_PREFIX } from '../../shared/tcpSessionProof.js';
/** A proof line is never longer than this: prefix, a 43-character ticket and a newline, with room to spare. */
export const MAX_PROOF_BYTES = 128;
/** How long a ticket may wait before it is used. */
export const TICKET_TTL_MS = 60_000;
/** Tickets a session keeps outstanding; asking for more drops the oldest. */
const MAX_TICKETS = 32;

interface Ticket {
  hash: string;
  expiresAt: number;
}

/**
 * The one-time tickets of one TCP session. The opener asks the API for a ticket (over its
 * authenticated HTTPS connection) each time it connects; the session port admits a
 * connection only if its first line carries an unspent, unexpired ticket of this session.
 * Only hashes are kept, compared in constant time; close() spends them all, so nothing
 * captured before the session ended is good afterwards.
 */
export class TcpTickets {
  private tickets: Ticket[] = [];
  private closed = false;

  constructor(private readonly clock: Clock, private readonly ttlMs = TICKET_TTL_MS) {}

  /** A fresh ticket and when it lapses (epoch ms). */
  issue(): { ticket: string; expiresAt: number } {
    if (this.closed) throw new BurrowError('SESSION_CLOSED', 'The session is closed; open a new one.');
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = this.clock.now() + this.ttlMs;
    this.tickets = this.live().slice(-(MAX_TICKETS - 1));
    this.tickets.push({ hash: sha256Hex(ticket), expiresAt });
    return { ticket, expiresAt };
  }

  /** Spends `ticket` if it is one of ours and still good; whether it was. */
  redeem(ticket: string): boolean {
    if (this.closed) return false;
    const hash = sha256Hex(ticket);
    let found = -1;
    // Every outstanding ticket is compared, so the time taken says nothing about which matched.
    this.tickets.forEach((t, i) => {
      if (constantTimeEqual(hash, t.hash) && t.expiresAt > this.clock.now()) found = i;
    });
    if (found < 0) return false;
    this.tickets.splice(found, 1);
    return true;
  }

  /** Spends every ticket and refuses new ones (the session closed). */
  close(): void {
    this.closed = true;
    this.tickets = [];
  }

  private live(): Ticket[] {
    const now = this.clock.now();
    return this.tickets.filter((t) => t.expiresAt > now);
  }
}

/** How reading a proof line ended. */
export type ProofRead = { kind: 'ticket'; ticket: string } | { kind: 'refused'; reason: string };

/**
 * Reads the proof line a client sends first, within `timeoutMs` of the injected clock
 * (a client that dribbles or never finishes is cut off) and at most MAX_PROOF_BYTES.
 * Bytes after the newline are put back on the stream for the relay.
 */
export function readProof(stream: Duplex, clock: Clock, timeoutMs: number): Promise<ProofRead> {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let timer: TimerHandle | undefined;
    const finish = (r: ProofRead, rest?: Buffer) => {
      if (timer) clock.clearTimeout(timer);
      timer = undefined;
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('close', onEnd);
      stream.removeListener('error', onEnd);
      stream.pause();
      if (rest && rest.length > 0) stream.unshift(rest);
      resolve(r);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const nl = buf.indexOf(0x0a);
      if (nl < 0) {
        if (buf.length >= MAX_PROOF_BYTES) finish({ kind: 'refused', reason: 'proof too long' });
        return;
      }
      if (nl >= MAX_PROOF_BYTES) {
        finish({ kind: 'refused', reason: 'proof too long' });
        return;
      }
      const line = buf.subarray(0, nl).toString('latin1');
      if (!line.startsWith(PROOF_PREFIX)) {
        finish({ kind: 'refused', reason: 'no proof' });
        return;
      }
      finish({ kind: 'ticket', ticket: line.slice(PROOF_PREFIX.length) }, buf.subarray(nl + 1));
    };
    const onEnd = () => finish({ kind: 'refused', reason: 'closed before proof' });
    timer = clock.setTimeout(() => finish({ kind: 'refused', reason: 'proof timed out' }), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onEnd);
    stream.once('error', onEnd);
  });
}
