import { createHash } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { generate } from 'selfsigned';
import { WebSocketServer } from 'ws';

const MiB = 1024 * 1024;
/** One MiB of a fixed pattern; downloads repeat it. */
export const CHUNK = Buffer.alloc(MiB, 'burrow-session-e2e:');

/** Streams `mib` MiB of CHUNK, waiting for drain: the WebUI honours back-pressure too. */
function download(res: http.ServerResponse, mib: number): void {
  res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': mib * MiB });
  let sent = 0;
  const pump = () => {
    while (sent < mib) {
      sent++;
      if (!res.write(CHUNK)) {
        res.once('drain', pump);
        return;
      }
    }
    res.end();
  };
  pump();
}

/** The appliance WebUI: cookies, a redirect to its own address, downloads, uploads, WebSocket echo. */
function handler(self: () => string): http.RequestListener {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/login') {
      res.writeHead(200, { 'set-cookie': ['webui_sid=s3cr3t; Path=/; HttpOnly', 'webui_lang=en; Path=/; Domain=127.0.0.1'], 'content-type': 'text/plain' });
      res.end('logged in');
    } else if (url.pathname === '/echo-headers') {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ host: req.headers.host, cookie: req.headers.cookie ?? null, url: req.url }));
    } else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: `${self()}/landed?from=redirect` });
      res.end();
    } else if (url.pathname === '/landed') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`landed ${url.search}`);
    } else if (url.pathname === '/download') {
      download(res, Number(url.searchParams.get('mib') ?? '1'));
    } else if (url.pathname === '/upload' && req.method === 'POST') {
      const hash = createHash('sha256');
      let bytes = 0;
      req.on('data', (c: Buffer) => {
        bytes += c.length;
        hash.update(c);
      });
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ bytes, sha256: hash.digest('hex') }));
      });
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    }
  };
}

/** A WebUI over plain HTTP and one over self-signed HTTPS, plus a TCP echo server. */
export class FakeApplianceWebui {
  httpPort = 0;
  httpsPort = 0;
  tcpPort = 0;
  private readonly servers: net.Server[] = [];

  /** Starts all three on 127.0.0.1. */
  async start(): Promise<void> {
    const plain = http.createServer(handler(() => `http://127.0.0.1:${this.httpPort}`));
    const pems = await generate([{ name: 'commonName', value: 'appliance.local' }], { keySize: 2048 });
    const secure = https.createServer({ key: pems.private, cert: pems.cert }, handler(() => `https://127.0.0.1:${this.httpsPort}`));
    for (const s of [plain, secure]) {
      const wss = new WebSocketServer({ server: s, path: '/ws' });
      wss.on('connection', (ws, req) => ws.on('message', (m, binary) => ws.send(binary ? m : `echo:${m.toString()} origin:${req.headers.origin ?? ''}`)));
    }
    const tcp = net.createServer((socket) => socket.pipe(socket));
    this.servers.push(plain, secure, tcp);
    this.httpPort = await listen(plain);
    this.httpsPort = await listen(secure);
    this.tcpPort = await listen(tcp);
  }

  /** Stops everything. */
  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => new Promise<void>((resolve) => {
      (s as http.Server).closeAllConnections?.();
      s.close(() => resolve());
    })));
  }
}

function listen(s: net.Server): Promise<number> {
  return new Promise((resolve) => s.listen(0, '127.0.0.1', () => resolve((s.address() as AddressInfo).port)));
}
