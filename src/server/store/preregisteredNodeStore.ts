import type { Queryable } from './database.js';
import { insertEnrollToken } from './enrollTokenStore.js';

/**
 * The key a pre-registered node holds until its agent enrolls. It is no SSH key line (those
 * start with the key type), so no agent can ever sign in with it.
 */
const PLACEHOLDER_PREFIX = 'preregistered:';

/** Whether a node was imported and its agent has not enrolled yet. */
export function awaitsEnrollment(publicKey: string): boolean {
  return publicKey.startsWith(PLACEHOLDER_PREFIX);
}

/** A node made by a CSV import, with the single-use enrollment token bound to it. */
export interface PreregisteredNode {
  id: string;
  name: string;
  groupId: string;
  mode: 'always-on' | 'on-demand';
  /** The mode proposed to its agent (JSON text) when it is to run on demand. */
  proposedMode: string | null;
  /** Service name -> target, handed to its agent at enrollment. */
  services: Record<string, string>;
  labels: Record<string, string>;
  token: { id: string; tokenHash: string; expiresAt: number };
  createdBy: string;
}

/** Adds a pre-registered node (pending, with a placeholder key) and its bound token. */
export async function insertPreregisteredNode(q: Queryable, n: PreregisteredNode, now: number): Promise<void> {
  await q.run(
    'INSERT INTO nodes (id, name, group_id, public_key, status, mode, services, service_targets, labels, proposed_mode, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)',
    [n.id, n.name, n.groupId, `${PLACEHOLDER_PREFIX}${n.id}`, 'pending', n.mode, JSON.stringify(Object.keys(n.services).sort()), JSON.stringify(n.services), JSON.stringify(n.labels), n.proposedMode, now],
  );
  await insertEnrollToken(q, { id: n.token.id, tokenHash: n.token.tokenHash, groupId: n.groupId, maxUses: 1, autoApprove: true, createdBy: n.createdBy, createdAt: now, expiresAt: n.token.expiresAt, nodeId: n.id });
}

/**
 * Gives a pre-registered node the key its agent enrolled with, approved. Only a node still
 * waiting for its agent, neither deleted nor revoked meanwhile, is completed: false otherwise.
 */
export async function completePreregisteredNode(q: Queryable, c: { nodeId: string; publicKey: string; agentVersion: string | null; tokenId: string }): Promise<boolean> {
  const r = await q.run(
    "UPDATE nodes SET public_key = ?, status = 'approved', agent_version = ?, enrolled_by = ? WHERE id = ? AND public_key = ? AND deleted_at IS NULL AND status <> 'revoked'",
    [c.publicKey, c.agentVersion, c.tokenId, c.nodeId, `${PLACEHOLDER_PREFIX}${c.nodeId}`],
  );
  return r.changes === 1;
}
