import { relativeTime } from '../format.js';
import { useWaitingApprovals } from '../live.js';

const KIND: Record<string, string> = { session: 'Session', shell: 'Shell', job: 'Job' };

/**
 * The requests waiting for a person on the node's site to approve them, whoever asked: they
 * appear and go live (approved, denied, timed out, withdrawn) without a reload.
 */
export function NodeApprovalRequests(p: { nodeId: string }) {
  const waiting = useWaitingApprovals(p.nodeId);
  if (waiting.length === 0) return null;
  return (
    <section aria-label="Approval requests on site">
      <h2>Approval requests on site</h2>
      <ul class="plain" role="status">
        {waiting.map((w) => (
          <li key={w.id} data-approval={w.id}>
            {KIND[w.kind] ?? w.kind}: <code>{w.what}</code>, asked by {w.user} {relativeTime(w.since)}
          </li>
        ))}
      </ul>
    </section>
  );
}
