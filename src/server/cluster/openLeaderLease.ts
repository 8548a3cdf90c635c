import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Database } from '../store/database.js';
import { SoleLeader, type LeaderLease } from './leaderLease.js';
import { StoreLeaderLease } from './storeLeaderLease.js';

/** The lock number of the alerts leader ("bual"); the store's write lock is another number. */
export const ALERTS_LEASE_KEY = 0x6275_616c;

/**
 * The leader lease that fits the store: a lock in the database when several instances can
 * share it, the sole-leader lease of a single process otherwise. The one place the choice is made.
 */
export function openLeaderLease(db: Database, o: { key: number; name: string; clock: Clock; log: Logger; retryMs?: number }): LeaderLease {
  const locks = db.sessionLocks?.();
  if (!locks) return new SoleLeader();
  return new StoreLeaderLease({ locks, key: o.key, name: o.name, clock: o.clock, log: o.log, ...(o.retryMs ? { retryMs: o.retryMs } : {}) });
}
