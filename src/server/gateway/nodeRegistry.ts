import { EventEmitter } from 'node:events';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import type { NodeConnection } from './nodeConnection.js';

/**
 * The nodes connected to this server process, by node id. A node that connects again
 * (its old link half-dead) replaces its old connection, which is closed.
 * Emits `online` (nodeId) and `offline` (nodeId), and `disconnected` (nodeId, why) for
 * every connection that ends, a replaced one included: `replaced`, `server` or `link`.
 * On its own it is the directory of a single instance; ClusterNodeDirectory adds the rest.
 */
export class NodeRegistry extends EventEmitter implements NodeDirectory {
  private readonly byId = new Map<string, NodeConnection>();

  /** Registers a new connection and returns the one it replaced, if any. */
  add(conn: NodeConnection): NodeConnection | undefined {
    const old = this.byId.get(conn.nodeId);
    this.byId.set(conn.nodeId, conn);
    conn.once('close', () => {
      const current = this.byId.get(conn.nodeId) === conn;
      this.emit('disconnected', conn.nodeId, !current ? 'replaced' : conn.closedByServer ? 'server' : 'link');
      if (current) {
        this.byId.delete(conn.nodeId);
        this.emit('offline', conn.nodeId);
      }
    });
    old?.close();
    this.emit('online', conn.nodeId);
    return old;
  }

  /** The live connection of a node. */
  get(nodeId: string): NodeConnection | undefined {
    return this.byId.get(nodeId);
  }

  /** Whether a node is connected now. */
  isOnline(nodeId: string): boolean {
    return this.byId.has(nodeId);
  }

  /** Whether this process holds the node's tunnel: the same as online, for the registry. */
  holds(nodeId: string): boolean {
    return this.byId.has(nodeId);
  }

  /** How many nodes are connected. */
  get size(): number {
    return this.byId.size;
  }

  /** Cuts a node's tunnel at once (e.g. on revocation). */
  disconnect(nodeId: string): void {
    this.byId.get(nodeId)?.close();
  }

  /** Closes every connection. */
  closeAll(): void {
    for (const c of [...this.byId.values()]) c.close();
  }
}
