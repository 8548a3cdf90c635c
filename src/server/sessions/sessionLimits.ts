import { BurrowError } from '../../shared/errors.js';

/** How many sessions may be open at once. */
export interface ConcurrencyLimits {
  perUser: number;
  perNode: number;
  total: number;
}

/** The sessions open (or opening) now, as the limits count them. */
export interface OpenSession {
  userId: string | null;
  nodeId: string;
}

/** How many sessions are open now: in all, of the user asking, and on the node asked for. */
export interface OpenSessionCounts {
  total: number;
  user: number;
  node: number;
}

/** Throws SESSION_LIMIT, naming the limit reached, when one more session would exceed any of them. */
export function checkSessionLimits(limits: ConcurrencyLimits, open: Iterable<OpenSession>, want: { userId: string; nodeId: string }): void {
  const counts: OpenSessionCounts = { total: 0, user: 0, node: 0 };
  for (const s of open) {
    counts.total++;
    if (s.userId === want.userId) counts.user++;
    if (s.nodeId === want.nodeId) counts.node++;
  }
  checkSessionCounts(limits, counts);
}

/** The same check on counts already made (by the store, over every instance's sessions). */
export function checkSessionCounts(limits: ConcurrencyLimits, { total, user, node }: OpenSessionCounts): void {
  if (user >= limits.perUser) {
    throw new BurrowError('SESSION_LIMIT', `You have ${user} sessions open, the most one user may hold (maxSessionsPerUser); close one first.`);
  }
  if (node >= limits.perNode) {
    throw new BurrowError('SESSION_LIMIT', `This node has ${node} sessions open, the most one node may have (maxSessionsPerNode); close one first.`);
  }
  if (total >= limits.total) {
    throw new BurrowError('SESSION_LIMIT', `The server has ${total} sessions open, its limit (maxSessions); try again when some have closed.`);
  }
}
