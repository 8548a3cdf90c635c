import type { Server, Socket } from 'node:net';
import { clientAddress } from './clientAddress.js';

/** What a connection cap reports when it turns a connection away. */
export type OnCapped = (ip: string, open: number) => void;

/**
 * Limits how many connections one source address may hold open on a listener at once.
 * Without it a single host can take every file descriptor of the process (slowloris,
 * half-open TLS handshakes) and lock out the nodes and browsers already in. Counts are
 * per listener and are taken back when each socket closes.
 */
export class ConnectionCap {
  private readonly open = new Map<string, number>();
  /**
   * Connections counted now, by `address:port`: the same key names the raw socket seen
   * here and the TLS socket wrapped around it that later code holds.
   */
  private readonly counted = new Map<string, string>();
  /** Connections refused since start, for logs and figures. */
  refused = 0;

  constructor(
    private readonly maxPerIp: number,
    private readonly onCapped?: OnCapped,
  ) {
    if (!Number.isInteger(maxPerIp) || maxPerIp < 1) throw new Error('maxPerIp must be a positive integer');
  }

  /**
   * Watches `server`'s raw TCP connections; over-cap ones are destroyed before any byte is
   * read. Prepended, so it runs before the server's own handler (which would otherwise
   * start TLS, or open a tunnel channel, for a socket about to be cut).
   */
  attach(server: Server): void {
    server.prependListener('connection', (socket: Socket) => this.admit(socket));
  }

  /** Counts `socket` against its address; destroys it and returns false if the address is at its cap. */
  admit(socket: Socket): boolean {
    const ip = clientAddress(socket).ip;
    const n = this.open.get(ip) ?? 0;
    if (n >= this.maxPerIp) {
      this.refused += 1;
      socket.destroy();
      this.onCapped?.(ip, n);
      return false;
    }
    this.open.set(ip, n + 1);
    const key = connectionKey(socket);
    this.counted.set(key, ip);
    socket.once('close', () => this.releaseKey(key));
    return true;
  }

  /**
   * Stops counting a socket that proved who it is (an authenticated node tunnel): the cap
   * is for anonymous connections, and a site behind one NAT address may hold thousands
   * of nodes. Idempotent.
   */
  release(socket: Pick<Socket, 'remoteAddress' | 'remotePort'>): void {
    this.releaseKey(connectionKey(socket));
  }

  private releaseKey(key: string): void {
    const ip = this.counted.get(key);
    if (ip === undefined) return;
    this.counted.delete(key);
    const left = (this.open.get(ip) ?? 1) - 1;
    if (left <= 0) this.open.delete(ip);
    else this.open.set(ip, left);
  }

  /** Connections `ip` holds open now. */
  openFrom(ip: string): number {
    return this.open.get(ip) ?? 0;
  }
}

function connectionKey(s: Pick<Socket, 'remoteAddress' | 'remotePort'>): string {
  return `${s.remoteAddress ?? ''}:${s.remotePort ?? 0}`;
}
