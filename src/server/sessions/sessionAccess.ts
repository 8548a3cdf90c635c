import { BurrowError } from '../../shared/errors.js';
import type { Queryable } from '../store/database.js';
import { getGroup } from '../store/groupStore.js';

/** Roles that may open, extend and close sessions. */
const OPERATING_ROLES = new Set(['admin', 'operator']);
const MAX_DEPTH = 32;

/** The group and its ancestors, nearest first. */
async function groupChain(q: Queryable, groupId: string): Promise<string[]> {
  const chain: string[] = [];
  let id: string | null = groupId;
  while (id !== null && chain.length < MAX_DEPTH && !chain.includes(id)) {
    chain.push(id);
    id = (await getGroup(q, id))?.parentId ?? null;
  }
  return chain;
}

/**
 * Throws FORBIDDEN unless the caller is an administrator or operator of the node's group
 * or of a group above it: a session reaches the node's WebUI, so the role must cover the node.
 */
export async function requireSessionAccess(q: Queryable, grants: readonly { groupId: string; role: string }[], nodeGroupId: string): Promise<void> {
  const chain = new Set(await groupChain(q, nodeGroupId));
  if (!grants.some((g) => chain.has(g.groupId) && OPERATING_ROLES.has(g.role))) {
    throw new BurrowError('FORBIDDEN', 'Sessions on this node need the operator or admin role in its group.');
  }
}
