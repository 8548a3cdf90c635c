import type { Duplex } from 'node:stream';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/**
 * Reaches a node whose tunnel another instance holds (proxy peering). The instance that
 * serves a browser, a shell or a job dials the holding instance over the mutually
 * authenticated peer link and gets a byte stream to the node's service, exactly what a
 * local `NodeConnection.openService` gives.
 */
export interface PeerDialer {
  /**
   * Opens service `service` of node `nodeId` through the instance whose peer link listens
   * at `peerUrl` (https://host:port). Rejects with NODE_OFFLINE when that instance no
   * longer holds the node, SERVICE_UNAVAILABLE_ON_NODE when the node refuses, and
   * PEER_UNREACHABLE when the instance cannot be reached or fails authentication.
   */
  openService(peerUrl: string, nodeId: string, service: string, origin: ForwardOrigin): Promise<Duplex>;
  /** Closes the dialer's pooled connections. */
  close(): Promise<void>;
}
