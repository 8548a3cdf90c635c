import type { Database } from './store/database.js';
import { listSessions } from './store/sessionStore.js';
import type { SessionQueue } from './sessionQueue.js';

/**
 * Whether the server holds work for a node, so that an on-demand node stays connected
 * past its check-in: an open session on it, or a session request still waiting for it
 * (jobs in delivery are added by the caller).
 */
export async function serverHoldsWork(db: Database, queue: SessionQueue, nodeId: string): Promise<boolean> {
  return (await listSessions(db)).some((s) => s.nodeId === nodeId) || (await queue.hasQueued(nodeId));
}
