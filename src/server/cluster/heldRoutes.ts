import type { NodeConnection } from '../gateway/nodeConnection.js';
import type { NodeRouteRecord } from '../store/nodeRouteStore.js';
import type { ClusterBus } from './clusterBus.js';

/** The route of a node whose tunnel this instance (`bus.instanceId`) holds, as `node_routes` records it. */
export function routeOf(conn: NodeConnection, instanceId: string): NodeRouteRecord {
  return {
    nodeId: conn.nodeId,
    instanceId,
    services: [...conn.services].sort(),
    targets: Object.fromEntries(conn.targets),
    connectedAt: conn.connectedAt,
    remoteIp: conn.remoteIp,
  };
}

/** Tells every instance that the route of a node this instance holds was written (`online`) or dropped. */
export function announceRoute(bus: ClusterBus, conn: NodeConnection, online: boolean): Promise<void> {
  return bus.publish('node.route', { nodeId: conn.nodeId, instanceId: bus.instanceId, online, services: online ? [...conn.services].sort() : [] });
}
