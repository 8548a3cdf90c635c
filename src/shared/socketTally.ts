/** What the tally reads off a socket: the byte counters every net.Socket (and TLS socket) keeps. */
export interface CountedSocket {
  readonly bytesRead: number;
  readonly bytesWritten: number;
  once(event: 'close', listener: () => void): unknown;
}

/** Bytes read and written since the last `take()`. */
export interface TrafficDelta {
  bytesIn: number;
  bytesOut: number;
}

/**
 * Counts the bytes of a set of sockets from their first byte (TLS handshake and HTTP upgrade
 * included: a metered link carries those too). `take()` hands out what crossed since the last
 * call, closed sockets included, so a caller can persist increments at its own pace.
 */
export class SocketTally {
  private readonly seen = new Map<CountedSocket, TrafficDelta>();
  private carried: TrafficDelta = { bytesIn: 0, bytesOut: 0 };

  /** Starts counting a socket; it leaves the tally once closed (its last bytes still counted). */
  add(socket: CountedSocket): void {
    if (this.seen.has(socket)) return;
    this.seen.set(socket, { bytesIn: 0, bytesOut: 0 });
    socket.once('close', () => {
      const d = this.deltaOf(socket);
      this.carried = { bytesIn: this.carried.bytesIn + d.bytesIn, bytesOut: this.carried.bytesOut + d.bytesOut };
      this.seen.delete(socket);
    });
  }

  /** Whether any socket is still counted. */
  get size(): number {
    return this.seen.size;
  }

  /** What crossed since the last call. */
  take(): TrafficDelta {
    let { bytesIn, bytesOut } = this.carried;
    this.carried = { bytesIn: 0, bytesOut: 0 };
    for (const s of this.seen.keys()) {
      const d = this.deltaOf(s);
      bytesIn += d.bytesIn;
      bytesOut += d.bytesOut;
    }
    return { bytesIn, bytesOut };
  }

  private deltaOf(s: CountedSocket): TrafficDelta {
    const last = this.seen.get(s);
    if (!last) return { bytesIn: 0, bytesOut: 0 };
    // A socket's counters only grow; `?? 0` covers a socket destroyed before it had a handle.
    const read = s.bytesRead ?? 0;
    const written = s.bytesWritten ?? 0;
    const d = { bytesIn: Math.max(0, read - last.bytesIn), bytesOut: Math.max(0, written - last.bytesOut) };
    last.bytesIn = read;
    last.bytesOut = written;
    return d;
  }
}
