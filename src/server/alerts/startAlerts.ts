import type { EventEmitter } from 'node:events';
import type { Clock } from '../../shared/clock.js';
import type { ServerConfig } from '../../shared/config.js';
import type { Logger } from '../../shared/log.js';
import type { SecretBox } from '../../shared/secretBox.js';
import type { LeaderLease } from '../cluster/leaderLease.js';
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

/**
 * Builds the alert delivery and engine from the server's config; `start()` begins competing
 * for `lease`, and the engine runs only while this instance holds it, so each alert is sent
 * once per deployment, not once per instance. `registry` and `sessions` must show the nodes
 * and sessions of every instance. The API's test send works on every instance.
 */
export function startAlerts(o: { db: Database; box: SecretBox; clock: Clock; log: Logger; registry: NodePresence; sessions: EventEmitter; config: ServerConfig; lease: LeaderLease }): RunningAlerts {
  const policy = new TargetPolicy(o.config.alertPrivateTargets);
  const delivery = new AlertDelivery({ db: o.db, box: o.box, clock: o.clock, log: o.log, policy, maxAttempts: o.config.alertDeliveryAttempts });
  // One engine per term as leader: a closed engine does not start again.
  let engine: AlertEngine | undefined;
  return {
    api: { delivery, policy },
    start: () =>
      o.lease.start({
        async elected() {
          // Retries live in memory: a delivery the last leader left pending will not be retried.
          const stale = await failPendingDeliveries(o.db, o.clock.now());
          if (stale) o.log.info({ stale }, 'failed alert deliveries left pending by the previous leader');
          engine = new AlertEngine({ db: o.db, clock: o.clock, log: o.log, nodes: o.registry, sessions: o.sessions, delivery, pollMs: o.config.alertPollMs, startupGraceMs: o.config.alertStartupGraceMs });
          await engine.start();
        },
        async deposed() {
          await engine?.close();
          engine = undefined;
        },
      }),
    async close() {
      await o.lease.close();
      await delivery.close();
    },
  };
}
