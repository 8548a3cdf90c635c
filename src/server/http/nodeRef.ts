import { BurrowError } from '../../shared/errors.js';
import { roleOn } from '../auth/access.js';
import type { Queryable } from '../store/database.js';
import { getNode, listNodesNamed, type NodeRecord } from '../store/nodeStore.js';
import type { RequestAccess } from './accessOf.js';

/** Which of several same-named nodes a name means: an approved one before a pending one. */
const statusRank: Record<NodeRecord['status'], number> = { approved: 3, pending: 2, revoked: 1 };

/**
 * Resolves a node reference to the one node it means among those the caller may see: an
 * id, a name, or `group/name` (group by id, name or path). Nodes outside the caller's
 * groups never count, so another customer cannot shadow a name (nor learn it exists);
 * a pending or revoked node counts only when no approved one has the name.
 */
export async function resolveNodeRef(db: Queryable, a: RequestAccess, ref: string): Promise<NodeRecord | undefined> {
  const sees = (n: NodeRecord) => roleOn(a.access, a.tree, n.groupId) !== undefined;
  const byId = await getNode(db, ref);
  // A deleted node is kept only for its key and its audit trail: no request reaches it.
  if (byId && byId.deletedAt === null && sees(byId)) return byId;
  const slash = ref.lastIndexOf('/');
  const name = slash >= 0 ? ref.slice(slash + 1) : ref;
  const groupRef = slash >= 0 ? ref.slice(0, slash) : undefined;
  const inGroup = (n: NodeRecord) => {
    if (groupRef === undefined) return true;
    const g = a.tree.get(n.groupId);
    return n.groupId === groupRef || g?.name === groupRef || a.tree.path(n.groupId) === groupRef;
  };
  const candidates = (await listNodesNamed(db, name)).filter((n) => sees(n) && inGroup(n));
  const best = Math.max(0, ...candidates.map((n) => statusRank[n.status]));
  const chosen = candidates.filter((n) => statusRank[n.status] === best);
  if (chosen.length > 1) {
    const list = chosen.map((n) => `${n.id} (${a.tree.path(n.groupId)})`).join(', ');
    throw new BurrowError('NODE_AMBIGUOUS', `The name ${ref} matches ${chosen.length} nodes: ${list}; name one by its id or as group/name.`);
  }
  return chosen[0];
}
