import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { AddressInfo } from 'node:net';

/** Size of the large download the WebUI serves at /big: 50 MiB. */
export const BIG_BODY_BYTES = 50 * 1024 * 1024;
const CHUNK = 64 * 1024;

/** How many scripts the WebUI's /app page loads before its POST. */
export const APP_SCRIPTS = 8;

/** The HTML the fake appliance WebUI answers at /. */
export const WEBUI_HTML = '<!doctype html><html><head><title>e2e node</title></head><body><h1>WebUI of the e2e node</h1></body></html>\n';

/**
 * The /big body, chunk by chunk: each 64 KiB chunk is a SHA-256 of its index repeated,
 * so it is deterministic, differs per chunk (a reordered or dropped chunk changes the
 * hash) and never sits in memory whole.
 */
export function* bigBodyChunks(total = BIG_BODY_BYTES): Generator<Buffer> {
  for (let i = 0, left = total; left > 0; i++, left -= CHUNK) {
    const chunk = Buffer.alloc(Math.min(CHUNK, left));
    chunk.fill(createHash('sha256').update(`burrow-e2e-${i}`).digest());
    yield chunk;
  }
}

/** A running stand-in for a node's local WebUI. */
export interface WebUi {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Serves the stand-in WebUI on 127.0.0.1 (a plain HTTP server, as appliances have); `/` answers `homePage`. */
export async function startWebUi(homePage = WEBUI_HTML): Promise<WebUi> {
  const server = http.createServer((req, res) => {
    if (req.url === '/big') {
      res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(BIG_BODY_BYTES) });
      Readable.from(bigBodyChunks()).pipe(res);
      return;
    }
    if (req.url === '/app') {
      // A page as appliance UIs are: several scripts at once (parallel connections), then a POST.
      const scripts = Array.from({ length: APP_SCRIPTS }, (_, i) => `<script src="/asset/${i}.js"></script>`).join('');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>app</title>${scripts}<p id="out">loading</p><script src="/asset/post.js"></script>`);
      return;
    }
    if (req.url?.startsWith('/asset/')) {
      // Cached with an ETag: a reload revalidates and gets 304 without a body.
      const etag = `"${req.url}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag, 'cache-control': 'no-cache' });
        res.end();
        return;
      }
      const body = req.url === '/asset/post.js'
        ? "fetch('/echo-body', { method: 'POST', body: 'x'.repeat(100000) }).then((r) => r.text()).then((t) => { document.getElementById('out').textContent = `scripts ${window.loaded} posted ${t}`; });"
        : 'window.loaded = (window.loaded || 0) + 1;';
      res.writeHead(200, { 'content-type': 'text/javascript', etag, 'cache-control': 'no-cache' });
      res.end(body);
      return;
    }
    if (req.url === '/echo-body' && req.method === 'POST') {
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(`${n} bytes`);
      });
      return;
    }
    if (req.url === '/login') {
      // What an appliance does on sign-in: an HttpOnly session cookie.
      res.writeHead(200, { 'content-type': 'text/plain', 'set-cookie': 'webui_sid=s3cr3t; Path=/; HttpOnly' });
      res.end('signed in\n');
      return;
    }
    if (req.url === '/cookies') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`cookies: ${req.headers.cookie ?? '(none)'}\n`);
      return;
    }
    if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': String(Buffer.byteLength(homePage)) });
      res.end(homePage);
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    port,
    url: `http://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
