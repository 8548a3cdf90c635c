import tls from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import type { Socket } from 'node:net';
import { clientAddress } from '../clientAddress.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import type { SessionAdmission } from './sessionAdmission.js';
import { takeToken } from './sessionAdmission.js';
import { proxyRequestHead, proxyResponseHead, type ProxyNames } from './proxyHeaders.js';
import { closeServer, SocketTally, type SessionListener, type SessionListenerDeps } from './sessionListener.js';
import { HttpConnectionRelay, type RequestVerdict } from './httpConnectionRelay.js';
import { cookieHeader, headerValues, type RequestHead } from './httpHead.js';
import { openWebuiStream } from './webuiStream.js';
import { crossOriginRefusal } from './originCheck.js';

/** What an HTTP session proxy needs. */
export interface HttpSessionProxyDeps extends SessionListenerDeps {
  tlsOptions: tls.TlsOptions;
  /** Deadline for each request's headers (slowloris). */
  headersTimeoutMs: number;
  clock: Clock;
  admission: SessionAdmission;
  target: ServiceTarget;
  /** `https://host:port` of the session port, known once it is bound. */
  publicOrigin: () => string;
  /**
   * The session is served at a host name of its own (a session domain): requests naming any
   * other Host are refused, and the WebUI's cookies keep their own names (no other session
   * or console shares this host's cookie jar).
   */
  hostOfItsOwn?: boolean;
}

/** How long a browser connection may sit idle between requests, as Node's own HTTP server. */
const KEEP_ALIVE_TIMEOUT_MS = 5_000;

/** What `burrow admin session open` or the console's "Open WebUI" gives: a new link. */
const NEW_LINK = '<p>For a new link, open a new session: <code>burrow admin session open NODE</code>, or "Open WebUI" on the node\'s page in the console.</p>';
const FORBIDDEN_PAGE = `<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1><p>This session port admits only the browser that opened its link, from the address the session was opened for.</p>${NEW_LINK}\n`;
const CROSS_ORIGIN_PAGE = '<!doctype html><title>403 Forbidden</title><h1>403 Forbidden</h1><p>This session port refuses WebSockets and changes that another site\'s page asks for, including another session\'s WebUI.</p>\n';
const WRONG_HOST_PAGE = '<!doctype html><title>421 Misdirected Request</title><h1>421 Misdirected Request</h1><p>This session port serves its session\'s own host name only.</p>\n';
const USED_LINK_PAGE = `<!doctype html><title>403 Link already used</title><h1>This session link was already used</h1><p>A session link works once, in the first browser that opens it; that browser keeps the session.</p>${NEW_LINK}\n`;

/**
 * The HTTPS listener of an `http` session: admits only its browser (source address plus
 * session cookie, earned once with the URL's token) and relays each of its connections
 * to the node's WebUI over a tunnel channel of its own (HttpConnectionRelay), rewriting
 * only the heads. Not parsing and re-serializing every message twice is what makes the
 * relay about as cheap per request as a byte pipe.
 */
export class HttpSessionProxy implements SessionListener {
  readonly server: tls.Server;
  private readonly tally = new SocketTally();

  constructor(private readonly deps: HttpSessionProxyDeps) {
    this.server = tls.createServer({ minVersion: 'TLSv1.2', ALPNProtocols: ['http/1.1'], ...deps.tlsOptions }, (socket) => this.onConnection(socket));
    this.server.on('tlsClientError', (_err, socket) => socket.destroy());
    // Raw connections too: one stuck in its TLS handshake must not hold the port after close().
    this.server.on('connection', (raw: Socket) => this.tally.track(raw));
  }

  get bytesUp(): number {
    return this.tally.bytesUp;
  }

  get bytesDown(): number {
    return this.tally.bytesDown;
  }

  private onConnection(socket: tls.TLSSocket): void {
    this.tally.client(socket);
    socket.setNoDelay(true);
    const ip = clientAddress(socket).ip;
    let names: ProxyNames | undefined;
    const namesNow = (): ProxyNames => (names ??= { target: this.deps.target, publicOrigin: this.deps.publicOrigin(), clientIp: ip, webuiCookiePrefix: this.deps.hostOfItsOwn ? undefined : this.deps.admission.webuiCookiePrefix });
    // The Cookie header that last passed on this TLS connection: the same header again is
    // the same browser, and need not be hashed and compared for every request.
    const passed = { cookie: undefined as string | undefined };
    new HttpConnectionRelay(socket, {
      judge: (head) => this.judge(ip, head, namesNow(), passed),
      rewriteResponse: (head) => proxyResponseHead(head, namesNow()),
      openUpstream: async () => {
        const up = await openWebuiStream(this.deps.target, () => this.deps.openUpstream({ ip: this.deps.admission.allowedIp, port: 0 }));
        this.tally.track(up);
        return up;
      },
      onActivity: this.deps.onActivity,
      headersTimeoutMs: this.deps.headersTimeoutMs,
      keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
      clock: this.deps.clock,
      log: this.deps.log,
    });
  }

  /** Admission for one request: relay it with its rewritten head, or answer it here. */
  private judge(ip: string, head: RequestHead, names: ProxyNames, passed: { cookie: string | undefined }): RequestVerdict {
    // A session port reached under another session's name or the console's (DNS rebinding, a
    // page addressing the port by another name) would serve a page whose origin is not its own.
    if (this.deps.hostOfItsOwn && !namesOwnHost(head, names.publicOrigin)) {
      this.deps.onDenied(ip, 'wrong host');
      return { kind: 'answer', close: true, answer: { status: 421, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: WRONG_HOST_PAGE } };
    }
    // First, so that another page can neither reach the WebUI with this session's cookie nor spend its link.
    const crossOrigin = crossOriginRefusal(head, names.publicOrigin);
    if (crossOrigin !== undefined) {
      this.deps.onDenied(ip, crossOrigin);
      return { kind: 'answer', close: true, answer: { status: 403, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: CROSS_ORIGIN_PAGE } };
    }
    const cookie = cookieHeader(head.headers);
    const a = cookie !== undefined && cookie === passed.cookie ? { kind: 'pass' as const } : this.deps.admission.check({ ip, url: head.target, cookie });
    if (a.kind === 'pass') {
      passed.cookie = cookie;
      return { kind: 'relay', head: proxyRequestHead(head, takeToken(head.target).rest, names) };
    }
    if (a.kind === 'exchange') {
      const headers = { 'set-cookie': a.setCookie, 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };
      if (this.deps.hostOfItsOwn) {
        // Opened from the console, which is another site now: a redirect would stay part of
        // that cross-site navigation and the browser would withhold the SameSite=Strict cookie
        // it just got. A page of the session's own that moves on starts a same-site one.
        return { kind: 'answer', close: false, answer: { status: 200, headers: { ...headers, 'content-type': 'text/html; charset=utf-8' }, body: enteringPage(a.location) } };
      }
      return { kind: 'answer', close: false, answer: { status: 303, headers: { ...headers, location: a.location }, body: '' } };
    }
    this.deps.onDenied(ip, a.reason);
    return { kind: 'answer', close: true, answer: { status: 403, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' }, body: a.linkUsed ? USED_LINK_PAGE : FORBIDDEN_PAGE } };
  }

  /** Stops listening and cuts every connection; resolves when the port is free. */
  close(): Promise<void> {
    this.tally.destroyAll();
    return closeServer(this.server);
  }
}

/** Whether a request names the session's own `host:port` in its one Host header (case ignored, as DNS does). */
function namesOwnHost(head: RequestHead, publicOrigin: string): boolean {
  const hosts = headerValues(head.headers, 'host');
  return hosts.length === 1 && (hosts[0] as string).toLowerCase() === new URL(publicOrigin).host;
}

/** The page that takes a browser on to `location` (a path of the session's own) once it holds the session cookie. */
export function enteringPage(location: string): string {
  const path = location.startsWith('/') && !location.startsWith('//') ? location : '/';
  const href = path.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html><meta http-equiv="refresh" content="0;url=${href}"><title>Opening the session</title><p>Opening the session... <a href="${href}">continue</a></p>\n`;
}
