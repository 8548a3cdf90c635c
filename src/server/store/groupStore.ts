import type { Queryable } from './database.js';

/** The id of the group at the top of the tree, made by `burrow server init`. */
export const ROOT_GROUP_ID = 'root';

/** A group row. */
export interface GroupRecord {
  id: string;
  name: string;
  parentId: string | null;
}

/** Adds a group under `parentId` (null only for the root). */
export async function insertGroup(q: Queryable, g: GroupRecord, now: number): Promise<void> {
  await q.run('INSERT INTO groups (id, name, parent_id, created_at) VALUES (?,?,?,?)', [g.id, g.name, g.parentId, now]);
}

/** One group by id. */
export async function getGroup(q: Queryable, id: string): Promise<GroupRecord | undefined> {
  const r = await q.get<{ id: string; name: string; parent_id: string | null }>('SELECT id, name, parent_id FROM groups WHERE id = ?', [id]);
  return r && { id: r.id, name: r.name, parentId: r.parent_id };
}

/** One group by id, or by its unique name. */
export async function findGroup(q: Queryable, idOrName: string): Promise<GroupRecord | undefined> {
  const byId = await getGroup(q, idOrName);
  if (byId) return byId;
  const rows = await q.all<{ id: string; name: string; parent_id: string | null }>('SELECT id, name, parent_id FROM groups WHERE name = ? LIMIT 2', [idOrName]);
  const r = rows.length === 1 ? rows[0] : undefined;
  return r && { id: r.id, name: r.name, parentId: r.parent_id };
}
