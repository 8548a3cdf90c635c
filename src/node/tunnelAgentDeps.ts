import type { Socket } from 'node:net';
import type { ClientChannel } from 'ssh2';
import type { Clock } from '../shared/clock.js';
import type { NodeConfig } from '../shared/config.js';
import type { Logger } from '../shared/log.js';
import type { NodeStatusReport, StatusLine, StatusReply } from '../shared/protocol.js';
import type { ProxyTarget } from './proxyConnect.js';
import type { KeyRotator } from './tunnelKeyRotation.js';
import type { BuiltinService } from './serviceForwarder.js';
import type { Admission } from './approvals/approvalDesk.js';

/** The agent's lifecycle. */
export type AgentState = 'idle' | 'connecting' | 'connected' | 'waiting' | 'stopped';

/** Allowed moves between agent states; tested as a table. */
export const agentTransitions: Record<AgentState, AgentState[]> = {
  idle: ['connecting', 'stopped'],
  connecting: ['connected', 'waiting', 'stopped'],
  connected: ['waiting', 'stopped'],
  waiting: ['connecting', 'stopped'],
  stopped: [],
};

/** What the agent reports on each change, for the status file. */
export interface AgentReport {
  state: AgentState;
  lastConnectedAt: number | null;
  lastError: string | null;
  nextAttemptAt: number | null;
}

/** Dependencies of the agent. */
export interface TunnelAgentDeps {
  config: NodeConfig;
  /** The node's current private key (it changes when the key rotates). */
  privateKey: () => string;
  clock: Clock;
  log: Logger;
  onReport?: (r: AgentReport) => void;
  /** Services served in-process (shell, jobs), by name. */
  builtins?: Record<string, BuiltinService>;
  /** Customer approval: whether a channel may open under the grant it names (all open without). */
  admit?: (service: string, grantId: string | undefined) => Admission;
  /** Gathers a health report for the status channel; without it the agent reports nothing. */
  collectStatus?: () => Promise<NodeStatusReport>;
  /** Asks the server this often whether it holds work (on-demand check-ins). */
  workPollMs?: number;
  /** Rotates the node key over the status channel when it is due. */
  keyRotation?: KeyRotator;
  /** Told why the server refused a key rotation. */
  onKeyRotationRefused?: (reason: string) => void;
  /** The address the tunnel's direct connection leaves from: a load generator spreads its nodes over many (bench/idleNodeFleet.ts). */
  localAddress?: string;
  /** The proxy to reach the server through, asked at each attempt (settings may change). */
  proxy?: () => ProxyTarget | undefined;
  /** Called with every reply on the status channel (work held, proposed mode); `send` answers on it. */
  onServerReply?: (r: StatusReply, send: (line: StatusLine) => void) => void;
  /** Told of both ends of every connection relayed to a local service. */
  onRelay?: (channel: ClientChannel, local: Socket) => void;
  /** Told when the node pins a new TLS key of the server (a renewed certificate), to save it. */
  onTlsPin?: (pin: string) => void;
  /** Told of each tunnel's socket once the server accepted the upgrade (the data budget counts its bytes). */
  onTunnelSocket?: (socket: Socket) => void;
}
