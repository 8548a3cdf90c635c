import type { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import type { SessionView } from '../../shared/protocol.js';
import type { NodeDirectory } from '../cluster/nodeDirectory.js';
import type { Queryable } from '../store/database.js';
import { countJobTargetsByStatus, listNodeModes } from '../store/metricsQueries.js';
import type { ServerMetrics, TunnelDisconnect } from './serverMetrics.js';

/** What the metrics listen to: the live nodes, the session manager's events and the store. */
export interface MetricSources {
  /** The online nodes; tunnel counts are this instance's own (each instance is scraped). */
  registry: NodeDirectory;
  /** Emits `opened` (view) and `closed` (view, groupId, bytes), as SessionManager does. */
  sessions: EventEmitter;
  store: Queryable;
  clock: Clock;
}

/**
 * Feeds the metrics from the server's existing events rather than calls sprinkled through
 * the code; counts that live in the store (jobs, node modes) are read when scraped.
 * Returns a function that stops listening.
 */
export function feedMetrics(metrics: ServerMetrics, s: MetricSources): () => void {
  const online = (nodeId: string) => {
    if (s.registry.holds(nodeId)) metrics.tunnelConnects.inc();
  };
  const disconnected = (_nodeId: string, reason: TunnelDisconnect) => metrics.tunnelDisconnected(reason);
  const opened = (view: SessionView) => metrics.sessionOpened(view.id, view.type ?? 'http', (s.clock.now() - Date.parse(view.openedAt)) / 1000);
  const closed = (view: SessionView, _groupId: string, bytes?: { bytesUp: number; bytesDown: number }) =>
    metrics.sessionClosed(view.id, view.closeReason ?? 'other', bytes ?? { bytesUp: 0, bytesDown: 0 });
  s.registry.on('online', online);
  s.registry.on('disconnected', disconnected);
  s.sessions.on('opened', opened);
  s.sessions.on('closed', closed);
  metrics.gaugeFromScrape('burrow_nodes_connected', 'Nodes connected now, by connect mode.', 'mode', async () => {
    const byMode = new Map([['always-on', 0], ['on-demand', 0]]);
    for (const n of await listNodeModes(s.store)) if (s.registry.holds(n.id)) byMode.set(n.mode, (byMode.get(n.mode) ?? 0) + 1);
    return byMode;
  });
  metrics.gaugeFromScrape('burrow_jobs', 'Job deliveries (one per target node), by state.', 'state', async () => {
    const byState = new Map(['pending', 'running', 'ok', 'failed', 'expired', 'cancelled'].map((state) => [state, 0]));
    for (const [state, n] of await countJobTargetsByStatus(s.store)) byState.set(state, n);
    return byState;
  });
  return () => {
    s.registry.off('online', online);
    s.registry.off('disconnected', disconnected);
    s.sessions.off('opened', opened);
    s.sessions.off('closed', closed);
  };
}
