import type { NodeStatusView } from '../shared/protocol.js';
import type { AdminClient } from './adminClient.js';

/** Past the node's own approval timeout, how long the CLI still waits for the server's answer. */
const ANSWER_GRACE_MS = 60_000;

/**
 * Whether `node` requires approval on site (as its last status report said). If so, says
 * "waiting for approval on site" on stderr and returns how long the caller should wait for
 * the server's answer; undefined when the node does not require approval.
 */
export async function announceSiteApproval(api: AdminClient, node: string, what: string): Promise<number | undefined> {
  const status = await api.call<NodeStatusView>('GET', `/v1/nodes/${encodeURIComponent(node)}/status`).catch(() => undefined);
  const policy = status?.latest?.approval;
  if (!policy?.enabled) return undefined;
  const minutes = Math.max(1, Math.round(policy.timeoutMs / 60_000));
  process.stderr.write(`${what} is waiting for approval on site (up to ${minutes} min; Ctrl-C withdraws the request)...\n`);
  return policy.timeoutMs + ANSWER_GRACE_MS;
}
