/**
 * How a session port keeps the cookies of one host apart. Browsers scope cookies by host,
 * not port: without a session domain the console and every session port of the burrow host
 * share one cookie jar, so each session's WebUI cookies are renamed into a namespace of
 * their own. With a session domain each session has a host, and so a jar, of its own: the
 * WebUI's cookies keep their names (`webuiPrefix` undefined), and only burrow's are kept apart.
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
 * Cookie name prefixes browsers give a meaning (RFC 6265bis section 4.1.3): `__Host-` needs
 * Secure, Path=/ and no Domain; `__Secure-` needs Secure. Browsers match them ignoring case.
 * A renamed WebUI cookie keeps its prefix in front, so the browser still enforces it.
 */
const NAME_PREFIXES = /^(__host-|__secure-)/i;

/** A cookie name split into its browser-enforced prefix (or '') and the rest. */
function splitPrefix(name: string): [prefix: string, rest: string] {
  const m = NAME_PREFIXES.exec(name);
  return m ? [name.slice(0, m[1]!.length), name.slice(m[1]!.length)] : ['', name];
}

/** Whether a `name=value` pair (or a bare name) is in burrow's own namespace, prefix or not. */
function isBurrows(pair: string): boolean {
  return splitPrefix(pair)[1].startsWith(BURROW_COOKIES);
}

/**
 * The Cookie header the node's WebUI gets: none of burrow's own (the console sign-in, the
 * session cookies, other sessions' WebUI cookies), and its own renamed cookies under their
 * names again. Cookies we never renamed (set by the WebUI's scripts, or not HttpOnly) pass.
 */
export function cookiesForNode(header: string | undefined, webuiPrefix: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const kept: string[] = [];
  for (const raw of header.split(';')) {
    const pair = raw.trim();
    const [prefix, rest] = splitPrefix(pair);
    if (webuiPrefix !== undefined && rest.startsWith(webuiPrefix)) kept.push(prefix + rest.slice(webuiPrefix.length));
    else if (pair.length > 0 && !isBurrows(pair)) kept.push(pair);
  }
  return kept.length ? kept.join('; ') : undefined;
}

/**
 * A WebUI's Set-Cookie as the browser should store it: HttpOnly ones renamed into this
 * session (unless `webuiPrefix` is undefined), no Domain (a WebUI may not plant cookies on
 * its siblings under the session domain). Undefined for a cookie in burrow's own namespace: a node must not
 * overwrite the console's sign-in or a session's cookie (they share the host).
 */
export function cookieForBrowser(setCookie: string, webuiPrefix: string | undefined): string | undefined {
  const [pair = '', ...rest] = setCookie.split(';');
  const trimmed = pair.trim();
  // The cookie grammar: the name is what precedes the first `=`. A browser stores a nameless
  // cookie (`=a=b`, or `a` without `=`) and sends its value alone, which servers read as `a=b`.
  const eq = trimmed.indexOf('=');
  const first = eq > 0 && trimmed.slice(0, eq).trim().length > 0 ? trimmed : trimmed.slice(eq + 1).trim();
  if (first.length === 0 || isBurrows(first)) return undefined;
  const attributes = rest.filter((p) => !/^\s*domain\s*=/i.test(p));
  // Only HttpOnly cookies are renamed: no script of the WebUI can read those, so the new name is invisible to it.
  const httpOnly = attributes.some((p) => p.trim().toLowerCase() === 'httponly');
  const [prefix, name] = splitPrefix(first);
  return [httpOnly && webuiPrefix !== undefined ? `${prefix}${webuiPrefix}${name}` : first, ...attributes].join(';');
}
