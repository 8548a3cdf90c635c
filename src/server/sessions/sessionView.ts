import type { SessionView } from '../../shared/protocol.js';
import { sha256Hex } from '../../shared/secrets.js';
import type { SessionRecord } from '../store/sessionStore.js';

/** Where sessions are served: the console's host name, or a name per session under a session domain. */
export interface SessionNaming {
  /** The console's host name (from the public URL). */
  publicHost: string;
  /** Each http session gets `<label>.<sessionDomain>` when set. */
  sessionDomain?: string;
}

/**
 * What a server with no session domain gives up, said at `server init` and at start-up.
 * Browsers keep cookies per host name, whatever the port, and treat all ports of a host as
 * one site: sessions on the console's host share its cookie jar.
 */
export const NO_SESSION_DOMAIN_WARNING =
  'No session domain is configured: WebUI sessions are served on the console\'s own host name, so the console and every session share one cookie jar and a node\'s WebUI page can set cookies that the console and the other sessions receive. Give sessions a host each with a session domain (server init --session-domain, or "sessionDomain" in server.json; it needs a wildcard DNS name and certificate).';

/**
 * What the configured naming leaves open, in sentences for `server init` and start-up: no
 * session domain at all; or one the console's host sits at, inside, or right above, where
 * a session page may set cookies (`Domain=`) that the console receives: they cannot sign it
 * in or out (its cookies are `__Host-`), but enough of them make its requests too large.
 */
export function sessionDomainWarnings(n: SessionNaming): string[] {
  const d = n.sessionDomain;
  if (!d) return [NO_SESSION_DOMAIN_WARNING];
  const host = n.publicHost.toLowerCase();
  const tooClose = host === d || host.endsWith(`.${d}`) || d.endsWith(`.${host}`);
  if (!tooClose) return [];
  return [`The session domain ${d} and the console's host ${host} are one inside the other, so a node's WebUI page can set cookies the console receives; enough of them lock the console out until they expire. Use a session domain apart from the console's host (e.g. burrow-sessions.example.net for burrow.example.com).`];
}

/**
 * The DNS label of a session's host: derived from its id, so it is as unguessable as the id
 * and needs no storing. Lower-case hex, since DNS names are case-insensitive and ids are not.
 */
export function sessionLabel(sessionId: string): string {
  return `s${sha256Hex(`burrow-session-host:${sessionId}`).slice(0, 24)}`;
}

/** The host name an http session is served at. */
export function sessionHostName(n: SessionNaming, sessionId: string): string {
  return n.sessionDomain === undefined ? n.publicHost : `${sessionLabel(sessionId)}.${n.sessionDomain}`;
}

/** The `https://host:port` a browser reaches an http session's port at. */
export function sessionOrigin(n: SessionNaming, sessionId: string, port: number): string {
  return `https://${sessionHostName(n, sessionId)}:${port}`;
}

/** A session as the API shows it (never with its token). */
export function sessionView(r: SessionRecord, n: SessionNaming): SessionView {
  const type = r.type;
  const v: SessionView = {
    id: r.id,
    nodeId: r.nodeId,
    service: r.service,
    port: r.port,
    // A proving tcp port speaks TLS and wants a ticket first (`burrow tcp`); a bare one is plain TCP.
    // A TCP client names no host to the port: it stays on the console's name.
    url: type === 'tcp' ? `${r.bare ? 'tcp' : 'tcp+tls'}://${n.publicHost}:${r.port}` : `${sessionOrigin(n, r.id, r.port)}/`,
    state: r.closedAt === null ? 'open' : 'closed',
    openedAt: new Date(r.openedAt).toISOString(),
    expiresAt: new Date(r.expiresAt).toISOString(),
    closedAt: r.closedAt === null ? null : new Date(r.closedAt).toISOString(),
    closeReason: r.closeReason,
  };
  v.type = type;
  if (r.bare) v.bare = true;
  return v;
}
