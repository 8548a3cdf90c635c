import type { Queryable } from './database.js';

/** Whether a live node other than `exceptId` is named `name` in group `groupId` (names are unique per group). */
export async function nodeNameTaken(q: Queryable, groupId: string, name: string, exceptId: string): Promise<boolean> {
  const r = await q.get<{ id: string }>('SELECT id FROM nodes WHERE group_id = ? AND name = ? AND id <> ? AND deleted_at IS NULL', [groupId, name, exceptId]);
  return r !== undefined;
}

/** Gives a node a new name. */
export async function renameNode(q: Queryable, id: string, name: string): Promise<void> {
  await q.run('UPDATE nodes SET name = ? WHERE id = ?', [name, id]);
}

/** Puts a node in another group. */
export async function moveNode(q: Queryable, id: string, groupId: string): Promise<void> {
  await q.run('UPDATE nodes SET group_id = ? WHERE id = ?', [groupId, id]);
}

/** Replaces a node's labels. */
export async function setNodeLabels(q: Queryable, id: string, labels: Record<string, string>): Promise<void> {
  await q.run('UPDATE nodes SET labels = ? WHERE id = ?', [JSON.stringify(labels), id]);
}

/** Records the services a node is to expose (as name=target), as the server last set them. */
export async function setNodeServices(q: Queryable, id: string, services: string[]): Promise<void> {
  await q.run('UPDATE nodes SET services = ? WHERE id = ?', [JSON.stringify(services), id]);
}

/**
 * Deletes a node: revoked for good (its key stays on record and refused) and hidden from
 * every listing, its row kept so that audit entries and old records still name it.
 */
export async function markNodeDeleted(q: Queryable, id: string, at: number): Promise<void> {
  await q.run("UPDATE nodes SET status = 'revoked', deleted_at = ? WHERE id = ?", [at, id]);
}

/**
 * Cancels the jobs still waiting for a node (its job targets): jobs queued under the
 * authority of its old group must not run once it moved away, nor linger once it is deleted.
 */
export async function cancelPendingJobsOf(q: Queryable, nodeId: string, error: string, now: number): Promise<number> {
  const r = await q.run("UPDATE job_targets SET status = 'cancelled', error = ?, finished_at = ? WHERE node_id = ? AND status = 'pending'", [error, now, nodeId]);
  return r.changes;
}
