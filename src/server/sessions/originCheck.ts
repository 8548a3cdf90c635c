import { headerTokens, headerValues, type RequestHead } from './httpHead.js';

/** Methods a browser sends from any page without asking (no side effects by HTTP's rules). */
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** An origin in the browser's serialized form (`https://host` for port 443), or undefined if it is not one. */
function normalOrigin(value: string): string | undefined {
  try {
    const url = new URL(value);
    return url.origin === 'null' ? undefined : url.origin;
  } catch {
    return undefined;
  }
}

/**
 * Why a request made by another site's page must not reach the WebUI, or undefined if it
 * may. Every session port is a different origin but all share the host's cookies, so a
 * page on one session could otherwise open a WebSocket to, or post to, another session's
 * WebUI with that session's cookies. WebSockets are not bound by CORS, so their Origin is
 * checked; unsafe requests are refused when the browser says they come from elsewhere.
 * Requests without these headers (curl, scripts) are not a browser's and pass.
 */
export function crossOriginRefusal(head: RequestHead, ownOrigin: string): string | undefined {
  const own = normalOrigin(ownOrigin);
  const origins = headerValues(head.headers, 'origin');
  const foreignOrigin = origins.length > 1 || (origins.length === 1 && normalOrigin(origins[0] as string) !== own);
  if (headerTokens(head.headers, 'upgrade').includes('websocket')) {
    return foreignOrigin ? 'cross-origin websocket' : undefined;
  }
  if (SAFE_METHODS.has(head.method)) return undefined;
  const site = headerTokens(head.headers, 'sec-fetch-site');
  if (site.includes('cross-site') || site.includes('same-site')) return `cross-origin ${head.method}`;
  // A page with Referrer-Policy no-referrer sends `Origin: null` even to its own origin; Sec-Fetch-Site then tells.
  const nullFromOwnPage = origins.length === 1 && origins[0] === 'null' && (site.includes('same-origin') || site.includes('none'));
  return foreignOrigin && !nullFromOwnPage ? `cross-origin ${head.method}` : undefined;
}
