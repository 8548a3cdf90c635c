import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { BurrowError } from '../../shared/errors.js';
import type { ServiceChange } from '../../shared/protocol.js';
import type { ApprovalPush } from '../../shared/approvalProtocol.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';
import type { NodeRouteWithPeer } from '../store/nodeRouteStore.js';
import type { ClusterTopics } from './clusterBus.js';
import type { NodeHandle } from './nodeDirectory.js';
import type { PeerDialer } from './peerDialer.js';

/** How a peer node reaches the instance holding its tunnel. */
export interface PeerLink {
  /** Absent: this instance has no peer link, so it cannot reach nodes held elsewhere. */
  dialer: PeerDialer | undefined;
  /** Asks the holding instance to do something with the node (published as `node.command`). */
  command(nodeId: string, command: ClusterTopics['node.command']['command']): void;
}

/**
 * A node whose tunnel another instance holds, as its route says. Services are opened
 * through the peer link to that instance; commands go over the bus and the holder runs
 * them on its connection. Emits `services` when the route changes, `service-result` when
 * the holder relays the node's answer, and `close` once when the route goes.
 */
export class PeerNode extends EventEmitter implements NodeHandle {
  readonly nodeId: string;
  readonly instanceId: string;
  readonly peerUrl: string | null;
  readonly remoteIp: string;
  readonly connectedAt: number;
  private currentServices: ReadonlySet<string>;
  private currentTargets: ReadonlyMap<string, ServiceTarget>;
  private open = true;

  constructor(route: NodeRouteWithPeer, private readonly link: PeerLink) {
    super();
    this.nodeId = route.nodeId;
    this.instanceId = route.instanceId;
    this.peerUrl = route.peerUrl;
    this.remoteIp = route.remoteIp;
    this.connectedAt = route.connectedAt;
    this.currentServices = new Set(route.services);
    this.currentTargets = new Map(Object.entries(route.targets));
  }

  get services(): ReadonlySet<string> {
    return this.currentServices;
  }

  get targets(): ReadonlyMap<string, ServiceTarget> {
    return this.currentTargets;
  }

  get isOpen(): boolean {
    return this.open;
  }

  /** Whether `route` is this same tunnel (same holder, same connection). */
  sameTunnel(route: NodeRouteWithPeer): boolean {
    return route.instanceId === this.instanceId && route.connectedAt === this.connectedAt && route.peerUrl === this.peerUrl;
  }

  openService(name: string, origin: ForwardOrigin): Promise<Duplex> {
    if (!this.open) return Promise.reject(new BurrowError('NODE_OFFLINE', `Node ${this.nodeId} is offline.`));
    if (!this.currentServices.has(name)) {
      return Promise.reject(new BurrowError('SERVICE_UNAVAILABLE_ON_NODE', `Node ${this.nodeId} does not offer the service "${name}".`));
    }
    const { dialer } = this.link;
    if (!dialer || this.peerUrl === null) {
      const missing = dialer ? `instance ${this.instanceId} has no peer link (peerListen)` : 'this instance has no peer link (peerListen)';
      return Promise.reject(new BurrowError('PEER_UNREACHABLE', `Node ${this.nodeId} is connected to instance ${this.instanceId}, which cannot be reached: ${missing}.`));
    }
    return dialer.openService(this.peerUrl, this.nodeId, name, origin);
  }

  requestKeyRotation(): boolean {
    if (!this.open) return false;
    this.link.command(this.nodeId, { kind: 'rotate-key' });
    return true;
  }

  pushServiceChange(change: ServiceChange & { id: string }): boolean {
    if (!this.open) return false;
    this.link.command(this.nodeId, { kind: 'service-change', change });
    return true;
  }

  pushApproval(push: ApprovalPush): boolean {
    if (!this.open) return false;
    this.link.command(this.nodeId, { kind: 'approval', push });
    return true;
  }

  close(): void {
    if (this.open) this.link.command(this.nodeId, { kind: 'disconnect' });
  }

  /** The holder announced the node's services again (same tunnel). */
  update(route: NodeRouteWithPeer): void {
    const before = [...this.currentServices].sort().join(',');
    this.currentServices = new Set(route.services);
    this.currentTargets = new Map(Object.entries(route.targets));
    if ([...this.currentServices].sort().join(',') !== before) this.emit('services', [...this.currentServices]);
  }

  /** The route went: the node is no longer reachable this way. */
  markGone(): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close');
  }
}
