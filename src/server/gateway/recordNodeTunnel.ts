import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import { announceRoute, routeOf } from '../cluster/heldRoutes.js';
import { appendAudit } from '../store/auditStore.js';
import type { BatchedWrites } from '../store/batchedWrites.js';
import { dropNodeRoute, putNodeRoute } from '../store/nodeRouteStore.js';
import { getNode, markNodeSeen } from '../store/nodeStore.js';
import type { NodeConnection } from './nodeConnection.js';
import type { NodeWriteBudget } from './nodeWriteBudget.js';

/** How long a node that announces no status channel (an older agent) has to announce its services. */
const NO_STATUS_CHANNEL_GRACE_MS = 2_000;

/** What recording a node's tunnel needs. */
export interface NodeTunnelRecordDeps {
  cluster: ClusterBus;
  clock: Clock;
  log: Logger;
  instanceId: string;
  /** Keeps a node's own connects and disconnects within its audit budget. */
  nodeAudits: NodeWriteBudget;
  /** Hands each store write to the server, which waits for them before its store closes. */
  trackNodeWrite: (work: Promise<void>) => void;
  /** Commits the records of nodes coming and going together (a reconnect storm is thousands). */
  writes: BatchedWrites;
}

/**
 * Records a node's tunnel in the store as it comes and goes: last seen and services, its
 * route (which instance holds it), and the node.connect / node.disconnect audit entries;
 * each route change is announced to the other instances once it is committed.
 */
export function recordNodeTunnel(conn: NodeConnection, d: NodeTunnelRecordDeps): void {
  const { cluster, clock, log, instanceId, nodeAudits, trackNodeWrite, writes } = d;
  let recorded = false;
  // The route's writes in order: a drop never lands before the write it undoes.
  let routeWrites = Promise.resolve();
  const record = () => {
    if (recorded) return;
    recorded = true;
    clock.clearTimeout(noStatusChannel);
    const now = clock.now();
    trackNodeWrite(routeWrites = writes
      .run(async (tx) => {
        await markNodeSeen(tx, conn.nodeId, now, [...conn.services]);
        await putNodeRoute(tx, routeOf(conn, instanceId));
        const groupId = (await getNode(tx, conn.nodeId))?.groupId ?? null;
        const budget = nodeAudits.take(conn.nodeId);
        if (budget.ok) await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.connect', target: conn.nodeId, result: 'ok', groupId, detail: { services: [...conn.services], ...(budget.dropped ? { unrecordedBefore: budget.dropped } : {}) } }, now);
      })
      .then(() => announceRoute(cluster, conn, true))
      .catch((err: Error) => log.warn({ err: err.message }, 'could not record node connect')));
  };
  // Services changed later (a pushed service change): the route follows.
  conn.on('services', () => {
    if (!recorded || !conn.isOpen) return;
    trackNodeWrite(routeWrites = routeWrites
      .then(() => writes.run(async (tx) => void (await putNodeRoute(tx, routeOf(conn, instanceId)))))
      .then(() => announceRoute(cluster, conn, true))
      .catch((err: Error) => log.warn({ err: err.message }, 'could not update node route')));
  });
  // Services arrive as tcpip-forward requests right after auth, and the agent announces
  // its status channel after them: that announcement is the signal that they are all in.
  // An agent with no status channel is recorded after a grace period instead.
  const noStatusChannel = clock.setTimeout(record, NO_STATUS_CHANNEL_GRACE_MS);
  conn.once('status-ready', record);
  conn.once('close', () => {
    record();
    const now = clock.now();
    trackNodeWrite(routeWrites = routeWrites.then(() => writes
      .run(async (tx) => {
        await markNodeSeen(tx, conn.nodeId, now, [...conn.services]);
        await dropNodeRoute(tx, conn.nodeId, instanceId, conn.connectedAt);
        const groupId = (await getNode(tx, conn.nodeId))?.groupId ?? null;
        const budget = nodeAudits.take(conn.nodeId);
        if (budget.ok) await appendAudit(tx, { actor: conn.nodeId, sourceIp: conn.remoteIp, action: 'node.disconnect', groupId, target: conn.nodeId, result: 'ok', detail: { connectedMs: now - conn.connectedAt, ...(budget.dropped ? { unrecordedBefore: budget.dropped } : {}) } }, now);
      })
      .then(() => announceRoute(cluster, conn, false)))
      .catch((err: Error) => log.warn({ err: err.message }, 'could not record node disconnect')));
  });
}
