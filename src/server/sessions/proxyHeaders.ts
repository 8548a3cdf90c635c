import { targetAuthority, type ServiceTarget } from '../../shared/serviceTarget.js';
import { cookieForBrowser, cookiesForNode } from './webuiCookies.js';
import { cookieHeader, headerValues, writeHead, type Header, type RequestHead, type ResponseHead } from './httpHead.js';

/** The addresses a header rewrite maps between. */
export interface ProxyNames {
  target: ServiceTarget;
  /** `https://host:port` of the session port. */
  publicOrigin: string;
  clientIp: string;
  /** The session's prefix for the WebUI's cookies in the browser (SessionAdmission.webuiCookiePrefix); undefined: not renamed (a host of its own). */
  webuiCookiePrefix: string | undefined;
}

/**
 * Request headers the relay replaces or drops. Hop-by-hop headers otherwise pass: each
 * browser connection has its own channel to the WebUI for its whole life, so Connection,
 * Keep-Alive, Upgrade and Transfer-Encoding describe that one end-to-end hop.
 */
const REPLACED = new Set(['host', 'cookie', 'origin', 'referer', 'x-forwarded-for', 'x-forwarded-proto', 'x-forwarded-host', 'proxy-connection', 'proxy-authorization']);

/** The WebUI's own origin, as it would name itself. */
export function targetOrigin(t: ServiceTarget): string {
  return `${t.scheme}://${targetAuthority(t)}`;
}

/** The request head sent to the node's WebUI: its own Host, Origin and Referer, no session cookies. */
export function proxyRequestHead(head: RequestHead, path: string, n: ProxyNames): Buffer {
  const out: Header[] = [];
  for (const h of head.headers) if (!REPLACED.has(h[0].toLowerCase())) out.push(h);
  out.push(['Host', targetAuthority(n.target)]);
  const cookie = cookiesForNode(cookieHeader(head.headers), n.webuiCookiePrefix);
  if (cookie !== undefined) out.push(['Cookie', cookie]);
  // A WebUI that checks Origin (CSRF, WebSocket) expects its own.
  const [origin] = headerValues(head.headers, 'origin');
  if (origin !== undefined) out.push(['Origin', origin === n.publicOrigin ? targetOrigin(n.target) : origin]);
  const [referer] = headerValues(head.headers, 'referer');
  if (referer !== undefined) out.push(['Referer', referer.startsWith(`${n.publicOrigin}/`) ? targetOrigin(n.target) + referer.slice(n.publicOrigin.length) : referer]);
  out.push(['X-Forwarded-For', n.clientIp], ['X-Forwarded-Proto', 'https'], ['X-Forwarded-Host', new URL(n.publicOrigin).host]);
  return writeHead(`${head.method} ${path} HTTP/${head.version}`, out);
}

/** The response head sent back to the browser: redirects and cookies name the session port. */
export function proxyResponseHead(head: ResponseHead, n: ProxyNames): Buffer {
  const out: Header[] = [];
  for (const [k, v] of head.headers) {
    const name = k.toLowerCase();
    if (name === 'location') {
      out.push([k, rewriteLocation(v, n)]);
    } else if (name === 'set-cookie') {
      const cookie = cookieForBrowser(v, n.webuiCookiePrefix);
      if (cookie !== undefined) out.push([k, cookie]);
    } else if (name !== 'clear-site-data') {
      // Clear-Site-Data would wipe the whole host's cookies and storage: the console's sign-in and every session's.
      out.push([k, v]);
    }
  }
  return writeHead(`HTTP/${head.version} ${head.status} ${head.reason}`, out);
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
