import type { ServiceTarget } from '../../shared/serviceTarget.js';
import type { Queryable } from './database.js';

/** Which instance holds an online node's tunnel, and what the node offers there. */
export interface NodeRouteRecord {
  nodeId: string;
  instanceId: string;
  services: string[];
  targets: Record<string, ServiceTarget>;
  connectedAt: number;
  remoteIp: string;
}

/** A route with the holding instance's peer link address (null: it has none). */
export interface NodeRouteWithPeer extends NodeRouteRecord {
  peerUrl: string | null;
}

interface Row {
  node_id: string;
  instance_id: string;
  services: string;
  targets: string;
  connected_at: number;
  remote_ip: string;
  peer_url: string | null;
}

const toRecord = (r: Row): NodeRouteWithPeer => ({
  nodeId: r.node_id,
  instanceId: r.instance_id,
  services: JSON.parse(r.services) as string[],
  targets: JSON.parse(r.targets) as Record<string, ServiceTarget>,
  connectedAt: r.connected_at,
  remoteIp: r.remote_ip,
  peerUrl: r.peer_url,
});

const SELECT = 'SELECT r.node_id, r.instance_id, r.services, r.targets, r.connected_at, r.remote_ip, i.peer_url FROM node_routes r JOIN instances i ON i.id = r.instance_id';

/**
 * Records the instance holding a node's tunnel. A node that reconnected elsewhere keeps the
 * newest route: an older connection (a half-dead link another instance still holds) never
 * overwrites a newer one. Returns whether this route is now the node's.
 */
export async function putNodeRoute(q: Queryable, r: NodeRouteRecord): Promise<boolean> {
  const changed = await q.run(
    'INSERT INTO node_routes (node_id, instance_id, services, targets, connected_at, remote_ip) VALUES (?, ?, ?, ?, ?, ?) ' +
      'ON CONFLICT (node_id) DO UPDATE SET instance_id = excluded.instance_id, services = excluded.services, targets = excluded.targets, connected_at = excluded.connected_at, remote_ip = excluded.remote_ip ' +
      'WHERE node_routes.connected_at <= excluded.connected_at',
    [r.nodeId, r.instanceId, JSON.stringify(r.services), JSON.stringify(r.targets), r.connectedAt, r.remoteIp],
  );
  return changed.changes === 1;
}

/**
 * Removes the route one connection wrote: only if `instanceId` still holds it for the
 * connection that began at `connectedAt`, so a node that reconnected (here or elsewhere)
 * keeps its new route. Returns whether a route was removed.
 */
export async function dropNodeRoute(q: Queryable, nodeId: string, instanceId: string, connectedAt: number): Promise<boolean> {
  return (await q.run('DELETE FROM node_routes WHERE node_id = ? AND instance_id = ? AND connected_at = ?', [nodeId, instanceId, connectedAt])).changes === 1;
}

/** Removes every route an instance holds; returns the nodes they were for. */
export async function dropInstanceRoutes(q: Queryable, instanceId: string): Promise<string[]> {
  const nodes = (await q.all<{ node_id: string }>('SELECT node_id FROM node_routes WHERE instance_id = ? ORDER BY node_id', [instanceId])).map((r) => r.node_id);
  if (nodes.length) await q.run('DELETE FROM node_routes WHERE instance_id = ?', [instanceId]);
  return nodes;
}

/** A node's route, if it is online anywhere. */
export async function getNodeRoute(q: Queryable, nodeId: string): Promise<NodeRouteWithPeer | undefined> {
  const r = await q.get<Row>(`${SELECT} WHERE r.node_id = ?`, [nodeId]);
  return r && toRecord(r);
}

/** Every route. */
export async function listNodeRoutes(q: Queryable): Promise<NodeRouteWithPeer[]> {
  return (await q.all<Row>(`${SELECT} ORDER BY r.node_id`)).map(toRecord);
}
