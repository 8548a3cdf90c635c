import { randomBytes } from 'node:crypto';
import { constantTimeEqual, sha256Hex } from '../../shared/secrets.js';
import { webuiCookiePrefix } from './webuiCookies.js';

/** URL parameter that carries the one-time token of a session's first request. */
export const TOKEN_PARAM = 'burrow_token';
/** Every session cookie starts with this; the session id follows. */
export const COOKIE_PREFIX = 'burrow_s_';

/** What to do with one request on a session port. */
export type Admission =
  | { kind: 'pass' }
  /** The token was good: set this cookie and send the browser to `location` (token removed). */
  | { kind: 'exchange'; setCookie: string; location: string }
  /** `linkUsed`: the request carries the session's link after its one use (a second browser, a reopened link). */
  | { kind: 'deny'; reason: string; linkUsed?: true };

/** The parts of a request admission looks at. */
export interface AdmissionRequest {
  ip: string;
  /** Path and query, as on the request line. */
  url: string;
  cookie: string | undefined;
}

const secret = (): string => randomBytes(32).toString('base64url');

/**
 * Decides who may use a session port. Cookies are shared by every port of a host, so
 * each session names its own (`burrow_s_<id>`) and checks it on every request; the
 * token that earns it is good once. Only hashes of the token and cookie are kept.
 */
export class SessionAdmission {
  readonly cookieName: string;
  /** What this session's WebUI cookies are renamed with in the browser. */
  readonly webuiCookiePrefix: string;
  private tokenHash: string | null;
  private cookieHash: string | null = null;

  /** `token` is the one-time secret to hand the session's opener, once. */
  constructor(
    sessionId: string,
    readonly allowedIp: string,
    readonly token: string = secret(),
  ) {
    this.cookieName = `${COOKIE_PREFIX}${sessionId}`;
    this.webuiCookiePrefix = webuiCookiePrefix(sessionId);
    this.tokenHash = sha256Hex(token);
  }

  /** Whether a request from the session's browser passes, earns its cookie, or is refused. */
  check(req: AdmissionRequest): Admission {
    if (req.ip !== this.allowedIp) return { kind: 'deny', reason: 'source address not allowed' };
    const cookie = cookieValue(req.cookie, this.cookieName);
    if (cookie !== undefined && this.cookieHash !== null && constantTimeEqual(sha256Hex(cookie), this.cookieHash)) {
      return { kind: 'pass' };
    }
    const { token, rest } = takeToken(req.url);
    if (token === undefined) return { kind: 'deny', reason: cookie === undefined ? 'no session cookie' : 'wrong session cookie' };
    if (this.tokenHash === null) {
      // The token cannot be compared any more, so any token now is taken for the spent
      // link: a wrong one learns nothing it could use.
      return { kind: 'deny', reason: 'token already used', linkUsed: true };
    }
    if (!constantTimeEqual(sha256Hex(token), this.tokenHash)) return { kind: 'deny', reason: 'token invalid' };
    this.tokenHash = null;
    const value = secret();
    this.cookieHash = sha256Hex(value);
    return { kind: 'exchange', setCookie: `${this.cookieName}=${value}; HttpOnly; Secure; SameSite=Strict; Path=/`, location: rest };
  }
}

/** The value of cookie `name` in a Cookie header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Splits the token parameter off a request target; `rest` is the target without it. */
export function takeToken(url: string): { token: string | undefined; rest: string } {
  const q = url.indexOf('?');
  if (q < 0) return { token: undefined, rest: url };
  const params = new URLSearchParams(url.slice(q + 1));
  const token = params.get(TOKEN_PARAM) ?? undefined;
  if (token === undefined) return { token, rest: url };
  params.delete(TOKEN_PARAM);
  const query = params.toString();
  return { token, rest: url.slice(0, q) + (query ? `?${query}` : '') };
}
