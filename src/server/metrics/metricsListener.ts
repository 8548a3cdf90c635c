import http from 'node:http';
import { isIP } from 'node:net';
import { listenOn } from '../listenOn.js';
import type { Logger } from '../../shared/log.js';
import type { ServerMetrics } from './serverMetrics.js';

/** The Prometheus text format's content type, version 0.0.4. */
const CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

/** A listener serving /metrics; `close()` frees its port. */
export interface MetricsListener {
  readonly port: number;
  /** Whether it still accepts scrapes (readiness reads it). */
  readonly listening: boolean;
  close(): Promise<void>;
}

/**
 * Whether a request names the listener by an IP address, as a scraper configured with the
 * listener's address does. A page that rebinds its own host name to this machine's address
 * gets its browser to connect here, but the Host it sends is still that name.
 */
function addressedByIp(host: string | undefined): boolean {
  if (!host) return false;
  const bare = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d+$/, '');
  return isIP(bare) !== 0;
}

/**
 * Serves `GET /metrics` on its own plain-HTTP listener, apart from the public port: the
 * config only lets it bind a private or loopback address, so no scrape token is needed
 * and the public port never exposes fleet metrics. Anything else gets 404.
 */
export async function listenForMetrics(listen: string, metrics: ServerMetrics, log: Logger): Promise<MetricsListener> {
  const server = http.createServer((req, res) => {
    if (!addressedByIp(req.headers.host)) {
      res.writeHead(421, { 'Content-Type': 'text/plain' }).end('Scrape the metrics listener by its IP address.\n');
      return;
    }
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'Content-Type': 'text/plain' }).end('Not found: metrics are at GET /metrics.\n');
      return;
    }
    metrics.scrape().then(
      (text) => res.writeHead(200, { 'Content-Type': CONTENT_TYPE, 'Cache-Control': 'no-store' }).end(req.method === 'HEAD' ? undefined : text),
      (err: Error) => {
        log.warn({ err: err.message }, 'could not collect metrics');
        res.writeHead(500, { 'Content-Type': 'text/plain' }).end('Could not collect metrics.\n');
      },
    );
  });
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  await listenOn(server, listen, 'for metrics');
  return {
    port: (server.address() as { port: number }).port,
    get listening() {
      return server.listening;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
