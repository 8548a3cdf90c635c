import type { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import type { SecretBox } from '../../shared/secretBox.js';
import type { Database } from '../store/database.js';
import { failPendingDeliveries } from '../store/alertDeliveryStore.js';
import { AlertDelivery } from './alertDelivery.js';
import { AlertEngine, type NodePresence } from './alertEngine.js';
import { TargetPolicy } from './targetPolicy.js';

/** The alert engine and its delivery, as the server runs them. */
export interface RunningAlerts {
  /** What the API's "send test" needs. */
  api: { delivery: AlertDelivery; policy: TargetPolicy };
  start(): Promise<void>;
  close(): Promise<void>;
}

/** Builds the alert delivery and engine from the server's config; `start()` begins watching. */
export function startAlerts(o: { db: Database; box: SecretBox; clock: Clock; log: Logger; registry: NodePresence; sessions: EventEmitter; config: ServerConfig }): RunningAlerts {
  const policy = new TargetPolicy(o.config.alertPrivateTargets);
  const delivery = new AlertDelivery({ db: o.db, box: o.box, clock: o.clock, log: o.log, policy, maxAttempts: o.config.alertDeliveryAttempts });
  const engine = new AlertEngine({ db: o.db, clock: o.clock, log: o.log, nodes: o.registry, sessions: o.sessions, delivery, pollMs: o.config.alertPollMs, startupGraceMs: o.config.alertStartupGraceMs });
  return {
    api: { delivery, policy },
    async start() {
      // Retries live in memory: a delivery the last run left pending will not be retried.
      const stale = await failPendingDeliveries(o.db, o.clock.now());
      if (stale) o.log.info({ stale }, 'failed alert deliveries left pending by the previous run');
      await engine.start();
    },
    async close() {
      await engine.close();
      await delivery.close();
    },
  };
}
