import type { TargetStatus } from './jobTypes.js';

const LOOK: Record<TargetStatus, string> = { pending: 'badge-pending', running: 'badge-pending', ok: 'badge-online', failed: 'badge-revoked', expired: 'badge-revoked', cancelled: 'badge-offline' };

/** One node's job status as a coloured word. */
export function TargetStatusBadge(p: { status: TargetStatus }) {
  return <span class={`badge ${LOOK[p.status]}`} data-status={p.status}>{p.status}</span>;
}
