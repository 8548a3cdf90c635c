/**
 * How a session port keeps the cookies of one host apart. Browsers scope cookies by host,
 * not port: the console and every session port of the burrow host share one cookie jar.
 */

/**
 * The node WebUI's HttpOnly cookies are stored in the browser under this prefix, the
 * session id and a dot (`burrow_w_<id>.sid`). Browsers do not scope cookies by port, so
 * without it every session port of the host would send a WebUI's login cookie to every
 * other node's WebUI, and two nodes using the same cookie name would log each other out.
 */
const WEBUI_COOKIE_PREFIX = 'burrow_w_';

/** The prefix of one session's WebUI cookies in the browser. */
export function webuiCookiePrefix(sessionId: string): string {
  return `${WEBUI_COOKIE_PREFIX}${sessionId}.`;
}

/**
 * Every cookie burrow sets starts with this: the console's sign-in, session ports' own,
 * renamed WebUI cookies. The browser sends the console's to every port of the host.
 */
const BURROW_COOKIES = 'burrow_';

/**
 * The Cookie header the node's WebUI gets: none of burrow's own (the console sign-in, the
 * session cookies, other sessions' WebUI cookies), and its own renamed cookies under their
 * names again. Cookies we never renamed (set by the WebUI's scripts, or not HttpOnly) pass.
 */
export function cookiesForNode(header: string | undefined, webuiPrefix: string): string | undefined {
  if (header === undefined) return undefined;
  const kept: string[] = [];
  for (const raw of header.split(';')) {
    const pair = raw.trim();
    if (pair.startsWith(webuiPrefix)) kept.push(pair.slice(webuiPrefix.length));
    else if (pair.length > 0 && !pair.startsWith(BURROW_COOKIES)) kept.push(pair);
  }
  return kept.length ? kept.join('; ') : undefined;
}

/**
 * A WebUI's Set-Cookie as the browser should store it: HttpOnly ones renamed into this
 * session, no Domain. Undefined for a cookie in burrow's own namespace: a node must not
 * overwrite the console's sign-in or a session's cookie (they share the host).
 */
export function cookieForBrowser(setCookie: string, webuiPrefix: string): string | undefined {
  const [pair = '', ...rest] = setCookie.split(';');
  const first = pair.trim();
  if (first.startsWith(BURROW_COOKIES)) return undefined;
  const attributes = rest.filter((p) => !/^\s*domain\s*=/i.test(p));
  // Only HttpOnly cookies are renamed: no script of the WebUI can read those, so the new name is invisible to it.
  const httpOnly = attributes.some((p) => p.trim().toLowerCase() === 'httponly');
  return [httpOnly ? `${webuiPrefix}${first}` : first, ...attributes].join(';');
}
