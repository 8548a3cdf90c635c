import type { Queryable } from './store/database.js';
import { appliedMigrationVersions } from './store/metricsQueries.js';

/** What readiness looks at. */
export interface ReadinessSources {
  store: Queryable;
  /** Every migration version this build ships. */
  migrations: readonly number[];
  /** The server's listeners by name (api, metrics): each must be listening. */
  listeners: Readonly<Record<string, { readonly listening: boolean }>>;
}

/**
 * The checks behind /readyz: the store answers, every migration this build ships is
 * applied, and every port listens. Resolves to the names of the failing checks (none: ready).
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
    return failing;
  };
}
