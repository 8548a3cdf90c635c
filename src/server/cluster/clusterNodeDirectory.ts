import { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { ApprovalDecision } from '../../shared/approvalProtocol.js';
import type { NodeRegistry } from '../gateway/nodeRegistry.js';
import type { Queryable } from '../store/database.js';
import { getNodeRoute, listNodeRoutes, type NodeRouteWithPeer } from '../store/nodeRouteStore.js';
import type { ClusterBus, ClusterTopics } from './clusterBus.js';
import type { NodeDirectory, NodeHandle, ServiceChangeResult } from './nodeDirectory.js';
import type { PeerDialer } from './peerDialer.js';
import { PeerNode } from './peerNode.js';

/** How long the holding instance waits for a node's answer to a service change it relays. */
const RELAY_ANSWER_MS = 15_000;

/** What the directory needs. */
export interface ClusterNodeDirectoryDeps {
  /** The tunnels this instance holds. */
  local: NodeRegistry;
  /** Carries `node.route`, `instance.dead`, `node.command` and `node.service-result`. */
  bus: ClusterBus;
  /** Where the routes are (`node_routes`). */
  db: Queryable;
  clock: Clock;
  log: Logger;
  /** Reaches nodes other instances hold; absent, they are listed but cannot be opened. */
  dialer?: PeerDialer;
}

/**
 * The nodes of every instance: this instance's registry, plus the routes of nodes other
 * instances hold, loaded from `node_routes` at start and kept current from the bus. Each
 * `node.route` message makes it read that node's route again, so messages that cross (a
 * node leaving one instance as it arrives at another) still end at what the store says.
 * It also runs `node.command`s for the nodes this instance holds.
 */
export class ClusterNodeDirectory extends EventEmitter implements NodeDirectory {
  private readonly remote = new Map<string, PeerNode>();
  /** Route updates in arrival order: each read of the store lands before the next message is handled. */
  private updates: Promise<void> = Promise.resolve();
  private readonly unsubscribe: (() => void)[] = [];
  private readonly relays = new Set<() => void>();
  private readonly onLocalOnline = (nodeId: string) => this.emit('online', nodeId);
  private readonly onLocalOffline = (nodeId: string) => {
    if (!this.remote.has(nodeId)) this.emit('offline', nodeId);
  };
  private readonly onLocalDisconnected = (nodeId: string, why: string) => this.emit('disconnected', nodeId, why);

  constructor(private readonly deps: ClusterNodeDirectoryDeps) {
    super();
    this.setMaxListeners(0);
  }

  private get instanceId(): string {
    return this.deps.bus.instanceId;
  }

  /** Loads the routes other instances hold and starts following the bus. */
  async start(): Promise<void> {
    const { bus, local } = this.deps;
    this.unsubscribe.push(
      bus.subscribe('node.route', (m, origin) =>
        this.enqueue(async () => {
          // This instance's own route changed: only a route of another instance we know of can be affected
          // (a single server never reads its routes back).
          if (origin === this.instanceId && !this.remote.has(m.nodeId)) return;
          await this.refresh(m.nodeId);
        }),
      ),
      bus.subscribe('instance.dead', (m) => this.enqueue(async () => this.dropInstance(m.instanceId))),
      bus.subscribe('node.command', (m) => this.runCommand(m)),
      bus.subscribe('node.service-result', (m) => this.remote.get(m.nodeId)?.emit('service-result', m.result)),
      bus.subscribe('node.approval-decision', (m) => this.remote.get(m.nodeId)?.emit('approval-decision', m.decision)),
    );
    local.on('online', this.onLocalOnline);
    local.on('offline', this.onLocalOffline);
    local.on('disconnected', this.onLocalDisconnected);
    // Messages missed while the bus was reconnecting: the store has every route, read them all again.
    const resync = bus.onResync?.(() => this.enqueue(() => this.reloadAll()));
    if (resync) this.unsubscribe.push(resync);
    await this.enqueue(() => this.reloadAll());
  }

  /** Stops following the bus; the routes known stay as they are. */
  async close(): Promise<void> {
    for (const u of this.unsubscribe.splice(0)) u();
    for (const stop of [...this.relays]) stop();
    const { local } = this.deps;
    local.off('online', this.onLocalOnline);
    local.off('offline', this.onLocalOffline);
    local.off('disconnected', this.onLocalDisconnected);
    await this.updates;
  }

  /** Resolves once the route updates received so far are applied. */
  async idle(): Promise<void> {
    let seen: Promise<void> | undefined;
    while (seen !== this.updates) {
      seen = this.updates;
      await seen;
    }
  }

  get(nodeId: string): NodeHandle | undefined {
    return this.deps.local.get(nodeId) ?? this.remote.get(nodeId);
  }

  isOnline(nodeId: string): boolean {
    return this.deps.local.isOnline(nodeId) || this.remote.has(nodeId);
  }

  holds(nodeId: string): boolean {
    return this.deps.local.isOnline(nodeId);
  }

  get size(): number {
    let n = this.deps.local.size;
    for (const nodeId of this.remote.keys()) if (!this.deps.local.isOnline(nodeId)) n += 1;
    return n;
  }

  disconnect(nodeId: string): void {
    if (this.deps.local.isOnline(nodeId)) this.deps.local.disconnect(nodeId);
    else this.remote.get(nodeId)?.close();
  }

  private enqueue(work: () => Promise<void>): Promise<void> {
    const next = this.updates.then(work).catch((err: Error) => this.deps.log.warn({ err: err.message }, 'could not update a node route'));
    this.updates = next;
    return next;
  }

  /** Takes every route as the store has it now, forgetting remote nodes it no longer lists. */
  private async reloadAll(): Promise<void> {
    const routes = (await listNodeRoutes(this.deps.db)).filter((r) => r.instanceId !== this.instanceId);
    const listed = new Set(routes.map((r) => r.nodeId));
    for (const nodeId of [...this.remote.keys()]) if (!listed.has(nodeId)) this.dropRemote(nodeId);
    for (const route of routes) this.setRemote(route);
  }

  /** Takes the node's route as the store has it now. */
  private async refresh(nodeId: string): Promise<void> {
    const route = await getNodeRoute(this.deps.db, nodeId);
    if (route && route.instanceId !== this.instanceId) this.setRemote(route);
    else this.dropRemote(nodeId);
  }

  private setRemote(route: NodeRouteWithPeer): void {
    const { local, log } = this.deps;
    const existing = this.remote.get(route.nodeId);
    if (existing?.sameTunnel(route)) {
      existing.update(route);
      return;
    }
    const reachable = existing !== undefined || local.isOnline(route.nodeId);
    const peer = new PeerNode(route, { dialer: this.deps.dialer, command: (nodeId, command) => this.command(nodeId, command) });
    this.remote.set(route.nodeId, peer);
    existing?.markGone();
    // The node has one tunnel: a newer one on another instance replaces the one held here (a half-dead link).
    const held = local.get(route.nodeId);
    if (held && held.connectedAt <= route.connectedAt) {
      log.info({ nodeId: route.nodeId, instance: route.instanceId }, 'node reconnected through another instance; closing its old tunnel here');
      held.close();
    }
    if (!reachable) this.emit('online', route.nodeId);
  }

  private dropRemote(nodeId: string): void {
    const existing = this.remote.get(nodeId);
    if (!existing) return;
    this.remote.delete(nodeId);
    existing.markGone();
    if (!this.deps.local.isOnline(nodeId)) this.emit('offline', nodeId);
  }

  private dropInstance(instanceId: string): void {
    for (const [nodeId, peer] of [...this.remote]) if (peer.instanceId === instanceId) this.dropRemote(nodeId);
  }

  private command(nodeId: string, command: ClusterTopics['node.command']['command']): void {
    this.deps.bus.publish('node.command', { nodeId, command }).catch((err: Error) => this.deps.log.warn({ nodeId, err: err.message }, 'could not send a node command'));
  }

  /** Runs a command on a node whose tunnel this instance holds; others ignore it. */
  private runCommand(m: ClusterTopics['node.command']): void {
    const conn = this.deps.local.get(m.nodeId);
    if (!conn) return;
    const { command } = m;
    if (command.kind === 'disconnect') conn.close();
    else if (command.kind === 'rotate-key') conn.requestKeyRotation();
    else if (command.kind === 'approval') {
      if ('request' in command.push) this.relayDecision(m.nodeId, command.push.request.id);
      conn.pushApproval(command.push);
    } else {
      this.relayAnswer(m.nodeId, command.change.id);
      conn.pushServiceChange(command.change);
    }
  }

  /** Passes the decision on site about a relayed approval request back over the bus, for as long as the node stays here. */
  private relayDecision(nodeId: string, id: string): void {
    const { local, bus, log } = this.deps;
    const conn = local.get(nodeId);
    if (!conn) return;
    const stop = () => {
      conn.off('approval-decision', onDecision);
      conn.off('close', stop);
      this.relays.delete(stop);
    };
    const onDecision = (decision: ApprovalDecision) => {
      if (decision.id !== id) return;
      stop();
      bus.publish('node.approval-decision', { nodeId, decision }).catch((err: Error) => log.warn({ nodeId, err: err.message }, 'could not relay an approval decision'));
    };
    conn.on('approval-decision', onDecision);
    conn.once('close', stop);
    this.relays.add(stop);
  }

  /** Passes the node's answer to a relayed service change back over the bus. */
  private relayAnswer(nodeId: string, id: string): void {
    const { local, clock, bus, log } = this.deps;
    const conn = local.get(nodeId);
    if (!conn) return;
    const stop = () => {
      clock.clearTimeout(timer);
      conn.off('service-result', onResult);
      conn.off('close', stop);
      this.relays.delete(stop);
    };
    const onResult = (result: ServiceChangeResult) => {
      if (result.id !== id) return;
      stop();
      bus.publish('node.service-result', { nodeId, result }).catch((err: Error) => log.warn({ nodeId, err: err.message }, 'could not relay a service change answer'));
    };
    const timer = clock.setTimeout(stop, RELAY_ANSWER_MS);
    conn.on('service-result', onResult);
    conn.once('close', stop);
    this.relays.add(stop);
  }
}
