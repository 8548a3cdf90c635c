import net from 'node:net';

/**
 * A loopback TCP relay that can turn into a black hole: it stops forwarding in both
 * directions and keeps every socket open, as a route that silently drops packets does
 * (no FIN, no RST), so only keepalives can tell that the link is dead.
 */
export class BlackholeRelay {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private holed = false;
  port = 0;

  private constructor(private readonly target: { host: string; port: number }) {
    this.server = net.createServer((client) => this.relay(client));
  }

  /** Starts relaying 127.0.0.1:<random> to `target`. */
  static async start(target: { host: string; port: number }): Promise<BlackholeRelay> {
    const r = new BlackholeRelay(target);
    await new Promise<void>((resolve) => r.server.listen(0, '127.0.0.1', () => resolve()));
    r.port = (r.server.address() as net.AddressInfo).port;
    return r;
  }

  private relay(client: net.Socket): void {
    const upstream = net.connect(this.target);
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.on('data', (chunk: Buffer) => {
        if (!this.holed) to.write(chunk);
      });
      from.on('error', () => undefined);
      from.on('close', () => {
        this.sockets.delete(from);
        if (!this.holed) to.destroy();
      });
    }
  }

  /** From now on every byte is dropped and no connection is closed. */
  blackhole(): void {
    this.holed = true;
  }

  /** Closes everything. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}
