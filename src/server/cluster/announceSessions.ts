import type { EventEmitter } from 'node:events';
import type { SessionView } from '../../shared/protocol.js';
import type { Logger } from '../../shared/log.js';
import type { ClusterBus } from './clusterBus.js';

/**
 * Publishes the sessions this instance opens and closes on the `session` topic, so consoles
 * streaming from other instances show them. The URL stays here: it may carry the one-time
 * token meant only for the person who opened the session. Returns the stop function.
 */
export function announceSessions(sessions: EventEmitter, bus: ClusterBus, log: Logger): () => void {
  const publish = (event: 'session.opened' | 'session.closed') => (view: SessionView, groupId: string) => {
    const rest: Partial<SessionView> = { ...view };
    delete rest.url;
    bus.publish('session', { event, view: rest as Omit<SessionView, 'url'>, groupId }).catch((err: Error) => log.warn({ err: err.message, sessionId: view.id }, 'could not announce a session to other instances'));
  };
  const opened = publish('session.opened');
  const closed = publish('session.closed');
  sessions.on('opened', opened);
  sessions.on('closed', closed);
  return () => {
    sessions.off('opened', opened);
    sessions.off('closed', closed);
  };
}
