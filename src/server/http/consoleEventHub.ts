import type { EventEmitter } from 'node:events';
import type { SessionView } from '../../shared/protocol.js';
import type { ClusterBus } from '../cluster/clusterBus.js';

/** A change a console may be told about, before it is filtered for one viewer. */
export type ConsoleEvent =
  | { kind: 'node'; online: boolean; nodeId: string; services?: string[] }
  | { kind: 'session'; event: 'session.opened' | 'session.closed'; view: SessionView | Omit<SessionView, 'url'>; groupId: string };

/**
 * One listener on the node registry, the session manager and the cluster bus, fanned out
 * to every open event stream: a listener per console tab made Node warn at the eleventh
 * (MaxListenersExceededWarning) and cost an emit per tab. Listens only while a stream is
 * open. This instance's events come from its registry and session manager at once; the
 * bus brings the other instances' (`node.route`, `session`), its own copies skipped.
 */
export class ConsoleEventHub {
  private readonly streams = new Set<(e: ConsoleEvent) => void>();
  private readonly listeners = {
    online: (nodeId: string) => this.fan({ kind: 'node', online: true, nodeId }),
    offline: (nodeId: string) => this.fan({ kind: 'node', online: false, nodeId }),
    opened: (view: SessionView, groupId: string) => this.fan({ kind: 'session', event: 'session.opened', view, groupId }),
    closed: (view: SessionView, groupId: string) => this.fan({ kind: 'session', event: 'session.closed', view, groupId }),
  };
  private unsubscribeBus: (() => void)[] = [];

  constructor(
    private readonly nodes: EventEmitter & { isOnline(nodeId: string): boolean },
    private readonly sessions: EventEmitter,
    private readonly cluster: ClusterBus,
  ) {}

  /** Sends every event to `stream` until the returned function is called. */
  subscribe(stream: (e: ConsoleEvent) => void): () => void {
    if (this.streams.size === 0) {
      this.nodes.on('online', this.listeners.online);
      this.nodes.on('offline', this.listeners.offline);
      this.sessions.on('opened', this.listeners.opened);
      this.sessions.on('closed', this.listeners.closed);
      const elsewhere = (origin: string) => origin !== this.cluster.instanceId;
      this.unsubscribeBus = [
        this.cluster.subscribe('node.route', (r, origin) => {
          // A node that moved here may be reported gone by the instance it left, after the fact.
          if (!elsewhere(origin) || (!r.online && this.nodes.isOnline(r.nodeId))) return;
          this.fan({ kind: 'node', online: r.online, nodeId: r.nodeId, services: r.services });
        }),
        this.cluster.subscribe('session', (s, origin) => {
          if (elsewhere(origin)) this.fan({ kind: 'session', event: s.event, view: s.view, groupId: s.groupId });
        }),
      ];
    }
    this.streams.add(stream);
    return () => {
      if (!this.streams.delete(stream) || this.streams.size > 0) return;
      this.nodes.off('online', this.listeners.online);
      this.nodes.off('offline', this.listeners.offline);
      this.sessions.off('opened', this.listeners.opened);
      this.sessions.off('closed', this.listeners.closed);
      for (const u of this.unsubscribeBus.splice(0)) u();
    };
  }

  private fan(e: ConsoleEvent): void {
    for (const s of [...this.streams]) s(e);
  }
}
