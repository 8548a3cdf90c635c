import type { BusLinkState } from './cluster/clusterBus.js';
import type { Queryable } from './store/database.js';
import { appliedMigrationVersions } from './store/metricsQueries.js';

/** What readiness looks at. */
export interface ReadinessSources {
  store: Queryable;
  /** Every migration version this build ships. */
  migrations: readonly number[];
  /** The server's listeners by name (api, metrics): each must be listening. */
  listeners: Readonly<Record<string, { readonly listening: boolean }>>;
  /** The cluster bus: an instance that misses the others' messages must not take traffic. */
  bus?: { readonly linkState: BusLinkState };
}

/** Bus states in which the instance hears every other instance. */
const BUS_UP: ReadonlySet<BusLinkState> = new Set(['in-process', 'listening']);

/**
 * The checks behind /readyz: the store answers, every migration this build ships is
 * applied, every port listens, and the cluster bus hears the other instances. Resolves to the names of the failing checks (none: ready).
 */
export function readinessChecks(s: ReadinessSources): () => Promise<string[]> {
  return async () => {
    const failing: string[] = [];
    const reachable = await s.store.get('SELECT 1').then(() => true, () => false);
    if (!reachable) failing.push('store');
    else {
      const applied = await appliedMigrationVersions(s.store);
      if (s.migrations.some((v) => !applied.has(v))) failing.push('migrations');
    }
    for (const [name, l] of Object.entries(s.listeners)) if (!l.listening) failing.push(`${name} port`);
    if (s.bus && !BUS_UP.has(s.bus.linkState)) failing.push(`cluster bus (${s.bus.linkState})`);
    return failing;
  };
}
