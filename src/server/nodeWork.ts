import type { Database } from './store/database.js';
import { listSessions } from './store/sessionStore.js';

/**
 * Whether the server holds work for a node, so that an on-demand node stays connected
 * past its check-in: an open session on it (queued sessions and jobs join here).
 */
export async function serverHoldsWork(db: Database, nodeId: string): Promise<boolean> {
  return (await listSessions(db)).some((s) => s.nodeId === nodeId);
}
