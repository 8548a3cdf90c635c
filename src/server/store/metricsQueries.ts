import type { Queryable } from './database.js';

/** Job targets by status (pending, running, ok, failed, expired, cancelled), for the jobs gauge. */
export async function countJobTargetsByStatus(q: Queryable): Promise<Map<string, number>> {
  const rows = await q.all<{ status: string; n: number }>('SELECT status, COUNT(*) AS n FROM job_targets GROUP BY status');
  return new Map(rows.map((r) => [r.status, Number(r.n)]));
}

/** Every node's id and connect mode: the nodes-connected gauge keeps the ones online. */
export async function listNodeModes(q: Queryable): Promise<{ id: string; mode: string }[]> {
  return q.all<{ id: string; mode: string }>('SELECT id, mode FROM nodes WHERE deleted_at IS NULL');
}

/**
 * The schema versions recorded as applied; none before the first migration made the
 * table (asked plainly, not through an engine's catalogue, so it reads the same on any store).
 */
export async function appliedMigrationVersions(q: Queryable): Promise<Set<number>> {
  const rows = await q.all<{ version: number }>('SELECT version FROM schema_migrations').catch(() => undefined);
  return new Set((rows ?? []).map((r) => Number(r.version)));
}
