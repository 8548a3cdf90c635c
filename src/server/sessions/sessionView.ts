import type { SessionView } from '../../shared/protocol.js';
import type { SessionRecord } from '../store/sessionStore.js';

/** The `https://host:port` a browser reaches an http session's port at. */
export function sessionOrigin(publicHost: string, port: number): string {
  return `https://${publicHost}:${port}`;
}

/** A session as the API shows it (never with its token). */
export function sessionView(r: SessionRecord, publicHost: string): SessionView {
  const type = r.type;
  const v: SessionView = {
    id: r.id,
    nodeId: r.nodeId,
    service: r.service,
    port: r.port,
    // A proving tcp port speaks TLS and wants a ticket first (`burrow tcp`); a bare one is plain TCP.
    url: type === 'tcp' ? `${r.bare ? 'tcp' : 'tcp+tls'}://${publicHost}:${r.port}` : `${sessionOrigin(publicHost, r.port)}/`,
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
