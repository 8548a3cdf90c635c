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

/** Throws SESSION_LIMIT, naming the limit reached, when one more session would exceed any of them. */
export function checkSessionLimits(limits: ConcurrencyLimits, open: Iterable<OpenSession>, want: { userId: string; nodeId: string }): void {
  let total = 0;
  let user = 0;
  let node = 0;
  for (const s of open) {
    total++;
    if (s.userId === want.userId) user++;
    if (s.nodeId === want.nodeId) node++;
  }
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
