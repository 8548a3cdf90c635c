import type { Clock } from '../../shared/clock.js';
import type { Logger } from '../../shared/log.js';
import type { Database } from '../store/database.js';
import { LocalClusterBus, type ClusterBus } from './clusterBus.js';
import { PostgresClusterBus } from './postgresClusterBus.js';

/**
 * The bus that fits the store: over the database's notifications when it has them (several
 * instances can share it), in process otherwise. The one place the choice is made.
 */
export async function openClusterBus(db: Database, instanceId: string, o: { clock: Clock; log: Logger }): Promise<ClusterBus> {
  const notifications = db.notifications?.();
  if (!notifications) return new LocalClusterBus(instanceId);
  return PostgresClusterBus.open({ instanceId, notifications, clock: o.clock, log: o.log });
}
