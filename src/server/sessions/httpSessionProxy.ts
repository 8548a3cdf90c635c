import https from 'node:https';
import http from 'node:http';
import type tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { corkPerTick } from '../../shared/corkPerTick.js';
import { joinStreams } from '../../shared/joinStreams.js';
import { connectionsCheckingIntervalFor } from '../../shared/tlsPolicy.js';
import { normalizeIp } from '../../shared/net.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import type { SessionAdmission } from './sessionAdmission.js';
import { takeToken } from './sessionAdmission.js';
import { proxyRequestHeaders, proxyResponseHeaders, upgradeRequestHead, type ProxyNames } from './proxyHeaders.js';
import { closeServer, SocketTally, type SessionListener, type SessionListenerDeps } from './sessionListener.js';
import { openUpgradeStream, UpstreamAgent } from './upstreamAgent.js';

/** What an HTTP session proxy needs. */
export interface HttpSessionProxyDeps extends SessionListenerDeps {
  tlsOptions: tls.TlsOptions;
  /** Deadline for each request's headers (slowloris). */
  headersTimeoutMs: number;
  admission: SessionAdmission;
  target: ServiceTarget;
  /** `https://host:port` of the session port, known once it is bound. */
  publicOrigin: () => string;
}

const FORBIDDEN_PAGE = '<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1><p>This session port is not yours.</p>\n';
const BAD_GATEWAY_PAGE = '<!doctype html><title>502 Bad Gateway</title><h1>502 Bad Gateway</h1><p>The node did not answer.</p>\n';

/**
 * The HTTPS listener of an `http` session: admits only its browser (source address plus
 * session cookie, earned once with the URL's token) and proxies each request to the node's
 * WebUI over pooled tunnel channels, streaming bodies both ways with back-pressure.
 * WebSocket upgrades get their own channel and become a raw pipe.
 */
export class HttpSessionProxy implements SessionListener {
  readonly server: https.Server;
  private readonly tally = new SocketTally();
  private readonly agent: UpstreamAgent;

  constructor(private readonly deps: HttpSessionProxyDeps) {
    this.server = https.createServer(
      // Uploads may take long: no whole-request deadline, but headers must come quickly.
      {
        minVersion: 'TLSv1.2',
        ...deps.tlsOptions,
        requestTimeout: 0,
        headersTimeout: deps.headersTimeoutMs,
        connectionsCheckingInterval: connectionsCheckingIntervalFor(deps.headersTimeoutMs),
      },
      (req, res) => this.onRequest(req, res),
    );
    this.server.on('secureConnection', (socket: tls.TLSSocket) => this.tally.client(socket));
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    this.server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => this.onUpgrade(req, socket, head));
    this.agent = new UpstreamAgent(deps.target, () => this.open(), (s) => this.tally.upstream(s));
  }

  get bytesUp(): number {
    return this.tally.bytesUp;
  }

  get bytesDown(): number {
    return this.tally.bytesDown;
  }

  private names(req: http.IncomingMessage): ProxyNames {
    return { target: this.deps.target, publicOrigin: this.deps.publicOrigin(), clientIp: normalizeIp(req.socket.remoteAddress) };
  }

  private open(): Promise<Duplex> {
    return this.deps.openUpstream({ ip: this.deps.admission.allowedIp, port: 0 });
  }

  /** Admission for one request; answers refusals and token exchanges itself. Returns whether to proxy. */
  private admit(req: http.IncomingMessage, refuse: (status: number, headers: Record<string, string>, body: string) => void): boolean {
    const ip = normalizeIp(req.socket.remoteAddress);
    const a = this.deps.admission.check({ ip, url: req.url ?? '/', cookie: req.headers.cookie });
    if (a.kind === 'pass') return true;
    if (a.kind === 'exchange') {
      refuse(303, { location: a.location, 'set-cookie': a.setCookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' }, '');
      return false;
    }
    this.deps.onDenied(ip, a.reason);
    refuse(403, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', connection: 'close' }, FORBIDDEN_PAGE);
    return false;
  }

  private onRequest(req: http.IncomingMessage, res: http.ServerResponse): void {
    const admitted = this.admit(req, (status, headers, body) => {
      res.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    if (!admitted) {
      req.resume();
      return;
    }
    this.deps.onActivity();
    const names = this.names(req);
    const up = http.request({
      agent: this.agent,
      method: req.method,
      path: takeToken(req.url ?? '/').rest,
      headers: proxyRequestHeaders(req.headers, names),
      setHost: false,
    });
    const activity = () => this.deps.onActivity();
    req.on('data', activity);
    up.on('response', (upRes) => {
      res.writeHead(upRes.statusCode ?? 502, upRes.statusMessage, proxyResponseHeaders(upRes.headers, names));
      // Before pipe's own listener: the packets of one tunnel frame then reach the browser in one TLS write.
      upRes.on('data', () => {
        activity();
        corkPerTick(res);
      });
      upRes.pipe(res);
      upRes.on('error', () => res.destroy());
    });
    up.on('error', (err) => {
      this.deps.log.info({ err: err.message }, 'upstream request failed');
      if (res.headersSent) {
        res.destroy();
        return;
      }
      res.writeHead(502, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(BAD_GATEWAY_PAGE) });
      res.end(BAD_GATEWAY_PAGE);
    });
    // A client that goes away mid-exchange must not leave the upstream request running.
    res.on('close', () => {
      if (!res.writableFinished) up.destroy();
    });
    req.pipe(up);
  }

  private onUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    const admitted = this.admit(req, (status, headers, body) => {
      const lines = Object.entries({ ...headers, 'content-length': String(Buffer.byteLength(body)), connection: 'close' }).map(([k, v]) => `${k}: ${v}\r\n`);
      socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status] ?? ''}\r\n${lines.join('')}\r\n${body}`);
    });
    if (!admitted) return;
    this.deps.onActivity();
    openUpgradeStream(this.deps.target, () => this.open()).then(
      (upstream) => {
        if (socket.destroyed) {
          upstream.destroy();
          return;
        }
        this.tally.upstream(upstream);
        upstream.write(upgradeRequestHead(req, takeToken(req.url ?? '/').rest, this.names(req)));
        if (head.length) upstream.write(head);
        const activity = () => this.deps.onActivity();
        socket.on('data', activity);
        upstream.on('data', activity);
        joinStreams(socket, upstream);
      },
      (err: Error) => {
        this.deps.log.info({ err: err.message }, 'could not reach the node WebUI for an upgrade');
        socket.end('HTTP/1.1 502 Bad Gateway\r\ncontent-length: 0\r\nconnection: close\r\n\r\n');
      },
    );
  }

  /** Stops listening and cuts every connection; resolves when the port is free. */
  close(): Promise<void> {
    this.agent.destroy();
    this.tally.destroyAll();
    this.server.closeAllConnections();
    return closeServer(this.server);
  }
}
