import { BurrowError } from '../../shared/errors.js';
import type { SessionType } from '../../shared/protocol.js';
import type { NodeHandle } from '../cluster/nodeDirectory.js';
import { getNode, type NodeRecord } from '../store/nodeStore.js';
import { refuseInternalService } from './internalServiceRefusal.js';
import type { SessionManagerDeps, SessionRequest } from './sessionManagerDeps.js';

/** The node, its live connection and the session type a request for a session comes to. */
export interface SessionTarget {
  node: NodeRecord;
  conn: NodeHandle;
  type: SessionType;
}

/**
 * Says, in the order a user can act on them, why a session cannot be opened: no such node,
 * an internal service, a node not approved, offline, or without that service; else where
 * the session goes and as what type (the type the node declared for the service, else http).
 */
export async function sessionTarget(deps: Pick<SessionManagerDeps, 'db' | 'clock' | 'registry'>, req: SessionRequest): Promise<SessionTarget> {
  const node = await getNode(deps.db, req.nodeId);
  if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${req.nodeId}.`);
  await refuseInternalService(deps, 'session.open', req, node);
  if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}, not approved.`);
  const conn = deps.registry.get(node.id);
  if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline; a session needs it connected.`);
  if (!conn.services.has(req.service)) {
    throw new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${node.name} does not offer the service "${req.service}".`);
  }
  const type = req.type ?? conn.targets.get(req.service)?.type ?? 'http';
  if (req.bare && type !== 'tcp') throw new BurrowError('VALIDATION', 'Only a tcp session can be bare; add --type tcp.');
  return { node, conn, type };
}
