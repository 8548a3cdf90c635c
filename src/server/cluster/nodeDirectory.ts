import type { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import type { ServiceChange } from '../../shared/protocol.js';
import type { ApprovalDecision, ApprovalPush } from '../../shared/approvalProtocol.js';
import type { ServiceTarget } from '../../shared/serviceTarget.js';
import type { ForwardOrigin } from '../gateway/nodeConnection.js';

/** A node's answer to a pushed service change. */
export interface ServiceChangeResult {
  id: string;
  applied: boolean;
  refused?: string;
}

/** The events of a node handle, with their arguments. */
export interface NodeHandleEvents {
  /** The node's tunnel (here or on the instance holding it) ended; once. */
  close: [];
  /** The node's services changed. */
  services: [services: string[]];
  /** The node answered a pushed service change. */
  'service-result': [result: ServiceChangeResult];
  /** A person on the node's site decided an approval request (or it timed out there). */
  'approval-decision': [decision: ApprovalDecision];
}

/**
 * An online node as everything that reaches it sees it, wherever its tunnel is: the local
 * `NodeConnection`, or a `PeerNode` for a node another instance holds.
 */
export interface NodeHandle {
  readonly nodeId: string;
  readonly services: ReadonlySet<string>;
  /** How each service's WebUI expects to be spoken to, as the agent declared it. */
  readonly targets: ReadonlyMap<string, ServiceTarget>;
  readonly remoteIp: string;
  readonly connectedAt: number;
  readonly isOpen: boolean;
  /** A byte stream to the node's service `name` (through the peer link when the node is elsewhere). */
  openService(name: string, origin: ForwardOrigin): Promise<Duplex>;
  /** Asks the agent to rotate its key now; false when it cannot be asked now. */
  requestKeyRotation(): boolean;
  /** Pushes a service change to the agent; the answer comes as `service-result`. False when it cannot be pushed now. */
  pushServiceChange(change: ServiceChange & { id: string }): boolean;
  /** Sends an approval request or withdrawal to the agent; decisions come as `approval-decision`. False when it cannot be sent now. */
  pushApproval(push: ApprovalPush): boolean;
  /** Cuts the node's tunnel. */
  close(): void;
  on<K extends keyof NodeHandleEvents>(event: K, listener: (...args: NodeHandleEvents[K]) => void): unknown;
  once<K extends keyof NodeHandleEvents>(event: K, listener: (...args: NodeHandleEvents[K]) => void): unknown;
  off<K extends keyof NodeHandleEvents>(event: K, listener: (...args: NodeHandleEvents[K]) => void): unknown;
}

/**
 * The online nodes of the whole deployment, by node id: what sessions, shells, the API and
 * metrics ask instead of the process-local registry. Emits `online` (nodeId) when a node
 * comes online here, or becomes reachable through another instance; `offline` (nodeId)
 * when it is reachable nowhere any more; `disconnected` (nodeId, why) for each tunnel of
 * this instance that ends (`replaced`, `server` or `link`).
 */
export interface NodeDirectory extends EventEmitter {
  /** The node's handle, if it is online anywhere. */
  get(nodeId: string): NodeHandle | undefined;
  /** Whether the node is online anywhere. */
  isOnline(nodeId: string): boolean;
  /** Whether this instance holds the node's tunnel. */
  holds(nodeId: string): boolean;
  /** How many nodes are online, on all instances. */
  readonly size: number;
  /** Cuts a node's tunnel at once, wherever it is (e.g. on revocation). */
  disconnect(nodeId: string): void;
}
