import type { Queryable } from './database.js';

/** The id of the group at the top of the tree, made by `burrow server init`. */
export const ROOT_GROUP_ID = 'root';

/** A group row. */
export interface GroupRecord {
  id: string;
  name: string;
  parentId: string | null;
  rememberBrowserDays: number;
  /** Whether terminal sessions on the group's nodes are recorded. */
  recordShell?: boolean;
}

interface Row {
  id: string;
  name: string;
  parent_id: string | null;
  remember_browser_days: number;
  record_shell?: number;
}

const toRecord = (r: Row): GroupRecord => ({ id: r.id, name: r.name, parentId: r.parent_id, rememberBrowserDays: r.remember_browser_days ?? 0, recordShell: (r.record_shell ?? 1) === 1 });

/** Adds a group under `parentId` (null only for the root). */
export async function insertGroup(q: Queryable, g: Pick<GroupRecord, 'id' | 'name' | 'parentId'>, now: number): Promise<void> {
  await q.run('INSERT INTO groups (id, name, parent_id, created_at) VALUES (?,?,?,?)', [g.id, g.name, g.parentId, now]);
}

/** One group by id. */
export async function getGroup(q: Queryable, id: string): Promise<GroupRecord | undefined> {
  const r = await q.get<Row>('SELECT * FROM groups WHERE id = ?', [id]);
  return r && toRecord(r);
}

/** One group by id, or by its unique name. */
export async function findGroup(q: Queryable, idOrName: string): Promise<GroupRecord | undefined> {
  const byId = await getGroup(q, idOrName);
  if (byId) return byId;
  const rows = await q.all<Row>('SELECT * FROM groups WHERE name = ? LIMIT 2', [idOrName]);
  return rows.length === 1 ? toRecord(rows[0] as Row) : undefined;
}

/** Every group; the tree is small enough to hold whole. */
export async function listGroups(q: Queryable): Promise<GroupRecord[]> {
  return (await q.all<Row>('SELECT * FROM groups ORDER BY name')).map(toRecord);
}

/** Sets how long members may have a browser remembered (0 = never). */
export async function setRememberBrowserDays(q: Queryable, id: string, days: number): Promise<void> {
  await q.run('UPDATE groups SET remember_browser_days = ? WHERE id = ?', [days, id]);
}

/** What still lives in a group (a group is deleted only when empty). */
export async function groupContents(q: Queryable, id: string): Promise<{ groups: number; nodes: number; grants: number; tokens: number }> {
  const count = async (sql: string) => ((await q.get<{ n: number }>(sql, [id])) as { n: number }).n;
  return {
    groups: await count('SELECT COUNT(*) AS n FROM groups WHERE parent_id = ?'),
    nodes: await count('SELECT COUNT(*) AS n FROM nodes WHERE group_id = ?'),
    grants: await count('SELECT COUNT(*) AS n FROM grants WHERE group_id = ?'),
    tokens: await count('SELECT COUNT(*) AS n FROM enroll_tokens WHERE group_id = ? AND revoked_at IS NULL'),
  };
}

/** Removes an empty group. */
export async function deleteGroup(q: Queryable, id: string): Promise<void> {
  await q.run('DELETE FROM groups WHERE id = ?', [id]);
}

/** Whether another group under `parentId` is already named `name`. */
export async function groupNameTaken(q: Queryable, parentId: string, name: string, exceptId: string): Promise<boolean> {
  return (await q.get<{ id: string }>('SELECT id FROM groups WHERE parent_id = ? AND name = ? AND id <> ?', [parentId, name, exceptId])) !== undefined;
}

/** Gives a group another name. */
export async function renameGroup(q: Queryable, id: string, name: string): Promise<void> {
  await q.run('UPDATE groups SET name = ? WHERE id = ?', [name, id]);
}

/** Hangs a group (and its subtree) under another parent. */
export async function moveGroup(q: Queryable, id: string, parentId: string): Promise<void> {
  await q.run('UPDATE groups SET parent_id = ? WHERE id = ?', [parentId, id]);
}
