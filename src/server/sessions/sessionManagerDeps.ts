import type tls from 'node:tls';
import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import type { SessionType } from '../../shared/protocol.js';
import type { DenialRecorder } from '../audit/deniedAttempts.js';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import type { ProxyProtocol } from '../proxyProtocol/proxyProtocolGate.js';
import type { Database } from '../store/database.js';
import type { ConcurrencyLimits } from './sessionLimits.js';
import type { ApprovalBroker } from '../approvals/approvalBroker.js';

/** How sessions are placed, how long they live and how many there may be. */
export interface SessionLimits {
  range: readonly [number, number];
  host: string;
  /** Host name put in session URLs (the console's). */
  publicHost: string;
  /** Each http session is served at `<label>.<sessionDomain>` when set. */
  sessionDomain?: string;
  ttlMs: number;
  idleMs: number;
  /** How long a session survives its node being offline. */
  nodeGraceMs: number;
  /** Connections one source address may hold open on one session port (default 64). */
  maxConnectionsPerIp?: number;
  /** Deadline for a request's headers on a session port (default 30 s). */
  headersTimeoutMs?: number;
  concurrency: ConcurrencyLimits;
}

/** The session limits a server's configuration sets; `publicHost` is the console's host name. */
export function sessionLimitsOf(config: ServerConfig, publicHost: string): SessionLimits {
  return {
    range: config.sessionPorts,
    host: config.sessionHost,
    publicHost,
    ...(config.sessionDomain ? { sessionDomain: config.sessionDomain } : {}),
    ttlMs: config.sessionTtlMs,
    idleMs: config.sessionIdleMs,
    nodeGraceMs: config.nodeGraceMs,
    maxConnectionsPerIp: config.maxSessionConnectionsPerIp,
    headersTimeoutMs: config.sessionHeadersTimeoutMs,
    concurrency: { perUser: config.maxSessionsPerUser, perNode: config.maxSessionsPerNode, total: config.maxSessions },
  };
}

/** Dependencies of the session manager. */
export interface SessionManagerDeps {
  db: Database;
  /** The online nodes of every instance: a session here relays to a node held anywhere. */
  registry: NodeDirectory;
  /** This instance's id, recorded on each session it opens (its start-up sweep closes only those). */
  instanceId: string;
  clock: Clock;
  log: Logger;
  tlsOptions: tls.TlsOptions;
  limits: SessionLimits;
  /** Audits refused connections rate-limited per address; without it each is written as it comes. */
  denials?: DenialRecorder;
  /** PROXY protocol from listed balancers on session ports, so admission sees the real client. */
  proxyProtocol?: ProxyProtocol;
  /** Where a line per client connection of a session port goes; none when unset. */
  accessLog?: Logger;
  /** Customer approval: asks the person on site before a session opens on a node that requires it. */
  approvals?: ApprovalBroker;
}

/** Who asks for a session, and from where. */
export interface SessionRequest {
  nodeId: string;
  service: string;
  /** Absent: the type the service declared (`tcp://…` on the node), else http. */
  type?: SessionType;
  userId: string;
  sourceIp: string;
  /** A tcp session guarded by source address alone, without `burrow tcp`'s proof; only when asked for. */
  bare?: boolean;
  /** Aborted when the requester gives up while the session waits for approval on site. */
  signal?: AbortSignal;
}
