import { BurrowError } from '../../../shared/errors.js';
import { matchesSelector, parseLabelSelector } from '../../../shared/labelSelector.js';
import type { NodeView } from '../../../shared/protocol.js';
import { appendAudit, recordAudit } from '../../store/auditStore.js';
import { keyRotationRefusal } from '../../gateway/keyRotationLimit.js';
import { listNodes, setNodeStatus, type NodeRecord } from '../../store/nodeStore.js';
import { awaitsEnrollment } from '../../store/preregisteredNodeStore.js';
import type { ApiDeps } from '../apiDeps.js';
import type { ApiContext, RouteDef } from '../apiContext.js';
import { accessOf, type RequestAccess } from '../accessOf.js';
import { resolveNodeRef } from '../nodeRef.js';
import type { Role } from '../../auth/access.js';

/** Formats a node for the API, with its live state from the registry. */
export function nodeView(d: ApiDeps, n: NodeRecord): NodeView {
  const conn = d.registry.get(n.id);
  const tcpServices = conn ? [...conn.targets].filter(([, t]) => t.type === 'tcp').map(([name]) => name).sort() : [];
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
    ...(tcpServices.length > 0 ? { tcpServices } : {}),
    agentVersion: n.agentVersion,
    labels: n.labels,
    ...(awaitsEnrollment(n.publicKey) ? { awaitingEnrollment: true as const } : {}),
  };
}

/** The node a request names (id, name or group/name), if the caller holds `need` on its group. */
export async function nodeParam(d: ApiDeps, a: RequestAccess, idOrName: string, need: Role): Promise<NodeRecord> {
  const node = await resolveNodeRef(d.db, a, idOrName);
  if (!node) throw new BurrowError('NODE_NOT_FOUND', `No node ${idOrName}.`);
  try {
    a.require(node.groupId, need, `node ${idOrName}`);
  } catch (err) {
    // Outside the caller's groups a node does not exist, as far as the caller can tell.
    if (err instanceof BurrowError && err.code === 'NOT_FOUND') throw new BurrowError('NODE_NOT_FOUND', `No node ${idOrName}.`);
    throw err;
  }
  return node;
}

const param = (ctx: ApiContext) => ctx.params.id as string;

function statusChange(d: ApiDeps, to: 'approved' | 'revoked', action: string): RouteDef['handler'] {
  return async (ctx) => {
    const a = await accessOf(d.db, ctx);
    const node = await nodeParam(d, a, param(ctx), 'admin');
    // Revocation refuses the node's key for good; only a new enrolment (a new key) comes back.
    if (to === 'approved' && node.status === 'revoked') {
      throw new BurrowError('NODE_REVOKED', `Node ${node.name} is revoked and stays revoked; to bring it back, enroll it again with a new enrollment token ("burrow node enroll" on the node).`);
    }
    const now = d.clock.now();
    await d.db.transaction(async (tx) => {
      await setNodeStatus(tx, node.id, to);
      await appendAudit(tx, { actor: a.userId, sourceIp: ctx.state.clientIp, action, target: node.id, result: 'ok', groupId: node.groupId, detail: { from: node.status } }, now);
    });
    // Revocation takes effect now, not at the next reconnect.
    if (to === 'revoked') {
      d.registry.disconnect(node.id);
      await d.sessions.closeForNode(node.id, 'node-revoked');
    }
    // A pending node waiting mid sign-in comes online now, not at its next knock.
    if (to === 'approved') d.approvals?.approve(node.id);
    ctx.body = nodeView(d, { ...node, status: to });
  };
}

/**
 * Asks a connected node, over its tunnel, to rotate its key now. The node registers its
 * next key and signs in again with it; the answer does not wait for that.
 */
function rotateKey(d: ApiDeps): RouteDef['handler'] {
  return async (ctx) => {
    const a = await accessOf(d.db, ctx);
    const node = await nodeParam(d, a, param(ctx), 'admin');
    if (node.status !== 'approved') throw new BurrowError('NODE_NOT_APPROVED', `Node ${node.name} is ${node.status}; only an approved node rotates its key.`);
    const now = d.clock.now();
    const tooSoon = keyRotationRefusal(node, now, d.keyRotationMinIntervalMs ?? 3_600_000);
    if (tooSoon) throw new BurrowError('RATE_LIMITED', `Not now: ${tooSoon}.`);
    const conn = d.registry.get(node.id);
    if (!conn) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} is offline; it rotates its key on request only while connected.`);
    if (!conn.requestKeyRotation()) throw new BurrowError('NODE_OFFLINE', `Node ${node.name} does not serve its status channel yet; try again in a moment.`);
    await recordAudit(d.db, { actor: a.userId, sourceIp: ctx.state.clientIp, action: 'node.key.rotate-request', target: node.id, result: 'ok', groupId: node.groupId }, now);
    ctx.status = 202;
    ctx.body = { node: node.id, requested: true };
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
        const a = await accessOf(d.db, ctx);
        const visible = new Set(a.groups('viewer'));
        const label = ctx.query.label;
        if (Array.isArray(label)) throw new BurrowError('VALIDATION', 'Give one label selector (k=v,k2!=v2), not several.');
        const selector = label === undefined ? [] : parseLabelSelector(label);
        ctx.body = (await listNodes(d.db)).filter((n) => visible.has(n.groupId) && matchesSelector(n.labels, selector)).map((n) => nodeView(d, n));
      },
    },
    {
      method: 'GET',
      path: '/v1/nodes/:id',
      permission: 'read',
      handler: async (ctx) => {
        ctx.body = nodeView(d, await nodeParam(d, await accessOf(d.db, ctx), param(ctx), 'viewer'));
      },
    },
    { method: 'POST', path: '/v1/nodes/:id/approve', permission: 'admin', handler: statusChange(d, 'approved', 'node.approve') },
    { method: 'POST', path: '/v1/nodes/:id/revoke', permission: 'admin', handler: statusChange(d, 'revoked', 'node.revoke') },
    { method: 'POST', path: '/v1/nodes/:id/rotate-key', permission: 'admin', handler: rotateKey(d) },
  ];
}
