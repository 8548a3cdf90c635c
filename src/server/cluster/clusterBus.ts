import { EventEmitter } from 'node:events';
import type { SessionView, ServiceChange } from '../../shared/protocol.js';
import type { AuthorityChange } from '../auth/authorityBus.js';
import type { ApprovalDecision, ApprovalNotice, ApprovalPush } from '../../shared/approvalProtocol.js';

/**
 * What instances tell each other, by topic. One process uses the in-process bus; several
 * instances on PostgreSQL use LISTEN/NOTIFY. Payloads are JSON and small (NOTIFY caps a
 * payload at 8000 bytes), so they carry ids and short facts, never bulk data.
 */
export interface ClusterTopics {
  /** A user's authority changed: long-lived connections on every instance re-check it. */
  'authority': AuthorityChange;
  /** A node's tunnel came up on, or went from, the instance `instanceId`. */
  'node.route': { nodeId: string; instanceId: string; online: boolean; services: string[] };
  /** A session opened or closed on some instance; consoles everywhere show it (never its URL, which may carry a one-time token). */
  'session': { event: 'session.opened' | 'session.closed'; view: Omit<SessionView, 'url'>; groupId: string };
  /** A job was created: the instance holding any of its nodes delivers at once. */
  'job.created': { jobId: string };
  /** A job was cancelled: the instance waiting for its approval on site withdraws the request. */
  'job.cancelled': { jobId: string };
  /** A request for approval on site began waiting, was decided or was withdrawn; consoles of its node's group show it. */
  'approval': { event: 'approval.waiting' | 'approval.decided' | 'approval.withdrawn'; groupId: string; notice: ApprovalNotice };
  /** The survivors declared an instance dead; its routes and sessions are gone. */
  'instance.dead': { instanceId: string };
  /** A node's agent is asked, through whichever instance holds its tunnel, to do something. */
  'node.command': { nodeId: string; command: { kind: 'disconnect' } | { kind: 'rotate-key' } | { kind: 'service-change'; change: ServiceChange & { id: string } } | { kind: 'approval'; push: ApprovalPush } };
  /** A decision on site about an approval request, relayed by the instance holding the node. */
  'node.approval-decision': { nodeId: string; decision: ApprovalDecision };
  /** The node's answer to a `service-change` command, relayed by the instance holding it. */
  'node.service-result': { nodeId: string; result: { id: string; applied: boolean; refused?: string } };
}

/** A topic of the bus. */
export type ClusterTopic = keyof ClusterTopics;

/** Receives one topic's messages; `origin` is the id of the instance that published it. */
export type ClusterListener<K extends ClusterTopic> = (payload: ClusterTopics[K], origin: string) => void;

/**
 * How this instance's bus reaches the others: `in-process` (a single server: nothing to
 * lose), or the state of its PostgreSQL listening connection (`listening` when up;
 * `reconnecting` while down, messages from other instances lost; `resyncing` while views
 * reload from the store after it came back).
 */
export type BusLinkState = 'in-process' | 'initial' | 'listening' | 'reconnecting' | 'resyncing' | 'closed';

/**
 * Carries messages to every instance, the publisher's own included: a subscriber that
 * already acted locally skips messages whose `origin` is its own instance id.
 */
export interface ClusterBus {
  /** This instance's id, stamped as `origin` on what it publishes. */
  readonly instanceId: string;
  /** Where its link to the other instances stands (readiness shows it). */
  readonly linkState: BusLinkState;
  publish<K extends ClusterTopic>(topic: K, payload: ClusterTopics[K]): Promise<void>;
  /** Calls `listener` for every message on `topic`; returns the unsubscribe function. */
  subscribe<K extends ClusterTopic>(topic: K, listener: ClusterListener<K>): () => void;
  /**
   * Calls `listener` after the bus lost messages (its link to the other instances dropped
   * and came back): a subscriber that keeps a view of other instances reloads it from the
   * store. The bus stays `resyncing` until every listener's promise settled. Absent on a bus
   * that cannot lose messages. Returns the unsubscribe function.
   */
  onResync?(listener: () => void | Promise<void>): () => void;
  close(): Promise<void>;
}

/**
 * The bus of a single server process: delivery is synchronous and in order. Buses given one
 * `emitter` act as instances of one deployment (tests of what crosses instances).
 */
export class LocalClusterBus implements ClusterBus {
  readonly linkState = 'in-process';
  private readonly subscriptions = new Set<() => void>();

  constructor(
    readonly instanceId: string,
    private readonly emitter = new EventEmitter(),
  ) {
    this.emitter.setMaxListeners(0);
  }

  publish<K extends ClusterTopic>(topic: K, payload: ClusterTopics[K]): Promise<void> {
    this.emitter.emit(topic, payload, this.instanceId);
    return Promise.resolve();
  }

  subscribe<K extends ClusterTopic>(topic: K, listener: ClusterListener<K>): () => void {
    this.emitter.on(topic, listener);
    const off = () => {
      this.emitter.off(topic, listener);
      this.subscriptions.delete(off);
    };
    this.subscriptions.add(off);
    return off;
  }

  close(): Promise<void> {
    // Only this bus's own subscriptions: the emitter may be shared.
    for (const off of [...this.subscriptions]) off();
    return Promise.resolve();
  }
}
