import { BurrowError } from '../../../shared/errors.js';
import type { NodeView } from '../../../shared/protocol.js';
import { appendAudit } from '../../store/auditStore.js';
import { findNode, listNodes, setNodeStatus, type NodeRecord } from '../../store/nodeStore.js';
import type { ApiDeps } from '../apiDeps.js';
import { principalOf, type ApiContext, type RouteDef } from '../apiContext.js';

/** Formats a node for the API, with its live state from the registry. */
export function nodeView(d: ApiDeps, n: NodeRecord): NodeView {
  const conn = d.registry.get(n.id);
  return {
    id: n.id,
    name: n.name,
    group: n.groupId,
    status: n.status,
    mode: n.mode,
    online: conn !== undefined,
    lastSeen: conn ? new Date(d.clock.now()).toISOString() : n.lastSeenAt === null ? null : new Date(n.lastSeenAt).toISOString(),
    nextCheckIn: n.nextCheckInAt === null ? null : new Date(n.nextCheckInAt).toISOString(),
    services: conn ? [...conn.services].sort() : n.services,
    agentVersion: n.agentVersion,
  };
}

async function nodeParam(d: ApiDeps, ctx: ApiContext): Promise<NodeRecord> {
  const node = await findNode(d.db, ctx.params.id as string);
  if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${ctx.params.id as string}.`);
  return node;
}

function statusChange(d: ApiDeps, to: 'approved' | 'revoked', action: string): RouteDef['handler'] {
  return async (ctx) => {
    const node = await nodeParam(d, ctx);
    const now = d.clock.now();
    await d.db.transaction(async (tx) => {
      await setNodeStatus(tx, node.id, to);
      await appendAudit(tx, { actor: principalOf(ctx).userId, sourceIp: ctx.state.clientIp, action, target: node.id, result: 'ok', detail: { from: node.status } }, now);
    });
    // Revocation takes effect now, not at the next reconnect.
    if (to === 'revoked') d.registry.disconnect(node.id);
    ctx.body = nodeView(d, { ...node, status: to });
  };
}

/** Listing and managing nodes. */
export function nodeRoutes(d: ApiDeps): RouteDef[] {
  return [
    {
      method: 'GET',
      path: '/v1/nodes',
      permission: 'read',
      handler: async (ctx) => {
        ctx.body = (await listNodes(d.db)).map((n) => nodeView(d, n));
      },
    },
    {
      method: 'GET',
      path: '/v1/nodes/:id',
      permission: 'read',
      handler: async (ctx) => {
        ctx.body = nodeView(d, await nodeParam(d, ctx));
      },
    },
    { method: 'POST', path: '/v1/nodes/:id/approve', permission: 'admin', handler: statusChange(d, 'approved', 'node.approve') },
    { method: 'POST', path: '/v1/nodes/:id/revoke', permission: 'admin', handler: statusChange(d, 'revoked', 'node.revoke') },
  ];
}
