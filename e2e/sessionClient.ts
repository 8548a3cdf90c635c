import https from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';

/** One answer of a session port. */
export interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** A browser stand-in: one source address, a keep-alive connection pool and a cookie jar. */
export class SessionBrowser {
  readonly jar = new Map<string, string>();
  readonly agent: https.Agent;

  constructor(
    readonly origin: string,
    readonly localAddress = '127.0.0.1',
  ) {
    this.agent = new https.Agent({ keepAlive: true, rejectUnauthorized: false, localAddress, maxSockets: 4 });
  }

  /** The Cookie header the jar sends. */
  get cookie(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** Sends one request; the body is collected unless `sink` takes it. */
  request(path: string, o: { method?: string; body?: Readable; sink?: (c: Buffer) => void } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = this.jar.size ? { cookie: this.cookie } : {};
      const req = https.request(new URL(path, this.origin), { method: o.method ?? 'GET', agent: this.agent, headers }, (res) => {
        for (const c of res.headers['set-cookie'] ?? []) {
          const [pair] = c.split(';');
          const i = (pair as string).indexOf('=');
          this.jar.set((pair as string).slice(0, i).trim(), (pair as string).slice(i + 1).trim());
        }
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => (o.sink ? o.sink(c) : chunks.push(c)));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', reject);
      });
      req.on('error', reject);
      if (o.body) o.body.pipe(req);
      else req.end();
    });
  }

  /** Closes the pooled connections. */
  close(): void {
    this.agent.destroy();
  }
}
