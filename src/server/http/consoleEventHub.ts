import type { EventEmitter } from 'node:events';
import type { SessionView } from '../../shared/protocol.js';
import type { ApprovalBoard, ApprovalBoardEvent } from '../approvals/approvalBoard.js';
import type { ClusterBus } from '../cluster/clusterBus.js';

/** A change a console may be told about, before it is filtered for one viewer. */
export type ConsoleEvent =
  | { kind: 'node'; online: boolean; nodeId: string }
  | { kind: 'session'; event: 'session.opened' | 'session.closed'; view: SessionView | Omit<SessionView, 'url'>; groupId: string }
  | ({ kind: 'approval' } & ApprovalBoardEvent);

/**
 * One listener on the node directory, the session manager and the cluster bus, fanned out
 * to every open event stream: a listener per console tab made Node warn at the eleventh
 * (MaxListenersExceededWarning) and cost an emit per tab. Listens only while a stream is
 * open. Nodes come from the directory, which follows every instance's routes through the
 * store (so a node that moved between instances is reported as the store has it). Sessions
 * of this instance come from its session manager at once; the bus brings the other
 * instances' (`session`), its own copies skipped.
 */
export class ConsoleEventHub {
  private readonly streams = new Set<(e: ConsoleEvent) => void>();
  private readonly listeners = {
    online: (nodeId: string) => this.fan({ kind: 'node', online: true, nodeId }),
    offline: (nodeId: string) => this.fan({ kind: 'node', online: false, nodeId }),
    opened: (view: SessionView, groupId: string) => this.fan({ kind: 'session', event: 'session.opened', view, groupId }),
    closed: (view: SessionView, groupId: string) => this.fan({ kind: 'session', event: 'session.closed', view, groupId }),
    approval: (m: ApprovalBoardEvent) => this.fan({ kind: 'approval', ...m }),
  };
  private unsubscribeBus: (() => void)[] = [];

  constructor(
    private readonly nodes: EventEmitter,
    private readonly sessions: EventEmitter,
    private readonly cluster: ClusterBus,
    /** Requests for approval on site on every instance (they come through the bus). */
    private readonly approvals?: ApprovalBoard,
  ) {}

  /** Sends every event to `stream` until the returned function is called. */
  subscribe(stream: (e: ConsoleEvent) => void): () => void {
    if (this.streams.size === 0) {
      this.nodes.on('online', this.listeners.online);
      this.nodes.on('offline', this.listeners.offline);
      this.sessions.on('opened', this.listeners.opened);
      this.sessions.on('closed', this.listeners.closed);
      this.approvals?.on('change', this.listeners.approval);
      this.unsubscribeBus = [
        this.cluster.subscribe('session', (s, origin) => {
          if (origin !== this.cluster.instanceId) this.fan({ kind: 'session', event: s.event, view: s.view, groupId: s.groupId });
        }),
      ];
    }
    this.streams.add(stream);
    // What already waits for approval on site, so a console that connects late shows it too.
    for (const m of this.approvals?.current() ?? []) stream({ kind: 'approval', ...m });
    return () => {
      if (!this.streams.delete(stream) || this.streams.size > 0) return;
      this.nodes.off('online', this.listeners.online);
      this.nodes.off('offline', this.listeners.offline);
      this.sessions.off('opened', this.listeners.opened);
      this.sessions.off('closed', this.listeners.closed);
      this.approvals?.off('change', this.listeners.approval);
      for (const u of this.unsubscribeBus.splice(0)) u();
    };
  }

  private fan(e: ConsoleEvent): void {
    for (const s of [...this.streams]) s(e);
  }
}
