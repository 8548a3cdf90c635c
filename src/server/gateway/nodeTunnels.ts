import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import { budgetNoticeFor } from '../budget/nodeBudget.js';
import { TunnelTraffic } from '../budget/tunnelTraffic.js';
import type { ClusterBus } from '../cluster/clusterBus.js';
import type { MainPortAdmission } from '../mainPortAdmission.js';
import type { ServerMetrics } from '../metrics/serverMetrics.js';
import { BatchedWrites } from '../store/batchedWrites.js';
import type { Database } from '../store/database.js';
import type { NodeRegistry } from './nodeRegistry.js';
import { NodeWriteBudget } from './nodeWriteBudget.js';
import { PendingApprovals } from './pendingApprovals.js';
import { recordNodeTunnel } from './recordNodeTunnel.js';
import { serveStatusChannel } from './statusChannel.js';
import { TunnelGateway } from './tunnelGateway.js';

/** What the node side of the server needs from the rest of it. */
export interface NodeTunnelsDeps {
  config: ServerConfig;
  db: Database;
  clock: Clock;
  log: Logger;
  /** The server's SSH host key (private, PEM). */
  hostKey: string;
  /** The nodes whose tunnels end on this instance. */
  registry: NodeRegistry;
  cluster: ClusterBus;
  instanceId: string;
  denials: DenialRecorder;
  metrics: ServerMetrics;
  /** The main port's per-address cap, which an authenticated tunnel leaves. */
  admission: MainPortAdmission;
  /** Whether the server holds work for a node (its status replies then keep it connected). */
  holdsWork: (nodeId: string) => Promise<boolean>;
  /** Pins of the TLS certificate in service, told to nodes so they can follow a new key. */
  tlsPins: () => string[];
}

/** The node side of a running server. */
export interface NodeTunnels {
  gateway: TunnelGateway;
  /** Where pending nodes' sign-ins wait for approval. */
  approvals: PendingApprovals;
  /** Each node's tunnel bytes, added to its monthly count; throttled when its budget says so. */
  traffic: TunnelTraffic;
  /** Resolves once the store writes of nodes' connects and disconnects are done, those begun meanwhile included. */
  writesDone(): Promise<void>;
}

/**
 * Sets up the node side of the server: the tunnel gateway, and what each node's tunnel
 * writes (its connect and disconnect, its status reports, its bytes) under per-node budgets.
 */
export function openNodeTunnels(d: NodeTunnelsDeps): NodeTunnels {
  const { config, db, clock, log, cluster, instanceId, metrics, admission } = d;
  // A node's own actions write rows; a hostile or looping agent must not flood the store.
  const nodeAudits = new NodeWriteBudget(clock, config.nodeAuditWritesPerMinute);
  const statusBudget = new NodeWriteBudget(clock, config.nodeStatusWritesPerMinute);
  const approvals = new PendingApprovals(clock);
  // Nodes' connects, disconnects and status reports, committed together when they crowd in.
  const nodeRecords = new BatchedWrites(db);
  // Store writes made on a node's connect and disconnect: close() waits for them before the store closes.
  const nodeWrites = new Set<Promise<void>>();
  const trackNodeWrite = (work: Promise<void>) => {
    nodeWrites.add(work);
    void work.finally(() => nodeWrites.delete(work));
  };
  const traffic = new TunnelTraffic({ db, clock, log: log.child({ part: 'traffic' }), flushMs: config.trafficFlushMs });
  const gateway = new TunnelGateway({
    hostKey: d.hostKey,
    db,
    registry: d.registry,
    log: log.child({ part: 'gateway' }),
    clock,
    keepaliveIntervalMs: config.keepaliveIntervalMs,
    keepaliveCountMax: config.keepaliveCountMax,
    maxPendingHandshakes: config.maxPendingHandshakes,
    setupBacklog: () => nodeWrites.size,
    onAuthenticatedSocket: (socket) => admission.release(socket),
    denials: d.denials,
    onRefused: (reason) => metrics.tunnelRefused(reason),
    authTimeoutMs: config.tunnelAuthTimeoutMs,
    maxAuthAttempts: config.maxTunnelAuthAttempts,
    approvals,
    pendingHoldMs: config.pendingHoldMs,
    nodeLimits: { maxServices: config.maxServicesPerNode, maxChannels: config.maxChannelsPerNode },
    onTunnel: (nodeId, socket, stream) => traffic.track(nodeId, socket, stream),
    onNodeOnline: (conn) => {
      recordNodeTunnel(conn, { cluster, clock, log, instanceId, nodeAudits, trackNodeWrite, writes: nodeRecords });
      conn.once('status-ready', () => {
        const statusLog = log.child({ nodeId: conn.nodeId, part: 'status' });
        void serveStatusChannel(conn, {
          db,
          clock,
          log: statusLog,
          historyLimit: config.statusHistoryLimit,
          holdsWork: d.holdsWork,
          statusBudget,
          writes: nodeRecords,
          keyRotationMinIntervalMs: config.keyRotationMinIntervalMs,
          tlsPins: d.tlsPins,
          budgetOf: (id) => budgetNoticeFor(db, id, clock.now()),
        });
      });
      log.info({ nodeId: conn.nodeId, ip: conn.remoteIp }, 'node connected');
    },
  });
  return {
    gateway,
    approvals,
    traffic,
    async writesDone() {
      while (nodeWrites.size) await Promise.all([...nodeWrites]);
    },
  };
}
