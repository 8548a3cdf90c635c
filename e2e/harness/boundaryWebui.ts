import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer } from 'ws';

/**
 * A node's WebUI for session-boundary tests. It logs every request and WebSocket attempt it
 * sees, signs its browser in with a `__Host-` cookie (`/login`, read back by `/me`), and,
 * as Cockpit does, accepts a WebSocket only when its Origin matches the Host it was asked for.
 */
export class BoundaryWebui {
  readonly seen: string[] = [];
  port = 0;
  private readonly server = http.createServer((req, res) => this.answer(req, res));

  constructor(readonly name: string) {}

  /** Listens on a free loopback port. */
  async start(): Promise<void> {
    const wss = new WebSocketServer({
      server: this.server,
      verifyClient: (info: { origin: string; req: http.IncomingMessage }) => {
        this.seen.push(`WS ${info.req.url} ${info.origin}`);
        return info.origin === `http://${info.req.headers.host}`;
      },
    });
    wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`${this.name}:${m.toString()}`)));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
  }

  /** Stops it, cutting open connections. */
  stop(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private answer(req: http.IncomingMessage, res: http.ServerResponse): void {
    this.seen.push(`${req.method} ${req.url}`);
    if (req.url === '/login') {
      res.writeHead(200, { 'set-cookie': `__Host-sid=${this.name}-secret; Secure; Path=/; HttpOnly; SameSite=Strict`, 'content-type': 'text/plain' });
      res.end('signed in');
      return;
    }
    if (req.url === '/me') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(/(?:^|;\s*)__Host-sid=([^;]*)/.exec(req.headers.cookie ?? '')?.[1] ?? 'nobody');
      return;
    }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
    res.end(`<!doctype html><title>webui ${this.name}</title><p>webui ${this.name}</p>`);
  }
}
