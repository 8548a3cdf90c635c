import type { Node } from '../types.js';

/** Online/offline (and pending/revoked/awaiting enrollment) as text and colour, never colour alone. */
export function NodeBadge(p: { node: Node }) {
  if (p.node.status === 'revoked') return <span class="badge badge-revoked">revoked</span>;
  // An imported node is let in by its own token: no one needs to approve it. (Its status,
  // which live events carry, turns approved when it enrolls.)
  if (p.node.awaitingEnrollment && p.node.status === 'pending') return <span class="badge badge-pending">awaiting enrollment</span>;
  if (p.node.status === 'pending') return <span class="badge badge-pending">pending approval</span>;
  return p.node.online ? <span class="badge badge-online">online</span> : <span class="badge badge-offline">offline</span>;
}
