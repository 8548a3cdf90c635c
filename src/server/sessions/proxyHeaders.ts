import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
import { targetAuthority, type ServiceTarget } from '../../shared/serviceTarget.js';
import { stripSessionCookies } from './sessionAdmission.js';

/** The addresses a header rewrite maps between. */
export interface ProxyNames {
  target: ServiceTarget;
  /** `https://host:port` of the session port. */
  publicOrigin: string;
  clientIp: string;
}

/** Headers that describe one hop, never the message (RFC 9110 7.6.1). */
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'proxy-authenticate', 'proxy-authorization', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/** The WebUI's own origin, as it would name itself. */
export function targetOrigin(t: ServiceTarget): string {
  return `${t.scheme}://${targetAuthority(t)}`;
}

/** The headers sent to the node's WebUI: its own Host, no session cookies, no hop headers. */
export function proxyRequestHeaders(h: IncomingHttpHeaders, n: ProxyNames): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  // Connection-specific headers named by Connection are hop-by-hop too.
  for (const name of String(h.connection ?? '').split(',')) delete out[name.trim().toLowerCase()];
  Object.assign(out, rewrittenNames(h, n));
  if (out.cookie === undefined) delete out.cookie;
  return out;
}

/** Host, Origin, Cookie and X-Forwarded-* as the WebUI should see them. */
function rewrittenNames(h: IncomingHttpHeaders, n: ProxyNames): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {
    host: targetAuthority(n.target),
    cookie: stripSessionCookies(h.cookie),
    'x-forwarded-for': n.clientIp,
    'x-forwarded-proto': 'https',
    'x-forwarded-host': new URL(n.publicOrigin).host,
  };
  // A WebUI that checks Origin (CSRF, WebSocket) expects its own.
  if (h.origin === n.publicOrigin) out.origin = targetOrigin(n.target);
  if (typeof h.referer === 'string' && h.referer.startsWith(`${n.publicOrigin}/`)) out.referer = targetOrigin(n.target) + h.referer.slice(n.publicOrigin.length);
  return out;
}

/** The headers sent back to the browser: redirects to the WebUI's own address point at the session port. */
export function proxyResponseHeaders(h: IncomingHttpHeaders, n: ProxyNames): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
  if (typeof h.location === 'string') out.location = rewriteLocation(h.location, n);
  if (h['set-cookie']) out['set-cookie'] = h['set-cookie'].map(withoutDomain);
  return out;
}

/** Rewrites an absolute Location that names the WebUI's own address to the session origin. */
export function rewriteLocation(location: string, n: ProxyNames): string {
  let url: URL;
  try {
    url = new URL(location);
  } catch {
    return location; // relative: the browser resolves it against the session port already
  }
  const own = new URL(targetOrigin(n.target));
  const samePort = (url.port || (url.protocol === 'https:' ? '443' : '80')) === String(n.target.port);
  if ((url.protocol === 'http:' || url.protocol === 'https:') && url.hostname === own.hostname && samePort) {
    return n.publicOrigin + url.pathname + url.search + url.hash;
  }
  return location;
}

/** A Set-Cookie without Domain: the browser knows the session host, not the node's name. */
function withoutDomain(cookie: string): string {
  return cookie
    .split(';')
    .filter((part, i) => i === 0 || !/^\s*domain\s*=/i.test(part))
    .join(';');
}

/** The request line and headers of a WebSocket upgrade, as written into the channel. */
export function upgradeRequestHead(req: IncomingMessage, path: string, n: ProxyNames): string {
  const replaced = rewrittenNames(req.headers, n);
  const lines: string[] = [`${req.method ?? 'GET'} ${path} HTTP/1.1`];
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (name in replaced) continue;
    lines.push(`${raw[i] as string}: ${raw[i + 1] as string}`);
  }
  for (const [k, v] of Object.entries(replaced)) if (v !== undefined) lines.push(`${k}: ${String(v)}`);
  return `${lines.join('\r\n')}\r\n\r\n`;
}
