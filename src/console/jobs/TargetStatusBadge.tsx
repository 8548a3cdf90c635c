import { localTime } from '../format.js';
import type { TargetStatus } from './jobTypes.js';

const LOOK: Record<TargetStatus, string> = { pending: 'badge-pending', running: 'badge-pending', ok: 'badge-online', failed: 'badge-revoked', expired: 'badge-revoked', cancelled: 'badge-offline' };

/**
 * One node's job status as a coloured word. A claimed target its node's site has not approved
 * yet is not running: it shows what it waits for, and since when.
 */
export function TargetStatusBadge(p: { status: TargetStatus; approvalWaitingSince?: string | null }) {
  if (p.status === 'running' && p.approvalWaitingSince) {
    return (
      <span class="badge badge-pending" data-status="waiting-approval" title={`since ${localTime(p.approvalWaitingSince)}`}>
        waiting for approval on site since {localTime(p.approvalWaitingSince)}
      </span>
    );
  }
  return <span class={`badge ${LOOK[p.status]}`} data-status={p.status}>{p.status}</span>;
}
