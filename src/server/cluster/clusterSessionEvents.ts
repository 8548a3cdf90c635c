import { EventEmitter } from 'node:events';
import type { ClusterBus } from './clusterBus.js';

/** Sessions opened on any instance, and the function that stops following them. */
export interface ClusterSessionEvents {
  /** Emits `opened` (view, groupId) for a session opened on any instance; the views carry no URL. */
  events: EventEmitter;
  stop(): void;
}

/**
 * The sessions every instance opens, as the `opened` events a session manager emits: the
 * one instance that evaluates alerts must see sessions opened on the others too. Built on
 * the `session` topic, which carries this instance's own sessions as well.
 */
export function clusterSessionEvents(bus: ClusterBus): ClusterSessionEvents {
  const events = new EventEmitter();
  const stop = bus.subscribe('session', (m) => {
    if (m.event === 'session.opened') events.emit('opened', m.view, m.groupId);
  });
  return { events, stop };
}
